"""handoff links, timers, canned replies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:03:07.873032
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
        sa.UniqueConstraint("name", name=op.f("uq_canned_replies_name")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relay_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("relay_message_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_messages_relay", ["relay_chat_id", "relay_message_id"])

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("customer_apologized_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_tickets_topic", ["topic_id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_topic")
        batch_op.drop_column("customer_apologized_at")
        batch_op.drop_column("reminded_at")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_relay")
        batch_op.drop_column("relay_message_id")
        batch_op.drop_column("relay_chat_id")

    op.drop_table("canned_replies")
