"""messages.ticket_id: an operator's note belongs to the ticket it was written on

Revision ID: 0010
Revises: 0009 (ticket card stale)
Create Date: 2026-12-06 21:50:00

The notes written before are kept as they were (NULL): a card places them by time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_messages_ticket_id"), ["ticket_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_messages_ticket_id_tickets"),
            "tickets",
            ["ticket_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(batch.f("fk_messages_ticket_id_tickets"), type_="foreignkey")
        batch.drop_index(batch.f("ix_messages_ticket_id"))
        batch.drop_column("ticket_id")
