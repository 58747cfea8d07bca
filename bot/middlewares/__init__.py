"""Outer middlewares: one database session per update, each update handled once."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ProcessedUpdate, utcnow
from bot.dialogs.engine import ConversationEngine
from bot.handlers.convert import incoming_from_message

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ClassifyMiddleware(BaseMiddleware):
    """Classifies a customer's message before any database transaction is opened, so the
    (CPU-bound) model never runs while a write lock is held."""

    def __init__(self, engine: ConversationEngine) -> None:
        self.engine = engine

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        message = event.message
        if message is not None and message.chat.type == "private" and message.from_user:
            data["prediction"] = await self.engine.classify(incoming_from_message(message))
        return await handler(event, data)


class DbSessionMiddleware(BaseMiddleware):
    """Opens an ``AsyncSession`` for the update and records its id.

    The update id is written in the same transaction as what the handler does, so an
    update delivered twice (a restart before Telegram saw our offset, a webhook retry)
    is skipped the second time.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot = data["bot"]
        # when the bot had the update, before waiting for the database (another update's
        # lock): what a colleague did after this moment, its sender could not have seen
        data["received_at"] = utcnow()
        async with self.sessionmaker() as session:
            seen = await session.scalar(
                select(ProcessedUpdate.update_id).where(
                    ProcessedUpdate.bot_id == bot.id, ProcessedUpdate.update_id == event.update_id
                )
            )
            if seen is not None:
                log.info("update %s already handled, skipped", event.update_id)
                return None
            session.add(ProcessedUpdate(bot_id=bot.id, update_id=event.update_id))
            data["session"] = session
            try:
                result = await handler(event, data)
                await session.commit()
            except IntegrityError:
                await session.rollback()
                log.info("update %s handled concurrently, skipped", event.update_id)
                return None
            return result


@contextlib.asynccontextmanager
async def outside_transaction(
    session: AsyncSession | None, *, unless: bool = False
) -> AsyncIterator[None]:
    """The update's transaction ended while Telegram is asked something before the handler
    writes anything (who is an operator, ``unless`` the roster knows without asking; a
    pressed button's spinner cleared): so far it has only read whether the update is new;
    its id, not yet written, is written afterwards with what the handler does (an update
    that fails is not marked as done). On SQLite the transaction holds the one write lock
    from its first read, and every customer's turn would wait on a slow Telegram."""
    if session is None or unless:
        yield
        return
    pending = list(session.new)
    await session.rollback()  # nothing written yet: nothing undone
    try:
        yield
    finally:
        session.add_all(pending)
