"""canned replies in several languages: one text per name and language

Revision ID: 0006
Revises: 0005 (compensations)
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "": a reply stored before languages were kept (its language is read from its text)
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lang", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_canned_replies_name", type_="unique")
        batch_op.create_unique_constraint("uq_canned_replies_name", ["name", "lang"])


def downgrade() -> None:
    # one text per name again: the first stored of each name stays
    op.execute(
        "DELETE FROM canned_replies WHERE id NOT IN "
        "(SELECT MIN(id) FROM canned_replies GROUP BY name)"
    )
    with op.batch_alter_table("canned_replies", schema=None) as batch_op:
        batch_op.drop_constraint("uq_canned_replies_name", type_="unique")
        batch_op.create_unique_constraint("uq_canned_replies_name", ["name"])
        batch_op.drop_column("lang")
