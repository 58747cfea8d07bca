"""Typed SQLAlchemy 2 models: the database is the source of truth for everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How far the bot's clock is set from the machine's: none in production; tests set it to run
# from a chosen time of day (tests/conftest.py, ``clock``), and it keeps running from there
clock_shift = timedelta(0)


def utcnow() -> datetime:
    """Now, in UTC: the one clock the bot reads (the engine's ``clock`` by default)."""
    return datetime.now(UTC) + clock_shift


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives naive values back)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, int: BigInteger}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class Customer(TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32), default="telegram")
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int | None]
    first_name: Mapped[str | None] = mapped_column(String(256))
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(8))
    is_vip: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="customer")

    def display_name(self, unnamed: str = "Customer") -> str:
        """'Anna Petrova (@anna_p)'; ``unnamed`` when Telegram gave no name."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p) or unnamed
        return f"{name} (@{self.username})" if self.username else name


class Conversation(TimestampMixin, Base):
    """One customer's dialogue with the shop; ``state`` holds the engine's memory."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_customer_status", "customer_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="bot")  # bot | operator | closed
    language: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    customer: Mapped[Customer] = relationship(back_populates="conversations")
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id"
    )


class Message(TimestampMixin, Base):
    """Every message in both directions, with its Telegram ids once delivered.

    direction: ``in`` (customer), ``out`` (bot), ``operator`` (a person, relayed),
    ``note`` (operator's internal note, never sent). An outgoing row with
    ``delivered_at`` NULL is in the outbox and is (re)sent until delivered.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_outbox", "direction", "delivered_at"),
        Index("ix_messages_tg", "tg_chat_id", "tg_message_id"),
        Index("ix_messages_relay", "relay_chat_id", "relay_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    author_id: Mapped[int | None]  # operator's Telegram id for operator messages
    tg_chat_id: Mapped[int | None]
    tg_message_id: Mapped[int | None]
    tg_thread_id: Mapped[int | None]
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A reply sent in several parts: how many Telegram already took (they are not sent again)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # SHOW_OPERATOR_NAME: the name an operator's reply is signed with ("Olga"), so a reply
    # the outbox sends later (Telegram was down) is signed as one sent at once
    signed_as: Mapped[str | None] = mapped_column(String(64))
    # Where the message was mirrored in the operators' group (customer -> topic or back).
    relay_chat_id: Mapped[int | None]
    relay_message_id: Mapped[int | None]
    # A note: the ticket it was written on (its card shows it; a later ticket's card names it
    # as an earlier note). NULL for the notes written before it was kept: placed by time
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )

    conversation: Mapped[Conversation] = relationship(back_populates="messages")

    @classmethod
    def outgoing(
        cls,
        conversation_id: int,
        chat_id: int | None,
        text: str,
        buttons: list[Any] | None = None,
        created_at: datetime | None = None,
    ) -> Message:
        """A bot reply for the outbox (delivered, and marked so, by ``bot.delivery``)."""
        row = cls(
            conversation_id=conversation_id,
            direction="out",
            text=text,
            buttons=buttons,
            tg_chat_id=chat_id,
        )
        if created_at is not None:
            row.created_at = created_at
        return row


class Classification(TimestampMixin, Base):
    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    lang: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None]
    complaint_type: Mapped[str | None] = mapped_column(String(64))
    emotion: Mapped[str | None] = mapped_column(String(16))
    threat: Mapped[str | None] = mapped_column(String(16))
    order_ref: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class Ticket(TimestampMixin, Base):
    """A hand-off to people; ``topic_id`` links it to the operators' forum topic."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue", "status", "priority", "created_at"),
        Index("ix_tickets_topic", "topic_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|taken|resolved
    priority: Mapped[str] = mapped_column(String(8), default="normal")  # normal|high
    reason: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    topic_id: Mapped[int | None]
    card_message_id: Mapped[int | None]
    assignee_id: Mapped[int | None]
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_apologized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # since when the pinned card is out of date (Telegram failed to update it): the timers
    # redraw it, also after a restart
    card_stale_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )


class TicketEvent(TimestampMixin, Base):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class Complaint(TimestampMixin, Base):
    """Every complaint, with its type, details and outcome, for the 'prevent' step."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_follow_up", "follow_up_at", "followed_up_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    complaint_type: Mapped[str] = mapped_column(String(64))
    customer_kind: Mapped[str] = mapped_column(String(16), default="claimant")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # After the promised time the bot asks whether it was really sorted out.
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the refund approved at once under the goodwill threshold, in the shop's currency
    goodwill_refund: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class Compensation(TimestampMixin, Base):
    """What the bot offered or gave a customer, for the reports: a choice offered (one row
    per kind), the kind chosen from it, or a gesture given outright with an apology."""

    __tablename__ = "compensations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # coupon | free_delivery | gift ...
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    status: Mapped[str] = mapped_column(String(16))  # offered | chosen | gesture


class KnowledgeEntry(Base):
    __tablename__ = "knowledge_entries"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    questions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    updated_by: Mapped[str | None] = mapped_column(String(128))


class KnowledgeHistory(TimestampMixin, Base):
    __tablename__ = "knowledge_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete
    actor: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SurveyAnswer(TimestampMixin, Base):
    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(String(32))  # solved | speed | nps | csat | comment
    score: Mapped[int | None]
    answer: Mapped[str | None] = mapped_column(Text)


class CannedReply(TimestampMixin, Base):
    """Stored operator replies, sent with /canned NAME: one text per name and language."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("name", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    # ru / en / pl; "": stored before languages were kept (read from the text)
    lang: Mapped[str] = mapped_column(String(8), default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None]


class ProcessedUpdate(Base):
    """Telegram update ids already handled: a redelivered update is skipped."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


import knowledge.models  # noqa: E402,F401  (the knowledge tables, for Alembic's metadata)
