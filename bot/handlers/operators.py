"""The operators' forum supergroup: everything here is filtered on OPERATORS_CHAT_ID."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings

OPERATOR_HELP = "Operator commands (inside a ticket's topic):\n/help - this help\n"


def create_router(settings: Settings) -> Router:
    router = Router(name=__name__)
    chat_id = settings.operators_chat_id
    router.message.filter(F.chat.id == chat_id)
    router.edited_message.filter(F.chat.id == chat_id)
    router.callback_query.filter(F.message.chat.id == chat_id)

    @router.message(Command("help"))
    async def operator_help(message: Message) -> None:
        await message.reply(OPERATOR_HELP)

    return router
