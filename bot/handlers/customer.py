"""Customers' private chats: thin handlers that call the conversation engine."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus, ChatType, ContentType
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Customer, Ticket
from bot.delivery import answer_query, deliver
from bot.dialogs.texts import SUPPORTED, Texts
from bot.dialogs.types import Incoming, Outcome
from bot.handlers.convert import incoming_from_callback, incoming_from_message
from bot.middlewares import outside_transaction
from bot.services import Services
from escalation.service import OPEN_STATUSES

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
    # The turn is saved: what fails from here on is finished later (the outbox sends a reply
    # left undelivered, the timers make a missing topic and copy a message not copied), and
    # the customer, answered or about to be, is not told that something went wrong.
    try:
        await deliver(bot, session, [r.message_id for r in outcome.replies if r.message_id])
    except Exception:
        log.exception("delivering the replies of a saved turn failed; the outbox sends them")
        await _rollback(session)
    for hook in services.after_turn:
        try:
            await hook(bot, session, outcome)
        except Exception:
            log.exception("after-turn hook %r failed on a saved turn", hook)
            await _rollback(session)
    return outcome


async def _rollback(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except Exception:  # the database itself: the next session starts afresh
        log.exception("rollback after a failed step of a saved turn failed")


# what a customer writes or sends; the rest are Telegram's service messages in their chat
# (a message pinned, a wallpaper set, the auto-delete timer changed), nothing to answer
WRITTEN = frozenset(
    {
        ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.VIDEO,
        ContentType.VOICE, ContentType.AUDIO, ContentType.ANIMATION, ContentType.STICKER,
        ContentType.VIDEO_NOTE, ContentType.CONTACT, ContentType.LOCATION, ContentType.VENUE,
        ContentType.POLL, ContentType.DICE, ContentType.STORY, ContentType.PAID_MEDIA,
        ContentType.LIVE_PHOTO, ContentType.CHECKLIST, ContentType.GAME, ContentType.GIVEAWAY,
        ContentType.RICH_MESSAGE, ContentType.UNKNOWN,
    }
)  # fmt: skip


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

    @router.message(F.content_type.in_(WRITTEN))
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

    @router.my_chat_member(F.chat.type == ChatType.PRIVATE)
    async def on_block(
        event: ChatMemberUpdated, bot: Bot, session: AsyncSession, services: Services
    ) -> None:
        """The customer blocked (or unblocked) the bot: Telegram says so at once; an open
        ticket's topic and card are told now, not at the next reply that fails."""
        blocked = event.new_chat_member.status == ChatMemberStatus.KICKED
        customer = await session.scalar(
            select(Customer).where(
                Customer.channel == "telegram", Customer.external_id == str(event.from_user.id)
            )
        )
        if customer is None or customer.blocked_bot == blocked:
            return
        customer.blocked_bot = blocked
        ticket = await session.scalar(
            select(Ticket)
            .where(Ticket.customer_id == customer.id, Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        desk = services.desk
        if ticket is None or desk is None:
            return
        await session.flush()
        if blocked:
            await desk.customer_blocked(bot, session, ticket)
        else:
            await desk.unblocked(bot, session, ticket)

    @router.callback_query()
    async def on_button(
        query: CallbackQuery, bot: Bot, session: AsyncSession, services: Services
    ) -> None:
        if not offered(query):
            # data no button of the message has (a modified client, a bot's own test): no
            # turn, nothing for the operators' topic, a word that the button does nothing
            said = await _customer_texts(session, services, query.from_user)
            async with outside_transaction(session):
                await answer_query(query, said.plain("button_expired"))
            return
        async with outside_transaction(session):  # the spinner cleared with no lock held
            await answer_query(query)
        await run_turn(bot, session, services, incoming_from_callback(query))

    return router


def offered(query: CallbackQuery) -> bool:
    """Whether the pressed data is a button of the message it was pressed under (Telegram
    sends a message older than 48 hours without its buttons: taken as offered then)."""
    data = query.data or ""
    if not data or len(data.encode()) > 64:
        return False
    message = query.message
    if not isinstance(message, Message):
        return True  # an InaccessibleMessage: its buttons are not known
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else []
    return any(button.callback_data == data for row in rows for button in row)


async def _customer_texts(session: AsyncSession, services: Services, user: User) -> Texts:
    """The texts in the language the customer is spoken to in (their Telegram's if new)."""
    lang = await session.scalar(
        select(Customer.language).where(
            Customer.channel == "telegram", Customer.external_id == str(user.id)
        )
    )
    code = lang or (user.language_code or "").split("-")[0]
    return Texts(code if code in SUPPORTED else services.settings.default_language)


def addressed_to(message: Message, username: str | None) -> bool:
    """A group's message meant for the bot: its command (/start, /help, /x@bot), a mention
    of it, or a reply to one of its messages."""
    if not username:
        return False
    text = message.text or message.caption or ""
    answered = message.reply_to_message
    if answered is not None and answered.from_user is not None:
        if (answered.from_user.username or "").lower() == username.lower():
            return True
    if text.startswith("/"):
        command, _, addressee = text.split()[0][1:].partition("@")
        if addressee:
            return addressee.lower() == username.lower()
        return command.lower() in ("start", "help")
    return f"@{username}".lower() in text.lower()


def create_group_router(settings: Settings) -> Router:
    """Groups the bot was added to (not the operators'): a customer who asks it there is
    pointed to a private chat, where their order details are not seen by everyone."""
    router = Router(name=f"{__name__}.groups")
    router.message.filter(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))
    if settings.operators_chat_id is not None:
        router.message.filter(F.chat.id != settings.operators_chat_id)

    @router.message()
    async def in_a_group(message: Message, bot: Bot, services: Services) -> None:
        me = await bot.me()
        if message.from_user is None or message.from_user.is_bot:
            return
        if not addressed_to(message, me.username):
            return
        code = (message.from_user.language_code or "").split("-")[0]
        texts = Texts(code if code in SUPPORTED else services.settings.default_language)
        await message.reply(texts.plain("group_to_private", bot=me.username or me.first_name))

    return router
