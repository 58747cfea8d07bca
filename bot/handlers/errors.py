"""The global error handler: log everything, keep the customer's message, answer kindly."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.types import ErrorEvent, Message
from sqlalchemy import select

from bot.db.models import Customer, ProcessedUpdate, utcnow
from bot.db.models import Message as MessageRow
from bot.dialogs.texts import SUPPORTED, Texts
from bot.handlers.convert import incoming_from_message
from bot.services import Services
from escalation.timers import NOT_PROCESSED

log = logging.getLogger(__name__)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors()(on_error)
    return router


async def keep_message(services: Services, bot: Bot, update_id: int, message: Message) -> None:
    """Store the customer's message that failed, so nothing is lost (a person will see it)."""
    if message.from_user is None:
        return
    incoming = incoming_from_message(message)
    now = utcnow()
    async with services.sessionmaker() as session:
        customer = await services.engine.customer_for(session, incoming)
        code = (incoming.language_code or "").split("-")[0]
        if customer.language is None and code in SUPPORTED:
            customer.language = code  # the sorry's language, and the reading-again's
        conversation = await services.engine.conversation_for(session, customer, now)
        session.add(
            MessageRow(
                conversation_id=conversation.id,
                direction="in",
                text=incoming.text,
                attachments=[a.to_dict() for a in incoming.attachments],
                tg_chat_id=message.chat.id,
                tg_message_id=message.message_id,
                delivered_at=now,
                delivery_error=NOT_PROCESSED,  # read again later (``answer_failed``)
            )
        )
        session.add(ProcessedUpdate(bot_id=bot.id, update_id=update_id))
        await session.commit()


async def known_language(services: Services, user_id: int) -> str | None:
    """The language the customer last wrote in (None: the bot has not read them yet)."""
    async with services.sessionmaker() as session:
        return await session.scalar(
            select(Customer.language).where(
                Customer.channel == "telegram", Customer.external_id == str(user_id)
            )
        )


async def on_error(event: ErrorEvent, bot: Bot, services: Services | None = None) -> bool:
    update = event.update
    log.exception("error while handling update %s", update.update_id, exc_info=event.exception)
    message = update.message or update.edited_message
    user = message.from_user if message is not None else None
    chat_id = message.chat.id if message is not None else None
    private = message is not None and message.chat.type == ChatType.PRIVATE
    if update.callback_query is not None:
        user = update.callback_query.from_user
        cb_message = update.callback_query.message
        private = cb_message is not None and cb_message.chat.type == ChatType.PRIVATE
        chat_id = cb_message.chat.id if cb_message is not None else None
    if not private or chat_id is None:
        return True
    kept = False
    if services is not None and update.message is not None:
        try:
            await keep_message(services, bot, update.update_id, update.message)
            kept = True
        except Exception:  # keeping it failed too: the log above has the text
            log.exception("could not store the failed message of update %s", update.update_id)
    lang = None
    if services is not None and user is not None:
        try:
            lang = await known_language(services, user.id)
        except Exception:  # the database may be what failed: Telegram's language will do
            log.exception("could not read the language of user %s", user.id)
    # the language the customer writes in, else their Telegram's, else the shop's
    code = lang or ((user.language_code if user else None) or "").split("-")[0]
    default = services.settings.default_language if services is not None else "ru"
    texts = Texts(code if code in SUPPORTED else default)
    try:
        # a press is no message and is not kept: asked again, not promised an answer; an
        # edit is not kept either: asked for as a new message; a message the database could
        # not keep (it failed too) is asked for again, not promised an answer nobody brings
        key = (
            "error_button"
            if update.callback_query is not None
            else "error_edit"
            if update.edited_message is not None
            else "error_generic"
            if kept
            else "error_not_kept"
        )
        await bot.send_message(chat_id, texts.plain(key))
    except Exception:  # the kind reply itself failed: nothing more to do than log
        log.exception("could not tell the customer about the error")
    return True
