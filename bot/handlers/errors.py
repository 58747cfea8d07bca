"""The global error handler: log everything, answer the customer kindly."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.types import ErrorEvent

from bot.dialogs.texts import SUPPORTED, Texts

log = logging.getLogger(__name__)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors()(on_error)
    return router


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    log.exception("error while handling update %s", update.update_id, exc_info=event.exception)
    message = update.message or update.edited_message
    if message is None and update.callback_query is not None:
        message = update.callback_query.message  # type: ignore[assignment]
    user = message.from_user if message is not None else None
    if update.callback_query is not None:
        user = update.callback_query.from_user
    if message is None or message.chat.type != ChatType.PRIVATE:
        return True
    code = ((user.language_code if user else None) or "ru").split("-")[0]
    texts = Texts(code if code in SUPPORTED else "ru")
    try:
        await bot.send_message(message.chat.id, texts.plain("error_generic"))
    except Exception:  # the kind reply itself failed: nothing more to do than log
        log.exception("could not tell the customer about the error")
    return True
