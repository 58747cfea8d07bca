"""Knowledge-base tables beyond ``knowledge_entries`` / ``knowledge_history``.

Imported by :mod:`bot.db.models` so Alembic's metadata sees them (migration 0002).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, TimestampMixin


class UnansweredQuestion(TimestampMixin, Base):
    """A customer question the bot could not answer confidently from the knowledge base.

    ``status``: ``open`` (waiting for an admin), ``resolved`` (an entry now answers it:
    ``entry_id``), ``dismissed`` (not worth an entry).
    """

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_questions_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    best_entry_id: Mapped[str | None] = mapped_column(String(128))
    best_score: Mapped[float | None]
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")
    entry_id: Mapped[str | None] = mapped_column(String(128))
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
