"""Hand-off over Telegram: one forum topic per ticket in the operators' group.

The database is the truth for ticket <-> topic <-> message links. If Telegram lost a
topic ("message thread not found"), a new one is made with the card and the message is
delivered there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import CreateForumTopic
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.models import Conversation, Customer, Message, Ticket, TicketEvent, utcnow
from bot.delivery import claim, release, split_text, with_retry
from bot.dialogs.texts import Texts
from bot.dialogs.types import Outcome
from escalation.card import TYPE, Card, ticket_case_type, transcript_lines
from escalation.service import (
    active_ticket,
    add_event,
    case_started,
    release_tickets,
    render_card,
)
from escalation.texts import in_words, operator_texts

log = logging.getLogger(__name__)

# Forum topic icon colours allowed by Telegram.
COLOR_NORMAL = 0x6FB9F0  # blue
COLOR_HIGH = 0xFF93B2  # red/pink
STATUS_MARK = {"open": "🆕", "taken": "💬", "resolved": "✅"}
# what a customer sends the bot that the operator needs to see, not only read about
EVIDENCE = {"photo", "document", "video", "voice", "audio", "video_note"}
MAX_EARLIER_MEDIA = 10


def works_here(member: Any) -> bool:
    """Whether a member of the operators' group (getChatMember, a member update) can work
    there: in it and free to write; an admin's restriction that leaves them writing (no
    polls, no pins) changes nothing, one that stops them writing ends it, as leaving does."""
    if member.status in ("creator", "administrator", "member"):
        return True
    return (
        member.status == "restricted"
        and bool(getattr(member, "is_member", False))
        and bool(getattr(member, "can_send_messages", False))
    )


def refused_by_group(exc: Exception) -> bool:
    """Whether Telegram's answer is the operators' group refusing the bot (a 403 that is not
    about a customer: 'bot was kicked from the supergroup chat', 'bot is not a member of
    the supergroup chat'), as opposed to a customer who blocked it."""
    return isinstance(exc, TelegramForbiddenError) and "user" not in str(exc).lower()


class GroupUnanswered(Exception):
    """Telegram could not say (a 5xx, a network error, a flood limit) or would not say
    (``forbidden``: 403, the bot not in the operators' group) who is in that group."""

    def __init__(self, exc: TelegramAPIError) -> None:
        super().__init__(str(exc))
        self.forbidden = isinstance(exc, TelegramForbiddenError)


async def check_operators_chat(bot: Bot, chat_id: int) -> str | None:
    """Why the operators' group cannot take tickets (None: it can, or Telegram could not be
    asked now). Missing rights are only logged: a group may let members manage topics."""
    try:
        chat = await bot.get_chat(chat_id)
        me = await bot.get_me()
        member: Any = await bot.get_chat_member(chat_id, me.id)
    except (TelegramBadRequest, TelegramForbiddenError) as exc:
        return (
            f"the bot cannot reach the operators' group {chat_id} ({exc.message}): add the bot "
            "to the group as an admin, and check OPERATORS_CHAT_ID (a supergroup's id starts "
            "with -100)"
        )
    except TelegramAPIError as exc:  # Telegram is slow or down: the topics will tell later
        log.warning("could not check the operators' group %s: %s", chat_id, exc)
        return None
    name = chat.title or chat_id
    if member.status in ("left", "kicked"):
        return f"the bot is not a member of the operators' group {name}: add it as an admin"
    if chat.type != "supergroup" or not chat.is_forum:
        return (
            f"the operators' group {name} has no topics: turn on Topics in the group's "
            "settings (each ticket gets its own topic)"
        )
    if member.status == "member" or not getattr(member, "can_manage_topics", True):
        log.warning(
            "the bot is not allowed to manage topics in the operators' group %s: make it an "
            "admin with 'Manage topics' and 'Pin messages', or tickets may get no topic",
            name,
        )
    return None


async def _topic_ticket(session: AsyncSession, conversation_id: int) -> Ticket | None:
    """The conversation's latest ticket that has a topic in the operators' group."""
    return await session.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.topic_id.is_not(None))
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def album_of(row: Message) -> str | None:
    """The album (media group) a customer's message came in, as kept with its attachments."""
    return next((a["album"] for a in row.attachments or [] if a.get("album")), None)


def albums_of(rows: list[Message]) -> list[list[Message]]:
    """The rows in their order, an album's items (one after another, from one chat) together,
    every other row alone."""
    groups: list[list[Message]] = []
    for row in rows:
        album = album_of(row)
        last = groups[-1][-1] if groups else None
        if (
            album is not None
            and last is not None
            and album_of(last) == album
            and last.tg_chat_id == row.tg_chat_id
        ):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def thread_lost(exc: Exception) -> bool:
    text = str(exc).lower()
    return "thread not found" in text or "topic_deleted" in text or "topic was deleted" in text


def topic_title(ticket: Ticket, customer: Customer, ctype: str | None, texts: Texts) -> str:
    mark = STATUS_MARK.get(ticket.status, "")
    prio = "🔥" if ticket.priority == "high" else ""
    return f"{mark}{prio} #{ticket.id} {whose_case(customer, ctype, texts)}"[:128]


def whose_case(customer: Customer, ctype: str | None, texts: Texts) -> str:
    """'Katarzyna · late or lost delivery': the customer's first name and the complaint
    type, as the ticket's topic is named (and /queue says it)."""
    name = customer.first_name or customer.username or texts("op_who_in")
    return f"{name} · {in_words(texts, TYPE, ctype)}" if ctype else name


def card_keyboard(ticket: Ticket, texts: Texts) -> InlineKeyboardMarkup:
    actions = ["take"] if ticket.status == "open" else []
    actions.append("resolve" if ticket.status in ("open", "taken") else "reopen")
    row = [
        InlineKeyboardButton(
            text=texts(f"op_button_{action}"), callback_data=f"tk:{action}:{ticket.id}"
        )
        for action in actions
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


async def resolved_state(
    session: AsyncSession, ticket: Ticket, conversation: Conversation
) -> dict[str, Any]:
    """What a resolved ticket's card shows: the case it was worked with (kept with its
    "resolved" event), not the clean slate the bot started the conversation again from."""
    resolved = await session.scalar(
        select(TicketEvent.payload)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "resolved")
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    context = dict((resolved or {}).get("context") or {})
    state = dict(conversation.state or {})
    details = context.pop("known", None) or {}
    state.update(context)
    state["known"] = {**(state.get("known") or {}), **details}
    return state


async def _let_go(session: AsyncSession) -> None:
    """SQLite: end the transaction before Telegram may make us wait (a flood limit), since
    its write lock is the whole database's and every other customer's turn would wait. On
    PostgreSQL a row lock holds only this ticket, and keeps one topic per ticket across
    processes."""
    if session.get_bind().dialect.name == "sqlite":
        await session.commit()


# topics one ticket may get within LOST_TOPICS_WINDOW: when Telegram loses each as it is
# filled ('message thread not found', a topic deleted at once), no more are made until
# then; the customer's messages are kept, and copied by the timers once a topic holds
LOST_TOPICS = 3
LOST_TOPICS_WINDOW = timedelta(hours=1)


class TopicLost(Exception):
    """The ticket's topic is gone while this task holds the ticket's topic lock (its card
    being sent, its photos copied under the card): another topic is made by that task,
    under the lock it holds, not by taking the lock again (it would wait for itself for
    ever)."""


class TopicsLost(TelegramBadRequest):
    """The ticket got ``LOST_TOPICS`` topics within ``LOST_TOPICS_WINDOW``, and Telegram
    lost them: no other is made until then. A Telegram failure to its callers, who leave
    what it was for to the timers."""

    def __init__(self, ticket_id: int, method: CreateForumTopic) -> None:
        super().__init__(
            method,
            f"{LOST_TOPICS} topics of ticket {ticket_id} lost within {LOST_TOPICS_WINDOW}: "
            "no other made until then",
        )


ALBUM_QUIET = 1.5  # seconds after an album's last item: the album is complete
# seconds between two edits of a card for what only its transcript or feedback shows (a
# customer's message, an operator's later reply, a rating): the edits coalesce, one at most
CARD_REDRAW_EVERY = 3.0
# seconds a card left to the last of a customer's burst of messages waits for it at most
CARD_OWED_WAIT = 30.0


class Turns(Counter[int]):
    """The customers' updates being handled or waiting their turn (chat id -> how many),
    counted by the dispatcher's lock of a chat (``bot.app.QueuedIsolation``). Whoever
    waits for a chat's burst to end is woken as its last update is handled."""

    def __init__(self) -> None:
        super().__init__()
        self._quiet: dict[int, asyncio.Event] = {}  # chat id -> set once it has none

    @contextlib.contextmanager
    def turn(self, chat: int) -> Iterator[None]:
        """One of the chat's updates, from its arrival until it is handled."""
        self[chat] += 1
        try:
            yield
        finally:
            self[chat] -= 1
            if self[chat] <= 0:
                del self[chat]
                if (quiet := self._quiet.pop(chat, None)) is not None:
                    quiet.set()

    async def quiet(self, chat: int) -> None:
        """Until none of the chat's updates is handled or waiting."""
        if self[chat] > 0:
            await self._quiet.setdefault(chat, asyncio.Event()).wait()


class _Drawing:
    """A ticket's card as drawn in Telegram: the edits go one at a time, and an edit
    rendered before the one last made is not made (it would put an older card back)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.drawn = -1  # the render (its number) the card shows


_RENDERS = itertools.count()  # the renders of cards, numbered in the order they read


@dataclass
class _Album:
    """An album being gathered, item by item, to be sent as one."""

    flush: Callable[[list[Any]], Awaitable[None]]
    items: list[Any] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


async def tell_admins(
    bot: Bot,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession] | None,
    say: Callable[[Texts], tuple[str, InlineKeyboardMarkup | None]],
    what: str,
    seen: Mapping[int, str],
) -> None:
    """Each admin told ``say(texts)`` (a text and its buttons) in private, in their language
    (as last seen writing to this bot, ``seen``; else the one they write to it in as a
    customer; else the operators', OPERATORS_LANGUAGE); ``what`` names it in the log when
    one cannot be told."""
    for admin in settings.admin_ids:
        lang = seen.get(admin) or await stored_language(sessionmaker, admin)
        text, markup = say(Texts(lang or settings.operators_language))
        try:
            await with_retry(
                lambda admin=admin, text=text, markup=markup: bot.send_message(
                    admin, text, reply_markup=markup
                )
            )
        except TelegramAPIError as exc:
            log.warning("admin %s not told %s: %s", admin, what, exc)


async def stored_language(
    sessionmaker: async_sessionmaker[AsyncSession] | None, user_id: int
) -> str | None:
    """The language the bot knows a person by (one who wrote to it as a customer)."""
    if sessionmaker is None:
        return None
    try:
        async with sessionmaker() as session:
            return await session.scalar(
                select(Customer.language)
                .where(Customer.channel == "telegram", Customer.external_id == str(user_id))
                .limit(1)
            )
    except Exception:  # a language is a nicety: the message goes in English
        log.warning("language of %s not read", user_id, exc_info=True)
        return None


class OperatorDesk:
    """Everything the bot does in the operators' group."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        *,
        seen_langs: Mapping[int, str] | None = None,
    ) -> None:
        self.settings = settings
        # the admins' languages as last seen (``Services.seen_langs``): they are told in them
        self.seen_langs = seen_langs if seen_langs is not None else {}
        self.chat_id = settings.require_operators_chat()
        self.texts = operator_texts(settings)  # what the operators read, in their language
        # a ticket's topic being made (ticket id -> lock): one topic, whoever asks for it
        self._making: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        # each ticket's card being redrawn (kept while a redraw of it is on its way)
        self._drawing: weakref.WeakValueDictionary[int, _Drawing] = weakref.WeakValueDictionary()
        # the cards to bring up to date soon (ticket id -> its redraw waiting), and when each
        # card was last edited (the event loop's clock)
        self._redraws: dict[int, asyncio.Task[None]] = {}
        self._redrawing: set[asyncio.Task[None]] = set()  # those waiting or drawing
        self._edited: dict[int, float] = {}
        # the customers' updates being handled or waiting their turn (the dispatcher's
        # ``QueuedIsolation.turns``), and the tickets whose card a turn left to the
        # customer's next one (ticket id -> the customer's chat): details given in a burst
        # of messages make one edit
        self.turns = Turns()
        self._owed: dict[int, int] = {}
        # the task holding each ticket's lock (ticket id -> task): a topic lost under it
        # is made again by that task, which holds the lock already
        self._holders: dict[int, asyncio.Task[Any] | None] = {}
        # the albums being gathered (a customer's, an operator's: key -> its items so far),
        # each sent once no item has come for ``ALBUM_QUIET`` seconds
        self.sessionmaker = sessionmaker
        self._albums: dict[tuple[Any, ...], _Album] = {}
        self._album_tasks: set[asyncio.Task[None]] = set()
        # operators' names as Telegram last gave them: said when it cannot be asked
        self._names: dict[int, str] = {}
        self._short: dict[int, str] = {}  # and as a transcript says them ("Olga")
        # those Telegram said, when last asked, are out of the operators' group
        self._left: set[int] = set()
        self._muted: set[int] = set()  # of those, still in the group but may not write
        # Telegram's words when it refused the bot the operators' group (403: removed from
        # it, or no longer allowed): logged once, as the misconfiguration it is, until
        # Telegram answers about the group again (None: not refused). This desk's own: two
        # shops' bots in one process have two groups
        self.refused: str | None = None
        # who is told in private when the group first refuses the bot (called with
        # Telegram's words): the admins, who can add it back
        self._on_refused: Callable[[str], None] | None = None
        self._telling: set[asyncio.Task[None]] = set()  # the admins being told

    def watch_group(self, bot: Bot | None) -> None:
        """From now on (``None``: no more), the admins are told in private, once per outage,
        when the operators' group refuses the bot: the log alone reaches nobody who can
        add it back."""
        if bot is None:
            self._on_refused = None
            return

        def refused(said: str) -> None:
            try:
                task = asyncio.get_running_loop().create_task(
                    self._tell_admins(bot, said), name="group refused"
                )
            except RuntimeError:  # no loop (a script): the log says it
                return
            self._telling.add(task)
            task.add_done_callback(self._telling.discard)

        self._on_refused = refused

    def group_refused(self, exc: Exception) -> None:
        """Telegram answered 403 about the operators' group: the bot is not in it (removed,
        or the group was recreated) or may not do this there. An error in the log, once."""
        said = str(exc).removeprefix("Telegram server says - ")
        if self.refused is not None:
            log.info("operators' group %s still refused: %s", self.chat_id, said)
            return
        self.refused = said
        log.error(
            "Telegram does not let the bot into the operators' group %s (%s): the bot was "
            "removed from the group or is no longer an admin there. Add it back as an admin "
            "that can manage topics and pin messages: until then customers handed to a person "
            "get no topic (their messages are kept and copied there once it can) and operators "
            "cannot be checked",
            self.chat_id,
            said,
        )
        if self._on_refused is not None:
            self._on_refused(said)

    def group_answered(self) -> None:
        """Telegram answered about the operators' group: a later refusal is logged again."""
        if self.refused is not None:
            self.refused = None
            log.warning("the bot can reach the operators' group %s again", self.chat_id)

    def operators_side_failed(self, exc: Exception, what: str, *args: Any) -> None:
        """Log what Telegram failed to do in the operators' group (kept for the timers to do
        later): the group refusing the bot is the misconfiguration, said once, not a
        traceback for every customer's message meanwhile."""
        if refused_by_group(exc):
            self.group_refused(exc)
        elif isinstance(exc, TopicsLost):  # said when it began: no traceback at every try
            log.info(what + ": %s", *args, exc)
        else:
            log.warning(what, *args, exc_info=exc)

    async def _tell_admins(self, bot: Bot, said: str) -> None:
        """Each admin, in private: the bot is out of the operators' group, and how to bring
        it back."""
        await tell_admins(
            bot,
            self.settings,
            self.sessionmaker,
            lambda texts: (texts("admin_bot_out_of_group", said=said), None),
            "the bot is out of the operators' group",
            self.seen_langs,
        )

    # ------------------------------------------------------------------ topics & cards
    async def ensure_topic(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, *, lost: int | None = None
    ) -> int:
        """The ticket's topic, made if it has none; ``lost``: the topic Telegram said is gone
        ('message thread not found'), replaced unless another task has replaced it already
        (two of the customer's messages, or a message and the timers, finding it gone at
        once: one loss, one new topic)."""
        if ticket.topic_id is not None and lost is None:
            return ticket.topic_id
        # No transaction is held while Telegram makes us wait (a flood limit on making
        # topics): on SQLite it would lock every other customer's turn out of the database.
        await _let_go(session)
        async with self._held(ticket.id):
            return await self._make_topic(bot, session, ticket, lost=lost)

    @contextlib.asynccontextmanager
    async def _held(self, ticket_id: int) -> AsyncIterator[None]:
        """The ticket's topic lock, held by this task (known as its holder meanwhile)."""
        async with self._lock(ticket_id):
            self._holders[ticket_id] = asyncio.current_task()
            try:
                yield
            finally:
                self._holders.pop(ticket_id, None)

    def _lock(self, ticket_id: int) -> asyncio.Lock:
        """The lock of a ticket's topic and card being made (one, whoever asks for it)."""
        lock = self._making.get(ticket_id)
        if lock is None:
            lock = self._making[ticket_id] = asyncio.Lock()
        return lock

    async def ensure_card(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> bool:
        """Post the card of a topic that has none (Telegram failed right after making the
        topic), with the media copied under it; return whether it was posted."""
        await _let_go(session)
        async with self._held(ticket.id):
            await session.refresh(ticket)
            if ticket.topic_id is None or ticket.card_message_id is not None:
                return False
            try:
                await self.post_card(bot, session, ticket)
                await session.commit()
                await self.relay_earlier_media(bot, session, ticket)
            except TopicLost:
                log.warning("topic of ticket %s lost under its card: making another", ticket.id)
                await self._make_topic(bot, session, ticket, lost=ticket.topic_id)
            return True

    async def _make_topic(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, *, lost: int | None
    ) -> int:
        # Another task (a turn's hook, the SLA timer, another process such as the Rasa
        # action server) may have made the topic, or replaced the lost one, while this one
        # waited: use it (on PostgreSQL, after its row lock; the lock per ticket serves
        # this process)
        await session.refresh(ticket, with_for_update=True)
        if ticket.topic_id is not None and ticket.topic_id != lost:
            return ticket.topic_id
        lost = False
        while await self._topics_made_lately(session, ticket) < LOST_TOPICS:
            try:
                await self._new_topic(bot, session, ticket)
                await self.relay_earlier_media(bot, session, ticket)
            except TopicLost:
                # deleted as it was being filled: another one, the card and photos in it
                log.warning("topic of ticket %s lost as it was filled: making another", ticket.id)
                lost = True
                continue
            assert ticket.topic_id is not None
            return ticket.topic_id
        # said once, when the last one is lost; each later try is one line of the caller's
        (log.error if lost else log.debug)(
            "ticket %s: %s topics lost within %s ('message thread not found'): no other is "
            "made until then; its messages are kept and copied once a topic holds",
            ticket.id,
            LOST_TOPICS,
            LOST_TOPICS_WINDOW,
        )
        raise TopicsLost(ticket.id, CreateForumTopic(chat_id=self.chat_id, name=str(ticket.id)))

    async def _topics_made_lately(self, session: AsyncSession, ticket: Ticket) -> int:
        """How many topics the ticket got within ``LOST_TOPICS_WINDOW``."""
        made = await session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.kind == "topic_created",
                TicketEvent.created_at > utcnow() - LOST_TOPICS_WINDOW,
            )
        )
        return made or 0

    async def _new_topic(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> None:
        """A new topic for the ticket, its card posted (the caller holds the ticket's lock)."""
        customer = await session.get(Customer, ticket.customer_id)
        conversation = await session.get(Conversation, ticket.conversation_id)
        assert customer is not None and conversation is not None
        ctype = ticket_case_type(conversation.state or {}, ticket)
        await _let_go(session)
        topic = await with_retry(
            lambda: bot.create_forum_topic(
                self.chat_id,
                name=topic_title(ticket, customer, ctype, self.texts),
                icon_color=COLOR_HIGH if ticket.priority == "high" else COLOR_NORMAL,
            )
        )
        self.group_answered()
        old = ticket.topic_id
        ticket.topic_id = topic.message_thread_id
        ticket.card_message_id = None
        await add_event(session, ticket, "topic_created", topic_id=ticket.topic_id, replaced=old)
        # linked before anything appears in the topic: an operator who answers as soon as
        # the card shows up (while it is pinned, seniors alerted) must find the ticket
        await session.commit()
        await self.post_card(bot, session, ticket)
        await session.commit()

    async def relay_earlier_media(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, *, since: datetime | None = None
    ) -> None:
        """The photos, files and voice messages the customer sent the bot before the hand-off
        (the card counts them): copied under the card, so the operator sees them without
        asking again. One Telegram fails to copy is copied by the timers (``relay_missed``).
        Only the ticket's case's: not those of a case closed before (by the bot, or with
        an earlier ticket). ``since``: sent after then (a reopened ticket's resolution)."""
        conversation = await session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        if since is None:
            since = await case_started(session, ticket, conversation.state or {})
        rows = (
            await session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == ticket.conversation_id,
                    Message.direction == "in",
                    Message.relay_message_id.is_(None),
                    Message.tg_message_id.is_not(None),
                    *([Message.created_at > since] if since is not None else []),
                )
                .order_by(Message.id.desc())
                .limit(50)
            )
        ).all()
        media = [
            row
            for row in reversed(rows)
            if any(a.get("kind") in EVIDENCE for a in row.attachments or [])
        ][-MAX_EARLIER_MEDIA:]
        if not media:
            return
        for row in media:
            row.relay_chat_id = self.chat_id
        await session.commit()
        try:
            await self._relay_groups(bot, session, ticket, media)
        except TopicLost:
            # those copied into the topic that is gone are copied again into the next one
            await session.execute(
                update(Message)
                .where(Message.id.in_([r.id for r in media]))
                .values(relay_message_id=None)
            )
            await session.commit()
            raise

    async def _relay_groups(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, media: list[Message]
    ) -> None:
        for group in albums_of(media):
            try:
                if len(group) > 1 and self.sessionmaker is not None:
                    # an album the customer sent: copied as one album, as it came
                    ids = claim(session, [r.id for r in group])
                    if ids:
                        chat = group[0].tg_chat_id
                        assert chat is not None
                        await self._copy_album(bot, ticket.id, chat, ids)
                else:
                    for row in group:
                        await self.relay_customer_message(bot, session, ticket, row, edited=False)
            except TelegramAPIError as exc:
                self.operators_side_failed(
                    exc, "customer's file %s not copied to its topic yet", group[0].id
                )
            await session.commit()

    async def post_card(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> None:
        assignee = await self._assignee(bot, session, ticket)
        authors = await self._authors(bot, session, ticket)
        card = await render_card(session, self.settings, ticket, assignee=assignee, authors=authors)
        assert ticket.topic_id is not None
        text = card.text if card.needs_file else card.full
        await _let_go(session)  # no lock held while Telegram makes us wait
        try:
            sent = await with_retry(
                lambda: bot.send_message(
                    self.chat_id,
                    split_text(text, 4000)[0],
                    message_thread_id=ticket.topic_id,
                    reply_markup=card_keyboard(ticket, self.texts),
                )
            )
            ticket.card_message_id = sent.message_id
            await session.commit()  # an operator who acts as soon as the card shows finds it
            if card.needs_file:
                await self._send_transcript(bot, session, ticket, card)
        except TelegramBadRequest as exc:
            if thread_lost(exc):  # the caller holds the ticket's lock: it makes another
                raise TopicLost(ticket.id) from exc
            raise
        try:
            await bot.pin_chat_message(self.chat_id, sent.message_id, disable_notification=True)
        except TelegramBadRequest as exc:
            log.warning("could not pin the card of ticket %s: %s", ticket.id, exc)
        if ticket.priority == "high":
            await self._alert_seniors(bot, ticket, card)

    async def _send_transcript(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, card: Card
    ) -> None:
        data = card.full.encode("utf-8")
        await with_retry(
            lambda: bot.send_document(
                self.chat_id,
                BufferedInputFile(data, filename=f"ticket-{ticket.id}-transcript.txt"),
                message_thread_id=ticket.topic_id,
                caption=self.texts("op_transcript_caption"),
            )
        )
        await add_event(session, ticket, "transcript_file", topic_id=ticket.topic_id)

    async def _transcript_file_sent(self, session: AsyncSession, ticket: Ticket) -> bool:
        """Whether the ticket's topic has its transcript as a file."""
        sent = (
            await session.scalars(
                select(TicketEvent.payload).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "transcript_file"
                )
            )
        ).all()
        return any((p or {}).get("topic_id") == ticket.topic_id for p in sent)

    async def _alert_seniors(self, bot: Bot, ticket: Ticket, card: Card) -> None:
        note = self.texts("op_alert_high", id=ticket.id, summary=card.summary)
        try:
            await with_retry(
                lambda: bot.send_message(self.chat_id, note, message_thread_id=ticket.topic_id)
            )
        except TelegramAPIError as exc:
            # the card says HIGH already: the note failing stops neither the seniors' alerts
            # nor what follows the card (the customer's photos copied under it)
            log.warning("high-priority note of ticket %s not sent: %s", ticket.id, exc)
        private = f"{note}\n{self.topic_link(ticket)}".strip()
        for senior in self.settings.senior_operator_ids:
            try:
                await bot.send_message(senior, private)
            except TelegramAPIError as exc:
                log.info("could not alert senior %s: %s", senior, exc)

    async def refresh_card(
        self,
        bot: Bot,
        session: AsyncSession,
        ticket: Ticket,
        *,
        state: dict[str, Any] | None = None,
        ask_names: bool = True,
    ) -> bool:
        """Update the pinned card and the topic title after a change (``state``: the
        conversation's state to show; by default the current one, or a resolved ticket's
        case; ``ask_names`` False: a change that leaves who has the ticket as it was, such
        as a note, draws the name Telegram gave last, if it gave one, without asking again). Return False when Telegram failed to take it (5xx, a network error, longer
        than the retries): the change stands, and the ticket is marked (``card_stale_at``,
        committed with the change) for the timers' next pass to redraw, after a restart
        too."""
        if ticket.topic_id is None:
            return True
        try:
            await self._redraw(bot, session, ticket, state, ask_names)
        except TelegramAPIError as exc:  # not a refusal of this card (those are handled)
            log.warning("card of ticket %s not updated, redrawn later: %s", ticket.id, exc)
            ticket.card_stale_at = utcnow()
            return False
        ticket.card_stale_at = None
        return True

    async def _redraw(
        self,
        bot: Bot,
        session: AsyncSession,
        ticket: Ticket,
        state: dict[str, Any] | None,
        ask_names: bool = True,
    ) -> None:
        """Draw the card and the topic's name from the ticket, customer and conversation as
        the database has them now (this session's changes included), not as this session
        read them before: an operator's reply that waited on Telegram while the customer
        unblocked the bot must not put 'they blocked the bot' back on the card. Redraws of
        one ticket reach Telegram in the order they read, so the card ends as the last
        read saw it; this session's change is committed before this redraw takes its
        place in that order, so a redraw after it, in another session, sees it (on
        PostgreSQL another session reads only what is committed: a flag flushed, not yet
        committed, such as a customer's block, was drawn over by a colleague's redraw)."""
        drawing = self._drawing.get(ticket.id)
        if drawing is None:
            drawing = self._drawing[ticket.id] = _Drawing()
        await session.commit()
        render = next(_RENDERS)
        await session.refresh(ticket)
        customer = await session.get(Customer, ticket.customer_id, populate_existing=True)
        conversation = await session.get(
            Conversation, ticket.conversation_id, populate_existing=True
        )
        assert customer is not None and conversation is not None
        if state is None and ticket.status == "resolved":
            state = await resolved_state(session, ticket, conversation)
        known = self._names.get(ticket.assignee_id or 0)
        if ask_names or known is None:
            assignee = await self._assignee(bot, session, ticket)
        else:
            assignee = known
        authors = await self._authors(bot, session, ticket)
        card = await render_card(
            session, self.settings, ticket, assignee=assignee, state=state, authors=authors
        )
        text = card.text if card.needs_file else card.full
        # named after the case shown (a resolved ticket's, not the bot's clean slate)
        ctype = ticket_case_type(state if state is not None else conversation.state or {}, ticket)
        title = topic_title(ticket, customer, ctype, self.texts)
        keyboard = card_keyboard(ticket, self.texts)
        await _let_go(session)  # no lock held while Telegram makes us wait
        if ticket.card_message_id is None:
            # posted since this ticket was read (an operator acting as the card showed up)
            await session.refresh(ticket, ["card_message_id"])
            await session.commit()
        async with drawing.lock:  # only Telegram's calls: no database lock is waited on
            if drawing.drawn > render:
                return  # a card read later is in Telegram already (its transcript too)
            await self._edit_card(bot, ticket, text, keyboard, title)
            drawing.drawn = render
        if card.needs_file and not await self._transcript_file_sent(session, ticket):
            # the card grew too long to carry the transcript it was posted with: without the
            # file, what the customer told the bot before the hand-off would be gone
            try:
                await self._send_transcript(bot, session, ticket, card)
            except TelegramBadRequest as exc:
                log.warning("transcript of ticket %s not sent: %s", ticket.id, exc)

    async def _edit_card(
        self, bot: Bot, ticket: Ticket, text: str, keyboard: InlineKeyboardMarkup, title: str
    ) -> None:
        """Put the card's text and the topic's name in Telegram."""
        self._edited[ticket.id] = asyncio.get_running_loop().time()
        try:
            if ticket.card_message_id is not None:
                await with_retry(
                    lambda: bot.edit_message_text(
                        split_text(text, 4000)[0],
                        chat_id=self.chat_id,
                        message_id=ticket.card_message_id,
                        reply_markup=keyboard,
                    )
                )
        except TelegramBadRequest as exc:
            if "not modified" not in str(exc):
                log.warning("card of ticket %s not updated: %s", ticket.id, exc)
        try:
            await with_retry(
                lambda: bot.edit_forum_topic(self.chat_id, ticket.topic_id, name=title)
            )
        except TelegramBadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("topic of ticket %s not renamed: %s", ticket.id, exc)

    async def redraw_stale_cards(self, bot: Bot, session: AsyncSession) -> int:
        """Redraw the cards Telegram failed to update (``card_stale_at``, kept in the
        database: after a restart too); return how many are up to date now."""
        stale = (
            await session.scalars(
                select(Ticket)
                .where(Ticket.card_stale_at.is_not(None))
                .order_by(Ticket.card_stale_at)
                .limit(50)
            )
        ).all()
        redrawn = 0
        for ticket in stale:
            redrawn += await self.refresh_card(bot, session, ticket)  # marks it again if not
            await session.commit()
        return redrawn

    def redraw_soon(self, bot: Bot, ticket_id: int) -> None:
        """Bring the ticket's card up to date in a moment, for what it shows that changed
        with no other redraw (a customer's message or an operator's later reply in the
        transcript, the customer's rating): the card read only what came before the take
        and the first answer. Changes coming together make one edit, and a card is edited
        for them at most once every ``CARD_REDRAW_EVERY`` seconds."""
        if self.sessionmaker is None or ticket_id in self._redraws:
            return  # (one on its way reads the database as it is when it draws)
        task = asyncio.create_task(self._redraw_later(bot, ticket_id), name="card")
        self._redraws[ticket_id] = task
        self._redrawing.add(task)
        task.add_done_callback(self._redrawing.discard)

    def _cancel_redraw(self, ticket_id: int) -> bool:
        """A redraw of the card waiting its moment is not needed: one is drawn now (a
        waiting one has read nothing yet: it reads once its moment comes). Whether one
        was waiting (what it was for, the drawing one is to read anew)."""
        task = self._redraws.pop(ticket_id, None)
        if task is not None:
            task.cancel()
        return task is not None

    async def _more_coming(self, session: AsyncSession, ticket: Ticket) -> int | None:
        """The ticket's customer's chat when more of their messages wait for their turn
        behind this one (None: this is their last for now)."""
        if all(waiting <= 1 for waiting in self.turns.values()):
            return None  # nobody's message waits behind the one being handled
        # (the turn read its customer: in the session already, not read again)
        customer = await session.get(Customer, ticket.customer_id)
        chat = customer.external_id if customer is not None else ""
        if chat.lstrip("-").isdigit() and self.turns.get(int(chat), 0) > 1:
            return int(chat)
        return None

    async def _redraw_later(self, bot: Bot, ticket_id: int) -> None:
        assert self.sessionmaker is not None
        loop = asyncio.get_running_loop()
        try:
            last = self._edited.get(ticket_id, loop.time() - CARD_REDRAW_EVERY)
            # (at least a moment: what comes with it, a reply and its note, is drawn too)
            await asyncio.sleep(max(last + CARD_REDRAW_EVERY - loop.time(), 0.2))
            # a burst of the customer's details still being handled: its last turn draws
            # the card (and calls this off); drawn here, as the burst ends, only if none
            # comes to it
            if (chat := self._owed.get(ticket_id)) is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(CARD_OWED_WAIT):
                        await self.turns.quiet(chat)
        finally:
            # a change from now on is another redraw's: this one may have read before it
            if self._redraws.get(ticket_id) is asyncio.current_task():
                del self._redraws[ticket_id]
        self._owed.pop(ticket_id, None)  # drawn now, as the database has it
        try:
            async with self.sessionmaker() as session:
                ticket = await session.get(Ticket, ticket_id)
                if ticket is not None:
                    await self.refresh_card(bot, session, ticket, ask_names=False)
                    await session.commit()
        except Exception:  # the card stays as it was: the next change redraws it
            log.exception("card of ticket %s not brought up to date", ticket_id)

    async def stop_redraws(self) -> None:
        """The bot stops: the cards waiting for a redraw are left as they are (the next
        change after the start redraws them)."""
        waiting = list(self._redrawing)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)

    async def operator_left(
        self,
        bot: Bot,
        session: AsyncSession,
        user_id: int,
        name: str | None = None,
        *,
        muted: bool | None = None,
    ) -> int:
        """An operator is known to have left the operators' group (Telegram said so, or was
        asked and said they are no member), or to be in it but restricted from writing
        there (``muted``; None: as Telegram said last): each ticket they held goes back to
        the queue, committed before anything is said, and its topic says so, naming them
        (``name``: as Telegram gave it with the news) and why, under a redrawn card with
        Take on it. The customer is told nothing: they still wait for a person. Return how
        many went back."""
        if muted is None:
            muted = user_id in self._muted
        released = await release_tickets(session, self.settings, user_id, now=utcnow())
        await session.commit()
        if not released:
            return 0
        who = name or await self.operator_name(bot, user_id)
        why = "op_operator_restricted" if muted else "op_operator_left"
        for ticket in released:
            log.info(
                "ticket %s back in the queue: operator %s %s",
                ticket.id,
                user_id,
                "may not write in the group" if muted else "left the group",
            )
            try:
                await self.refresh_card(bot, session, ticket)
                said = self.texts(why, who=who, id=ticket.id)
                await self.tell_topic(bot, session, ticket, said)
            except TelegramAPIError as exc:
                self.operators_side_failed(exc, "topic of ticket %s not told it is back", ticket.id)
            await session.commit()
        return len(released)

    async def in_group(self, bot: Bot, user_id: int) -> bool:
        """Whether an operator is still in the operators' group (True when Telegram does
        not say, or cannot now: a reminder then asks them, as before)."""
        try:
            member = await self.member(bot, user_id)
        except (TelegramBadRequest, GroupUnanswered):
            return True
        return works_here(member)

    async def member(self, bot: Bot, user_id: int) -> Any:
        """Telegram's getChatMember of the operators' group: the one place its errors are
        sorted. Raises TelegramBadRequest for a user it does not know (no member), and
        ``GroupUnanswered`` when Telegram cannot say now or will not (a 403 is logged once
        as the bot missing from the group): any other error too, which is no answer, so
        never read as someone being a member."""
        try:
            member: Any = await bot.get_chat_member(self.chat_id, user_id)
        except TelegramBadRequest:
            raise
        except TelegramForbiddenError as exc:
            self.group_refused(exc)
            raise GroupUnanswered(exc) from exc
        except TelegramAPIError as exc:
            log.warning("Telegram did not say who %s is in the operators' group: %s", user_id, exc)
            raise GroupUnanswered(exc) from exc
        self.group_answered()
        if works_here(member):
            self._left.discard(user_id)
            self._muted.discard(user_id)
        else:
            self._left.add(user_id)
            if member.status == "restricted" and getattr(member, "is_member", False):
                self._muted.add(user_id)
            else:
                self._muted.discard(user_id)
        user = member.user
        self._names[user_id] = f"{user.full_name}" + (
            f" (@{user.username})" if user.username else ""
        )
        self._short[user_id] = user.first_name or (f"@{user.username}" if user.username else "")
        return member

    def met(self) -> set[int]:
        """Those Telegram was asked about in the operators' group since the bot started
        (operators, and anyone who posted or pressed there)."""
        return set(self._names)

    def has_left(self, user_id: int) -> bool:
        """Whether Telegram, last asked about ``user_id``, said they are out of the
        operators' group (left, or removed) or may not write there."""
        return user_id in self._left

    def topic_link(self, ticket: Ticket) -> str:
        """The ticket's topic as a link for a private chat ('https://t.me/c/123/45'): a
        senior alerted there goes straight to it ('' when it cannot be made)."""
        group = str(self.chat_id)
        if not group.startswith("-100") or ticket.topic_id is None:
            return ""
        return f"https://t.me/c/{group.removeprefix('-100')}/{ticket.topic_id}"

    async def _assignee(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> str | None:
        """The name of who has the ticket, asked of Telegram with no SQLite lock held."""
        if ticket.assignee_id is None:
            return None
        await _let_go(session)
        return await self.operator_name(bot, ticket.assignee_id)

    async def _authors(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> dict[int, str]:
        """The first names ('Olga', or '@olga_support') of the operators who replied or
        noted in the ticket's chat, for its card's transcript; Telegram is asked only of
        those it has not named since the bot started (one it cannot name now: "Operator:"
        as it was)."""
        ids = set(
            (
                await session.scalars(
                    select(Message.author_id).where(
                        Message.conversation_id == ticket.conversation_id,
                        Message.direction.in_(("operator", "note")),
                        Message.author_id.is_not(None),
                    )
                )
            ).all()
        )
        unknown = [i for i in ids if i is not None and i not in self._short]
        if unknown:
            await _let_go(session)
            for user_id in unknown:
                await self.operator_name(bot, user_id)
        return {i: self._short[i] for i in ids if i is not None and self._short.get(i)}

    async def operator_name(self, bot: Bot, user_id: int) -> str:
        """'Olga Ivanova (@olga_support)' as the operators' group knows them; the id if
        Telegram does not say (they left the group); while Telegram cannot be asked, the
        name it gave last (the id if it never did)."""
        try:
            await self.member(bot, user_id)
        except (TelegramBadRequest, GroupUnanswered):
            pass
        return self._names.get(user_id, str(user_id))

    # ------------------------------------------------------------------ relaying
    async def to_topic(self, bot: Bot, session: AsyncSession, ticket: Ticket, send: Any) -> Any:
        """Call ``send(thread_id)``; if the topic is gone, make a new one and retry once."""
        thread = await self.ensure_topic(bot, session, ticket)
        await _let_go(session)  # no lock held while Telegram makes us wait
        try:
            return await with_retry(lambda: send(thread))
        except TelegramBadRequest as exc:
            if not thread_lost(exc):
                raise
            if self._holders.get(ticket.id) is asyncio.current_task():
                raise TopicLost(ticket.id) from exc  # made again by this task, lock held
            log.warning("topic of ticket %s is gone (%s): creating a new one", ticket.id, exc)
            thread = await self.ensure_topic(bot, session, ticket, lost=thread)
            return await with_retry(lambda: send(thread))

    async def relay_customer_message(
        self,
        bot: Bot,
        session: AsyncSession,
        ticket: Ticket,
        row: Message,
        *,
        edited: bool,
        album: str | None = None,
    ) -> None:
        """Copy the customer's message to the ticket's topic (``album``: the media group it
        is an item of; the items are gathered and copied together, one album)."""
        if edited:
            # the note can make a message of the longest length too long: then in parts
            parts = split_text(self.texts("op_customer_edited", text=row.text or ""))
            reply_to = row.relay_message_id
            notices = []
            for part in parts:

                async def send_edit(thread: int, part: str = part) -> Any:
                    return await bot.send_message(
                        self.chat_id,
                        part,
                        message_thread_id=thread,
                        reply_to_message_id=reply_to,
                        allow_sending_without_reply=True,
                    )

                notices.append((await self.to_topic(bot, session, ticket, send_edit)).message_id)
            # an operator's reply to the notice answers the message edited: it quotes it
            # for the customer, as a reply to the message's copy does (``edit_notices``)
            row.attachments = [
                *(row.attachments or []),
                {"kind": "edit", "notice": notices, "chat": self.chat_id},
            ]
            return
        if row.tg_chat_id is None or row.tg_message_id is None:
            await self._relay_press(bot, session, ticket, row)
            return
        # where it goes; its relay_message_id once it is there: a copy Telegram failed to
        # make (an outage longer than the retries) is made by the timers (``relay_missed``)
        row.relay_chat_id = self.chat_id
        if not claim(session, [row.id]):
            return  # being copied right now (a turn waiting out a flood limit)
        if album is not None and self.sessionmaker is not None:
            # copied with the album's other items, once they have come (released then)
            chat, ticket_id = row.tg_chat_id, ticket.id

            async def copy_album(row_ids: list[int]) -> None:
                await self._copy_album(bot, ticket_id, chat, row_ids)

            self.gather(("customer", chat, album), row.id, copy_album)
            return

        async def copy(thread: int) -> Any:
            try:
                return await bot.copy_message(
                    self.chat_id, row.tg_chat_id, row.tg_message_id, message_thread_id=thread
                )
            except TelegramBadRequest as exc:
                if thread_lost(exc):
                    raise
                # a message Telegram will not copy (deleted meanwhile, a kind it cannot
                # copy): the topic reads what it was
                log.info("customer's message %s not copied: %s", row.id, exc)
                [line] = transcript_lines([row], self.settings.tz, self.texts)
                return await bot.send_message(
                    self.chat_id,
                    split_text(self.texts("op_not_copied", line=line))[0],
                    message_thread_id=thread,
                )

        try:
            sent = await self.to_topic(bot, session, ticket, copy)
        finally:
            release(session, row.id)
        row.relay_message_id = sent.message_id

    def gather(
        self, key: tuple[Any, ...], item: Any, flush: Callable[[list[Any]], Awaitable[None]]
    ) -> None:
        """An album's item (Telegram sends an album as one message each): kept with the
        album's others, and ``flush(items)`` called once, ``ALBUM_QUIET`` seconds after
        the last one came (or when the bot stops)."""
        album = self._albums.get(key)
        if album is None:
            album = self._albums[key] = _Album(flush)
        elif album.task is not None:
            album.task.cancel()  # another item: the album waits for the next one
        album.items.append(item)
        album.task = asyncio.create_task(self._album_later(key), name="album")
        self._album_tasks.add(album.task)
        album.task.add_done_callback(self._album_tasks.discard)

    async def _album_later(self, key: tuple[Any, ...]) -> None:
        await asyncio.sleep(ALBUM_QUIET)
        await self._flush_album(key)

    async def _flush_album(self, key: tuple[Any, ...]) -> None:
        album = self._albums.pop(key, None)
        if album is None:
            return
        try:
            await album.flush(album.items)
        except Exception:  # what was not sent is sent by the outbox, copied by the timers
            log.exception("album %s not sent", key)

    async def finish_albums(self) -> None:
        """The bot stops: the albums being gathered are sent now, and those being sent
        are waited for."""
        for key in list(self._albums):
            album = self._albums.get(key)
            if album is not None and album.task is not None:
                album.task.cancel()  # still waiting for another item: sent now
            await self._flush_album(key)
        busy = [t for t in self._album_tasks if not t.done()]
        await asyncio.gather(*busy, return_exceptions=True)

    async def _copy_album(self, bot: Bot, ticket_id: int, chat: int, row_ids: list[int]) -> None:
        """Copy a customer's album to their ticket's topic as one album (copyMessages keeps
        the grouping and the captions); an item Telegram will not copy is copied alone,
        and an album Telegram failed to take is copied by the timers (``relay_missed``)."""
        assert self.sessionmaker is not None
        async with self.sessionmaker() as session:
            try:
                ticket = await session.get(Ticket, ticket_id)
                rows = (
                    await session.scalars(
                        select(Message)
                        .where(Message.id.in_(row_ids), Message.relay_message_id.is_(None))
                        .order_by(Message.tg_message_id)
                    )
                ).all()
                if ticket is None or not rows:
                    return
                ids = [r.tg_message_id for r in rows if r.tg_message_id is not None]

                async def copy(thread: int) -> Any:
                    return await bot.copy_messages(
                        self.chat_id, chat, ids, message_thread_id=thread
                    )

                try:
                    sent = await self.to_topic(bot, session, ticket, copy)
                except TelegramBadRequest as exc:
                    log.info("album of ticket %s not copied as one: %s", ticket.id, exc)
                    sent = None
                if sent and len(sent) < len(rows):
                    # an item gone meanwhile (deleted by the customer): Telegram skips it
                    # without saying which, so no copy could be linked to its own message
                    # (an operator's reply to one would quote another); the album is taken
                    # back and each item copied alone (the one gone is said in the topic)
                    log.info(
                        "album of ticket %s: %s of %s copied; copied one by one",
                        ticket.id,
                        len(sent),
                        len(rows),
                    )
                    copies = [m.message_id for m in sent]
                    try:
                        await with_retry(lambda: bot.delete_messages(self.chat_id, copies))
                    except TelegramAPIError as exc:
                        # it stays (the bot may not delete messages there): copied again
                        # alone, each photo would show twice; the topic says it is partial
                        log.warning("album copy of ticket %s not taken back: %s", ticket.id, exc)
                        await self._album_in_part(bot, session, ticket, rows, copies)
                        return
                    sent = None
                if sent:
                    for row, copy_of in zip(rows, sent, strict=False):  # in order, one each
                        row.relay_message_id = copy_of.message_id
                    await session.commit()
                    return
                for row in rows:  # one by one: what can be copied is, the rest said
                    release(session, row.id)
                    await self.relay_customer_message(bot, session, ticket, row, edited=False)
                await session.commit()
            except TelegramAPIError as exc:
                self.operators_side_failed(
                    exc, "album of ticket %s not in its topic yet", ticket_id
                )
            finally:
                for row_id in row_ids:
                    release(session, row_id)

    async def _album_in_part(
        self,
        bot: Bot,
        session: AsyncSession,
        ticket: Ticket,
        rows: Sequence[Message],
        copies: list[int],
    ) -> None:
        """An album Telegram copied in part, the copy left in the topic: under it, a note
        that items are missing. Each of the album's messages is linked to the note (which
        copy is whose is not known: an operator's reply to a photo quotes none, never the
        wrong one), so none is copied again."""
        note = self.texts("op_album_in_part", copied=len(copies), total=len(rows))

        async def send(thread: int) -> Any:
            return await bot.send_message(
                self.chat_id,
                note,
                message_thread_id=thread,
                reply_to_message_id=copies[0],
                allow_sending_without_reply=True,
            )

        try:
            link = (await self.to_topic(bot, session, ticket, send)).message_id
        except TelegramAPIError as exc:
            log.warning("note of ticket %s's partial album not sent: %s", ticket.id, exc)
            link = copies[0]
        for row in rows:
            row.relay_message_id = link
        await session.commit()

    async def _relay_press(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, row: Message
    ) -> None:
        """A button the customer pressed while waiting (the refund of the bot's earlier
        offer): no message Telegram can copy, so the topic is told which."""
        data = next(
            (a.get("name") for a in row.attachments or [] if a.get("kind") == "button"), None
        )
        if not data:
            return
        offers = (
            await session.scalars(
                select(Message.buttons)
                .where(
                    Message.conversation_id == row.conversation_id,
                    Message.direction == "out",
                    Message.buttons.is_not(None),
                    Message.id < row.id,
                )
                .order_by(Message.id.desc())
                .limit(20)
            )
        ).all()
        label = next(
            (
                b.get("text")
                for rows in offers
                for r in rows or []
                for b in r
                if b.get("data") == data
            ),
            data,
        )
        row.relay_chat_id = self.chat_id
        if not claim(session, [row.id]):
            return

        async def send(thread: int) -> Any:
            return await bot.send_message(
                self.chat_id,
                self.texts("op_customer_pressed", label=label),
                message_thread_id=thread,
            )

        try:
            sent = await self.to_topic(bot, session, ticket, send)
        finally:
            release(session, row.id)
        row.relay_message_id = sent.message_id

    async def relay_missed(self, bot: Bot, session: AsyncSession, older_than: datetime) -> int:
        """Copy to their ticket's topic the customers' messages Telegram failed to copy there
        when they came (written up to a day before ``older_than``); return how many."""
        rows = (
            await session.scalars(
                select(Message)
                .where(
                    Message.direction == "in",
                    Message.relay_chat_id == self.chat_id,
                    Message.relay_message_id.is_(None),
                    Message.created_at <= older_than,
                    Message.created_at >= older_than - timedelta(days=1),
                )
                .order_by(Message.id)
                .limit(100)
            )
        ).all()
        relayed = 0
        for row in rows:
            ticket = await _topic_ticket(session, row.conversation_id)
            if ticket is None:
                continue
            try:
                await self.relay_customer_message(bot, session, ticket, row, edited=False)
                relayed += row.relay_message_id is not None
            except TelegramAPIError as exc:
                self.operators_side_failed(
                    exc, "customer's message %s still not in its topic", row.id
                )
            await session.commit()
        return relayed

    async def after_turn(self, bot: Bot, session: AsyncSession, outcome: Outcome) -> None:
        """Hook run after each customer turn: open topics, relay messages."""
        escalations = [e for e in outcome.events if e["type"] in ("escalated", "priority_raised")]
        if not escalations:  # (a comment that reopens the ticket is copied to it as it is)
            await self.rated(bot, session, outcome)
        ticket: Ticket | None = None
        if outcome.ticket_id is not None:
            ticket = await session.get(Ticket, outcome.ticket_id)
        if ticket is None and (outcome.relay_to_operator or escalations):
            ticket = await active_ticket(session, outcome.conversation_id)
        if ticket is None:
            return
        redraw = bool(escalations) or outcome.details_changed or ticket.id in self._owed
        try:
            if escalations and ticket.topic_id is None:
                await self.ensure_topic(bot, session, ticket)
            elif any(e.get("reopened") for e in escalations):
                replied = any(e.get("replied") for e in escalations)
                await self.reopened_by_customer(bot, session, ticket, replied=replied)
                if outcome.incoming_message_id is not None and not outcome.relay_to_operator:
                    # "wait, it's still not here": the words that reopened it, under the
                    # notice (a pressed No has none to show)
                    row = await session.get(Message, outcome.incoming_message_id)
                    kinds = {a.get("kind") for a in (row.attachments or [])} if row else set()
                    shown = row is not None and row.relay_message_id is not None  # a photo
                    if row is not None and row.text and "button" not in kinds and not shown:
                        await self.relay_customer_message(bot, session, ticket, row, edited=False)
            elif not escalations and redraw and (chat := await self._more_coming(session, ticket)):
                # details given while waiting, more of the customer's messages right behind:
                # the last of them redraws the card, once (each redrew it, one edit each);
                # in a moment anyway, should none of them come to it
                self._owed[ticket.id] = chat
                self.redraw_soon(bot, ticket.id)
            elif redraw:
                # the pinned card shows what is known now (details given while waiting too),
                # before the message is copied under it
                self._owed.pop(ticket.id, None)
                if self._cancel_redraw(ticket.id):  # this one draws it all
                    # what the called-off one was for (an operator's reply, a rating) may
                    # be newer than this turn's reads: the card reads the database anew
                    await session.commit()
                    await session.refresh(ticket)
                await self.refresh_card(bot, session, ticket)
                if any(e["type"] == "priority_raised" for e in escalations):
                    card = await render_card(session, self.settings, ticket)
                    await self._alert_seniors(bot, ticket, card)
            if outcome.relay_to_operator and outcome.incoming_message_id is not None:
                row = await session.get(Message, outcome.incoming_message_id)
                if row is not None:
                    edited = any(e["type"] == "edited" for e in outcome.events)
                    await self.relay_customer_message(
                        bot, session, ticket, row, edited=edited, album=outcome.media_group_id
                    )
                await self.unblocked(bot, session, ticket)
                if not redraw:
                    self.redraw_soon(bot, ticket.id)  # the card's transcript has it too
        except TelegramAPIError as exc:
            # the customer's message and the ticket are saved: a topic that could not be
            # made is made by the timers (``ensure_topics``), whose card has the transcript
            self.operators_side_failed(exc, "operators' side of ticket %s failed", ticket.id)
        finally:
            await session.commit()

    async def rated(self, bot: Bot, session: AsyncSession, outcome: Outcome) -> None:
        """The customer's rating of a resolved ticket, and what went wrong after a low one,
        told in its topic: the operator who handled it reads it there (a 2/5 with "Слишком
        долго ждала ответа" was only on the card's transcript and in /report)."""
        from escalation.survey import LOW_CSAT  # the survey imports the dialogue engine

        for event in outcome.events:
            ticket_id = event.get("ticket_id")
            if event["type"] in ("survey_answer", "survey_comment") and ticket_id is not None:
                self.redraw_soon(bot, int(ticket_id))  # the card says the customer's feedback
            if event["type"] == "survey_answer" and event.get("question") == "csat":
                score = int(event.get("score") or 0)
                key = "op_rated_low" if score <= LOW_CSAT else "op_rated"
                said = self.texts(key, id=ticket_id, score=score)
            elif event["type"] == "survey_comment" and outcome.incoming_message_id is not None:
                row = await session.get(Message, outcome.incoming_message_id)
                if row is None or not row.text:
                    continue
                said = split_text(self.texts("op_rated_comment", id=ticket_id, text=row.text))[0]
            else:
                continue
            ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
            if ticket is None or ticket.topic_id is None:
                continue
            try:
                await self.tell_topic(bot, session, ticket, said)
            except TelegramAPIError as exc:
                self.operators_side_failed(exc, "rating of ticket %s not told", ticket.id)

    async def reopened_by_customer(
        self, bot: Bot, session: AsyncSession, ticket: Ticket, *, replied: bool = False
    ) -> None:
        """The customer said a resolved ticket is not solved (``replied``: asked about it in
        a reply to one of its messages): its topic opens again, the card is brought up to
        date, and whoever worked on it is told."""
        assert ticket.topic_id is not None
        await _let_go(session)  # no lock held while Telegram makes us wait
        try:
            await bot.reopen_forum_topic(self.chat_id, ticket.topic_id)
        except TelegramBadRequest as exc:
            log.info("topic of ticket %s not reopened: %s", ticket.id, exc)
        await self.refresh_card(bot, session, ticket)
        who = await self._assignee(bot, session, ticket)
        key = "op_reopened_by_reply" if replied else "op_reopened_by_customer"
        await self.tell_topic(
            bot,
            session,
            ticket,
            self.texts(f"{key}_for", id=ticket.id, who=who)
            if who
            else self.texts(key, id=ticket.id),
        )
        # the photos and files they sent the bot after the resolution (what is still
        # wrong, shown while "was it solved?" was asked): under the notice, not lost
        resolved = await session.scalar(
            select(TicketEvent.created_at)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "resolved")
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
        if resolved is not None:
            await self.relay_earlier_media(bot, session, ticket, since=resolved)

    async def ensure_topics(self, bot: Bot, session: AsyncSession, older_than: datetime) -> int:
        """Make the topics of open tickets that have none, and the cards of topics that have
        none (Telegram failed when they were opened); return how many were made."""
        waiting = (
            await session.scalars(
                select(Ticket).where(
                    Ticket.status.in_(("open", "taken")),
                    Ticket.topic_id.is_(None) | Ticket.card_message_id.is_(None),
                    Ticket.created_at <= older_than,
                )
            )
        ).all()
        made = 0
        for ticket in waiting:
            try:
                if ticket.topic_id is None:
                    await self.ensure_topic(bot, session, ticket)
                    made += 1
                else:
                    made += await self.ensure_card(bot, session, ticket)
            except TelegramAPIError as exc:
                self.operators_side_failed(exc, "still no topic for ticket %s", ticket.id)
            await session.commit()
        return made

    async def tell_topic(self, bot: Bot, session: AsyncSession, ticket: Ticket, text: str) -> None:
        async def send(thread: int) -> Any:
            return await bot.send_message(self.chat_id, text, message_thread_id=thread)

        await self.to_topic(bot, session, ticket, send)

    async def customer_blocked(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> bool:
        """The customer blocked the bot (Telegram said so, or refused a reply): the card and
        the topic are told once until they unblock it (each of an operator's replies that
        failed meanwhile, and Telegram's own notice, had said it again). Return whether the
        topic was told now."""
        customer = await session.get(Customer, ticket.customer_id)
        if customer is not None and not customer.blocked_bot:
            customer.blocked_bot = True
        if await _last_block_event(session, ticket) == "customer_blocked_bot":
            return False
        await add_event(session, ticket, "customer_blocked_bot", now=utcnow())
        await session.flush()
        await self.refresh_card(bot, session, ticket)  # the card says it too
        await self.tell_topic(
            bot,
            session,
            ticket,
            self.texts("op_customer_blocked"),
        )
        return True

    async def reply_refused(self, bot: Bot, session: AsyncSession, row: Message) -> None:
        """An operator's reply the outbox sent later (Telegram was down, or the bot was
        restarted) and Telegram refused for good: its author, told it would be sent, reads
        under it in the topic that it was not, and why."""
        ticket = await _topic_ticket(session, row.conversation_id)
        if ticket is None:
            return
        customer = await session.get(Customer, ticket.customer_id)
        if customer is not None and customer.blocked_bot:
            text = self.texts("op_reply_refused_blocked")
        else:
            said = (row.delivery_error or "").removeprefix("Telegram server says - ")
            text = self.texts("op_reply_refused", said=said)
        quote: dict[str, Any] = {}
        if row.relay_chat_id == self.chat_id and row.relay_message_id is not None:
            quote = {"reply_to_message_id": row.relay_message_id}
            quote["allow_sending_without_reply"] = True

        async def send(thread: int) -> Any:
            return await bot.send_message(self.chat_id, text, message_thread_id=thread, **quote)

        await self.to_topic(bot, session, ticket, send)

    async def unblocked(self, bot: Bot, session: AsyncSession, ticket: Ticket) -> None:
        """A customer the topic was told had blocked the bot writes again: the topic is told
        they can be answered, and the card no longer says they blocked it."""
        customer = await session.get(Customer, ticket.customer_id)
        if customer is None or customer.blocked_bot:
            return
        if await _last_block_event(session, ticket) != "customer_blocked_bot":
            return
        await add_event(session, ticket, "customer_unblocked_bot", now=utcnow())
        await session.flush()
        await self.refresh_card(bot, session, ticket)
        await self.tell_topic(
            bot,
            session,
            ticket,
            self.texts("op_customer_unblocked"),
        )

    async def ticket_by_topic(self, session: AsyncSession, thread_id: int | None) -> Ticket | None:
        if thread_id is None:
            return None
        return await session.scalar(
            select(Ticket)
            .where(Ticket.topic_id == thread_id)
            .order_by(Ticket.id.desc())
            .limit(1)
            .with_for_update()  # PostgreSQL: one operator's command at a time per ticket
        )


async def _last_block_event(session: AsyncSession, ticket: Ticket) -> str | None:
    """Whether the topic was last told the customer blocked the bot or unblocked it."""
    return await session.scalar(
        select(TicketEvent.kind)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind.in_(("customer_blocked_bot", "customer_unblocked_bot")),
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
