"""Admins keep the knowledge base current from Telegram (user ids in ADMIN_IDS only).

Commands (private chat): /kb (help), /kb_list, /kb_add, /kb_edit ID, /kb_delete ID,
/kb_export [yaml|csv|jsonl], /kb_gaps, /kb_history [ID]; and a YAML/CSV/JSONL document
sent to the bot is validated and, after a confirmation, imported. Thin handlers: all the
work is in :class:`knowledge.service.KnowledgeService`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import logging
import re
import textwrap
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import CancelHandler, SkipHandler
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from babel.numbers import format_decimal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import KnowledgeEntry, Ticket, TicketEvent, as_utc, utcnow
from bot.delivery import answer_query, with_retry
from bot.dialogs.engine import staff_command
from bot.dialogs.texts import SUPPORTED, Texts, catalogue
from escalation.texts import languages_in_words
from knowledge.formats import (
    FORMATS,
    LEGACY_ENCODINGS,
    SPREADSHEETS,
    Entry,
    KbFormatError,
    Text,
    decode_bytes,
    detect_format,
    dump_yaml,
    file_format,
    file_inside,
    guess_lang,
    is_text_file,
    parse_bytes,
    parse_yaml,
    say,
    shared_questions,
    without_repeated_questions,
)
from knowledge.service import (
    KnowledgeError,
    KnowledgeService,
    QuestionsAdded,
    answers_kept,
    blocked_answers,
    entry_of,
    get_knowledge,
    kept_note,
    new_questions,
    question_key,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PAGE = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
# a file this big takes the bot a while (a minute, a few MB of YAML) to read: said at once
READING_SAID_BYTES = 512 * 1024
TELEGRAM_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API gives bots no bigger file
MAX_TEXT = 3800
MAX_OFFERS = 10  # files offered for import whose buttons still work
# the admins told of an FAQ answer with a phrase the bot must never say: a ticket's event
# (kept across restarts), at most once in ALERT_EVERY per entry, however many customers ask
BLOCKED_ALERT = "kb_blocked_alert"
ALERT_EVERY = timedelta(days=1)
# the operators' commands (their forum group), not the admins' chat
OPERATOR_COMMANDS = frozenset(
    ("take", "resolve", "reopen", "transfer", "note", "canned", "canned_add", "canned_del")
    + ("queue", "kb_save")
)


# a command, as Telegram marks one: '/kb_list', '/kb_edit@shop_bot delivery_cost'
COMMAND_RE = r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)"
NOT_COMMAND = ~F.text.regexp(COMMAND_RE)
# the commands the admins' chat runs (/start and /help: the customers' greeting, left to them)
ADMIN_COMMANDS = frozenset(
    ("admin", "stats", "report", "kb", "kb_list", "kb_search", "kb_add", "kb_edit", "kb_delete")
    + ("kb_export", "kb_history", "kb_gaps", "start", "help")
)


class KbStates(StatesGroup):
    add_questions = State()
    add_answer = State()
    add_id = State()
    edit_questions = State()
    edit_answer = State()
    edit_tags = State()
    edit_yaml = State()
    edit_file = State()  # an entry too long for a message went as a file: to send back
    gap_answer = State()  # the answer of a new entry made from /kb_gaps' questions


# what a message that is not text holds, as the admin's reply names it ('That's a photo')
MEDIA = ("animation", "photo", "sticker", "voice", "video_note", "video", "audio")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp", ".tif", ".tiff")


# text documents a knowledge base may be written in, which the bot does not read
DOCUMENTS = (".docx", ".doc", ".docm", ".odt", ".rtf", ".pdf", ".pages")


def media_kind(message: Message) -> str | None:
    """'photo', 'voice', 'sticker', ... for a message that holds one (a photo or a voice
    message sent as a file too); None for text or any other document."""
    for kind in MEDIA:
        if getattr(message, kind, None):
            return kind
    doc = message.document
    if doc is None:
        return None
    mime = (doc.mime_type or "").lower()
    if mime.startswith("image/") or (doc.file_name or "").lower().endswith(IMAGE_SUFFIXES):
        return "photo"
    if mime.startswith("audio/"):
        return "audio"
    if mime.startswith("video/"):
        return "video"
    return None


class KbCb(CallbackData, prefix="kba"):
    action: str
    entry: str = ""
    page: int = 0


def entry_yaml(entry: Entry) -> str:
    """One entry as the YAML an admin edits and sends back (``- id: ...``, no wrapper)."""
    return textwrap.dedent(dump_yaml([entry]).removeprefix("entries:\n")).strip()


def _telegram_lang(user: User | None) -> str:
    """A user's Telegram language, its region left out ('pt-br': 'pt'; '' for none)."""
    return ((user.language_code if user else None) or "").split("-")[0].lower()


def admin_texts(user: User | None) -> Texts:
    """The texts of an admin's chat in their Telegram language (ru, pl; English for any
    other, as an untranslated text)."""
    return Texts(_telegram_lang(user))


def seen_langs(services: Any) -> dict[int, str]:
    """The language each admin was last seen writing to this bot in (``Services.seen_langs``,
    kept on the app: two bots in one process do not share it)."""
    seen = getattr(services, "seen_langs", None)
    if seen is None:
        seen = {}
        with contextlib.suppress(AttributeError):  # a frozen container: not kept
            services.seen_langs = seen
    return seen


def note_seen_lang(services: Any, user: User | None) -> None:
    """An admin who writes to the bot (or presses its button) is seen in their Telegram
    language (ru, en, pl): what they are told later, unprompted, is in it."""
    code = _telegram_lang(user)
    if user is not None and code in SUPPORTED and services is not None:
        seen_langs(services)[user.id] = code


def actor_of(user: User | None, kind: str = "tg") -> str:
    """Who made a change, as the history keeps it: "tg:900 @boss" (an admin), "op:501
    @olga_support" (an operator's /kb_save; one with no @username by their name)."""
    if user is None:
        return "telegram"
    name = f"@{user.username}" if user.username else user.full_name if kind == "op" else ""
    return f"{kind}:{user.id} {name}".strip()[:128]


def shown_actor(actor: str | None, texts: Texts) -> str:
    """The history's actor for an admin to read: an operator's "op:501 @olga" (or an older
    row's bare "op:501") says it was an operator."""
    if actor and actor.startswith("op:"):
        return texts("admin_actor_operator", who=actor.removeprefix("op:"))
    return actor or "?"


def _kb(rows: list[list[tuple[str, KbCb]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t, callback_data=cb.pack()) for t, cb in row] for row in rows
        ]
    )


def _fits(entry_id: str) -> bool:
    try:
        KbCb(action="view", entry=entry_id).pack()
    except ValueError:
        return False
    return True


def parse_answers(text: str, default_lang: str | None = None) -> dict[str, str]:
    """``"ru: ...\\nen: ..."`` -> per-language answers; plain text -> its detected language."""
    answers: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.strip().splitlines():
        head, sep, rest = line.partition(":")
        if (
            sep
            and head.strip().lower() in ("ru", "en", "pl", "de", "uk")
            and len(head.strip()) == 2
        ):
            if current is not None:
                answers[current] = "\n".join(lines).strip()
            current, lines = head.strip().lower(), [rest.strip()]
        else:
            lines.append(line)
    if current is None:
        body = text.strip()
        return {default_lang or guess_lang(body): body} if body else {}
    answers[current] = "\n".join(lines).strip()
    return {k: v for k, v in answers.items() if v}


# a list's bullet before a question ('- ', '-' with no space, '–', '—', '•', '*', '1.', '2)'),
# not a minus before a number ('-20°C outside: do you ship?')
BULLET_RE = re.compile(r"^(?:[-\u2010-\u2015\u2212•·‣◦▪●*]+(?![\d.,])|\d{1,2}[.)](?=\s))\s*")


def question_lines(text: str) -> list[str]:
    """The questions of a message, one per line, each without its list's bullet (a dash
    inside a question, 'door-to-door' or 'safe - really safe', stays)."""
    questions = []
    for line in text.splitlines():
        question = BULLET_RE.sub("", line.strip(), count=1).strip()
        if question:
            questions.append(question)
    return questions


# Ukrainian letters: Cyrillic that is not (only) Russian; Polish letters no other language has
UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
POLISH_LETTERS = re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")


def script_lang(text: str) -> str | None:
    """The language an answer's letters tell however short it is: Cyrillic is Russian
    (Ukrainian letters aside), Polish diacritics Polish; None for the rest (plain Latin
    letters, digits, a link)."""
    if re.search(r"[\u0400-\u04ff]", text):
        return None if UKRAINIAN_LETTERS.search(text) else "ru"
    return "pl" if POLISH_LETTERS.search(text) else None


def questions_lang(answer: str, data: dict[str, Any]) -> str | None:
    """The language for a plain answer too short to tell its words ("299 ₽", a link,
    "Да."): its script's when that tells it ("+7 495 123-45-67, звоните с 9 до 21." is
    Russian, whatever the questions), else the questions' it answers (a gap's Russian
    questions get a Russian answer to "299 ₽", not "en")."""
    words = re.findall(r"[^\W\d_]{2,}", re.sub(r"https?://\S+|\S+@\S+", " ", answer))
    questions = [q for q in data.get("questions") or [] if q]
    if len(words) >= 3 or not questions:
        return None
    return script_lang(answer) or guess_lang(" ".join(questions))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _fit(lines: Sequence[str], texts: Texts) -> str:
    """The lines, one a line, as many whole ones as a message takes, then how many more
    there are ('… and 3 more'): a list cut mid-line read as an entry or a question that
    ends there, and nothing said that more were left out."""
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    room = MAX_TEXT - len(texts("admin_and_more", n=len(lines))) - 1
    kept: list[str] = []
    used = 0
    for line in lines:
        used += len(line) + (1 if kept else 0)
        if used > room:
            break
        kept.append(line)
    if not kept:  # one line longer than a message: itself cut
        kept.append(_cut(lines[0], room))
    return "\n".join([*kept, texts("admin_and_more", n=len(lines) - len(kept))])


CARD_QUESTIONS = 25  # questions listed on an entry's card (the YAML button shows them all)
QUESTIONS_TEXT = MAX_TEXT // 2  # the characters the card's questions may take together


def entry_card(entry: Entry, texts: Texts | None = None) -> str:
    """The entry as an HTML message within Telegram's length: each text is shortened before
    it is escaped and tagged, so no tag is ever cut in half (Telegram refuses those)."""
    texts = texts or Texts("en")
    parts = [f"<b>{html.escape(entry.id)}</b>"]
    tags = _cut(", ".join(entry.tags), 300)
    if tags:
        parts.append(f"{texts('admin_card_tags')}: " + html.escape(tags))
    parts.append(f"\n<b>{texts('admin_card_questions')}</b>")
    shown = entry.questions[:CARD_QUESTIONS]
    # the questions take at most half of the message (customers' own wordings from /kb_gaps
    # can be long), the answers get the rest
    shown = [_cut(q, min(300, max(QUESTIONS_TEXT // max(len(shown), 1) - 3, 40))) for q in shown]
    parts += [f"• {html.escape(q)}" for q in shown]
    if len(entry.questions) > len(shown):
        parts.append(texts("admin_card_more", n=len(entry.questions) - len(shown)))
    parts.append(f"\n<b>{texts('admin_card_answers')}</b>")
    # what Telegram counts is the text without tags: share what is left among the answers
    used = len(entry.id) + len(tags) + sum(len(q) + 3 for q in shown) + 80
    each = max((MAX_TEXT - used) // max(len(entry.answers), 1) - 6, 100)
    parts += [f"<b>{lang}</b>: {html.escape(_cut(a, each))}" for lang, a in entry.answers.items()]
    return "\n".join(parts)


def entry_keyboard(
    entry: Entry, texts: Texts | None = None, version: int | None = None
) -> InlineKeyboardMarkup | None:
    """The card's buttons; the edits carry ``version`` (the entry's latest change when the
    card was shown), so an edit made on it never saves over a colleague's later one."""
    if not _fits(entry.id):
        return None
    texts = texts or Texts("en")
    e, v = entry.id, version or 0
    return _kb(
        [
            [
                (texts("admin_btn_question"), KbCb(action="addq", entry=e, page=v)),
                (texts("admin_btn_answer"), KbCb(action="ans", entry=e, page=v)),
            ],
            [
                (texts("admin_btn_tags"), KbCb(action="tags", entry=e, page=v)),
                ("📝 YAML", KbCb(action="yaml", entry=e, page=v)),
            ],
            [
                (texts("admin_btn_delete"), KbCb(action="del", entry=e)),
                (texts("admin_btn_list"), KbCb(action="list", page=0)),
            ],
        ]
    )


def command_name(text: str) -> str:
    """'kb_list' for '/kb_list@shop_bot 2'."""
    return text.strip()[1:].split(maxsplit=1)[0].split("@")[0].lower() if text.strip() else ""


def step_prompt(step: str | None, data: dict[str, Any], texts: Texts) -> str | None:
    """What a step waits for, as its prompt said it (None: no such step)."""
    prompts = {
        KbStates.add_questions.state: lambda: texts("admin_add_start"),
        KbStates.add_answer.state: lambda: texts("admin_add_answer_prompt"),
        KbStates.gap_answer.state: lambda: texts(
            "admin_gap_new_prompt",
            questions="\n".join(f"• {t}" for t in (data.get("questions") or [])[:10]),
        ),
        KbStates.add_id.state: lambda: texts(
            "admin_add_id_prompt", id=repr(data.get("suggested_id", ""))
        ),
        KbStates.edit_questions.state: lambda: texts(
            "admin_addq_prompt", id=repr(data.get("entry", ""))
        ),
        KbStates.edit_answer.state: lambda: texts("admin_ans_prompt"),
        KbStates.edit_tags.state: lambda: texts("admin_tags_prompt"),
        KbStates.edit_yaml.state: lambda: texts("admin_yaml_prompt"),
        KbStates.edit_file.state: lambda: texts("admin_yaml_file", id=repr(data.get("entry", ""))),
    }
    said = prompts.get(step or "")
    return said() if said is not None else None


async def leave_step(message: Message, state: FSMContext) -> None:
    """A command sent while a step waited: the step is left (nothing of it saved), said so,
    and the command is run (by the handler after the one that calls this)."""
    data = await state.get_data()
    texts = admin_texts(message.from_user)
    await _done(state)
    if data.get("entry"):
        await message.answer(texts("admin_step_left_edit", id=repr(data["entry"])))
    else:
        await message.answer(texts("admin_step_left_add"))


def create_router(settings: Settings) -> Router:
    router = Router(name=__name__)
    admins = set(settings.admin_ids)
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.from_user.id.in_(admins))
    router.callback_query.filter(F.from_user.id.in_(admins))
    router.message.middleware(own_transactions)
    router.callback_query.middleware(own_transactions)

    def knowledge(services: Any) -> KnowledgeService:
        return get_knowledge(services)

    async def show_list(
        target: Message,
        session: AsyncSession,
        services: Any,
        page: int,
        texts: Texts,
        *,
        edit: bool = False,
    ) -> None:
        entries = await knowledge(services).list_entries(session)
        pages = max(1, (len(entries) + PAGE - 1) // PAGE)
        asked, page = page, min(max(page, 0), pages - 1)
        chunk = entries[page * PAGE : (page + 1) * PAGE]
        if not entries:
            text = texts("admin_kb_empty")
        else:
            # '/kb_list 99' of 3 pages: the last page, said to be the last, not passed off as
            # the one asked for
            lines = [texts("admin_kb_list_only", pages=pages)] if asked > page else []
            lines.append(
                texts("admin_kb_list_head", count=len(entries), page=page + 1, pages=pages)
            )
            for i, e in enumerate(chunk, start=page * PAGE + 1):
                lines.append(f"{i}. {e.id} [{','.join(e.answers)}] {e.title_in(texts.lang)}")
            text = _fit(lines, texts)
        rows: list[list[tuple[str, KbCb]]] = []
        row: list[tuple[str, KbCb]] = []
        for e in chunk:
            if _fits(e.id):
                row.append((e.id[:30], KbCb(action="view", entry=e.id)))
            if len(row) == 2:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        nav = []
        if page > 0:
            nav.append((texts("admin_btn_prev"), KbCb(action="list", page=page - 1)))
        if page < pages - 1:
            nav.append((texts("admin_btn_next"), KbCb(action="list", page=page + 1)))
        if nav:
            rows.append(nav)
        markup = _kb(rows) if rows else None
        await unlock(session)
        if edit:
            await target.edit_text(text, reply_markup=markup)
        else:
            await target.answer(text, reply_markup=markup)

    async def show_entry(
        target: Message,
        session: AsyncSession,
        services: Any,
        entry: Entry,
        texts: Texts,
        undo: int | None = None,
    ) -> None:
        """The entry's card; ``undo``: the change just made, which '↩️ Undo' takes back."""
        version = undo or await knowledge(services).last_change(session, entry.id)
        markup = entry_keyboard(entry, texts, version)
        if markup is not None and undo is not None:
            back = KbCb(action="undo", entry=entry.id, page=undo)
            row = [
                InlineKeyboardButton(text=texts("admin_btn_undo_change"), callback_data=back.pack())
            ]
            markup = InlineKeyboardMarkup(inline_keyboard=[row, *markup.inline_keyboard])
        card = entry_card(entry, texts)
        await _tell(session, lambda: target.answer(card, parse_mode="HTML", reply_markup=markup))

    async def entry_gone(
        message: Message,
        session: AsyncSession,
        services: Any,
        entry_id: str,
        texts: Texts,
        *,
        listed: bool = False,
    ) -> None:
        """The entry a button or a step is about is no longer there: who deleted it and
        when, with '↩️ Undo' (the history keeps its copy)."""
        rows = await knowledge(services).history(session, entry_id, limit=1)
        await unlock(session)
        if not rows or rows[0].action != "delete" or not _fits(entry_id):
            await message.answer(texts("admin_entry_gone_list" if listed else "admin_entry_gone"))
            return
        when = f"{as_utc(rows[0].created_at).astimezone(settings.tz):%Y-%m-%d %H:%M}"
        await message.answer(
            texts(
                "admin_entry_deleted_by_list" if listed else "admin_entry_deleted_by",
                id=repr(entry_id),
                actor=shown_actor(rows[0].actor, texts),
                when=when,
            ),
            reply_markup=_kb([[(texts("admin_btn_undo"), KbCb(action="undel", entry=entry_id))]]),
        )

    async def made(
        session: AsyncSession, services: Any, entry_id: str, since: int | None
    ) -> int | None:
        """The change just made to the entry (None when the save changed nothing)."""
        latest = await knowledge(services).last_change(session, entry_id)
        return latest if latest != since else None

    # ------------------------------------------------------------------ commands
    @router.message(StateFilter(KbStates), F.text.regexp(COMMAND_RE), ~Command("cancel"))
    async def command_in_step(message: Message, state: FSMContext) -> None:
        """A command sent while a step waits is a command, never the step's text (a YAML, a
        question, an answer): a known one leaves the step, said so, and runs; a typo or an
        operator's command gets its hint and what the step still waits for."""
        name = command_name(message.text or "")
        if name in ADMIN_COMMANDS:
            await leave_step(message, state)
            raise SkipHandler  # on to the command's own handler
        texts = admin_texts(message.from_user)
        command = "/" + name
        key = "admin_operator_command" if name in OPERATOR_COMMANDS else "admin_unknown_command"
        prompt = step_prompt(await state.get_state(), await state.get_data(), texts)
        hint = texts(key, command=command)
        await message.answer(f"{hint}\n{prompt}" if prompt else hint)

    @router.message(Command("kb"))
    async def kb_help(message: Message) -> None:
        texts = admin_texts(message.from_user)
        await message.answer(texts("admin_kb_help"))

    @router.message(Command("cancel"), StateFilter("*"))
    async def kb_cancel(message: Message, state: FSMContext) -> None:
        texts = admin_texts(message.from_user)
        if await state.get_state() is None:  # no step waits: nothing was stopped
            await message.answer(texts("admin_nothing_to_cancel"))
            return
        await _done(state)
        await message.answer(texts("admin_cancelled"))

    @router.message(Command("kb_list"))
    async def kb_list(
        message: Message, command: CommandObject, session: AsyncSession, services: Any
    ) -> None:
        page = int(command.args) - 1 if command.args and command.args.strip().isdigit() else 0
        await show_list(message, session, services, page, admin_texts(message.from_user))

    @router.message(Command("kb_search"))
    async def kb_search(
        message: Message, command: CommandObject, session: AsyncSession, services: Any
    ) -> None:
        """What a customer asking this would get: the entry the bot answers with and its
        confidence, or that it would not answer (the closest topics offered instead), with
        the closest entries to open. Admins checking a wording had no way but to ask the bot
        as a customer."""
        texts = admin_texts(message.from_user)
        asked = (command.args or "").strip()
        if not asked:
            await message.answer(texts("admin_kb_search_usage"))
            return
        service = knowledge(services)
        result = await service.search(session, asked[:2000], top_k=5)
        await unlock(session)
        index = service.loaded_index
        bar = f"{result.threshold:.2f}"
        if result.answer_id is not None:
            lines = [texts("admin_kb_search_answers", id=repr(result.answer_id), bar=bar)]
        elif result.reason == "order_ref":
            lines = [texts("admin_kb_search_order")]
        else:
            lines = [texts("admin_kb_search_declines", bar=bar)]
        rows: list[list[tuple[str, KbCb]]] = []
        for i, c in enumerate(result.candidates, start=1):
            entry = index.by_id.get(c.entry_id) if index is not None else None
            title = _cut_title(entry.title_in(texts.lang)) if entry is not None else ""
            lines.append(f"{i}. {c.entry_id} {c.score:.2f} {title}".rstrip())
            if _fits(c.entry_id):
                rows.append([(c.entry_id[:30], KbCb(action="view", entry=c.entry_id))])
        if not result.candidates:
            lines.append(texts("admin_kb_empty"))
        await message.answer(_fit(lines, texts), reply_markup=_kb(rows) if rows else None)

    async def entry_named(
        message: Message,
        command: CommandObject,
        session: AsyncSession,
        services: Any,
        texts: Texts,
        usage: str,
        missing: str,
    ) -> Entry | None:
        """The entry a command names ("/kb_edit returns"); None, with the usage or "no such
        entry" said, when it names none or one that does not exist."""
        entry_id = (command.args or "").strip()
        if not entry_id:
            await message.answer(texts(usage))
            return None
        entry = await knowledge(services).get(session, entry_id)
        await unlock(session)
        if entry is None:
            await message.answer(texts(missing, id=repr(entry_id)))
        return entry

    @router.message(Command("kb_edit"))
    async def kb_edit(
        message: Message, command: CommandObject, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        entry = await entry_named(
            message, command, session, services, texts, "admin_kb_edit_usage", "admin_no_entry"
        )
        if entry is not None:
            await show_entry(message, session, services, entry, texts)

    @router.message(Command("kb_delete"))
    async def kb_delete(
        message: Message, command: CommandObject, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        entry = await entry_named(
            message,
            command,
            session,
            services,
            texts,
            "admin_kb_delete_usage",
            "admin_no_entry_to_delete",
        )
        if entry is not None:
            await ask_delete(message, entry, texts)

    async def ask_delete(message: Message, entry: Entry, texts: Texts) -> None:
        if not _fits(entry.id):
            await message.answer(texts("admin_id_too_long"))
            return
        await message.answer(
            texts("admin_delete_ask", id=repr(entry.id), title=entry.title_in(texts.lang)),
            reply_markup=_kb(
                [
                    [
                        (texts("admin_btn_delete_yes"), KbCb(action="delyes", entry=entry.id)),
                        (texts("admin_btn_cancel"), KbCb(action="view", entry=entry.id)),
                    ]
                ]
            ),
        )

    @router.message(Command("kb_export"))
    async def kb_export(
        message: Message, command: CommandObject, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        fmt = (command.args or "yaml").strip().lower()
        if fmt == "yml":
            fmt = "yaml"
        if fmt not in FORMATS:
            await message.answer(texts("admin_kb_export_usage"))
            return
        service = knowledge(services)
        # Excel in Russian and Polish settings splits a CSV into columns at semicolons only
        # (a comma CSV opens as one column)
        semicolons = texts.lang in ("ru", "pl")
        # an answer like '+7 495 ...' or '=HYPERLINK(...)' is shown by Excel as what it says,
        # not run as a formula (an apostrophe before it, which the import takes off)
        text = await service.export_text(
            session, fmt, csv_delimiter=";" if semicolons else ",", excel_safe=True
        )
        count = await service.count(session)
        await unlock(session)  # a big file takes Telegram a while
        await message.answer_document(
            # a BOM on the CSV: Excel shows UTF-8 without one as mojibake (the import
            # strips it)
            BufferedInputFile(
                text.encode("utf-8-sig" if fmt == "csv" else "utf-8"), filename=f"knowledge.{fmt}"
            ),
            caption=texts("admin_export_caption", count=count),
        )

    @router.message(Command("kb_history"))
    async def kb_history(
        message: Message, command: CommandObject, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        entry_id = (command.args or "").strip() or None
        rows = await knowledge(services).history(session, entry_id, limit=20)
        never = (
            not rows and bool(entry_id) and await knowledge(services).get(session, entry_id) is None
        )
        # a deleted entry brought back is no new one: "restored (undo of the delete)"
        restored = await knowledge(services).restores(session, rows)
        await unlock(session)
        if not rows:
            if never:
                await message.answer(texts("admin_history_never", id=repr(entry_id)))
            elif entry_id:
                await message.answer(texts("admin_history_none_for", id=repr(entry_id)))
            else:
                await message.answer(texts("admin_history_none"))
            return
        lines = []
        for r in rows:
            action = "restore" if r.id in restored else r.action
            key = f"admin_history_{action}"
            line = texts(
                "admin_history_line",
                # the shop's time (the database keeps UTC)
                when=f"{as_utc(r.created_at).astimezone(settings.tz):%Y-%m-%d %H:%M}",
                action=texts(key) if key in catalogue("en") else action,
                id=r.entry_id,
                actor=shown_actor(r.actor, texts),
            )
            changed = _changes(r.before, r.after, texts)
            lines.append(f"{line}: {changed}" if changed else line)
        undo = None  # one entry's history: its last change can be taken back
        if entry_id is not None and _fits(entry_id):
            last = KbCb(action="undo", entry=entry_id, page=rows[0].id)
            undo = _kb([[(texts("admin_btn_undo_last"), last)]])
        await message.answer(_fit(lines, texts), reply_markup=undo)

    # ------------------------------------------------------------------ add
    @router.message(Command("kb_add"))
    async def kb_add(
        message: Message,
        command: CommandObject,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
    ) -> None:
        if command.args and command.args.strip().startswith(("id:", "- id:", "entries:")):
            await save_yaml(message, session, services, command.args, new=True)
            return
        # a fresh entry: nothing of an abandoned dialogue (a gap's questions) carries over;
        # the last /kb_gaps list and the files offered for import stay, so their buttons work
        await _done(state)
        await state.set_state(KbStates.add_questions)
        texts = admin_texts(message.from_user)
        await message.answer(texts("admin_add_start"))

    @router.message(KbStates.add_questions, F.text, NOT_COMMAND)
    async def add_questions(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        # one question sent twice ('Do you ship?', 'do you ship'): kept once, and said so
        [asked], repeated = without_repeated_questions(
            [Entry("", question_lines(message.text or ""), {})]
        )
        questions = asked.questions
        # another entry's question: left out (one question, one answer), and said so
        owners = await knowledge(services).question_owners(session, questions)
        await unlock(session)
        questions = [q for q in questions if q not in owners]
        elsewhere = {q: owner for q, (owner, _) in owners.items()}
        said = [r.fields["problem"] for r in repeated]  # a message's lines: no place to name
        if notes := _notes(_repeated_note(said, texts), _questions_notes(None, texts, elsewhere)):
            await message.answer(notes)
        if not questions:
            await message.answer(texts("admin_add_need_question"))
            return
        await state.update_data(questions=questions)
        await state.set_state(KbStates.add_answer)
        await message.answer(texts("admin_add_answer_prompt"))

    @router.message(StateFilter(KbStates.add_answer, KbStates.gap_answer), F.text, NOT_COMMAND)
    async def add_answer(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        data = await state.get_data()
        answers = parse_answers(
            message.text or "", default_lang=questions_lang(message.text or "", data)
        )
        if not answers:
            await message.answer(texts("admin_add_need_answer"))
            return
        data = await state.update_data(answers=answers)
        suggestion = await knowledge(services).unique_id(session, data["questions"][0])
        await unlock(session)
        await state.update_data(suggested_id=suggestion)
        await state.set_state(KbStates.add_id)
        # the id rides on the button too: tapped again once saved, it shows that entry
        use = KbCb(action="useid", entry=suggestion)
        if len(use.pack().encode()) > 64:
            use = KbCb(action="useid")
        await message.answer(
            texts("admin_add_id_prompt", id=repr(suggestion)),
            reply_markup=_kb([[(texts("admin_btn_use_id", id=suggestion)[:60], use)]]),
        )

    async def finish_add(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
        entry_id: str,
        user: User | None,
    ) -> None:
        texts = admin_texts(user)
        data = await state.get_data()
        entry = Entry(
            id=entry_id,
            questions=list(data.get("questions", [])),
            answers=dict(data.get("answers", {})),
        )
        service = knowledge(services)
        try:
            gap_ids = list(data.get("gap_ids") or [])
            if gap_ids:
                saved = await service.create_from_questions(
                    session,
                    entry.questions,
                    entry.answers,
                    actor=actor_of(user),
                    entry_id=entry.id,
                    gap_ids=gap_ids,
                    must_be_new=True,
                )
            else:
                await service.save(session, entry, actor=actor_of(user), must_be_new=True)
                saved = entry
        except (KbFormatError, KnowledgeError) as exc:
            await _not_saved(session, message, exc, texts, "admin_not_saved_id")
            return
        await _done(state)
        # the language each answer was saved in, seen at once ('+7 495 ...' taken for Polish
        # was not); an answer the bot must never send is not said to be answered with
        langs = languages_in_words(texts, list(saved.answers))
        blocked = _blocked_note(saved, texts)
        said = texts(
            "admin_saved_langs" if blocked else "admin_saved_new", id=repr(saved.id), langs=langs
        )
        # 'Какой у вас номер телефона?' when 'contacts' answers "What's your phone number?":
        # two answers to one question, said with both entries
        alike = await service.alike_questions(session, {saved.id: saved.questions})
        said = _notes(said, blocked, _alike_note(alike, texts))
        await _tell(session, lambda: message.answer(said))
        if missing := service.answers_missing(saved):
            # "pl: Nie, sprzedajemy tylko online." for English and Polish questions: the
            # English customers would get the Polish answer, and nobody said so
            said = texts(
                "admin_no_answer_in",
                id=repr(saved.id),
                langs=languages_in_words(texts, missing, lacking=True),  # not 'pl, ru'
                lang=missing[0],
            )
            await message.answer(said)
        await show_entry(message, session, services, saved, texts)

    @router.message(KbStates.add_id, F.text, NOT_COMMAND)
    async def add_id(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        await finish_add(
            message, state, session, services, (message.text or "").strip(), message.from_user
        )

    @router.callback_query(KbCb.filter(F.action == "useid"), KbStates.add_id)
    async def use_id(
        query: CallbackQuery, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        await answer_query(query)
        data = await state.get_data()
        if isinstance(query.message, Message):
            await finish_add(
                query.message,
                state,
                session,
                services,
                data.get("suggested_id", ""),
                query.from_user,
            )

    # ------------------------------------------------------------------ edit
    async def save_yaml(
        message: Message,
        session: AsyncSession,
        services: Any,
        text: str,
        *,
        new: bool,
        entry_id: str | None = None,
        user: User | None = None,
    ) -> bool:
        user = user or message.from_user
        texts = admin_texts(user)
        body = text.strip("\n")
        if body.strip().startswith("```"):
            body = body.strip().strip("`").removeprefix("yaml").strip("\n")
        body = textwrap.dedent(body).strip()
        if not body.startswith(("entries:", "-")):
            # one entry as a bare list, on the message's own lines (its mistakes' line numbers)
            body = "- " + body.replace("\n", "\n  ")
        try:
            entries = parse_yaml(body, "message")
            if len(entries) != 1:
                raise KnowledgeError(Text("kb_one_entry"))
            # a question it has twice: saved once (its first wording), and said so
            [entry], repeated = without_repeated_questions(entries)
            if entry_id is not None and entry.id != entry_id:
                raise KnowledgeError(Text("kb_id_must_stay", id=entry_id))
            service = knowledge(services)
            # a question it did not have that another entry has: left out (one question,
            # one answer), and said so
            had = await service.get(session, entry.id)
            known = {question_key(q) for q in (had.questions if had else [])}
            fresh = [q for q in entry.questions if question_key(q) not in known]
            elsewhere = {
                q: owner
                for q, (owner, _) in (await service.question_owners(session, fresh)).items()
                if owner != entry.id
            }
            if elsewhere:
                kept = [q for q in entry.questions if q not in elsewhere]
                entry = Entry(entry.id, kept, entry.answers, entry.tags)
            since = await service.last_change(session, entry.id)
            await service.save(session, entry, actor=actor_of(user), must_be_new=new)
        except (KbFormatError, KnowledgeError) as exc:
            await _not_saved(session, message, exc, texts)
            return False
        undo = await made(session, services, entry.id, since)
        alike = await service.alike_questions(session, {entry.id: new_questions(had, entry)})
        await _tell(session, lambda: message.answer(texts("admin_saved", id=repr(entry.id))))
        if notes := _notes(
            _blocked_note(entry, texts),
            _repeated_note(repeated, texts),
            _questions_notes(None, texts, elsewhere),
            _alike_note(alike, texts),
        ):
            await _tell(session, lambda: message.answer(notes))
        await show_entry(message, session, services, entry, texts, undo)
        return True

    @router.callback_query(KbCb.filter())
    async def on_button(
        query: CallbackQuery,
        callback_data: KbCb,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
    ) -> None:
        await answer_query(query)
        message = query.message
        if not isinstance(message, Message):
            return
        service = knowledge(services)
        texts = admin_texts(query.from_user)
        action, entry_id = callback_data.action, callback_data.entry
        if action == "list":
            await show_list(message, session, services, callback_data.page, texts, edit=True)
            return
        if action.startswith("gap"):
            await on_gap_button(query, message, callback_data, state, session, services)
            return
        if action == "impundo":  # every entry the import changed, as it was before
            # the import's first history id rides as the 'entry' (a forged one: nothing)
            first = int(entry_id) if entry_id.isdigit() else callback_data.page
            done, left = await service.undo_import(
                session, first, callback_data.page, actor=actor_of(query.from_user)
            )
            await unlock(session)
            if not done:
                await message.answer(texts("admin_import_undo_nothing"))
                return
            said = texts("admin_import_undone", n=done)
            if left:
                shown = ", ".join(left[:20]) + (
                    f" {texts('admin_and_more', n=len(left) - 20)}" if len(left) > 20 else ""
                )
                said += " " + texts("admin_import_undo_left", ids=shown)
            # the report itself says it was undone (it read 'Imported: 2 entries…' as before,
            # its button gone), above what the import did
            report = f"↩️ {said}\n\n{message.text or ''}".rstrip()
            await _tell(session, lambda: message.edit_text(_cut(report, 4000), reply_markup=None))
            return
        if action in ("force", "forceno"):
            await on_conflict_button(query, message, callback_data, state, session, services)
            return
        if action in ("imp", "impr", "improk", "impno", "impf", "imprf"):
            await on_import_button(query, message, callback_data, state, session, services)
            return
        if action == "undel":  # the Undo of a delete: the copy the history keeps
            try:
                entry = await service.restore(session, entry_id, actor=actor_of(query.from_user))
            except (KbFormatError, KnowledgeError) as exc:
                await _not_saved(session, message, exc, texts)
                return
            restored = texts("admin_restored", id=repr(entry.id))
            await _tell(session, lambda: message.edit_text(restored))
            await show_entry(message, session, services, entry, texts)
            return
        if action == "undo":  # the entry as it was before the change the button names
            try:
                undone = await service.undo(
                    session, entry_id, callback_data.page, actor=actor_of(query.from_user)
                )
            except (KbFormatError, KnowledgeError) as exc:
                await _not_saved(session, message, exc, texts, "admin_not_undone")
                return
            key = "admin_undone_deleted" if undone is None else "admin_undone"
            await _tell(session, lambda: message.answer(texts(key, id=repr(entry_id))))
            if undone is not None:
                await show_entry(message, session, services, undone, texts)
            return
        entry = await service.get(session, entry_id) if entry_id else None
        await unlock(session)
        if action == "useid":  # a second tap (or one after the step ended): not 'no longer exists'
            if entry is not None:
                await show_entry(message, session, services, entry, texts)
            else:
                await message.answer(texts("admin_add_over"))
            return
        if entry is None:
            await entry_gone(message, session, services, entry_id, texts, listed=True)
            return
        if action == "view":
            await show_entry(message, session, services, entry, texts)
        elif action == "del":
            await ask_delete(message, entry, texts)
        elif action == "delyes":
            await service.delete(session, entry.id, actor=actor_of(query.from_user))
            deleted = texts("admin_deleted", id=repr(entry.id))
            undo = _kb([[(texts("admin_btn_undo"), KbCb(action="undel", entry=entry.id))]])
            await _tell(session, lambda: message.edit_text(deleted, reply_markup=undo))
        elif action in ("addq", "ans", "tags"):
            # the version the card showed (a card from before versions: the one now): a
            # colleague's change after it is not saved over without a word
            since = callback_data.page or await service.last_change(session, entry.id)
            await unlock(session)
            step = {"addq": KbStates.edit_questions, "ans": KbStates.edit_answer}
            await state.set_state(step.get(action, KbStates.edit_tags))
            await state.update_data(entry=entry.id, since=since)
            if action == "addq":
                await message.answer(texts("admin_addq_prompt", id=repr(entry.id)))
            else:
                await message.answer(texts(f"admin_{action}_prompt"))
        elif action == "yaml":
            body = entry_yaml(entry)
            if len(body) > MAX_TEXT:  # too long for one message: as a file to send back
                await message.answer_document(
                    BufferedInputFile(body.encode("utf-8"), filename=f"{entry.id}.yaml"),
                    caption=texts("admin_yaml_file", id=repr(entry.id)),
                )
                await state.set_state(KbStates.edit_file)
                await state.update_data(entry=entry.id)
                return
            await state.set_state(KbStates.edit_yaml)
            # the change the copy shows (the entry as it is now, whatever the card showed):
            # a colleague's edit after it is not saved over
            since = await service.last_change(session, entry.id)
            await unlock(session)
            await state.update_data(entry=entry.id, since=since)
            await send_yaml(message, body, texts("admin_yaml_prompt"))

    @router.message(KbStates.edit_questions, F.text, NOT_COMMAND)
    async def edit_questions(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        data = await state.get_data()
        current = await knowledge(services).get(session, data["entry"])
        if current is None:
            await _done(state)  # another admin deleted it meanwhile
            await entry_gone(message, session, services, data["entry"], texts)
            return
        questions = question_lines(message.text or "")
        if await changed_meanwhile(
            message,
            state,
            session,
            services,
            current,
            data,
            {"kind": "questions", "value": questions},
        ):
            return
        await save_questions(message, state, session, services, current.id, questions)

    async def save_questions(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
        entry_id: str,
        questions: list[str],
        user: User | None = None,
    ) -> None:
        """The questions added to the entry (the ones it or another entry already has left
        out, and named), then its card with Undo."""
        user = user or message.from_user
        texts = admin_texts(user)
        service = knowledge(services)
        since = await service.last_change(session, entry_id)
        try:
            added = await service.add_questions(session, entry_id, questions, actor=actor_of(user))
        except (KbFormatError, KnowledgeError) as exc:
            await _not_saved(session, message, exc, texts)
            return
        await _done(state)
        undo = await made(session, services, entry_id, since)
        if notes := _questions_notes(added, texts):
            await _tell(session, lambda: message.answer(notes))
        await show_entry(message, session, services, added.entry, texts, undo)

    @router.message(KbStates.edit_answer, F.text, NOT_COMMAND)
    async def edit_answer(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        data = await state.get_data()
        service = knowledge(services)
        entry = await service.get(session, data["entry"])
        if entry is None:
            await _done(state)
            texts = admin_texts(message.from_user)
            await entry_gone(message, session, services, data["entry"], texts)
            return
        typed = parse_answers(message.text or "", default_lang=_answer_lang(message, entry))
        if await changed_meanwhile(
            message, state, session, services, entry, data, {"kind": "answer", "value": typed}
        ):
            return
        edited = Entry(entry.id, entry.questions, _with_answers(entry.answers, typed), entry.tags)
        saved = await save_entry(message, state, session, services, edited)
        if saved and (kept := answers_kept(entry, edited)):
            # a new price in Russian, the old one still in English
            await message.answer(kept_note(kept, admin_texts(message.from_user)))

    @router.message(KbStates.edit_tags, F.text, NOT_COMMAND)
    async def edit_tags(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        data = await state.get_data()
        entry = await knowledge(services).get(session, data["entry"])
        if entry is None:
            await _done(state)
            texts = admin_texts(message.from_user)
            await entry_gone(message, session, services, data["entry"], texts)
            return
        raw = (message.text or "").strip()
        tags = [] if raw == "-" else [t.strip() for t in raw.split(",") if t.strip()]
        if await changed_meanwhile(
            message, state, session, services, entry, data, {"kind": "tags", "value": tags}
        ):
            return
        await save_entry(
            message, state, session, services, Entry(entry.id, entry.questions, entry.answers, tags)
        )

    async def send_yaml(
        message: Message, body: str, head: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        await message.answer(
            f"{html.escape(head)}\n\n<pre>{html.escape(body)}</pre>",
            parse_mode="HTML",
            reply_markup=markup,
        )

    async def colleagues(
        session: AsyncSession, services: Any, entry_id: str, since: int | None, user: User | None
    ) -> dict[str, str] | None:
        """Who changed the entry after the change ``since`` and what ({actor}, {changes}),
        the admin's own changes aside; None when nobody did."""
        news = [
            r
            for r in await knowledge(services).history(session, entry_id, limit=20)
            if (since is None or r.id > since) and (user is None or r.actor != actor_of(user))
        ]
        if not news:
            return None
        texts = admin_texts(user)
        changed = _changes(news[-1].before, news[0].after, texts)
        return {
            "actor": ", ".join(dict.fromkeys(shown_actor(r.actor, texts) for r in news)),
            "changes": f" ({changed})" if changed else "",
        }

    def conflict_buttons(entry_id: str, latest: int | None, texts: Texts) -> InlineKeyboardMarkup:
        return _kb(
            [
                [
                    (
                        texts("admin_btn_save_mine"),
                        KbCb(action="force", entry=entry_id, page=latest or 0),
                    ),
                    (texts("admin_btn_cancel"), KbCb(action="forceno", entry=entry_id)),
                ]
            ]
        )

    async def changed_meanwhile(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
        current: Entry,
        data: dict[str, Any],
        pending: dict[str, Any],
        user: User | None = None,
    ) -> bool:
        """A colleague changed the entry after the version this edit started from: not saved
        over; said who changed what, the entry as it is now, 'Save mine anyway' / 'Cancel'."""
        user = user or message.from_user
        if "since" not in data:
            return False
        latest = await knowledge(services).last_change(session, current.id)
        news = await colleagues(session, services, current.id, data["since"], user)
        if latest == data["since"] or not news:
            return False
        texts = admin_texts(user)
        await _done(state)
        await state.update_data(pending_edit={**pending, "entry": current.id})
        head = texts("admin_edit_changed_meanwhile", id=repr(current.id), **news)
        await unlock(session)
        await message.answer(
            f"{html.escape(head)}\n\n{entry_card(current, texts)}",
            parse_mode="HTML",
            reply_markup=conflict_buttons(current.id, latest, texts),
        )
        return True

    async def on_conflict_button(
        query: CallbackQuery,
        message: Message,
        cb: KbCb,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
    ) -> None:
        """'Save mine anyway' saves the admin's edit over the colleague's change (on the
        entry as it is now: what the edit did not touch stays theirs); 'Cancel' keeps it."""
        texts = admin_texts(query.from_user)
        data = await state.get_data()
        pending = data.get("pending_edit") or {}
        if pending.get("entry") != cb.entry:
            await message.answer(texts("admin_conflict_over"))
            return
        service = knowledge(services)
        if cb.action == "forceno":
            await state.update_data(pending_edit=None)
            if await state.get_state() == KbStates.edit_yaml.state:
                await _done(state)
            await message.edit_reply_markup(reply_markup=None)
            await message.answer(texts("admin_conflict_kept", id=repr(cb.entry)))
            return
        current = await service.get(session, cb.entry)
        if current is None:
            await state.update_data(pending_edit=None)
            await entry_gone(message, session, services, cb.entry, texts)
            return
        user = query.from_user
        # changed again since this was asked: said again, with that change
        if await changed_meanwhile(
            message, state, session, services, current, {"since": cb.page or None}, pending, user
        ):
            return
        # saved in the transaction that found no newer change; the buttons go after it
        kind, value = pending.get("kind"), pending.get("value")
        if kind == "yaml":
            if await save_yaml(
                message, session, services, value, new=False, entry_id=current.id, user=user
            ):
                await _done(state)
                await state.update_data(pending_edit=None)
        elif kind == "questions":
            await state.update_data(pending_edit=None)
            await save_questions(message, state, session, services, current.id, value, user)
        else:
            await state.update_data(pending_edit=None)
            answers, tags = current.answers, current.tags
            if kind == "answer":
                answers = _with_answers(current.answers, value)
            else:
                tags = list(value)
            entry = Entry(current.id, current.questions, answers, tags)
            await save_entry(message, state, session, services, entry, user=user)
        await unlock(session)
        await message.edit_reply_markup(reply_markup=None)

    @router.message(KbStates.edit_yaml, F.text, NOT_COMMAND)
    async def edit_yaml(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        data = await state.get_data()
        service = knowledge(services)
        texts = admin_texts(message.from_user)
        current = await service.get(session, data["entry"])
        if current is None:
            # another admin deleted it meanwhile: not made again without a word (/kb_add can)
            await _done(state)
            await entry_gone(message, session, services, data["entry"], texts)
            return
        latest = await service.last_change(session, current.id)
        since = data.get("since", latest)
        news = await colleagues(session, services, current.id, since, message.from_user)
        if since != latest and news:  # changed after the copy was shown: saved, it would undo that
            await unlock(session)
            await state.update_data(
                since=latest,
                pending_edit={"entry": current.id, "kind": "yaml", "value": message.text or ""},
            )
            head = texts("admin_yaml_changed_meanwhile", id=repr(current.id), **news)
            body = entry_yaml(current)
            if len(body) > MAX_TEXT:  # grown too long for a message: as the YAML button does
                await _done(state)
                await message.answer(head)
                await message.answer_document(
                    BufferedInputFile(body.encode("utf-8"), filename=f"{current.id}.yaml"),
                    caption=texts("admin_yaml_file", id=repr(current.id)),
                )
                return
            await send_yaml(
                message,
                body,
                f"{head} {texts('admin_yaml_now')}",
                conflict_buttons(current.id, latest, texts),
            )
            return
        if await save_yaml(
            message, session, services, message.text or "", new=False, entry_id=data["entry"]
        ):
            await _done(state)

    async def save_entry(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
        entry: Entry,
        user: User | None = None,
    ) -> bool:
        user = user or message.from_user
        texts = admin_texts(user)
        [entry], _ = without_repeated_questions([entry])  # the card shows it as saved
        since = await knowledge(services).last_change(session, entry.id)
        try:
            await knowledge(services).save(session, entry, actor=actor_of(user))
        except (KbFormatError, KnowledgeError) as exc:
            await _not_saved(session, message, exc, texts)
            return False
        await _done(state)
        undo = await made(session, services, entry.id, since)
        if blocked := _blocked_note(entry, texts):
            await _tell(session, lambda: message.answer(blocked))
        await show_entry(message, session, services, entry, texts, undo)
        return True

    # ------------------------------------------------------------------ not text
    @router.message(StateFilter(KbStates), F.func(media_kind))
    async def media_in_step(message: Message, state: FSMContext) -> None:
        """A photo, a voice message or a sticker sent in the middle of a step (an answer,
        questions, the YAML or the file to send back) was taken for a customer's message and
        the step waited on without a word; it is answered, named, with what the step needs."""
        texts = admin_texts(message.from_user)
        kind = texts(f"admin_kind_{media_kind(message)}")
        step = await state.get_state()
        data = await state.get_data()
        if step == KbStates.edit_file.state:
            await message.answer(texts("admin_media_not_kb_file", kind=kind))
            return
        prompt = step_prompt(step, data, texts)
        said = texts("admin_media_in_step", kind=kind)
        await message.answer(f"{said}\n{prompt}" if prompt else said)

    # ------------------------------------------------------------------ import a file
    @router.message(F.document)
    async def on_document(
        message: Message, bot: Bot, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        doc = message.document
        assert doc is not None
        name = doc.file_name or "upload"

        async def refuse(kind: str) -> None:
            """Not a knowledge file: what it is, what to send, and what a step still waits
            for (its data is kept)."""
            said = _wrong_file(name, kind, texts)
            prompt = step_prompt(await state.get_state(), await state.get_data(), texts)
            await message.answer(f"{said}\n\n{prompt}" if prompt else said)

        if not is_text_file(name):  # a .txt says what it is once read
            try:
                detect_format(name)
            except KbFormatError:
                if kind := media_kind(message):  # a photo sent as a file, a GIF
                    said = texts(f"admin_kind_{kind}")
                    await message.answer(texts("admin_media_not_kb_file", kind=said))
                elif name.lower().endswith(SPREADSHEETS):
                    await refuse("spreadsheet")
                else:
                    await refuse("document" if name.lower().endswith(DOCUMENTS) else "other")
                return
        if await state.get_state() == KbStates.edit_file.state:
            await _done(state)  # the file sent back: the step is over
        if doc.file_size and doc.file_size > MAX_FILE_BYTES:
            await message.answer(_too_large(name, doc.file_size, texts))
            return
        # the download and the reading take a while: no customer waits for them
        await unlock(session)
        if doc.file_size and doc.file_size > READING_SAID_BYTES:
            # the admin is not left to wonder for a minute whether the file was received
            size = _megabytes(doc.file_size, texts)
            await message.answer(texts("admin_reading_file", name=name, size=size))
        try:
            data = await _download(bot, doc.file_id)
        except TelegramBadRequest as exc:  # no size given, and Telegram's 20 MB exceeded
            if "too big" not in str(exc):
                raise
            await message.answer(_too_large(name, TELEGRAM_DOWNLOAD_BYTES + 1, texts))
            return
        if (inside := file_inside(data)) is not None:  # 'kb.yaml' that is a Word document
            await refuse(inside)
            return
        try:
            fmt = file_format(name, data)
            # off the event loop: 5,000 entries of YAML take seconds
            entries = await asyncio.to_thread(parse_bytes, data, fmt, name)
            if shared := shared_questions(entries):  # mended before it is offered
                raise KbFormatError(name, shared)
        except KbFormatError as exc:
            await message.answer(_file_errors(exc, texts))
            return
        # 'How much is shipping?' and 'how much is  SHIPPING' in one entry: offered (and
        # imported) once, each repeat said
        entries, repeated = without_repeated_questions(entries)
        note = _repeated_note(repeated, texts)
        current = {e.id: e for e in await knowledge(services).list_entries(session)}
        new = sum(e.id not in current for e in entries)
        changed = sum(e.id in current and current[e.id] != e for e in entries)
        missing = len(set(current) - {e.id for e in entries})
        if not (new or changed or missing):  # e.g. the file /kb_export sent, sent back as it was
            await unlock(session)  # Telegram may be slow: no writer waits for it
            await message.answer(
                texts(
                    "admin_import_same",
                    name=name,
                    valid=texts("admin_import_valid", n=len(entries)),
                )
                + (f"\n{note}" if note else "")
            )
            return
        # each offer imports its own file (another file may be sent before it is pressed)
        pending = dict((await state.get_data()).get("imports") or {})
        pending[str(message.message_id)] = {
            "file": doc.file_id,
            "name": name,
            "fmt": fmt,
            # the knowledge as the offer counted it: a colleague's change after it is not
            # imported over without a word
            "since": await knowledge(services).last_history_id(session),
        }
        await state.update_data(imports=dict(list(pending.items())[-MAX_OFFERS:]))
        key = message.message_id
        offer = texts(
            "admin_import_offer",
            name=name,
            valid=texts("admin_import_valid", n=len(entries)),
            new=new,
            changed=changed,
            unchanged=len(entries) - new - changed,
        )
        buttons = [(texts("admin_btn_import"), KbCb(action="imp", page=key))]
        # a question an entry the file lacks has: Import would give it a second answer
        clashes = await knowledge(services).question_clashes(session, entries)
        if clashes:
            buttons = []
            shown = [f"- {say(c, texts)}" for c in clashes[:10]]
            if len(clashes) > 10:
                shown.append(texts("admin_and_more", n=len(clashes) - 10))
            offer += "\n" + texts("admin_import_clashes", mistakes="\n".join(shown))
        if missing:  # else Replace all would do what Import does
            if not clashes:
                offer += f" {texts('admin_import_missing', n=missing)}"
            buttons.append((texts("admin_btn_replace_all"), KbCb(action="impr", page=key)))
        legacy = decode_bytes(data)[1]  # Excel's CSV on Windows: the system's code page
        if legacy:
            offer += f"\n{texts('admin_import_encoding', encoding=LEGACY_ENCODINGS[legacy])}"
        if note:
            offer += f"\n{note}"
        # the knowledge read: its transaction (on SQLite, the write lock) ends before
        # Telegram is called, which may be slow to take the offer
        await unlock(session)
        await message.answer(
            _cut(offer, 4000),
            reply_markup=_kb(
                [buttons, [(texts("admin_btn_cancel"), KbCb(action="impno", page=key))]]
            ),
        )

    async def on_import_button(
        query: CallbackQuery,
        message: Message,
        cb: KbCb,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
    ) -> None:
        texts = admin_texts(query.from_user)
        action = cb.action
        pending = dict((await state.get_data()).get("imports") or {})
        offer = pending.pop(str(cb.page), None)
        await state.update_data(imports=pending)
        if not offer:  # a second tap: the first one's report (and its Undo) stays in place
            await message.answer(texts("admin_import_stale"))
            return
        if action == "impno":
            await message.edit_text(texts("admin_import_cancelled"))
            return
        bot = message.bot
        assert bot is not None
        await unlock(session)
        # said at once, its buttons gone: reading a big file takes seconds before any answer
        await with_retry(lambda: message.edit_text(texts("admin_importing", name=offer["name"])))
        raw = await _download(bot, offer["file"])
        try:  # read once, off the event loop (5,000 entries of YAML take seconds)
            entries = await asyncio.to_thread(parse_bytes, raw, offer["fmt"], offer["name"])
        except KbFormatError as exc:
            said = _file_errors(exc, texts)
            await with_retry(lambda: message.edit_text(said))
            return
        if action == "impr":
            # it deletes every entry the file lacks: said and asked first, one tap is no
            # way to empty the knowledge base
            kept = {e.id for e in entries}
            current = [e.id for e in await knowledge(services).list_entries(session)]
            await unlock(session)
            gone = [i for i in current if i not in kept]
            if gone:
                pending[str(cb.page)] = offer  # the offer stands until Yes or Cancel
                await state.update_data(imports=pending)
                shown = ", ".join(gone[:20]) + (
                    f" {texts('admin_and_more', n=len(gone) - 20)}" if len(gone) > 20 else ""
                )
                await message.edit_text(
                    _cut(texts("admin_replace_ask", n=len(gone), ids=shown), 4000),
                    reply_markup=_kb(
                        [
                            [
                                (
                                    texts("admin_btn_replace_yes"),
                                    KbCb(action="improk", page=cb.page),
                                ),
                                (texts("admin_btn_cancel"), KbCb(action="impno", page=cb.page)),
                            ]
                        ]
                    ),
                )
                return
        replace = action in ("impr", "improk", "imprf")
        if action not in ("impf", "imprf") and "since" in offer:
            news = await import_conflicts(
                session, services, entries, offer["since"], replace, query.from_user
            )
            if news:  # it would undo a colleague's change: said, and asked
                await unlock(session)
                pending[str(cb.page)] = offer
                await state.update_data(imports=pending)
                lines = [
                    f"- {entry_id}: {changes}" for entry_id, changes in list(news.items())[:15]
                ]
                if len(news) > 15:
                    lines.append(texts("admin_and_more", n=len(news) - 15))
                force = KbCb(action="imprf" if replace else "impf", page=cb.page)
                await message.edit_text(
                    _cut(
                        texts("admin_import_changed_meanwhile", name=offer["name"], n=len(news))
                        + "\n"
                        + "\n".join(lines),
                        4000,
                    ),
                    reply_markup=_kb(
                        [
                            [
                                (texts("admin_btn_save_mine"), force),
                                (texts("admin_btn_cancel"), KbCb(action="impno", page=cb.page)),
                            ]
                        ]
                    ),
                )
                return
        # saving and re-indexing a big file takes a while (said at the tap, above): how far it
        # is (5,000 entries take minutes)
        progress = ImportProgress(message, texts, offer["name"])
        try:
            report = await knowledge(services).import_entries(
                session,
                entries,
                replace=replace,
                actor=actor_of(query.from_user),
                progress=progress,
                strict=True,  # a question two entries would have: the admin mends the file
            )
        except KbFormatError as exc:  # e.g. a colleague's entry took one of its questions
            said = _file_errors(exc, texts)
            await progress.stop()
            await _tell(session, lambda: message.edit_text(said))
            return
        finally:
            await progress.stop()
        text = texts(
            "admin_imported",
            total=report.total,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            deleted=report.deleted,
        )
        if report.warnings:
            lines = "\n".join(report.warnings[:10])
            left = len(report.warnings) - 10
            more = f"\n{texts('admin_and_more', n=left)}" if left > 0 else ""
            text += f"\n\n{texts('admin_blocked', n=len(report.warnings))}\n{lines}{more}"
        if report.repeated:
            text += "\n\n" + _repeated_note(report.repeated, texts)
        if report.alike:  # a new question another entry answers: two answers to one question
            text += "\n\n" + _alike_note(report.alike, texts)
        if report.answers_kept:  # 349 RUB in English, still 299 ₽ in Russian and Polish
            kept = [
                f"- {entry_id}: {kept_note(langs, texts)}"
                for entry_id, langs in list(report.answers_kept.items())[:10]
            ]
            if len(report.answers_kept) > 10:
                kept.append(texts("admin_and_more", n=len(report.answers_kept) - 10))
            text += "\n\n" + "\n".join(kept)
        undo = None  # a wrong file (or Replace all with one) is taken back in one tap
        if report.history_to > report.history_from:
            back = KbCb(action="impundo", entry=str(report.history_from), page=report.history_to)
            undo = _kb([[(texts("admin_btn_undo_import"), back)]])
        # the report after minutes of work is not lost to a flood limit (429): waited out
        await _tell(session, lambda: message.edit_text(_cut(text, 4000), reply_markup=undo))

    async def import_conflicts(
        session: AsyncSession,
        services: Any,
        entries: list[Entry],
        since: int,
        replace: bool,
        user: User | None,
    ) -> dict[str, str]:
        """The entries the import would change that a colleague changed after the file's copy
        of them (an older version of the entry, exported before their edit) or after the file
        was offered: {id: 'tg:902 @olga (answer en)'}."""
        service = knowledge(services)
        current = {e.id: e for e in await service.list_entries(session)}
        touched = {e.id: e for e in entries if current.get(e.id) != e}
        gone = set(current) - {e.id for e in entries} if replace else set()
        ids = set(touched) | gone
        if not ids:
            return {}
        # few entries: their whole history (to find the file's copy in it); else since the offer
        rows = await service.changes_since(session, 0 if len(ids) <= 500 else since, ids)
        rows = [r for r in rows if r.entry_id in ids]
        mine, texts = actor_of(user), admin_texts(user)
        result: dict[str, str] = {}
        by_entry: dict[str, list[Any]] = {}
        for row in rows:  # newest first
            by_entry.setdefault(row.entry_id, []).append(row)
        for entry_id, own in by_entry.items():
            copy = touched.get(entry_id)
            base = next(
                (r.id for r in own if copy is not None and entry_of(entry_id, r.after) == copy),
                since,
            )
            news = [r for r in own if r.id > base and r.actor != mine]
            if news:
                changed = _changes(news[-1].before, news[0].after, texts)
                actors = ", ".join(dict.fromkeys(shown_actor(r.actor, texts) for r in news))
                result[entry_id] = actors + (f" ({changed})" if changed else "")
        return result

    # ------------------------------------------------------------------ gaps
    @router.message(Command("kb_gaps"))
    async def kb_gaps(
        message: Message, state: FSMContext, session: AsyncSession, services: Any
    ) -> None:
        texts = admin_texts(message.from_user)
        groups = await knowledge(services).gaps(session, limit=8)
        await unlock(session)
        if not groups:
            await message.answer(texts("admin_gaps_none"))
            return
        await state.update_data(gaps=[g.ids for g in groups])
        lines = [texts("admin_gaps_head")]
        rows: list[list[tuple[str, KbCb]]] = []
        for i, g in enumerate(groups):
            sample = "; ".join(g.texts[:3])
            said = "admin_gap_picked" if g.picked else "admin_gap_closest"
            hint = f" - {texts(said, id=g.best_entry_id)}" if g.best_entry_id else ""
            lines.append(f"{i + 1}. ×{g.count} {sample[:200]}{hint}")
            row = [(texts("admin_btn_gap_new", n=i + 1), KbCb(action="gapnew", page=i))]
            if g.best_entry_id and _fits(g.best_entry_id):
                row.append(
                    (
                        texts("admin_btn_gap_add", id=g.best_entry_id)[:40],
                        KbCb(action="gapadd", entry=g.best_entry_id, page=i),
                    )
                )
            row.append((f"✖ #{i + 1}", KbCb(action="gapskip", page=i)))
            rows.append(row)
        await message.answer(_fit(lines, texts), reply_markup=_kb(rows))

    async def on_gap_button(
        query: CallbackQuery,
        message: Message,
        cb: KbCb,
        state: FSMContext,
        session: AsyncSession,
        services: Any,
    ) -> None:
        texts = admin_texts(query.from_user)
        data = await state.get_data()
        groups = data.get("gaps") or []
        if cb.page >= len(groups):
            await message.answer(texts("admin_gaps_stale"))
            return
        service = knowledge(services)
        # answered or dismissed since the list was made (by this list or another admin)
        ids, answered_by = await service.open_gaps(session, list(groups[cb.page]))
        if not ids:
            await unlock(session)
            await message.answer(
                texts("admin_gap_answered", n=cb.page + 1, id=repr(answered_by))
                if answered_by
                else texts("admin_gap_already_dismissed", n=cb.page + 1)
            )
            return
        actor = actor_of(query.from_user)
        if cb.action == "gapskip":
            await service.close_gap(session, ids, entry_id=None, actor=actor, status="dismissed")
            await _tell(
                session, lambda: message.answer(texts("admin_gap_dismissed", n=cb.page + 1))
            )
        elif cb.action == "gapadd":
            asked = await service.gap_texts(session, ids)
            try:
                added = await service.add_questions(
                    session, cb.entry, asked, actor=actor, gap_ids=ids
                )
            except (KbFormatError, KnowledgeError) as exc:
                await _not_saved(session, message, exc, texts)
                return
            entry = added.entry
            said = [texts("admin_gap_added", n=len(added.added), id=repr(entry.id))]
            said = (said if added.added else []) + [_questions_notes(added, texts)]
            told = _cut("\n".join(t for t in said if t), MAX_TEXT)
            await _tell(session, lambda: message.answer(told))
            asked = added.added
            # Russian questions added to an entry with no Russian answer: those customers
            # would get another language's
            missing = sorted({guess_lang(t, entry.answers) for t in asked} - set(entry.answers))
            if missing:
                await message.answer(
                    texts(
                        "admin_gap_no_answer_in",
                        id=repr(entry.id),
                        langs=languages_in_words(texts, missing, lacking=True),
                        lang=missing[0],
                    )
                )
                await show_entry(message, session, services, entry, texts)
        elif cb.action == "gapnew":
            asked = await service.gap_texts(session, ids)
            await unlock(session)
            # the gap's own step: its reminders show the questions the answer is for
            await state.set_state(KbStates.gap_answer)
            await state.update_data(questions=asked[:20], gap_ids=ids)
            await message.answer(
                texts("admin_gap_new_prompt", questions="\n".join(f"• {t}" for t in asked[:10]))
            )

    # ------------------------------------------------------------------ other commands
    @router.message(F.text.regexp(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)"), ~Command("start", "help"))
    async def other_command(message: Message) -> None:
        """A command the admins' chat does not know: a typo ('/kb_lsit') gets the lists of
        commands, an operator's command where it works (the customers' chat would read it as
        a customer's words). /start and /help stay the customers' greeting."""
        texts = admin_texts(message.from_user)
        name = (message.text or "").split(maxsplit=1)[0]
        if staff_command(name) in OPERATOR_COMMANDS:
            await message.answer(texts("admin_operator_command", command=name.split("@")[0]))
        else:
            await message.answer(texts("admin_unknown_command", command=name.split("@")[0]))

    return router


def _cut_title(text: str, limit: int = 80) -> str:
    """An entry's first question, short enough for a line of a list."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# seconds between two edits of an import's progress message: Telegram limits edits of one
# chat (about one a second, less for a long run of them) and answers more with a 429
PROGRESS_INTERVAL = 3.0


class ImportProgress:
    """An import's progress on its message, at each tenth of a stage of a file of at least
    ``min_total`` entries: '⏳ Importing kb.jsonl: saving the entries, 1500 of 5000' and a
    bar; at most one edit per ``interval`` seconds (the latest step then), a flood limit
    (429) waited out. Called from any thread (the index is built in one); the edits are
    made here."""

    def __init__(
        self,
        message: Message,
        texts: Texts,
        name: str,
        min_total: int = 200,
        interval: float | None = None,
    ) -> None:
        self.message, self.texts, self.name, self.min_total = message, texts, name, min_total
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[str, int, int] | None] = asyncio.Queue()
        self.shown: dict[str, int] = {}
        self.edits = 0  # made (the benchmark counts them)
        self.last = -float("inf")  # when the last edit was made (loop time)
        self.task = asyncio.create_task(self._show())

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total < self.min_total or self.shown.get(stage) == 10 * done // total:
            return
        self.shown[stage] = 10 * done // total
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (stage, done, total))

    async def stop(self) -> None:
        """The import is over: the step shown last is the latest one, nothing after it."""
        self.queue.put_nowait(None)
        await self.task

    async def _show(self) -> None:
        while True:
            items = [await self.queue.get()]
            # too soon after the last edit: the latest step once the interval is over (the
            # import's end, sooner, ends it: the report takes the message)
            wait = self.last + self.interval - self.loop.time()
            while wait > 0 and None not in items:
                try:
                    items.append(await asyncio.wait_for(self.queue.get(), wait))
                except TimeoutError:
                    break
                wait = self.last + self.interval - self.loop.time()
            while not self.queue.empty():  # behind: only the latest step is worth showing
                items.append(self.queue.get_nowait())
            steps = [i for i in items if i is not None]
            if steps and None not in items:
                stage, done, total = steps[-1]
                pct = 100 * done // max(total, 1)
                text = self.texts(
                    "admin_import_progress",
                    name=self.name,
                    stage=self.texts(f"admin_import_stage_{stage}"),
                    done=done,
                    total=total,
                    bar="▰" * (pct // 10) + "▱" * (10 - pct // 10),
                    pct=pct,
                )
                try:  # a flood limit waited out (then the latest step is shown)
                    await with_retry(lambda text=text: self.message.edit_text(text), attempts=3)
                    self.edits += 1
                except TelegramAPIError as exc:  # a progress line is not worth failing for
                    log.info("import progress not shown: %s", exc)
                self.last = self.loop.time()
            if None in items:
                return


async def _done(state: FSMContext) -> None:
    """The step is over; the last /kb_gaps list and the files offered for import stay, so
    their buttons still work."""
    data = await state.get_data()
    await state.clear()
    kept = {key: data[key] for key in ("gaps", "imports", "pending_edit") if data.get(key)}
    if kept:
        await state.set_data(kept)


async def unlock(session: AsyncSession) -> None:
    """Ends the update's transaction before Telegram is called or a long wait (a file
    downloaded and read): on SQLite, whose one writer it holds from its first query, every
    customer's turn would wait for it (and give up after the busy timeout). The admins'
    handlers write only through the knowledge service's use cases, each of which commits
    (or writes nothing) before it returns: what is ended here is a read."""
    await session.commit()


async def _not_saved(
    session: AsyncSession,
    message: Message,
    exc: Exception,
    texts: Texts,
    key: str = "admin_not_saved",
) -> None:
    """Why a use case saved nothing ('Not saved: ...'), said once its reads are over."""
    await unlock(session)
    await message.answer(texts(key, error=_short(exc, texts)))


async def own_transactions(
    handler: Callable[[Any, dict[str, Any]], Awaitable[Any]], event: Any, data: dict[str, Any]
) -> Any:
    """The admins' handlers (an inner middleware of their routers) start with the update's
    transaction ended, its id recorded: each reads in a transaction of its own, which it
    ends (:func:`unlock`) before it talks to Telegram.

    One that fails on the bot's side is the admin's to hear of, not the customers' error
    handler's (which kept an admin's step text as a customer's message and answered it as
    one later): what may not have been done, and what the step waits for now."""
    session = data.get("session")
    if session is not None:
        await unlock(session)
    note_seen_lang(data.get("services"), getattr(event, "from_user", None))
    try:
        return await handler(event, data)
    except (SkipHandler, CancelHandler):
        raise
    except Exception:
        log.exception("an admin's update failed")
        if session is not None:
            await session.rollback()
        await _say_failed(event, data)
        return None


async def _say_failed(event: Any, data: dict[str, Any]) -> None:
    """'⚠️ Sorry, something went wrong ... may not have been done' to the admin whose message
    or button failed, with what the step (if any) waits for now."""
    message = event.message if isinstance(event, CallbackQuery) else event
    if not isinstance(message, Message):
        return
    texts = admin_texts(event.from_user)
    state: FSMContext | None = data.get("state")
    step = await state.get_state() if state is not None else None
    prompt = step_prompt(step, await state.get_data(), texts) if state is not None else None
    said = texts("admin_error")
    try:
        await data["bot"].send_message(message.chat.id, f"{said}\n{prompt}" if prompt else said)
    except Exception:  # Telegram is what failed: the log has it
        log.exception("could not tell the admin that their update failed")


async def _tell(session: AsyncSession, send: Callable[[], Awaitable[T]]) -> T:
    """Tells the admin what a use case did, once its transaction is over: the change is
    saved, so a flood limit (429) is waited out, with no lock held, and the admin still
    learns it (a reply that failed was answered 'something went wrong' for a saved change)."""
    await unlock(session)
    return await with_retry(send)


async def _download(bot: Bot, file_id: str) -> bytes:
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    return buffer.getvalue()


def _wrong_file(name: str, kind: str, texts: Texts) -> str:
    """Why a file is not read (a spreadsheet, a Word document, anything else) and what to
    send instead."""
    if kind == "spreadsheet":
        return texts("admin_spreadsheet")
    return texts("admin_document_file" if kind == "document" else "admin_wrong_file", name=name)


def _too_large(name: str, size: int, texts: Texts) -> str:
    """A file too big to import here, with its size and what to do instead: over Telegram's
    20 MB the bot cannot even download it (getFile refuses), over 10 MB it is not imported
    in the chat."""
    key = "admin_too_big_for_telegram" if size > TELEGRAM_DOWNLOAD_BYTES else "admin_too_large"
    return texts(key, name=name, size=_megabytes(size, texts))


def _megabytes(size: int, texts: Texts) -> str:
    """A file's size in MB, as the admin's language writes numbers ('4.2', '4,2')."""
    return format_decimal(round(size / 2**20, 1), format="#,##0.#", locale=texts.lang)


def _notes(*notes: str) -> str:
    """Several notes as one message (those that say something)."""
    return _cut("\n".join(n for n in notes if n), MAX_TEXT)


def _blocked_note(entry: Entry, texts: Texts) -> str:
    """The entry's answers with a phrase the bot must never say, each named, as an import
    names them (a customer asking gets a person instead): '' for none."""
    found = blocked_answers([entry])
    if not found:
        return ""
    return f"{texts('admin_blocked', n=len(found))}\n" + "\n".join(found)


def _listed(
    key: str, items: Sequence[str], texts: Texts, shown: int = 10, limit: int = 1500
) -> str:
    """The head ``key`` says (with their number), then the first ``shown`` ``items``, one a
    line, in the admin's language ('' for none)."""
    if not items:
        return ""
    lines = [texts(key, n=len(items))]
    lines += [f"- {say(item, texts)}" for item in items[:shown]]
    if len(items) > shown:
        lines.append(texts("admin_and_more", n=len(items) - shown))
    return _cut("\n".join(lines), limit)


def _repeated_note(repeated: Sequence[str], texts: Texts) -> str:
    """'ℹ️ 1 question repeated in its entry is kept once:' and each repeat, where it is
    ('' for none)."""
    return _listed("admin_repeated", repeated, texts)


def _alike_note(alike: Sequence[str], texts: Texts) -> str:
    """'⚠️ 1 new question asks what another entry's question asks:' and each, both entries
    and both questions named ('' for none)."""
    return _listed("admin_alike", alike, texts, limit=2000)


def _file_errors(exc: KbFormatError, texts: Texts, shown: int = 30) -> str:
    """Why a file was not imported: said once, then each mistake with its line, in the
    admin's language."""
    lines = [texts("admin_file_mistakes", n=len(exc.errors), name=exc.source)]
    lines += [f"- {say(e, texts)}" for e in exc.errors[:shown]]
    if len(exc.errors) > shown:
        lines.append(texts("admin_and_more", n=len(exc.errors) - shown))
    return _cut("\n".join(lines), 4000)


def _answer_lang(message: Message, entry: Entry) -> str | None:
    """The language a new plain answer too short to tell ('299 ₽', 'Да.', a link) replaces:
    the one its script tells ('Да.': ru), else the entry's only one, else the admin's own when the entry has it, else its questions'
    (before, '150 ₽' for a Russian-only entry was added as an English answer, the Russian
    one left as it was)."""
    text = message.text or ""
    if questions_lang(text, {"questions": entry.questions}) is None:
        return None  # long enough to tell
    if script := script_lang(text):
        return script  # 'Да.' is Russian, whatever the entry has
    if len(entry.answers) == 1:
        return next(iter(entry.answers))
    own = admin_texts(message.from_user).lang
    if own in entry.answers:
        return own
    return questions_lang(text, {"questions": entry.questions})


def _with_answers(answers: dict[str, str], typed: dict[str, str]) -> dict[str, str]:
    """The entry's answers with the ones the admin typed ('en: -' removes English)."""
    result = dict(answers)
    for lang, text in typed.items():
        if text.strip() == "-":
            result.pop(lang, None)
        else:
            result[lang] = text
    return result


def _changes(before: Any, after: Any, texts: Texts) -> str:
    """What an update changed, in a few words: 'answer ru, +2 questions, tags'."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ""
    parts = []
    was, now = before.get("answers") or {}, after.get("answers") or {}
    for lang in [*was, *(x for x in now if x not in was)]:
        if lang not in now:
            parts.append(texts("admin_change_answer_removed", lang=lang))
        elif lang not in was:
            parts.append(texts("admin_change_answer_added", lang=lang))
        elif was[lang] != now[lang]:
            parts.append(texts("admin_change_answer", lang=lang))
    asked, asks = before.get("questions") or [], after.get("questions") or []
    if added := sum(q not in asked for q in asks):
        parts.append(texts("admin_change_questions_added", n=added))
    if removed := sum(q not in asks for q in asked):
        parts.append(texts("admin_change_questions_removed", n=removed))
    if (before.get("tags") or []) != (after.get("tags") or []):
        parts.append(texts("admin_change_tags"))
    return ", ".join(parts)


def _questions_notes(
    added: QuestionsAdded | None, texts: Texts, elsewhere: dict[str, str] | None = None
) -> str:
    """What was not added of the questions the admin sent, and why: the ones the entry
    already has, the ones another entry has (one question, one answer); and the added ones
    another entry's question asks in other words."""
    lines = []
    if added is not None and added.already:
        shown = ", ".join(texts("admin_question_quoted", question=q) for q in added.already)
        lines.append(
            texts(
                "admin_questions_already",
                n=len(added.already),
                id=repr(added.entry.id),
                questions=_cut(shown, 1500),
            )
        )
    others = {**(added.elsewhere if added is not None else {}), **(elsewhere or {})}
    for question, owner in list(others.items())[:10]:
        said = texts(
            "admin_question_elsewhere", question=_cut(question, 200), id=repr(owner), cmd=owner
        )
        lines.append(said)
    if len(others) > 10:
        lines.append(texts("admin_and_more", n=len(others) - 10))
    if added is not None:  # asked in other words by another entry: as /kb_add says it
        lines.append(_alike_note(added.alike, texts))
    return _cut("\n".join(line for line in lines if line), MAX_TEXT)


def _short(exc: Exception, texts: Texts, limit: int = 800) -> str:
    """What is wrong with what the admin typed, in their language: a file's header is no
    use in a chat."""
    if isinstance(exc, KbFormatError) and len(exc.errors) > 1:
        return _cut("\n" + "\n".join(f"- {say(e, texts)}" for e in exc.errors), limit)
    if isinstance(exc, KbFormatError) and exc.errors:
        return _cut(say(exc.errors[0], texts), limit)
    if exc.args and isinstance(exc.args[0], Text):
        return _cut(say(exc.args[0], texts), limit)
    return _cut(str(exc), limit)


async def alert_blocked_entry(
    bot: Bot, session: AsyncSession, services: Any, ticket: Ticket, entry_id: str
) -> bool:
    """Each admin told, in private and in their language, that the FAQ entry ``entry_id``
    has an answer with a phrase the bot must never say (customers who ask it get a person
    instead; only the operator's card said so): which answer, the phrase, and how to fix
    it (/kb_edit, and a ✏️ Answer button). Once per entry in ``ALERT_EVERY``, however many
    customers ask, at the same moment too (an event of ``ticket``, the one it brought,
    remembers it; the entry's row, locked until it is written, keeps a second customer's
    check waiting for it on PostgreSQL, where both read no alert and both told the admins;
    on SQLite the transaction's write lock does). False: not told (told lately, or the
    entry has no such answer now)."""
    from bot.dialogs.guard import find_forbidden
    from escalation.service import add_event
    from escalation.telegram import tell_admins

    await session.execute(
        select(KnowledgeEntry.id).where(KnowledgeEntry.id == entry_id).with_for_update()
    )
    told = await session.scalars(
        select(TicketEvent.payload).where(
            TicketEvent.kind == BLOCKED_ALERT, TicketEvent.created_at > utcnow() - ALERT_EVERY
        )
    )
    if any((payload or {}).get("entry") == entry_id for payload in told):
        return False
    entry = await get_knowledge(services).get(session, entry_id)
    found = {
        lang: hits[0].fragment
        for lang, answer in (entry.answers.items() if entry is not None else ())
        if (hits := find_forbidden(answer))
    }
    if not found:
        return False
    lang, phrase = next(iter(found.items()))
    await add_event(session, ticket, BLOCKED_ALERT, entry=entry_id, lang=lang, phrase=phrase)
    await session.commit()  # remembered before Telegram is asked (no lock held meanwhile)

    def said(texts: Texts) -> tuple[str, InlineKeyboardMarkup | None]:
        langs = languages_in_words(texts, list(found))
        text = texts("admin_blocked_alert", id=entry_id, langs=langs, phrase=phrase)
        fix = KbCb(action="ans", entry=entry_id)
        return text, _kb([[(texts("admin_btn_answer"), fix)]]) if _fits(entry_id) else None

    await tell_admins(
        bot,
        services.settings,
        services.sessionmaker,
        said,
        f"of the blocked {entry_id!r}",
        seen_langs(services),
    )
    return True


def blocked_answer_alerts(services: Any) -> Callable[[Bot, AsyncSession, Any], Awaitable[None]]:
    """The after-turn hook that tells the admins of an FAQ answer the guard kept from a
    customer (``alert_blocked_entry``)."""

    async def after_turn(bot: Bot, session: AsyncSession, outcome: Any) -> None:
        from escalation.service import active_ticket

        if not any(e["type"] == "guard_blocked" for e in outcome.events):
            return
        answered = [e["answer_id"] for e in outcome.events if e["type"] == "faq_answered"]
        ticket = (
            await session.get(Ticket, outcome.ticket_id)
            if outcome.ticket_id is not None
            else await active_ticket(session, outcome.conversation_id)
        )
        if ticket is None:
            return
        for entry_id in dict.fromkeys(answered):
            await alert_blocked_entry(bot, session, services, ticket, entry_id)

    return after_turn
