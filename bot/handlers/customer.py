"""Customers' private chats: thin handlers that call the conversation engine."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import deliver
from bot.dialogs.types import Incoming, Outcome
from bot.handlers.convert import incoming_from_callback, incoming_from_message
from bot.services import Services

if TYPE_CHECKING:
    from bot.nlu import Prediction

log = logging.getLogger(__name__)


async def run_turn(
    bot: Bot,
    session: AsyncSession,
    services: Services,
    incoming: Incoming,
    prediction: Prediction | None = None,
) -> Outcome:
    """One customer turn: engine -> commit -> deliver -> after-turn hooks (hand-off)."""
    outcome = await services.engine.handle(session, incoming, prediction=prediction)
    return await finish_turn(bot, session, services, outcome)


async def finish_turn(
    bot: Bot, session: AsyncSession, services: Services, outcome: Outcome
) -> Outcome:
    """What follows the engine's turn: commit, deliver the replies, after-turn hooks."""
    await session.commit()
    await deliver(bot, session, [r.message_id for r in outcome.replies if r.message_id])
    for hook in services.after_turn:
        await hook(bot, session, outcome)
    return outcome


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

    @router.message()
    async def on_message(
        message: Message,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        prediction: Prediction | None = None,
    ) -> None:
        # Commands (/start, /help) are ordinary turns: the engine greets in the right language.
        await run_turn(bot, session, services, incoming_from_message(message), prediction)

    @router.edited_message()
    async def on_edit(
        message: Message, bot: Bot, session: AsyncSession, services: Services
    ) -> None:
        await run_turn(bot, session, services, incoming_from_message(message, edited=True))

    @router.callback_query()
    async def on_button(
        query: CallbackQuery, bot: Bot, session: AsyncSession, services: Services
    ) -> None:
        await query.answer()
        if not query.data or len(query.data) > 64:
            return
        await run_turn(bot, session, services, incoming_from_callback(query))

    return router
