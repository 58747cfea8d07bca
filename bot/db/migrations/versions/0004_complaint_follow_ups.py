"""complaint follow-ups: ask the customer, after the promised time, whether it was sorted out

Revision ID: 0004
Revises: 0003 (knowledge gaps)
Create Date: 2026-11-23 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_complaints_follow_up", ["follow_up_at", "followed_up_at"])


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index("ix_complaints_follow_up")
        batch.drop_column("followed_up_at")
        batch.drop_column("follow_up_at")
