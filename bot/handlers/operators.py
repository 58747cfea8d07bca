"""The operators' forum supergroup: everything here is filtered on OPERATORS_CHAT_ID.

Inside a ticket's topic: a message is copied to the customer (the operator's identity
stays hidden unless SHOW_OPERATOR_NAME), a message starting with ``#`` (or /note) is an
internal note, and commands act on the ticket.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.dispatcher.flags import get_flag
from aiogram.enums import ChatMemberStatus, ChatType, ContentType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InaccessibleMessage,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    MessageEntity,
)
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import (
    CannedReply,
    Classification,
    Conversation,
    Customer,
    Ticket,
    TicketEvent,
    as_utc,
    utcnow,
)
from bot.db.models import Message as MessageRow
from bot.delivery import (
    CAPTIONED_KINDS,
    MAX_ATTEMPTS,
    SENDING,
    TELEGRAM_LIMIT,
    answer_query,
    claim,
    deliver,
    record_delivery,
    release,
    signed_caption_text,
    signed_text,
    split_text,
    utf16_len,
    with_retry,
)
from bot.dialogs.engine import says_thanks
from bot.dialogs.texts import Texts, label
from bot.handlers.admin_kb import (
    ADMIN_COMMANDS,
    NOT_COMMAND,
    OPERATOR_COMMANDS,
    actor_of,
    alert_blocked_entry,
)
from bot.handlers.convert import attachments_of
from bot.middlewares import outside_transaction
from bot.services import Services
from escalation.card import NOT_SENT, REASON, ticket_case_type
from escalation.hours import answer_due
from escalation.service import (
    add_event,
    customer_waiting,
    needs_answer,
    previous_resolution,
    reopen_ticket,
    resolve_ticket,
    take_ticket,
)
from escalation.survey import UNSEEN_SURVEY, survey_start
from escalation.telegram import GroupUnanswered, OperatorDesk, whose_case, works_here
from escalation.texts import (
    CANNED_LANGS,
    age_words,
    language_word,
    languages_in_words,
    operator_texts,
    with_card_late,
)

log = logging.getLogger(__name__)

QUEUE_SHOWN = 30  # tickets listed by /queue (the rest are counted)
# commands that act on the ticket of the topic they are sent in
TICKET_COMMANDS = ("take", "resolve", "reopen", "transfer", "note", "canned", "kb_save")
_CALLBACK = re.compile(r"^tk:(take|resolve|reopen):(\d{1,9})$")  # ids fit an INTEGER
# the handlers that act for operators only: whether the sender is one is asked first
OPERATOR = {"operator": True}


def unanswered(texts: Texts, exc: GroupUnanswered, named: str) -> str:
    """What an operator naming a colleague is told when Telegram did not say who is in the
    operators' group: why, in plain words, and what to do about it."""
    how = "forbidden" if exc.forbidden else "slow"
    return texts(
        "op_transfer_unanswered",
        why=texts(f"op_unanswered_{how}"),
        named=named,
        advice=texts(f"op_advice_{how}"),
    )


def create_router(settings: Settings) -> Router:
    router = Router(name=__name__)
    chat_id = settings.operators_chat_id
    router.message.filter(F.chat.id == chat_id)
    router.edited_message.filter(F.chat.id == chat_id)
    router.callback_query.filter(F.message.chat.id == chat_id)
    router.chat_member.filter(F.chat.id == chat_id)
    prefix = settings.internal_note_prefix
    operators = OperatorRoster()
    texts = operator_texts(settings)  # all said in the group is in the operators' language

    async def checked(
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]], event: Any, data: dict[str, Any]
    ) -> Any:
        """Whether the sender is an operator (``verdict``: True, False, None when Telegram
        could not say) for the handlers flagged ``operator``, asked before the handler reads
        anything: when Telegram is to be asked (someone not seen as a member within the
        roster's 10 minutes), the update's transaction, which has only read whether the
        update is new, is ended first: on SQLite it holds the one write lock, and every
        customer's turn would wait on a slow Telegram."""
        user = event.from_user
        if not get_flag(data, "operator") or user is None or getattr(event, "sender_chat", None):
            return await handler(event, data)  # an anonymous admin, a channel: said there
        async with outside_transaction(data.get("session"), unless=operators.known(user.id)):
            data["verdict"] = await operators.check(data["bot"], desk_of(data["services"]), user.id)
        result = await handler(event, data)
        if data["verdict"] is False:
            # Telegram says they are in the group no more (left while the bot was not told):
            # a ticket they still hold would wait for them for ever
            await desk_of(data["services"]).operator_left(
                data["bot"], data["session"], user.id, user.full_name
            )
        return result

    for observer in (router.message, router.edited_message, router.callback_query):
        observer.middleware(checked)

    async def refused(message: Message, session: AsyncSession, verdict: bool | None) -> bool:
        """Whether the sender is no operator (told so kindly, the update's reads over):
        nothing they send is for a customer or acts on a ticket."""
        user = message.from_user
        if user is None:
            return True
        if verdict:
            return False
        if verdict is False and not operators.first_word(user.id):
            return True  # told a moment ago: a stranger's every message is not echoed
        if verdict is False:
            answer = texts("op_not_operator")
        else:
            answer = texts("op_check_refused" if operators.refused(user.id) else "op_check_failed")
        try:
            await reply_after_reading(session, message.reply, answer)
        except TelegramAPIError as exc:
            log.info("non-operator %s not answered: %s", user.id, exc)
        return True

    @router.chat_member()
    async def member_changed(
        event: ChatMemberUpdated, bot: Bot, session: AsyncSession, services: Services
    ) -> None:
        """Someone left the operators' group or was removed (or restricted from writing
        there; a restriction that leaves them writing changes nothing): Telegram says so at once, and they are no operator from now on, not when the roster would have
        asked again (up to 10 minutes of replies to customers and takes); the tickets they
        held go back to the queue."""
        if not works_here(event.new_chat_member):
            person = event.new_chat_member.user
            operators.forget(person.id)
            muted = event.new_chat_member.status == ChatMemberStatus.RESTRICTED and bool(
                getattr(event.new_chat_member, "is_member", False)
            )
            await desk_of(services).operator_left(
                bot, session, person.id, person.full_name, muted=muted
            )

    @router.message(F.left_chat_member)
    async def member_left(
        message: Message, bot: Bot, session: AsyncSession, services: Services
    ) -> None:
        """'Tomasz left the group' / 'Olga removed Tomasz': the service message says it
        too (a bot that was not told of member changes, or a restart that missed them)."""
        person = message.left_chat_member
        assert person is not None
        operators.forget(person.id)
        await desk_of(services).operator_left(bot, session, person.id, person.full_name)

    def said_before(message: Message, verdict: bool | None) -> bool:
        """Whether a command from someone who is no operator goes unanswered: told a moment
        ago (once per ``OperatorRoster.KEEP``; a stranger's 50 commands got 50 replies,
        spending the group's flood limit the customers' replies need). An operator's every
        command is answered."""
        user = message.from_user
        if verdict or user is None or message.sender_chat is not None:
            return False  # (an anonymous admin, a channel: no one to tell apart)
        return not operators.first_word(user.id)

    @router.message(Command("help", "start"), flags=OPERATOR)
    async def operator_help(
        message: Message, session: AsyncSession, verdict: bool | None = None
    ) -> None:
        if not said_before(message, verdict):
            await reply_after_reading(session, message.reply, texts("op_help"))

    @router.message(Command(*ADMIN_ONLY), flags=OPERATOR)
    async def admin_command_here(
        message: Message, session: AsyncSession, verdict: bool | None = None
    ) -> None:
        """'/kb_list' in the group got no answer: the admins' commands work in a private
        chat with the bot."""
        if said_before(message, verdict):
            return
        said = texts("op_group_admin_command", command=_command_name(message))
        await reply_after_reading(session, message.reply, said)

    @router.message(Command("queue"), flags=OPERATOR)
    async def queue(
        message: Message,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        verdict: bool | None = None,
    ) -> None:
        if await refused(message, session, verdict):
            return  # the waiting customers are the operators' to see
        said = await queue_reply(session, bot, services, texts)
        await reply_after_reading(session, message.reply, said)

    @router.message(Command("canned_add"), flags=OPERATOR)
    async def canned_add(
        message: Message,
        command: CommandObject,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        verdict: bool | None = None,
    ) -> None:
        if await refused(message, session, verdict):
            return
        parts = (command.args or "").split(maxsplit=1)
        if len(parts) < 2 or not re.fullmatch(r"[\w-]{1,64}", parts[0]):
            said = texts("op_canned_add_usage", langs="|".join(CANNED_LANGS))
            await reply_after_reading(session, message.reply, said)
            return
        name, text = parts[0].lower(), parts[1]
        lang, rest = language_first(text)
        if lang is not None and not rest:  # "/canned_add thanks ru": the text is missing
            said = texts("op_canned_add_usage_lang", name=name, lang=lang)
            await reply_after_reading(session, message.reply, said)
            return
        if lang is None:
            lang = text_language(text)  # "Dziękujemy za cierpliwość!" is Polish
        else:
            text = rest
        rows = await canned_by_name(session, name)
        row = canned_in(rows, lang)
        if row is None:
            row = CannedReply(name=rows[0].name if rows else name, lang=lang, text=text)
            session.add(row)
        row.text, row.lang = text, lang
        row.updated_by = message.from_user.id if message.from_user else None
        await session.flush()
        has = await canned_languages(session, row.name)
        said = texts("op_canned_saved", name=row.name, language=language_word(texts, lang))
        missing = [x for x in CANNED_LANGS if x not in has]
        if missing:
            later = ", ".join(language_word(texts, x) for x in missing)
            said += " " + texts(
                "op_canned_missing", languages=later, name=row.name, lang=missing[0]
            )
        await reply_after_reading(session, message.reply, said)

    @router.message(Command("canned_del"), flags=OPERATOR)
    async def canned_del(
        message: Message,
        command: CommandObject,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        verdict: bool | None = None,
    ) -> None:
        if await refused(message, session, verdict):
            return
        args = (command.args or "").split()
        if not args:
            await reply_after_reading(session, message.reply, texts("op_canned_del_usage"))
            return
        rows = await canned_by_name(session, args[0])
        if len(args) > 1:
            rows = [r for r in rows if r.lang == args[1].lower()]
        if not rows:
            said = texts("op_canned_none_named", name=args[0])
            await reply_after_reading(session, message.reply, said)
            return
        for row in rows:
            await session.delete(row)
        langs = ", ".join(sorted(language_word(texts, r.lang, r.lang) for r in rows))
        said = texts("op_canned_deleted", name=rows[0].name, languages=langs)
        await reply_after_reading(session, message.reply, said)

    @router.message(F.message_thread_id, F.is_topic_message, flags=OPERATOR)
    async def in_topic(
        message: Message,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        received_at: datetime | None = None,
        verdict: bool | None = None,
    ) -> None:
        desk = desk_of(services)
        if message.forum_topic_closed is not None:
            await closed_by_hand(message, bot, session, desk)
            return
        if not relayed(message):
            return  # a service message (topic renamed, a pin): nothing to send
        ticket = await desk.ticket_by_topic(session, message.message_thread_id)
        if ticket is None:
            # a topic not linked to a ticket: operators chatting among themselves (a ticket
            # command there is answered by ``outside_ticket``)
            raise SkipHandler
        user = message.from_user
        assert user is not None
        if message.sender_chat is not None:
            # an anonymous admin (Telegram's "Group") or a channel: no person to take the
            # ticket, be reminded of it or sign the reply; said, not done
            await reply_after_reading(session, message.reply, posted_as_chat(message, texts))
            return
        if await refused(message, session, verdict):
            return  # a stranger in a public group: never the customer's to read
        text = message.text or message.caption or ""
        if text.startswith("/"):
            await ticket_command(
                message, bot, session, services, ticket, text, received_at=received_at or utcnow()
            )
            return
        if is_note(text, prefix):
            await note_command(
                bot, session, desk, ticket, user.id, note_text(text, prefix), message
            )
            return
        if await _later_in_album(session, message, user.id, "note"):
            # the album's caption made it a note: each of its photos is one, never sent
            await save_note(bot, session, desk, ticket, user.id, None, message)
            return
        await reply_to_customer(message, bot, session, services, ticket, received_at)

    @router.message(Command(*TICKET_COMMANDS), flags=OPERATOR)
    async def outside_ticket(
        message: Message, session: AsyncSession, verdict: bool | None = None
    ) -> None:
        if not said_before(message, verdict):
            await reply_after_reading(session, message.reply, texts("op_outside_ticket"))

    @router.edited_message(F.message_thread_id, flags=OPERATOR)
    async def edited_in_topic(
        message: Message,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        verdict: bool | None = None,
    ) -> None:
        row = await session.scalar(
            select(MessageRow).where(
                MessageRow.direction.in_(("operator", "note")),
                MessageRow.relay_chat_id == message.chat.id,
                MessageRow.relay_message_id == message.message_id,
            )
        )
        new_text = message.text or message.caption or ""
        # a caption taken off a photo (a file) is an edit too: the customer's copy loses it
        uncaptioned = not new_text and message.content_type in CAPTIONED
        if row is None or not (new_text or (uncaptioned and row.text)):
            return
        if await refused(message, session, verdict):
            # its author is no operator any more (removed from a public group, where one
            # can still edit): what they answered stays as it was for the customer
            return
        desk = desk_of(services)

        async def redraw_card(ask_names: bool = True) -> None:
            """The card's transcript shows the text as it is now (a colleague taking the
            ticket over reads it first)."""
            ticket = await desk.ticket_by_topic(session, message.message_thread_id)
            if ticket is not None:
                await desk.refresh_card(bot, session, ticket, ask_names=ask_names)

        if row.direction == "note":
            # an internal note corrected: the card and the history keep the new text
            command, words = command_parts(new_text) if new_text.startswith("/") else ("", "")
            command = command.split("@")[0]
            note = note_text(new_text, prefix) if not command or command == "note" else words
            if note:
                row.text, row.edited_at = note, utcnow()
                await session.commit()
                await redraw_card(ask_names=False)  # who has the ticket is as it was
            if command and command != "note":
                # '/resolve' edited in: nothing is run (the note keeps its words)
                said = texts("op_edit_note_command", command=command)
                await reply_after_reading(session, message.reply, said)
            elif note and not command and not is_note(new_text, prefix):
                # the '#' taken off: the operator may believe the customer reads it now
                await reply_after_reading(session, message.reply, texts("op_edit_note_not_sent"))
            return
        if new_text.startswith("/") or is_note(new_text, prefix):
            # a reply edited into a note or a command: never the customer's to read
            if await edited_into_note(message, session, row, new_text, prefix, texts):
                await redraw_card(ask_names=False)  # the card says "Note:", not "Operator:"
            return
        if row.tg_chat_id is None or row.tg_message_id is None:
            if row.delivered_at is None:
                # still in the outbox (Telegram failed, another channel's next response):
                # it goes out as corrected
                row.text, row.edited_at = new_text or None, utcnow()
            return
        shown = signed(message) if message.text and settings.show_operator_name else new_text
        if message.text and len(split_text(shown)) > 1:
            # their name in front makes it longer than one message: an edit cannot add a
            # part, and the customer keeps what they had; the operator is told why
            over = utf16_len(shown) - TELEGRAM_LIMIT
            said = texts("op_edit_too_long", limit=TELEGRAM_LIMIT, over=over)
            await reply_after_reading(session, message.reply, said)
            return
        await session.commit()  # the reads over: no lock held while Telegram edits it
        try:
            if message.text:
                await bot.edit_message_text(
                    shown, chat_id=row.tg_chat_id, message_id=row.tg_message_id
                )
            else:
                # signed as it was sent: an album's later photo has no name (its first has)
                later = row.signed_as is None and any(a.get("album") for a in row.attachments or [])
                sign = settings.show_operator_name and not later
                caption = signed_caption(message) if sign else None
                await bot.edit_message_caption(
                    chat_id=row.tg_chat_id,
                    message_id=row.tg_message_id,
                    caption=caption or new_text,
                )
            row.text = new_text or None
            row.edited_at = utcnow()
        except TelegramForbiddenError:
            ticket = await desk_of(services).ticket_by_topic(session, message.message_thread_id)
            if ticket is not None:
                await desk_of(services).customer_blocked(bot, session, ticket)
        except TelegramBadRequest as exc:
            if "not modified" in str(exc):
                return  # the same text again: the customer sees it already
            log.info("operator edit not mirrored: %s", exc)
            # the operator believes the customer reads the correction: they do not
            await reply_after_reading(session, message.reply, texts("op_edit_not_mirrored"))
        else:
            await redraw_card()

    @router.callback_query(F.data.startswith("tk:"), flags=OPERATOR)
    async def card_button(
        query: CallbackQuery,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        verdict: bool | None = None,
    ) -> None:
        m = _CALLBACK.match(query.data or "")
        if m is None:
            await reply_after_reading(
                session, partial(answer_query, query), texts("op_button_invalid"), show_alert=True
            )
            return
        if verdict is None:
            if operators.refused(query.from_user.id):  # the cause, not a passing notice
                said, alert = texts("op_press_refused"), True
            else:
                said, alert = texts("op_press_failed"), False
            await reply_after_reading(session, partial(answer_query, query), said, show_alert=alert)
            return
        if not verdict:
            said = texts("op_button_not_operator")
            await reply_after_reading(session, partial(answer_query, query), said, show_alert=True)
            return
        action, ticket_id = m.group(1), int(m.group(2))
        # locked (PostgreSQL) until the action is committed: two operators pressing
        # Resolve at once resolve once, the second sees it resolved
        ticket = await session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None or not pressed_under_card(query, ticket):
            said = texts("op_button_stale")
            await reply_after_reading(session, partial(answer_query, query), said, show_alert=True)
            return
        ok, note = await apply_action(bot, session, services, ticket, action, query.from_user.id)
        # committed before anyone is told: a colleague who acts on the news (Reopen after
        # Resolve) must find the ticket as it was said to be
        await session.commit()
        await answer_query(query, note, show_alert=not ok)
        if ok and action in ("resolve", "reopen"):
            # the answer is a passing notice on the presser's screen only: the colleagues
            # watching the topic learn it there, as after /resolve
            who = await desk_of(services).operator_name(bot, query.from_user.id)
            said = texts(
                "op_button_pressed", who=who, button=texts(f"op_button_{action}"), note=note
            )
            await desk_of(services).tell_topic(bot, session, ticket, said)

    @router.callback_query()
    async def unknown_button(query: CallbackQuery, session: AsyncSession) -> None:
        said = texts("op_button_stale")
        await reply_after_reading(session, partial(answer_query, query), said, show_alert=True)

    return router


# (ticket, operator) -> when Resolve was held back for an unanswered message: the same
# operator's Resolve within this time closes the ticket anyway
_RESOLVE_HELD: dict[tuple[int, int], datetime] = {}
RESOLVE_CONFIRM = timedelta(minutes=5)
_QUOTED = 40  # characters of the unanswered message quoted to the operator


async def _unanswered_since_reply(
    session: AsyncSession, ticket: Ticket, actor: int, now: datetime
) -> str | None:
    """The customer's message a colleague's answer has not answered yet (quoted, cut), when
    the ticket was answered before and this operator did not just hear it: None otherwise
    (a ticket never answered here may be settled by phone; the second Resolve is meant)."""
    held = _RESOLVE_HELD.pop((ticket.id, actor), None)
    for key in [k for k, at in _RESOLVE_HELD.items() if now - at > RESOLVE_CONFIRM]:
        del _RESOLVE_HELD[key]  # old holds forgotten
    if held is not None and now - held <= RESOLVE_CONFIRM:
        return None
    since, answered = await customer_waiting(session, ticket)
    if since is None or answered is None:
        return None
    text = await session.scalar(
        select(MessageRow.text)
        .where(
            MessageRow.conversation_id == ticket.conversation_id,
            MessageRow.direction == "in",
            MessageRow.created_at >= since,
            MessageRow.text.is_not(None),
        )
        .order_by(MessageRow.id.desc())
        .limit(1)
    )
    said = " ".join((text or "").split())
    if not said:
        return None  # a survey's button pressed, a sticker: nothing to answer in words
    _RESOLVE_HELD[(ticket.id, actor)] = now
    return said if len(said) <= _QUOTED else said[: _QUOTED - 1].rstrip() + "…"


def pressed_under_card(query: CallbackQuery, ticket: Ticket) -> bool:
    """Whether a card's button acts on ``ticket``: pressed in its topic (a press forged with
    another ticket's id in it is not), or, on a message older than 48 hours, which Telegram
    sends without its topic (an InaccessibleMessage: its chat and id only), on the ticket's
    card itself."""
    message = query.message
    if message is None:
        return False
    if isinstance(message, InaccessibleMessage):
        return message.message_id == ticket.card_message_id
    return message.message_thread_id == ticket.topic_id


def create_private_router(settings: Settings) -> Router:
    """The senior operators' private chats, where they are alerted: /queue lists the
    tickets there too, and a ticket's command says where it works (it was answered as a
    customer's words: 'this command is for shop staff'); another operator's command says
    so too, and their first words are answered as a customer's after a note that they are."""
    router = Router(name=f"{__name__}.private")
    seniors = set(settings.senior_operator_ids)
    admins = set(settings.admin_ids)
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    senior = F.from_user.id.in_(seniors)
    texts = operator_texts(settings)
    team = OperatorRoster()

    async def operator_not_admin(
        message: Message, bot: Bot, services: Services, **data: Any
    ) -> bool:
        """Whether the sender is an operator (a senior, or a member of the operators' group,
        asked of Telegram with no lock held) who is no admin: an admin's command or a file
        from them is the team's, never a customer's words."""
        user = message.from_user
        if user is None or user.id in admins:
            return False
        if user.id in seniors:
            return True
        async with outside_transaction(data.get("session"), unless=team.known(user.id)):
            return bool(await team.check(bot, desk_of(services), user.id))

    @router.message(Command("queue"), senior, flags=OPERATOR)
    async def queue(
        message: Message,
        bot: Bot,
        session: AsyncSession,
        services: Services,
        verdict: bool | None = None,
    ) -> None:
        said = await queue_reply(session, bot, services, texts)
        await reply_after_reading(session, message.answer, said)

    @router.message(Command(*TICKET_COMMANDS, "canned_add", "canned_del"), senior)
    async def ticket_command_here(message: Message, session: AsyncSession) -> None:
        said = texts("op_private_ticket_command")
        await reply_after_reading(session, message.answer, said)

    @router.message(Command(*OPERATOR_COMMANDS), operator_not_admin)
    async def operator_command_here(message: Message, session: AsyncSession) -> None:
        """An operator's /queue or /take in private got the customers' 'this command is for
        the shop's team' (they are the team): where it works."""
        said = texts("op_private_operator_command", command=_command_name(message))
        await reply_after_reading(session, message.answer, said)

    told: set[int] = set()  # the operators told they are answered as customers here

    async def operator_seen(message: Message, bot: Bot, services: Services, **data: Any) -> bool:
        """An operator (seen in the operators' group since the start: no getChatMember for
        each customer's word) not yet told that here they are answered as a customer."""
        user = message.from_user
        if user is None or user.id in told or user.id not in seniors | desk_of(services).met():
            return False
        return await operator_not_admin(message, bot, services, **data)

    @router.message(F.text, NOT_COMMAND, operator_seen)
    async def operator_as_customer(message: Message, session: AsyncSession) -> None:
        """An operator's 'hello?' in private silently opened a customer's conversation: they
        are told once (per start of the bot) that here they are answered as a customer, and
        where tickets are handled; then answered as a customer (trying the bot out)."""
        assert message.from_user is not None
        told.add(message.from_user.id)
        await reply_after_reading(session, message.answer, texts("op_private_as_customer"))
        raise SkipHandler

    @router.message(Command(*ADMIN_ONLY), operator_not_admin)
    async def admin_command_not_theirs(message: Message, session: AsyncSession) -> None:
        """'/report' from a senior, '/kb_add' from an operator, who is not an admin was told,
        as a customer would be, that the command is for the shop's team (they are the team):
        it is for the admins."""
        user = message.from_user
        key = "op_private_admin_command" if user and user.id in seniors else "op_admin_command"
        said = texts(key, command=_command_name(message))
        await reply_after_reading(session, message.answer, said)

    @router.message(F.document, operator_not_admin)
    async def admin_file_not_theirs(message: Message, session: AsyncSession) -> None:
        """A knowledge-base file from an operator who is not an admin got the customers'
        'tell me what happened': files are imported by the admins."""
        await reply_after_reading(session, message.answer, texts("op_admin_file"))

    return router


# the admins' commands that are no operator's (/start and /help are everyone's)
ADMIN_ONLY = sorted(ADMIN_COMMANDS - OPERATOR_COMMANDS - {"start", "help"})


def _command_name(message: Message) -> str:
    """'/kb_list' for '/kb_list@shop_bot 2'."""
    return (message.text or "/").split(maxsplit=1)[0].split("@")[0]


# what an operator writes in a topic and the customer can receive; the rest is Telegram's
# service messages (a topic closed or renamed by hand, a pinned card), which cannot be copied
RELAYED = frozenset(
    {
        ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.VIDEO,
        ContentType.VOICE, ContentType.AUDIO, ContentType.ANIMATION, ContentType.STICKER,
        ContentType.VIDEO_NOTE, ContentType.CONTACT, ContentType.LOCATION, ContentType.VENUE,
        ContentType.POLL, ContentType.DICE,
    }
)  # fmt: skip


def relayed(message: Message) -> bool:
    """Whether a message in a ticket's topic is the operator's, for the customer."""
    return message.content_type in RELAYED


async def closed_by_hand(
    message: Message, bot: Bot, session: AsyncSession, desk: OperatorDesk
) -> None:
    """An operator closed an open ticket's topic by hand (as one closes a finished thread):
    the ticket is not resolved by it (the customer still waits, and would get no survey),
    and the colleagues who are not admins could not write there; the topic is opened again
    and says so."""
    ticket = await desk.ticket_by_topic(session, message.message_thread_id)
    if ticket is None or ticket.status == "resolved":
        return
    await session.commit()  # the read over: no lock held while Telegram opens the topic
    try:
        await bot.reopen_forum_topic(desk.chat_id, message.message_thread_id)  # type: ignore[arg-type]
    except TelegramBadRequest as exc:
        log.info("topic of ticket %s not reopened: %s", ticket.id, exc)
    await desk.tell_topic(bot, session, ticket, desk.texts("op_closed_by_hand", id=ticket.id))


def posted_as_chat(message: Message, texts: Texts) -> str:
    """What an operator posting in a ticket's topic as the group (an anonymous admin) or
    as a channel is told: nothing was done, and how to post as themselves."""
    chat = message.sender_chat
    assert chat is not None
    if chat.id == message.chat.id:
        return texts("op_posted_as_group")
    return texts("op_posted_as_channel", channel=chat.title or chat.id)


def desk_of(services: Services) -> OperatorDesk:
    desk = services.desk
    assert isinstance(desk, OperatorDesk)
    return desk


async def reply_after_reading(
    session: AsyncSession, send: Callable[..., Awaitable[Any]], text: str, **kwargs: Any
) -> None:
    """``send(text, **kwargs)`` once the update's transaction is over (what it wrote is
    committed, what it read is done with): on SQLite every transaction holds the one write
    lock, and every customer's turn would wait while Telegram is slow or says 'retry after
    N s'."""
    await session.commit()
    await send(text, **kwargs)


class OperatorRoster:
    """Who is an operator (a member of the operators' group), asked of Telegram and kept
    so an operator's every message does not cost a getChatMember: a member is kept for
    ``KEEP`` seconds (someone removed from the group loses the right at once when Telegram
    says so, a 'chat_member' update or the service message, else within that), a
    non-member is asked again each time (a colleague just added is recognised at once).
    Asked through ``OperatorDesk.member``, the one place that sorts Telegram's errors
    about the group. Telegram failing (a 5xx, the network, a flood limit, or an error of
    no known kind), or refusing to say (a 403: the bot removed from the group): a member
    seen before (however long ago) still is, so an outage does not lock the operators
    out; anyone else is ``None``, unknown, never an operator by an error (``refused``
    says whether Telegram refused rather than failed)."""

    KEEP = 600.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.seen: dict[int, float] = {}
        self.told: dict[int, float] = {}
        # whose last check Telegram refused (403: the bot may not look into the group)
        self._refused: set[int] = set()

    def refused(self, user_id: int) -> bool:
        """Whether the last check of ``user_id`` that came to nothing was refused (403:
        the bot is not in the group, or may not look), not failed (5xx, network)."""
        return user_id in self._refused

    def first_word(self, user_id: int) -> bool:
        """Whether a non-operator is to be told (once per ``KEEP``): someone posting a
        stream of messages is not answered each time (the bot would double the noise in
        the topic and spend its flood limit, which the customers' replies need)."""
        now = self.clock()
        if now - self.told.get(user_id, -self.KEEP) < self.KEEP:
            return False
        self.told = {u: t for u, t in self.told.items() if now - t < self.KEEP}
        self.told[user_id] = now
        return True

    def known(self, user_id: int) -> bool:
        """Whether ``user_id`` is an operator without asking Telegram (seen as a member
        within ``KEEP`` seconds)."""
        seen = self.seen.get(user_id)
        return seen is not None and self.clock() - seen < self.KEEP

    def forget(self, user_id: int) -> None:
        """Telegram said they are no longer in the group: not an operator from now on
        (asked again next time, and not counted as seen while Telegram fails)."""
        self.seen.pop(user_id, None)

    async def check(self, bot: Bot, desk: OperatorDesk, user_id: int) -> bool | None:
        if self.known(user_id):
            return True
        now = self.clock()
        seen = self.seen.get(user_id)
        self._refused.discard(user_id)
        try:
            member = works_here(await desk.member(bot, user_id))
        except TelegramBadRequest:
            member = False  # a user Telegram does not know in the group
        except GroupUnanswered as exc:
            # Telegram could not say (logged by ``member``) or would not (403: the bot may
            # not look into the group, logged once as an error): not the sender's doing,
            # so no refusal of them either; never a yes for someone not seen as a member
            if exc.forbidden:
                self._refused.add(user_id)
            return True if seen is not None else None
        if member:
            self.seen[user_id] = now
        else:
            self.seen.pop(user_id, None)
        return member


class Names:
    """Operators' names by their ids, each asked of Telegram once (``asked``: whose)."""

    def __init__(self, bot: Bot, services: Services) -> None:
        self.bot, self.desk = bot, desk_of(services)
        self.asked: dict[int, str] = {}

    async def __call__(self, user_id: int) -> str:
        if user_id not in self.asked:
            self.asked[user_id] = await self.desk.operator_name(self.bot, user_id)
        return self.asked[user_id]


def names(bot: Bot, services: Services) -> Names:
    """An operator's name by their id, asked of Telegram once per id."""
    return Names(bot, services)


async def queue_reply(session: AsyncSession, bot: Bot, services: Services, texts: Texts) -> str:
    """What /queue says. An operator who has the tickets and whom Telegram, asked their
    name, says has left the group (the bot was not told: stopped meanwhile, or the group
    hides such messages) has them no more: they go back to the queue (each topic told
    so), and the queue is read again, as it is then."""
    name_of = names(bot, services)
    said = await queue_text(session, name_of, texts)
    desk = desk_of(services)
    gone = [user_id for user_id in name_of.asked if desk.has_left(user_id)]
    for user_id in gone:
        await desk.operator_left(bot, session, user_id)
    return await queue_text(session, name_of, texts) if gone else said


async def queue_text(
    session: AsyncSession,
    name_of: Callable[[int], Awaitable[str]] | None = None,
    texts: Texts | None = None,
) -> str:
    """The waiting tickets, the most urgent first (``texts``: the operators' language,
    English by default)."""
    texts = texts or operator_texts()
    tickets = (
        await session.scalars(
            select(Ticket).where(Ticket.status.in_(("open", "taken"))).order_by(Ticket.created_at)
        )
    ).all()
    if not tickets:
        return texts("op_queue_empty")
    now = utcnow()
    # how long each customer has waited for a person (since their last unanswered message),
    # not how old the ticket is: one answered and thanked is not waiting
    waits = {t.id: await customer_waiting(session, t) for t in tickets}

    def key(t: Ticket) -> tuple[bool, bool, datetime, bool]:
        since, answered = waits[t.id]
        return (t.priority != "high", since is None, since or answered or now, t.status != "open")

    ordered = sorted(tickets, key=key)
    # whose each is and what about ("#8 · Katarzyna · late or lost delivery"), as its topic
    # is named: "#8 · the fix did not help" alone sent the operator through the topics
    about: dict[int, str] = {}
    for t in ordered[:QUEUE_SHOWN]:
        customer = await session.get(Customer, t.customer_id)
        conversation = await session.get(Conversation, t.conversation_id)
        if customer is not None:
            state = conversation.state or {} if conversation is not None else {}
            about[t.id] = f"{whose_case(customer, ticket_case_type(state, t), texts)} · "
    if name_of is not None and any(t.assignee_id for t in ordered[:QUEUE_SHOWN]):
        # the reads are over before Telegram is asked the names: on SQLite the transaction
        # holds the one write lock every customer's turn waits for
        await session.commit()
    lines = [texts("op_queue_head")]
    for t in ordered[:QUEUE_SHOWN]:
        since, answered = waits[t.id]
        if since is not None:
            age = age_words(int((now - since).total_seconds() // 60), texts)
            wait = texts("op_queue_waiting", age=age)
        else:
            age = age_words(int((now - (answered or now)).total_seconds() // 60), texts)
            wait = texts("op_queue_answered", age=age)
        if t.assignee_id is None:
            who = texts("op_queue_unassigned")
        else:
            name = await name_of(t.assignee_id) if name_of else t.assignee_id
            who = texts("op_queue_taken", who=name)
        reason = label(texts, f"{REASON}{t.reason}", t.reason)
        mark = "🔥" if t.priority == "high" else "·"
        lines.append(f"#{t.id} {mark} {about.get(t.id, '')}{reason}, {wait}, {who}")
    if len(ordered) > QUEUE_SHOWN:
        lines.append(texts("op_queue_more", n=len(ordered) - QUEUE_SHOWN))
    return "\n".join(lines)


def is_note(text: str, prefix: str) -> bool:
    """Whether an operator's message is an internal note: it starts with the prefix, but
    not with a number after it ("#5531207 is shipped" is an order number for the customer)."""
    return text.startswith(prefix) and not text[len(prefix) : len(prefix) + 1].isdigit()


def note_text(text: str, prefix: str) -> str:
    """A note's text without its prefix ("# called the courier") or command ("/note ...")."""
    if text.startswith(prefix):
        return text[len(prefix) :].strip()
    command, rest = command_parts(text)
    return rest if command.split("@")[0] == "note" else text.strip()


def command_parts(text: str) -> tuple[str, str]:
    """'/note@SupportBot called the courier' -> ('note@supportbot', 'called the courier'):
    the command ends at a space or a line break (a note may start on the next line)."""
    parts = text[1:].split(maxsplit=1)
    return (parts[0].lower() if parts else ""), (parts[1].strip() if len(parts) > 1 else "")


async def edited_into_note(
    message: Message,
    session: AsyncSession,
    row: MessageRow,
    new_text: str,
    prefix: str,
    texts: Texts,
) -> bool:
    """An operator edited their reply into an internal note (or a command). The customer's
    copy is left as it was (mirroring would show them the note), nothing is done as a
    command, and the operator is told; a reply still waiting in the outbox becomes the note
    and is not sent (True: it did, the card's transcript is to say so)."""
    command, _ = command_parts(new_text) if new_text.startswith("/") else ("", "")
    waiting = row.delivered_at is None and row.tg_message_id is None and not command
    if waiting and claim(session, [row.id]):  # not being sent right now
        # the note is the ticket's whose topic it was written in
        ticket = await session.scalar(
            select(Ticket)
            .where(Ticket.conversation_id == row.conversation_id)
            .order_by(
                case((Ticket.topic_id == message.message_thread_id, 0), else_=1), Ticket.id.desc()
            )
            .limit(1)
        )
        try:
            row.direction, row.text = "note", note_text(new_text, prefix)
            row.delivered_at = row.edited_at = utcnow()
            row.tg_chat_id = None
            row.ticket_id = ticket.id if ticket is not None else None
        finally:
            release(session, row.id)
        if ticket is not None:
            await add_event(session, ticket, "note", actor_id=row.author_id, text=row.text)
        await reply_after_reading(session, message.reply, texts("op_edit_kept_as_note"))
        return True
    if command:
        said = texts("op_edit_command", command=command)
        await reply_after_reading(session, message.reply, said)
        return False
    await reply_after_reading(session, message.reply, texts("op_edit_not_note"))
    return False


async def note_command(
    bot: Bot,
    session: AsyncSession,
    desk: OperatorDesk,
    ticket: Ticket,
    author: int,
    text: str,
    message: Message,
) -> None:
    """/note TEXT (or the note prefix): an empty note (no photo either: '#' under a photo
    notes the photo) is not saved, the operator is told how to write one."""
    if not text and not attachments_of(message):
        await reply_after_reading(session, message.reply, desk.texts("op_note_empty"))
        return
    await save_note(bot, session, desk, ticket, author, text, message)


async def save_note(
    bot: Bot,
    session: AsyncSession,
    desk: OperatorDesk,
    ticket: Ticket,
    author: int,
    text: str | None,
    message: Message,
    *,
    unsent: str | None = None,
) -> None:
    """An internal note (``text`` None: a later photo of an album noted by its caption),
    with the photos or files it came with; the card's transcript shows it at once (a
    colleague taking the ticket over reads the card first). ``unsent``: a reply that was
    not sent (the ticket is resolved), kept on the ticket's card as such, and the operator
    told this instead of the note's mark."""
    said = [a.to_dict() for a in attachments_of(message)]
    session.add(
        MessageRow(
            conversation_id=ticket.conversation_id,
            direction="note",
            text=text,
            attachments=[*said, {"kind": NOT_SENT}] if unsent else said,
            author_id=author,
            ticket_id=ticket.id,
            relay_chat_id=message.chat.id,
            relay_message_id=message.message_id,
            delivered_at=utcnow(),
        )
    )
    if text is not None and not unsent:
        await add_event(session, ticket, "note", actor_id=author, text=text)
    await session.commit()  # saved before it is shown saved, no lock held meanwhile
    if unsent:
        await reply_after_reading(session, message.reply, unsent)
    else:
        try:
            await message.react([{"type": "emoji", "emoji": "✍"}])  # type: ignore[list-item]
        except (TelegramBadRequest, ValueError):
            pass
    # who has the ticket is as it was: no need to ask Telegram for their name again
    await desk.refresh_card(bot, session, ticket, ask_names=False)


async def reply_to_customer(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    services: Services,
    ticket: Ticket,
    received_at: datetime | None = None,
) -> None:
    user = message.from_user
    assert user is not None
    if ticket.status == "resolved":
        # not sent, and not lost: kept on this ticket's card (not the customer's open one's)
        said = await resolved_note(session, services, ticket, kept=True)
        text = message.text or message.caption or None
        await save_note(
            bot, session, desk_of(services), ticket, user.id, text, message, unsent=said
        )
        return
    if await _other_order(message, session, services, ticket):
        return  # held: the operator is asked whether it is for this customer
    sent = await send_to_customer(
        bot, session, services, ticket, user.id, source=message, received_at=received_at
    )
    if sent:
        await _other_language(message, session, services, ticket)


async def _ask_once(
    message: Message,
    session: AsyncSession,
    services: Services,
    ticket: Ticket,
    kind: str,
    key: str,
    **said: str,
) -> bool:
    """The operator is asked, once per ticket (its event ``kind``), whether their reply is
    for this customer (``key``: the question, in the operators' language); False: asked
    before."""
    asked = await session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
    )
    if asked:
        return False
    actor = message.from_user.id if message.from_user else None
    await add_event(session, ticket, kind, actor_id=actor, **said)
    texts = desk_of(services).texts
    words = {k: language_word(texts, v) if k in ("said", "lang") else v for k, v in said.items()}
    await reply_after_reading(session, message.reply, texts(key, **words))
    return True


async def _other_language(
    message: Message, session: AsyncSession, services: Services, ticket: Ticket
) -> None:
    """A reply in another language than the customer's ("Pani Katarzyno, wyślemy brakującą
    ładowarkę jutro" in John's English topic went out with no word, and counted as the first
    answer of his urgent ticket): sent all the same (it may be meant), and the operator is
    asked, once per ticket, whether it is for this customer."""
    from bot.nlu.lang import unplaced_latin

    text = message.text or message.caption or ""
    cyrillic = sum(1 for ch in text if "а" <= ch.lower() <= "я" or ch in "ёЁ")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    # a Russian reply has no Latin letters to place ("Мария, мы оформили возврат…" in a
    # Polish topic went out with no word): its script says it
    if len(text.split()) < 4 or (cyrillic <= latin and unplaced_latin(text)):
        return
    said_in = text_language(text)
    conversation = await session.get(Conversation, ticket.conversation_id)
    theirs = conversation.language if conversation is not None else None
    if not said_in or theirs not in CANNED_LANGS or said_in == theirs:
        return
    await _ask_once(
        message,
        session,
        services,
        ticket,
        "language_asked",
        "op_other_language",
        said=said_in,
        lang=theirs,
    )


async def _other_order(
    message: Message, session: AsyncSession, services: Services, ticket: Ticket
) -> bool:
    """A reply naming an order (7 digits) that is not this customer's ("Your order 3419822
    ships tomorrow" in John's topic, his order 3412345: written in the wrong topic, in his
    language) went out with no word: it is held, and the operator asked, once per ticket,
    whether it is for this customer (sent again, it goes). The ticket's order and every
    order the customer named since their previous ticket count as theirs; with none of
    theirs known, the order named is the one looked up for them. True: held."""
    from bot.nlu.extract import extract_order_ref

    named = extract_order_ref(message.text or message.caption or "")
    if named is None or not re.fullmatch(r"\d{7}", named):
        return False
    conversation = await session.get(Conversation, ticket.conversation_id)
    known = ((conversation.state or {}).get("known") or {}) if conversation else {}
    theirs = {str(known["order_ref"])} if known.get("order_ref") else set()
    started = await previous_resolution(session, ticket)
    said = (
        await session.scalars(
            select(MessageRow.text).where(
                MessageRow.conversation_id == ticket.conversation_id,
                MessageRow.direction == "in",
                MessageRow.text.is_not(None),
                *([MessageRow.created_at > started] if started is not None else []),
            )
        )
    ).all()
    for text in said:
        theirs.update(re.findall(r"\d{7}", re.sub(r"(?<=\d)[ \u00a0-](?=\d)", "", text)))
        if (ref := extract_order_ref(text, anywhere=True)) is not None:
            theirs.add(ref)
    if not theirs or named in theirs:
        # no order of theirs known: "#5531207 is shipped" is the one the operator looked up
        # for a customer who did not have the number (sent as it is)
        return False
    order = ", ".join(sorted(theirs))
    return await _ask_once(
        message,
        session,
        services,
        ticket,
        "order_asked",
        "op_other_order",
        named=named,
        order=order,
    )


async def newer_open_ticket(session: AsyncSession, ticket: Ticket) -> Ticket | None:
    """The customer's open ticket other than this one (one at a time: their messages go to
    its topic)."""
    return await session.scalar(
        select(Ticket)
        .where(
            Ticket.customer_id == ticket.customer_id,
            Ticket.id != ticket.id,
            Ticket.status != "resolved",
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


async def resolved_note(
    session: AsyncSession, services: Services, ticket: Ticket, *, kept: bool = False
) -> str:
    """What an operator writing to the customer in a resolved ticket's topic is told: to
    reopen it, or, when the customer has another ticket open, where to write instead
    (``kept``: what they wrote is kept on this ticket's card, and they are told so)."""
    texts = desk_of(services).texts
    newer = await newer_open_ticket(session, ticket)
    said = "op_resolved_kept" if kept else "op_resolved_not_sent"
    if newer is None:
        return texts(said)
    link = desk_of(services).topic_link(newer)
    return texts(f"{said}_newer", id=newer.id, link=f": {link}" if link else "")


async def send_to_customer(
    bot: Bot,
    session: AsyncSession,
    services: Services,
    ticket: Ticket,
    author: int,
    *,
    source: Message | None = None,
    text: str | None = None,
    signer: str | None = None,
    received_at: datetime | None = None,
) -> bool:
    """Copy an operator's message (or send a text) to the customer and record it.
    ``received_at``: when the bot had the operator's message; a colleague who took the
    ticket after that (their reply a moment before, a /take) is named to the operator.

    A customer of another channel (e.g. a Rasa assistant, no Telegram chat) gets the row
    in the outbox: that channel's next response carries it.
    """
    desk = desk_of(services)
    customer = await session.get(Customer, ticket.customer_id)
    assert customer is not None
    chat = customer.chat_id if customer.channel == "telegram" else None
    row = MessageRow(
        conversation_id=ticket.conversation_id,
        direction="operator",
        text=(source.text or source.caption) if source is not None else text,
        attachments=[a.to_dict() for a in attachments_of(source)] if source else [],
        author_id=author,
        tg_chat_id=chat,
        relay_chat_id=source.chat.id if source else None,
        relay_message_id=source.message_id if source else None,
        attempts=0,
    )
    if services.settings.show_operator_name:
        # kept with the row: the outbox signs a reply it sends later (Telegram was down)
        row.signed_as = (_first_name(source) if source is not None else signer or "")[:64] or None
        if source is not None and await _later_in_album(session, source, author):
            row.signed_as = None  # the album's first photo has the name: not each one
    quote = await _quoted(session, source, ticket) if chat is not None else None
    session.add(row)
    # the answer and the take are stored with the reply, in one commit: a reply the outbox
    # sends later (Telegram down, or the bot stopped while sending it) is the operator's
    # answer all the same (the SLA counts it, the ticket is theirs)
    now = utcnow()
    first = ticket.first_response_at is None
    if first:
        ticket.first_response_at = now
    took = (
        ticket.assignee_id is None
        and ticket.status == "open"
        and await take_ticket(session, ticket, author, held_by=None, now=now, auto=True)
    )
    queued = False  # left to the outbox: Telegram is not taking messages now
    if chat is not None:
        # stored (in the outbox) and committed before Telegram is called: no database
        # lock is held while Telegram makes us wait, and a crash loses nothing
        await session.flush()
        claim(session, [row.id])
        row.delivery_error = SENDING  # said by the outbox if the bot stops before the answer
        await session.commit()
        if source is not None and in_album(source) and desk.sessionmaker is not None:
            # an album's photo: sent with the album's others once they have come, as one
            # album (its claim kept until then)
            item = AlbumItem(row.id, quote, now if first else None)
            ticket_id = ticket.id

            async def send_album(items: list[AlbumItem]) -> None:
                await send_operator_album(bot, services, ticket_id, chat, items)

            key = ("operator", source.chat.id, source.media_group_id, author)
            desk.gather(key, item, send_album)
            if took:
                await desk.refresh_card(bot, session, ticket)
            return True
        refused, said = True, ""
        try:
            if text is not None and signer and services.settings.show_operator_name:
                text = signed_text(signer, text)  # a canned reply, signed as a typed one is
            sent = await _telegram_send(
                bot, chat, source, text, services.settings, quote, with_name=bool(row.signed_as)
            )
            refused = False
        except TelegramForbiddenError:
            row.attempts, row.delivery_error = MAX_ATTEMPTS, "blocked"
        except TelegramBadRequest as exc:
            # refused for good ('chat not found': the account is gone): sending it again
            # will not help, and the operator must not believe the customer read it
            row.attempts, row.delivery_error = MAX_ATTEMPTS, str(exc)
            said = desk.texts("op_not_delivered", said=exc.message)
        except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as exc:
            # Telegram down longer than the retries: the outbox sends it once it is back,
            # and the operator is told it is on its way, not left to wonder or send it again
            row.delivery_error = str(exc)
            queued, refused = True, False
        finally:
            if refused or queued:  # an error: the outbox loop sends its text later
                release(session, row.id)
            # sent: the claim is kept (until it expires, as ``deliver`` keeps it), so the
            # outbox loop, reading the row before the delivery below is committed (a commit
            # that waits for SQLite's lock), does not send it to the customer a second time
        if not (queued or refused):
            row.tg_message_id = sent.message_id if sent is not None else None
            row.delivered_at, row.attempts, row.delivery_error = utcnow(), 1, None
        # marked at once, before anything else is said or drawn: the customer has it, and a
        # bot stopped now must not send it again (the window left: this commit's own)
        await record_delivery(session, row)
        # the ticket as it is now: the commit above let a colleague act on it meanwhile (a
        # Resolve pressed while this reply was on its way), and writing back the copy read
        # before would undo that
        await session.refresh(ticket, with_for_update=True)
        if refused:
            if first and ticket.first_response_at is not None:
                if as_utc(ticket.first_response_at) == now:
                    ticket.first_response_at = None  # not an answer the customer can read
            if row.delivery_error == "blocked":
                # the topic is told once (the card marks each reply not delivered)
                await desk.customer_blocked(bot, session, ticket)  # the card too
                return False
            if source is not None:
                await reply_after_reading(session, source.reply, said)
            else:
                await desk.tell_topic(bot, session, ticket, said)
            if took:
                await desk.refresh_card(bot, session, ticket)
            return False
    if took or first:
        # the card shows the first answer (a ticket taken with its Take button first, then
        # answered, kept a card with none), and no reply promised for the opening time
        await desk.refresh_card(bot, session, ticket, ask_names=took)
    else:
        desk.redraw_soon(bot, ticket.id)  # the transcript on the card has this reply too
    if (
        not (took or first)
        and source is not None
        and received_at is not None
        and ticket.assignee_id not in (None, author)
        and await changed_hands(session, ticket, received_at)
    ):
        # two operators answering a waiting ticket at once: both replies are the
        # customer's, and the one who came second learns whose it is now
        who = await name_after_reading(bot, session, desk, ticket.assignee_id)
        said = desk.texts("op_answered_after_colleague", who=who, id=ticket.id)
        try:
            await reply_after_reading(session, source.reply, said)
        except TelegramAPIError as exc:
            log.info("operator not told a colleague took the ticket first: %s", exc)
    if queued:
        try:
            if source is not None:
                await reply_after_reading(session, source.reply, desk.texts("op_queued"))
            else:
                await desk.tell_topic(bot, session, ticket, desk.texts("op_queued"))
        except TelegramAPIError as exc:  # Telegram still down: the reply goes all the same
            log.info("operator not told their reply waits: %s", exc)
        return False
    return True


# what an album (a media group) can be made of
ALBUM_KINDS = frozenset({"photo", "video", "document", "audio"})
INPUT_MEDIA: dict[str, Any] = {
    "photo": InputMediaPhoto,
    "video": InputMediaVideo,
    "document": InputMediaDocument,
    "audio": InputMediaAudio,
}


def in_album(source: Message) -> bool:
    """Whether an operator's message is an item of an album (sent to the customer as one)."""
    kinds = {a.kind for a in attachments_of(source)}
    return bool(source.media_group_id) and len(kinds) == 1 and kinds <= ALBUM_KINDS


@dataclass(frozen=True)
class AlbumItem:
    """An operator's album item stored for the customer: its row, the customer's message
    it answers (quoted), and when its reply counted as the first answer (None: it did not)."""

    row_id: int
    quote: int | None
    first_at: datetime | None


async def send_operator_album(
    bot: Bot, services: Services, ticket_id: int, chat: int, items: list[AlbumItem]
) -> None:
    """Send an operator's album to the customer as one album: copied as it is, or (signed
    with their name, or quoting the customer) sent anew with the name once, on the first
    item. What Telegram does with it is what it does with a single reply: refused (the
    customer blocked the bot), said under the album; Telegram down, left to the outbox.
    No transaction is open while Telegram is asked: on SQLite the first read takes the one
    write lock (BEGIN IMMEDIATE), and every other chat's turn would wait on a slow Telegram;
    on PostgreSQL a read locks no row (only the ticket, read FOR UPDATE when something is
    to be said under the album, is locked, until that is committed)."""
    desk = desk_of(services)
    async with services.sessionmaker() as session:
        rows = [r for r in [await session.get(MessageRow, i.row_id) for i in items] if r]
        rows.sort(key=lambda r: r.relay_message_id or 0)
        await session.commit()  # the reads over (the rows stay loaded): no lock held
        sent_all = False
        try:
            if not rows:
                return
            quote = next((i.quote for i in items if i.quote), None)
            said = ""
            queued = refused = False
            try:
                sent = await with_retry(lambda: _album_send(bot, chat, rows, quote))
            except TelegramForbiddenError:
                refused = True
                for row in rows:
                    row.attempts, row.delivery_error = MAX_ATTEMPTS, "blocked"
            except TelegramBadRequest as exc:
                refused = True
                said = desk.texts("op_not_delivered", said=exc.message)
                for row in rows:
                    row.attempts, row.delivery_error = MAX_ATTEMPTS, str(exc)
            except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as exc:
                queued = True  # the outbox sends each item once Telegram is back
                for row in rows:
                    row.delivery_error = str(exc)
            else:
                for i, row in enumerate(rows):
                    row.tg_message_id = sent[min(i, len(sent) - 1)].message_id
                    row.delivered_at, row.attempts, row.delivery_error = utcnow(), 1, None
                sent_all = True
            for row in rows:
                await record_delivery(session, row)
        finally:
            if not sent_all:  # the outbox loop sends their texts later (unless refused)
                for item in items:
                    release(session, item.row_id)
            # sent: the claims are kept (until they expire, as ``deliver`` keeps them), so
            # the outbox loop, reading the rows before their delivery is committed, does
            # not send them to the customer a second time
        if not (queued or refused):
            return
        ticket = await session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            return
        if refused:
            first = next((i.first_at for i in items if i.first_at is not None), None)
            answered = ticket.first_response_at
            if first is not None and answered is not None and as_utc(answered) == first:
                ticket.first_response_at = None  # not an answer the customer can read
            if rows[0].delivery_error == "blocked":
                await desk.customer_blocked(bot, session, ticket)
                await session.commit()
                return
        topic = ticket.topic_id
        await session.commit()  # the ticket's lock let go before Telegram is asked
        try:
            await bot.send_message(
                desk.chat_id,
                said or desk.texts("op_queued"),
                message_thread_id=topic,
                reply_to_message_id=rows[0].relay_message_id,
                allow_sending_without_reply=True,
            )
        except TelegramAPIError as exc:
            log.info("operator not told what became of their album: %s", exc)


async def _album_send(bot: Bot, chat: int, rows: list[MessageRow], quote: int | None) -> list[Any]:
    """One album in the customer's chat (the messages Telegram made, in order)."""
    source_chat = rows[0].relay_chat_id
    assert source_chat is not None
    signer = rows[0].signed_as
    if len(rows) == 1:
        row = rows[0]
        caption = signed_caption_text(signer, row.text) if signer else None
        extra: dict[str, Any] = {"caption": caption} if caption is not None else {}
        if quote:
            extra |= {"reply_to_message_id": quote, "allow_sending_without_reply": True}
        return [await bot.copy_message(chat, source_chat, row.relay_message_id, **extra)]  # type: ignore[arg-type]
    if not signer and not quote:  # as it is: captions keep their formatting
        ids = [r.relay_message_id for r in rows if r.relay_message_id is not None]
        return list(await bot.copy_messages(chat, source_chat, ids))
    media = []
    for i, row in enumerate(rows):
        [attachment] = row.attachments or [{}]
        caption = row.text
        if i == 0 and signer:
            caption = signed_caption_text(signer, row.text) or row.text  # the name once
        media.append(INPUT_MEDIA[attachment["kind"]](media=attachment["file_id"], caption=caption))
    extra = {"reply_to_message_id": quote, "allow_sending_without_reply": True} if quote else {}
    return list(await bot.send_media_group(chat, media, **extra))


async def _later_in_album(
    session: AsyncSession, source: Message, author: int, direction: str = "operator"
) -> bool:
    """Whether an operator's photo (a file) without a caption is a later item of an album
    whose item before it they sent just before as ``direction`` ('operator': to the
    customer; 'note': an internal note, the album's caption starting with '#'); Telegram
    numbers an album's items in a row."""
    if not source.media_group_id or source.caption:
        return False
    earlier = await session.scalar(
        select(MessageRow.attachments).where(
            MessageRow.direction == direction,
            MessageRow.author_id == author,
            MessageRow.relay_chat_id == source.chat.id,
            MessageRow.relay_message_id == source.message_id - 1,
        )
    )
    # (an album written in a resolved ticket's topic, kept not sent: each item is kept so)
    said = earlier or []
    return any(a.get("album") == source.media_group_id for a in said) and not any(
        a.get("kind") == NOT_SENT for a in said
    )


async def _quoted(session: AsyncSession, source: Message | None, ticket: Ticket) -> int | None:
    """The message in the customer's chat that an operator's reply answers: the operator
    replied in the topic to the copy of a customer's message (or of an earlier answer)."""
    answered = source.reply_to_message if source is not None else None
    if answered is None or answered.message_id == source.message_thread_id:
        return None  # no reply, or the topic's first message (Telegram's default)
    linked = (
        await session.scalars(
            select(MessageRow.tg_message_id)
            .where(
                MessageRow.conversation_id == ticket.conversation_id,
                MessageRow.relay_chat_id == answered.chat.id,
                MessageRow.relay_message_id == answered.message_id,
                MessageRow.direction.in_(("in", "operator")),
            )
            .limit(2)
        )
    ).all()
    if not linked:
        # the topic's '✏️ The customer edited a message' notice: the message edited
        edited = (
            await session.scalars(
                select(MessageRow)
                .where(
                    MessageRow.conversation_id == ticket.conversation_id,
                    MessageRow.direction == "in",
                    MessageRow.edited_at.is_not(None),
                )
                .order_by(MessageRow.id.desc())
                .limit(100)
            )
        ).all()
        linked = [
            m.tg_message_id
            for m in edited
            if any(
                a.get("kind") == "edit"
                and a.get("chat") == answered.chat.id
                and answered.message_id in (a.get("notice") or [])
                for a in m.attachments or []
            )
        ]
    # one message of the customer's: quoted; several (a partial album's, linked to its note:
    # which copy is whose, and which one is gone, is not known): none, never the wrong one
    return linked[0] if len(linked) == 1 else None


async def _telegram_send(
    bot: Bot,
    chat: int,
    source: Message | None,
    text: str | None,
    settings: Settings,
    quote: int | None = None,
    *,
    with_name: bool = True,
) -> Any:
    """Send a text, an operator's message signed with their name (in parts if the name
    makes it too long for one message), or a copy of it; return the last message sent.
    ``quote``: the customer's message it answers (shown quoted, if it still exists);
    ``with_name``: False for an album's later photo (its first carries the name)."""
    reply: dict[str, Any] = (
        {"reply_to_message_id": quote, "allow_sending_without_reply": True} if quote else {}
    )
    sign = settings.show_operator_name and with_name
    if source is not None and not (sign and source.text):
        caption = signed_caption(source) if sign else None
        if caption is not None:
            reply["caption"] = caption  # a photo or a file, signed like a text
        return await with_retry(
            lambda: bot.copy_message(chat, source.chat.id, source.message_id, **reply)
        )
    if source is not None:
        text = signed(source)
    sent: Any = None
    for i, part in enumerate(split_text(text or "")):
        kw = reply if i == 0 else {}
        sent = await with_retry(lambda part=part, kw=kw: bot.send_message(chat, part, **kw))
    return sent


def _first_name(source: Message) -> str:
    return source.from_user.first_name if source.from_user else "Operator"


def signed(source: Message) -> str:
    """An operator's text with their name in front (SHOW_OPERATOR_NAME)."""
    return signed_text(_first_name(source), source.text or "")


CAPTIONED = frozenset(ContentType(kind) for kind in CAPTIONED_KINDS)


def signed_caption(source: Message) -> str | None:
    """A photo's (a file's) caption with the operator's name in front, or None: no caption
    can be set (a sticker), or the name would make it too long (then copied as it is)."""
    if source.content_type not in CAPTIONED:
        return None
    return signed_caption_text(_first_name(source), source.caption)


async def ticket_command(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    services: Services,
    ticket: Ticket,
    text: str,
    *,
    received_at: datetime,
) -> None:
    user = message.from_user
    assert user is not None
    texts = desk_of(services).texts
    name, args = command_parts(text)
    name, _, addressee = name.partition("@")
    if addressee and addressee != ((await bot.me()).username or "").lower():
        return  # "/resolve@OtherBot": a command for another bot in the group
    if name in ("take", "resolve", "reopen"):
        other = re.fullmatch(r"#?(\d{1,9})", args)
        if other is not None and int(other.group(1)) != ticket.id:
            # "/resolve 5" in ticket #3's topic: the operator means another ticket
            said = texts("op_other_ticket", id=ticket.id, command=name, other=other.group(1))
            await reply_after_reading(session, message.reply, said)
            return
        ok, note = await apply_action(
            bot, session, services, ticket, name, user.id, sent_at=received_at
        )
        if re.search(r"\w", args) and other is None and (ok or name == "resolve"):
            # "/resolve refund sent": the words are kept as a note on the ticket (also when
            # a colleague resolved it a moment before: what was done must not be lost);
            # "/resolve #", a number not typed, is no note
            await save_note(bot, session, desk_of(services), ticket, user.id, args, message)
            note += " " + texts("op_words_saved")
        # as the card's buttons: done before it is said
        await reply_after_reading(session, message.reply, note)
    elif name == "note":
        await note_command(bot, session, desk_of(services), ticket, user.id, args, message)
    elif name == "transfer":
        await transfer(message, bot, session, services, ticket)
    elif name == "canned":
        await canned(message, bot, session, services, ticket, args)
    elif name == "queue":
        said = await queue_reply(session, bot, services, texts)
        await reply_after_reading(session, message.reply, said)
    elif name == "kb_save":
        await save_reply_as_entry(message, session, services, ticket, args)
    elif name == "help":
        await reply_after_reading(session, message.reply, texts("op_help"))
    elif name in ("canned_add", "canned_del"):
        return  # handled by the dedicated handlers (commands outside topics)
    else:
        await reply_after_reading(session, message.reply, texts("op_unknown_command"))


async def changed_hands(session: AsyncSession, ticket: Ticket, since: datetime) -> bool:
    """Whether the ticket was taken or handed on at ``since`` or later."""
    at = await session.scalar(
        select(func.max(TicketEvent.created_at)).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(("taken", "transferred"))
        )
    )
    return at is not None and as_utc(at) >= since


async def taken_already(
    bot: Bot, session: AsyncSession, desk: OperatorDesk, ticket: Ticket, *, pressed: bool
) -> str:
    """What an operator who tried to take a ticket a colleague had just taken is told."""
    assert ticket.assignee_id is not None
    who = await name_after_reading(bot, session, desk, ticket.assignee_id)
    key = "op_taken_already_pressed" if pressed else "op_taken_already_typed"
    return desk.texts(key, who=who, id=ticket.id)


async def name_after_reading(
    bot: Bot, session: AsyncSession, desk: OperatorDesk, user_id: int
) -> str:
    """An operator's name as Telegram gives it, asked once the update's transaction is over
    (what it did committed first): on SQLite it holds the one write lock."""
    await session.commit()
    return await desk.operator_name(bot, user_id)


async def apply_action(
    bot: Bot,
    session: AsyncSession,
    services: Services,
    ticket: Ticket,
    action: str,
    actor: int,
    *,
    sent_at: datetime | None = None,
) -> tuple[bool, str]:
    """Take, resolve or reopen a ticket. ``sent_at``: when the bot had a typed command (a
    take then takes a colleague's ticket over, unless they took it after that: the sender
    could not have seen it); None: a card's button (its Take is for a waiting ticket)."""
    desk = desk_of(services)
    texts = desk.texts
    now = utcnow()
    if action == "take":
        if ticket.status == "resolved":
            return False, texts("op_take_resolved")
        if ticket.assignee_id == actor:
            return True, texts("op_take_yours")
        before = ticket.assignee_id
        if before is not None and (
            sent_at is None or await changed_hands(session, ticket, sent_at)
        ):
            # the card's Take is for a waiting ticket (pressed on a card not yet updated it
            # would take a colleague's ticket behind their back), and a /take sent as a
            # colleague took it meant a waiting one too: /take sent knowingly takes it over
            return False, await taken_already(bot, session, desk, ticket, pressed=sent_at is None)
        if not await take_ticket(session, ticket, actor, held_by=before, now=now):
            # a colleague took (or resolved) it at the same moment, in another update
            if ticket.status == "resolved":
                return False, texts("op_take_resolved")
            if ticket.assignee_id == actor:
                return True, texts("op_take_yours")
            if ticket.assignee_id is None:  # put back in the queue that moment
                return False, texts("op_take_changed", id=ticket.id)
            return False, await taken_already(bot, session, desk, ticket, pressed=sent_at is None)
        drawn = await desk.refresh_card(bot, session, ticket)
        if before is None:
            return True, with_card_late(texts, texts("op_take_done", id=ticket.id), drawn)
        # taking a colleague's ticket: said in the topic, which they watch
        was = await name_after_reading(bot, session, desk, before)
        return True, with_card_late(texts, texts("op_take_over", id=ticket.id, was=was), drawn)
    if action == "resolve":
        if ticket.status == "resolved":
            return False, texts("op_already_resolved")
        if (unanswered := await _unanswered_since_reply(session, ticket, actor, now)) is not None:
            # "Dobrze, ale chcę też zwrotu kosztów dostawy" after the colleague's answer, and
            # Resolve pressed: the customer got "resolved" with their words unanswered. Said
            # to the operator first; Resolve (or /resolve) again closes it anyway
            return False, texts("op_resolve_unanswered", id=ticket.id, said=unanswered)
        # the card keeps what was known while the ticket was worked on, not the clean
        # slate the bot starts again from
        worked = await session.get(Conversation, ticket.conversation_id)
        context = dict(worked.state or {}) if worked is not None else None
        was = ticket.assignee_id if ticket.assignee_id != actor else None
        conversation = await resolve_ticket(session, ticket, actor_id=actor, now=now)
        await tell_customer_resolved(bot, session, services, ticket, conversation)
        drawn = await desk.refresh_card(bot, session, ticket, state=context)
        await session.commit()  # no lock held while Telegram closes the topic
        try:
            await bot.close_forum_topic(desk.chat_id, ticket.topic_id)  # type: ignore[arg-type]
        except TelegramBadRequest as exc:
            log.info("topic not closed: %s", exc)
        await session.commit()  # the card's state kept; what follows reads the ticket anew
        now_status = await session.scalar(select(Ticket.status).where(Ticket.id == ticket.id))
        if now_status != "resolved":
            # the customer said 'not solved' while the topic was being closed (asked as soon
            # as it was resolved): their reopened ticket's topic is opened again
            await session.commit()  # a read: no lock held while Telegram is asked
            with contextlib.suppress(TelegramBadRequest):
                await bot.reopen_forum_topic(desk.chat_id, ticket.topic_id)  # type: ignore[arg-type]
        if was is None:
            return True, with_card_late(texts, texts("op_resolved", id=ticket.id), drawn)
        # a colleague's ticket: said in the topic, which they watch, so they know it is
        # no longer theirs (the card names its resolver now); a button's notice names the
        # presser already
        held = await name_after_reading(bot, session, desk, was)
        if sent_at is None:
            said = texts("op_resolved_was", id=ticket.id, was=held)
        else:
            who = await desk.operator_name(bot, actor)
            said = texts("op_resolved_by_was", id=ticket.id, who=who, was=held)
        return True, with_card_late(texts, said, drawn)
    if action == "reopen":
        if ticket.status != "resolved":
            return False, texts("op_reopen_open")
        newer = await newer_open_ticket(session, ticket)
        if newer is not None:  # one open ticket per customer: their messages go to one topic
            link = desk.topic_link(newer)
            return False, texts("op_reopen_newer", id=newer.id, link=f": {link}" if link else "")
        was = ticket.assignee_id if ticket.assignee_id != actor else None
        conversation = await reopen_ticket(session, ticket, actor_id=actor, now=now)
        # the customer, who last read "resolved", hears that a person has it again
        await tell_customer_reopened(bot, session, services, ticket, conversation)
        await session.commit()  # done, and no lock held while Telegram opens the topic
        try:
            await bot.reopen_forum_topic(desk.chat_id, ticket.topic_id)  # type: ignore[arg-type]
        except TelegramBadRequest as exc:
            log.info("topic not reopened: %s", exc)
        drawn = await desk.refresh_card(bot, session, ticket)
        if was is None:
            return True, with_card_late(texts, texts("op_reopened", id=ticket.id), drawn)
        # a colleague's: said in the topic, which they watch, that it is the reopener's now
        held = await name_after_reading(bot, session, desk, was)
        who = await desk.operator_name(bot, actor)
        said = texts("op_reopened_was", id=ticket.id, who=who, was=held)
        return True, with_card_late(texts, said, drawn)
    return False, texts("op_unknown_action")


async def _tell_customer(
    bot: Bot,
    session: AsyncSession,
    services: Services,
    ticket: Ticket,
    conversation: Conversation,
    replies: Callable[[Texts], list[tuple[str, Any]]],
    mark: Callable[[dict[str, Any], bool], None] | None = None,
) -> None:
    """Send the ticket's customer ``replies`` (text, buttons) in their language, with the
    conversation's state changed by ``mark`` (given whether they are on Telegram); committed
    before sending. A customer of another channel (a Rasa assistant) gets them with that
    channel's next response; a customer who blocked the bot is said so in the topic."""
    customer = await session.get(Customer, ticket.customer_id)
    telegram = customer is not None and customer.channel == "telegram"
    if customer is None or (telegram and customer.chat_id is None):
        return
    state = dict(conversation.state or {})
    lang = conversation.language or services.settings.default_language
    texts = Texts(lang, state.setdefault("variants", {}))
    rows = [
        MessageRow(
            conversation_id=conversation.id,
            direction="out",
            text=text,
            buttons=buttons,
            tg_chat_id=customer.chat_id if telegram else None,
        )
        for text, buttons in replies(texts)
    ]
    if mark is not None:
        mark(state, telegram)
    conversation.state = state
    session.add_all(rows)
    await session.commit()
    if not telegram:
        return
    await deliver(bot, session, [r.id for r in rows])
    if customer.blocked_bot:
        await desk_of(services).customer_blocked(bot, session, ticket)


async def tell_customer_resolved(
    bot: Bot, session: AsyncSession, services: Services, ticket: Ticket, conversation: Conversation
) -> None:
    """Tell the customer it's resolved and ask the survey; state is committed before sending.
    A customer of another channel (a Rasa assistant) gets both with that channel's next
    response, and the survey's question is theirs to answer from then on."""

    def survey(state: dict[str, Any], telegram: bool) -> None:
        state["survey" if telegram else UNSEEN_SURVEY] = {"ticket_id": ticket.id, "step": "solved"}

    # the last thing said to the customer ("…3-5 рабочих дней. Спасибо за терпение!", a canned
    # reply): its thanks are not said again in the next message
    last = await session.scalar(
        select(MessageRow.text)
        .where(
            MessageRow.conversation_id == conversation.id,
            MessageRow.direction.in_(("out", "operator")),
        )
        .order_by(MessageRow.id.desc())
        .limit(1)
    )
    thanked = says_thanks(last or "")
    await _tell_customer(
        bot,
        session,
        services,
        ticket,
        conversation,
        lambda texts: [
            (r.text, r.buttons_json()) for r in survey_start(texts, ticket.id, thanked=thanked)
        ],
        survey,
    )


async def tell_customer_reopened(
    bot: Bot, session: AsyncSession, services: Services, ticket: Ticket, conversation: Conversation
) -> None:
    """An operator reopened the customer's resolved ticket: they are told, in their language,
    that their request is open again and a colleague has it (their messages reach a person
    again, not the bot). The reopening is committed before it is sent."""
    await _tell_customer(
        bot,
        session,
        services,
        ticket,
        conversation,
        lambda texts: [(texts("reopened_by_operator"), None)],
    )


async def save_reply_as_entry(
    message: Message, session: AsyncSession, services: Services, ticket: Ticket, args: str
) -> None:
    """An operator's answer becomes a knowledge entry for the customer's question."""
    from bot.dialogs.guard import find_forbidden
    from knowledge.flow import without_address
    from knowledge.formats import KbFormatError, Text, say
    from knowledge.service import KnowledgeError, get_knowledge

    user = message.from_user
    texts = desk_of(services).texts  # the operators' language, as all said to them

    async def tell(text: str) -> None:
        """The operator is told once the update's transaction is over: the save committed,
        or the reads that found nothing to save ended."""
        await reply_after_reading(session, message.reply, text)

    source = message.reply_to_message
    answer = (source.text or source.caption) if source is not None else None
    if source is None or not answer or (source.from_user and source.from_user.is_bot):
        await tell(texts("op_kb_save_usage"))
        return
    conversation = await session.get(Conversation, ticket.conversation_id)
    lang = (conversation.language if conversation else None) or services.settings.default_language
    actor = actor_of(user, "op") if user else "operator"
    knowledge = get_knowledge(services)
    entry_id = args.split()[0] if args else None
    existing = await knowledge.get(session, entry_id) if entry_id else None
    # the question: the customer's latest unanswered one, else what they wrote before this
    # answer that waited for one (not the "thanks!" after it, nor "a person please")
    answered = (
        await session.execute(
            select(MessageRow.id, MessageRow.created_at).where(
                MessageRow.conversation_id == ticket.conversation_id,
                MessageRow.direction == "operator",
                MessageRow.relay_chat_id == source.chat.id,
                MessageRow.relay_message_id == source.message_id,
            )
        )
    ).first()
    said = (
        await session.execute(
            select(MessageRow.text, MessageRow.attachments, Classification.intent)
            .outerjoin(Classification, Classification.message_id == MessageRow.id)
            .where(
                MessageRow.conversation_id == ticket.conversation_id,
                MessageRow.direction == "in",
                MessageRow.text.is_not(None),
                *([MessageRow.id < answered.id] if answered is not None else []),
            )
            .order_by(MessageRow.id.desc())
            .limit(20)
        )
    ).all()
    asked = [text for text, *rest in said if needs_answer(text, *rest)]
    last = next(
        (text for text, *rest in said if needs_answer(text, *rest) and rest[1] != "request_human"),
        asked[0] if asked else None,
    )
    # "Hi Mike! ..." would greet every customer by Mike's name: the answer is saved without
    # the greeting and the sign-off, and the operator is shown what was saved
    saved = without_address(answer)
    shown = texts("op_kb_save_trimmed", text=saved) if saved != answer.strip() else ""
    # an answer the bot may not send ("…that is our company policy"): an admin's reply
    # replaces it; another operator's only joins the question, and the admins are told
    blocked = find_forbidden(existing.answers.get(lang, "")) if existing is not None else []
    replace = bool(blocked) and user is not None and user.id in services.settings.admin_ids
    try:
        entry = await knowledge.save_operator_reply(
            session,
            question=None,
            answer=saved,
            lang=lang,
            actor=actor,
            conversation_id=ticket.conversation_id,
            entry_id=entry_id,
            fallback=last,
            before=answered.created_at if answered is not None else None,
            replace=replace,
        )
    except KbFormatError as exc:  # a bad id: each of its mistakes
        problem = "; ".join(say(e, texts) for e in exc.errors)
        await tell(texts("op_kb_save_not_saved", problem=problem))
        return
    except KnowledgeError as exc:
        said = exc.args[0] if exc.args else ""
        if isinstance(said, Text) and said.key.startswith("kb_save_"):
            # an entry near the id: which one, and the commands to choose from
            await tell(say(said, texts))
            return
        await tell(texts("op_kb_save_not_saved", problem=say(said, texts)))
        return
    if existing is not None:
        hits = find_forbidden(entry.answer_for(lang)[1])  # the answer this customer gets
        if replace:
            word = language_word(texts, lang)
            phrase = blocked[0].fragment
            await tell(texts("op_kb_save_blocked_replaced", id=entry.id, lang=word, phrase=phrase))
        elif hits:
            # "Can I return underwear?" -> "…that is our company policy": the question joined
            # an answer customers never get (a person is called instead); said, with the fix,
            # and the admins told (once a day per entry)
            await tell(texts("op_kb_save_joined_blocked", id=entry.id, phrase=hits[0].fragment))
            if message.bot is not None:
                await alert_blocked_entry(message.bot, session, services, ticket, entry.id)
        elif lang in existing.answers:
            await tell(texts("op_kb_save_joined_kept", id=entry.id))
        else:
            await tell("\n\n".join(filter(None, [texts("op_kb_save_joined", id=entry.id), shown])))
        return
    missing = knowledge.answers_missing(entry)
    # customers writing in another language get this one's answer until an admin adds theirs
    done = (
        texts(
            "op_kb_save_saved_only",
            id=entry.id,
            lang=language_word(texts, lang),  # 'with an answer in English only', not 'a en'
            missing=languages_in_words(texts, missing),  # 'Polish and Russian'
        )
        if missing
        else texts("op_kb_save_saved", id=entry.id)
    )
    await tell("\n\n".join(filter(None, [done, shown])))


async def transfer(
    message: Message, bot: Bot, session: AsyncSession, services: Services, ticket: Ticket
) -> None:
    user = message.from_user
    assert user is not None
    desk = desk_of(services)
    texts = desk.texts
    target = message.reply_to_message.from_user if message.reply_to_message else None
    if target is not None and (target.is_bot or target.id == user.id):
        target = None  # a reply to the customer's message, the card, or one's own
    _, named = command_parts(message.text or "")
    if target is not None or named:
        # the colleague meant ("/transfer @tomasz_support", or a reply to their message) is
        # asked of Telegram once the reads are over (SQLite: the one write lock every
        # customer's turn waits for), and the ticket read again, as it is then
        meant = target.full_name if target is not None else named
        known = await worked_here(session, services) if target is None else set()
        await session.commit()
        try:
            if target is None:
                target = await colleague_named(message, bot, services, named, known)
            elif not await in_group(bot, services, target):
                target = None  # a stranger who posted in a public group, or one who left
        except GroupUnanswered as exc:
            await reply_after_reading(session, message.reply, unanswered(texts, exc, meant))
            return
        if target is None:
            said = texts("op_transfer_unknown", named=meant)
            await reply_after_reading(session, message.reply, said)
            return
        await session.refresh(ticket, with_for_update=True)
    if ticket.status == "resolved":  # the bot has the chat: nobody's queue to go back to
        await reply_after_reading(session, message.reply, texts("op_transfer_resolved"))
        return
    if target is not None and target.id == ticket.assignee_id:
        # "/transfer @olga_support" by Olga herself: nothing would be handed on
        if target.id == user.id:
            said = texts("op_transfer_already_yours", id=ticket.id)
        else:
            said = texts("op_transfer_already_with", id=ticket.id, name=target.full_name)
        await reply_after_reading(session, message.reply, said)
        return
    before = ticket.assignee_id
    if target is not None:
        ticket.assignee_id = target.id
        ticket.status = "taken"
    else:
        ticket.assignee_id = None
        ticket.status = "open"
        # the customer waits for whoever takes it: the SLA counts again (the timers remind)
        ticket.due_at = answer_due(utcnow(), services.settings, ticket.priority)
        ticket.reminded_at = None
    await add_event(session, ticket, "transferred", actor_id=user.id, to=ticket.assignee_id)
    await session.commit()  # done before it is said, and before Telegram is asked names
    # a colleague's ticket handed on: said whose it was (named, so Telegram tells them)
    was = (
        await desk.operator_name(bot, before)
        if before not in (None, user.id, ticket.assignee_id)
        else None
    )
    suffix = "" if was is None else "_from"
    mention: list[MessageEntity] = []
    if target is None:
        note = texts(f"op_transfer_back{suffix}", id=ticket.id, was=was)
    elif target.username:  # "@tomasz_support": Telegram tells Tomasz he is named
        name = f"{target.full_name} (@{target.username})"
        note = texts(f"op_transfer_handed{suffix}", id=ticket.id, was=was, name=name)
    else:  # no username: the name links to them, which tells them as well
        # the text around the name, so the link sits on it in any language
        said = texts(f"op_transfer_handed{suffix}", id=ticket.id, was=was, name="\0")
        head, tail = said.split("\0", 1)
        note = f"{head}{target.full_name}{tail}"
        offset = len(head.encode("utf-16-le")) // 2
        length = len(target.full_name.encode("utf-16-le")) // 2
        mention.append(
            MessageEntity(type="text_mention", offset=offset, length=length, user=target)
        )
    note = with_card_late(texts, note, await desk.refresh_card(bot, session, ticket))
    await reply_after_reading(session, message.reply, note, entities=mention or None)


async def worked_here(session: AsyncSession, services: Services) -> set[int]:
    """The operators who have worked on tickets (acted on one, replied, noted), the
    seniors, and those the group has seen: whom a /transfer can name (each is asked of
    Telegram whether they are in the operators' group)."""
    known = set(
        (
            await session.scalars(
                select(TicketEvent.actor_id)
                .where(TicketEvent.actor_id.is_not(None))
                .group_by(TicketEvent.actor_id)
                .order_by(func.max(TicketEvent.id).desc())
                .limit(50)
            )
        ).all()
    )
    known |= set(
        (
            await session.scalars(
                select(MessageRow.author_id)
                .where(
                    MessageRow.author_id.is_not(None),
                    MessageRow.direction.in_(("operator", "note")),
                )
                .group_by(MessageRow.author_id)
                .order_by(func.max(MessageRow.id).desc())
                .limit(50)
            )
        ).all()
    )
    # and whoever Telegram was asked about since the start (a colleague new to the team,
    # who has not worked on a ticket yet, but has sent or pressed something in the group)
    return known | set(services.settings.senior_operator_ids) | desk_of(services).met()


async def colleague_named(
    message: Message, bot: Bot, services: Services, named: str, known: set[int]
) -> Any:
    """The operator a /transfer names: picked from Telegram's mention list (it carries the
    user), or by @username or first name among ``known`` (:func:`worked_here`), as
    Telegram says who they are (no database read: none is open while it is asked)."""
    for entity in message.entities or []:
        if entity.type == "text_mention" and entity.user is not None:
            return entity.user if await in_group(bot, services, entity.user) else None
    wanted = named.split()[0].lstrip("@").lower()
    unanswered: GroupUnanswered | None = None
    for user_id in known:
        try:
            person = await group_member(bot, services, user_id)
        except GroupUnanswered as exc:
            if exc.forbidden:
                raise  # the bot may not look into the group: nobody else can be asked either
            unanswered = exc  # this one unknown (a 502): another may still be the one
            continue
        if person is not None and wanted in (
            (person.username or "").lower(),
            person.first_name.lower(),
        ):
            return person
    if unanswered is not None:
        raise unanswered  # not "nobody of that name": Telegram did not say
    return None


async def in_group(bot: Bot, services: Services, person: Any) -> bool:
    """Whether ``person`` is an operator a ticket can be handed to (:func:`group_member`).
    Raises ``GroupUnanswered`` when Telegram does not say."""
    return not person.is_bot and await group_member(bot, services, person.id) is not None


async def group_member(bot: Bot, services: Services, user_id: int) -> Any:
    """The operator ``user_id`` as Telegram knows them, if a ticket can be theirs: a member
    of the operators' group, not a bot (None: not one, or a user Telegram does not know in
    the group). The one place this is decided; raises ``GroupUnanswered`` when Telegram
    does not say."""
    try:
        member = await desk_of(services).member(bot, user_id)
    except TelegramBadRequest:
        return None
    if not works_here(member) or member.user.is_bot:
        return None
    return member.user


def language_first(text: str) -> tuple[str | None, str]:
    """'pl Dziękujemy!' -> ('pl', 'Dziękujemy!'); no language code first: (None, text)."""
    parts = text.split(maxsplit=1)
    if parts and parts[0].lower() in CANNED_LANGS:
        return parts[0].lower(), parts[1] if len(parts) > 1 else ""
    return None, text


def text_language(text: str) -> str:
    """The language a canned reply is written in ("" when it cannot be told)."""
    from bot.nlu.lang import detect_lang

    lang = detect_lang(text)
    return lang if lang in CANNED_LANGS else ""


async def canned_by_name(session: AsyncSession, name: str) -> list[CannedReply]:
    """A canned reply's texts (one per language) by its name in any case ('/canned thanks'
    finds 'Thanks')."""
    return list(
        (
            await session.scalars(
                select(CannedReply)
                .where(func.lower(CannedReply.name) == name.lower())
                .order_by(CannedReply.id)
            )
        ).all()
    )


async def canned_languages(session: AsyncSession, name: str) -> list[str]:
    """The languages a canned reply has a text in."""
    return sorted({r.lang or text_language(r.text) for r in await canned_by_name(session, name)})


def canned_in(rows: list[CannedReply], lang: str) -> CannedReply | None:
    """The text of a canned reply in ``lang``: stored as such, or read from an old text."""
    return next((r for r in rows if r.lang == lang), None) or next(
        (r for r in rows if not r.lang and text_language(r.text) in (lang, "")), None
    )


async def canned(
    message: Message, bot: Bot, session: AsyncSession, services: Services, ticket: Ticket, args: str
) -> None:
    texts = desk_of(services).texts
    if not args:
        rows = (
            await session.scalars(select(CannedReply).order_by(CannedReply.name, CannedReply.id))
        ).all()
        if not rows:
            await reply_after_reading(session, message.reply, texts("op_canned_empty"))
            return
        named: dict[str, list[CannedReply]] = {}
        for r in rows:
            named.setdefault(r.name, []).append(r)
        lines = []
        for name, stored in named.items():
            langs = ", ".join(sorted({r.lang or text_language(r.text) or "?" for r in stored}))
            lines.append(f"• {name} ({langs}): {stored[0].text[:80]}")
        # in parts: a shop's fifty replies are more than one message holds
        for part in split_text("\n".join(lines)):
            await reply_after_reading(session, message.reply, part)
        return
    name, wanted = args.split()[0], args.split()[1:2]
    rows = await canned_by_name(session, name)
    if not rows:
        await reply_after_reading(session, message.reply, texts("op_canned_no_such"))
        return
    user = message.from_user
    assert user is not None
    if ticket.status == "resolved":
        said = await resolved_note(session, services, ticket)
        await reply_after_reading(session, message.reply, said)
        return
    conversation = await session.get(Conversation, ticket.conversation_id)
    customer_lang = (
        conversation.language if conversation else None
    ) or services.settings.default_language
    lang = wanted[0].lower() if wanted and wanted[0].lower() in CANNED_LANGS else customer_lang
    row = canned_in(rows, lang)
    if row is None:
        # the customer must not get a text in a language they did not write in
        has = ", ".join(await canned_languages(session, name)) or "?"
        said = language_word(texts, lang, lang)
        said = texts("op_canned_no_language", name=rows[0].name, language=said, has=has, lang=lang)
        await reply_after_reading(session, message.reply, said)
        return
    if await send_to_customer(
        bot, session, services, ticket, user.id, text=row.text, signer=user.first_name
    ):
        await reply_after_reading(session, message.reply, texts("op_canned_sent", text=row.text))
