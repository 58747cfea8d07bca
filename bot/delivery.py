"""Delivering stored replies to Telegram: the outbox.

Replies are written to the database before anything is sent. A reply is marked
delivered with its Telegram message id once Telegram accepted it; anything left
undelivered (a crash, a Telegram outage) is sent again by :func:`outbox_loop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Conversation, Customer, Message, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 6  # times Telegram may refuse a message (an outage does not count)
# an operator's reply being sent (stored before Telegram is called, cleared with the answer):
# still there, the bot stopped in between, and cannot know whether Telegram took it
SENDING = "sending: the bot stopped before Telegram answered"
TELEGRAM_LIMIT = 4096
# Rows this process is sending ((database, row id) -> when it began): the outbox loop
# leaves them alone, so a reply that waits out a long flood limit (``with_retry``: up to
# 3 x 60 s) is not sent a second time by the loop meanwhile. A delivered row keeps its
# claim until it expires, in case the loop read it just before the delivery was committed.
_CLAIMS: dict[tuple[str, int], float] = {}
CLAIM_SECONDS = 200.0


def _database(session: AsyncSession) -> str:
    return session.get_bind().url.render_as_string()


def claim(session: AsyncSession, ids: Iterable[int]) -> list[int]:
    """Claim the rows no one in this process is sending; return the ids claimed."""
    now = time.monotonic()
    for key in [k for k, t in _CLAIMS.items() if now - t > CLAIM_SECONDS]:
        del _CLAIMS[key]
    db = _database(session)
    free = [i for i in ids if (db, i) not in _CLAIMS]
    _CLAIMS.update(dict.fromkeys(((db, i) for i in free), now))
    return free


def release(session: AsyncSession, row_id: int) -> None:
    """A row that was not delivered may be sent again (by the outbox loop)."""
    _CLAIMS.pop((_database(session), row_id), None)


async def with_retry(call: Callable[[], Awaitable[T]], *, attempts: int = 4) -> T:
    """Call Telegram, waiting out flood limits (429) and retrying server/network errors."""
    for attempt in range(attempts - 1):
        try:
            return await call()
        except TelegramRetryAfter as exc:
            log.warning("flood limit, waiting %s s", exc.retry_after)
            await asyncio.sleep(min(float(exc.retry_after), 60.0))
        except (TelegramServerError, TelegramNetworkError) as exc:
            delay = 0.5 * 2**attempt
            log.warning("Telegram error %s, retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
    return await call()


async def answer_query(query: CallbackQuery, text: str | None = None, **kwargs: Any) -> None:
    """Clear a pressed button's spinner (with a notice); Telegram refusing it ('query is too
    old' for a press that waited out a restart, an outage) never stops what the press does."""
    try:
        await query.answer(text, **kwargs)
    except TelegramAPIError as exc:  # a network error too
        log.info("button press %s not answered: %s", query.id, exc)


def keyboard(buttons: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b["text"], callback_data=b["data"]) for b in row]
            for row in buttons
        ]
    )


def utf16_len(text: str) -> int:
    """A text's length as Telegram counts it (an emoji beyond the basic plane counts twice)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _fitting(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units, the way Telegram
    counts a message's length (an emoji beyond the basic plane counts twice)."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split a long text on paragraph/line/space boundaries into Telegram-sized parts."""
    parts: list[str] = []
    rest = text
    while (window := _fitting(rest, limit)) < len(rest):
        # between paragraphs if one ends in the second half, else between lines, else words
        cut = next(
            (c for sep in ("\n\n", "\n", " ") if (c := rest.rfind(sep, 0, window)) > window // 2),
            window,
        )
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [p for p in parts if p]


async def send_row(bot: Bot, session: AsyncSession, row: Message) -> bool:
    """Send one outbox row to its chat; record the result on the row."""
    if row.tg_chat_id is None:
        row.delivery_error = "no chat id"
        row.attempts = MAX_ATTEMPTS
        return False
    if row.delivery_error == SENDING:
        # Telegram cannot be asked whether it has the message: sent again (a reply lost is
        # worse than one read twice), and said in the log
        log.warning("message %s: the bot stopped while sending it; sent again", row.id)
    row.attempts = (row.attempts or 0) + 1
    signer = row.signed_as if row.direction == "operator" else None
    # an operator's reply signed with their name (SHOW_OPERATOR_NAME), as when sent at once
    chunks = split_text(signed_text(signer, row.text or "") if signer else row.text or "")
    try:
        sent: Any = None
        if row.direction == "operator" and row.attachments and row.relay_message_id:
            # an operator's photo or file (its caption is the row's text): copied again
            # from the topic, not sent as its caption alone (or as nothing)
            chunks = []
            caption = _signed_caption(row, signer)
            sent = await with_retry(
                lambda: bot.copy_message(
                    row.tg_chat_id,  # type: ignore[arg-type]
                    row.relay_chat_id,  # type: ignore[arg-type]
                    row.relay_message_id,  # type: ignore[arg-type]
                    **({"caption": caption} if caption is not None else {}),
                )
            )
        for i, chunk in enumerate(chunks):
            if i < (row.parts_sent or 0):
                continue  # the customer has this part already (a later one failed)
            markup = keyboard(row.buttons) if i == len(chunks) - 1 else None
            sent = await with_retry(
                lambda chunk=chunk, markup=markup: bot.send_message(
                    row.tg_chat_id,  # type: ignore[arg-type]
                    chunk,
                    reply_markup=markup,
                    message_thread_id=row.tg_thread_id,
                )
            )
            if i < len(chunks) - 1:
                row.parts_sent = i + 1
                await session.commit()  # kept even if the bot stops before the next part
    except TelegramForbiddenError as exc:
        row.delivery_error = str(exc)
        row.attempts = MAX_ATTEMPTS
        await _mark_blocked(session, row)
        log.info("customer blocked the bot; message %s not delivered", row.id)
        return False
    except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError) as exc:
        # Telegram slow or down, not this message refused: tried again until it is back,
        # not given up after a minute of outage
        row.attempts -= 1
        row.delivery_error = str(exc)
        log.warning("message %s not delivered (Telegram unavailable): %s", row.id, exc)
        return False
    except TelegramAPIError as exc:
        # the message refused (400), or anything else Telegram says (404, 409...): an
        # attempt counted, so a later pass does not stop at this row for every customer
        row.delivery_error = str(exc)
        log.warning("message %s not delivered (attempt %s): %s", row.id, row.attempts, exc)
        return False
    row.tg_message_id = sent.message_id if sent is not None else None
    row.delivered_at = utcnow()
    row.delivery_error = None
    return True


# the kinds of message that carry a caption, and Telegram's longest caption
CAPTIONED_KINDS = frozenset({"photo", "document", "video", "audio", "animation", "voice"})
CAPTION_LIMIT = 1024


def signed_text(name: str, text: str) -> str:
    """An operator's text with their name in front (SHOW_OPERATOR_NAME)."""
    return f"{name}: {text}"


def signed_caption_text(name: str, caption: str | None) -> str | None:
    """A photo's (a file's) caption with the operator's name in front (the name alone when
    it had none), or None when the name would make it too long (then copied as it is)."""
    signed = signed_text(name, caption) if caption else name
    return signed if len(signed) <= CAPTION_LIMIT else None


def _signed_caption(row: Message, signer: str | None) -> str | None:
    """The caption of an operator's photo or file with their name in front, or None: not
    signed, no caption can be set (a sticker), or too long with the name (copied as is)."""
    kinds = {a.get("kind") for a in row.attachments or []}
    if not signer or not kinds & CAPTIONED_KINDS:
        return None
    return signed_caption_text(signer, row.text)


async def _mark_blocked(session: AsyncSession, row: Message) -> None:
    customer = await session.scalar(
        select(Customer).join(Conversation).where(Conversation.id == row.conversation_id)
    )
    if customer is not None:
        customer.blocked_bot = True


RECORD_TRIES = 3  # times marking a sent row is tried again (the database locked, a link lost)
RESULT = ("tg_message_id", "delivered_at", "delivery_error", "attempts", "parts_sent")


async def record_delivery(session: AsyncSession, row: Message) -> None:
    """Commit what Telegram did with a row. Telegram cannot be asked whether it has a
    message already, so a row it took but that is not marked delivered would reach the
    customer twice (the outbox sends it again): a failed commit is tried again, on a new
    connection (the failed one may be unusable)."""
    row_id, result = row.id, {k: getattr(row, k) for k in RESULT}
    try:
        await session.commit()
        return
    except DBAPIError as exc:
        with contextlib.suppress(DBAPIError):
            await session.rollback()
        error: DBAPIError = exc
    for attempt in range(RECORD_TRIES):
        log.warning("message %s: its delivery not recorded yet (%s), again", row_id, error)
        await asyncio.sleep(0.5 * 2**attempt)
        try:
            async with AsyncSession(session.bind) as fresh:
                await fresh.execute(update(Message).where(Message.id == row_id).values(result))
                await fresh.commit()
            return
        except DBAPIError as exc:
            error = exc
    raise error


# told of an operator's reply Telegram refused for good (the customer blocked the bot):
# the operators' desk says so in the ticket's topic
Refused = Callable[[Bot, AsyncSession, Message], Awaitable[Any]]


async def deliver(
    bot: Bot,
    session: AsyncSession,
    message_ids: Iterable[int],
    *,
    refused: Refused | None = None,
) -> int:
    """Send the given outbox rows in order; return how many were delivered. ``refused``:
    called (after the result is committed) for an operator's reply Telegram refused for
    good, once: the operator was told it would be sent."""
    ids = [i for i in message_ids if i is not None]
    if not ids:
        return 0
    rows = (
        await session.scalars(
            select(Message)
            .where(Message.id.in_(ids), Message.delivered_at.is_(None))
            .order_by(Message.id)
        )
    ).all()
    mine = set(claim(session, (r.id for r in rows)))
    rows = [r for r in rows if r.id in mine]
    await session.commit()  # no transaction (no lock) is held while talking to Telegram
    delivered = 0
    try:
        for row in rows:
            if sa_inspect(row).expired_attributes:
                await session.refresh(row)  # read again after a failed commit (``record_delivery``)
            if await send_row(bot, session, row):
                delivered += 1
            else:
                release(session, row.id)
            mine.discard(row.id)
            await record_delivery(session, row)
            if refused is not None and row.direction == "operator" and given_up(row):
                try:
                    await refused(bot, session, row)
                    await session.commit()
                except Exception:  # the next replies are sent all the same
                    log.exception("the topic was not told of message %s not delivered", row.id)
                    with contextlib.suppress(Exception):
                        await session.rollback()
    finally:
        for row_id in mine:  # not tried (an error): the outbox loop takes them
            release(session, row_id)
    return delivered


def given_up(row: Message) -> bool:
    """Whether a row the outbox tried is refused for good (not sent again)."""
    return row.delivered_at is None and (row.attempts or 0) >= MAX_ATTEMPTS


async def flush_outbox(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    older_than: float = 20.0,
    refused: Refused | None = None,
) -> int:
    """Send replies that were stored but never delivered (e.g. the bot was killed)."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    async with sessionmaker() as session:
        ids = (
            await session.scalars(
                select(Message.id)
                .where(
                    Message.direction.in_(("out", "operator")),
                    Message.delivered_at.is_(None),
                    Message.attempts < MAX_ATTEMPTS,
                    Message.created_at <= cutoff,
                    Message.conversation_id.in_(
                        select(Conversation.id)
                        .join(Customer, Customer.id == Conversation.customer_id)
                        .where(Customer.channel == "telegram")
                    ),
                )
                .order_by(Message.id)
                .limit(200)
            )
        ).all()
        return await deliver(bot, session, ids, refused=refused)


async def every(interval: float, step: Callable[[], Awaitable[Any]], what: str) -> None:
    """A background task: ``step`` every ``interval`` seconds; a pass that fails is logged
    and the next one comes as usual."""
    while True:
        await asyncio.sleep(interval)
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s pass failed", what)


async def outbox_loop(
    bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    interval: float = 5.0,
    refused: Refused | None = None,
) -> None:
    """Background task: re-send undelivered replies every ``interval`` seconds."""

    async def step() -> None:
        sent = await flush_outbox(bot, sessionmaker, refused=refused)
        if sent:
            log.info("outbox: delivered %s pending message(s)", sent)

    await every(interval, step, "outbox")
