"""Admins keep the knowledge current in Telegram: the admin router over the local fake Bot
API, a real database and a real index."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db import create_engine, create_sessionmaker, upgrade_database
from knowledge.formats import Entry, parse_text
from knowledge.models import UnansweredQuestion
from knowledge.service import KnowledgeService, get_knowledge
from tests.test_kb_service import small_kb, word_file  # noqa: F401 - a fixture

ADMIN, STRANGER = 900, 901
RU_ADMIN, PL_ADMIN = 902, 903  # admins whose Telegram speaks Russian, Polish


class AdminChat:
    """The admin's private chat with the bot: send, press, read the replies."""

    def __init__(self, fake: object, knowledge: KnowledgeService, sessionmaker: object) -> None:
        self.fake, self.knowledge, self.sessionmaker = fake, knowledge, sessionmaker
        self.services: Any = None  # the app's (what the handlers get), and its bot
        self.bot: Any = None
        # Telegram calls a handler made inside its update's transaction: (method, update)
        self.locked_calls: list[tuple[str, str]] = []

    def replies(self, since: int = 0, user: int = ADMIN) -> list[dict]:
        return self.fake.messages(user, from_bot=True)[since:]  # type: ignore[attr-defined]

    async def _wait(
        self,
        since: int,
        expect: str,
        timeout: float,  # noqa: ASYNC109
        edited: int | None = None,
        user: int = ADMIN,
    ) -> dict:
        """The newest reply after the first ``since`` (or the message ``edited``, changed in
        place) that contains ``expect``."""

        def found() -> list[dict]:
            return [
                m
                for i, m in enumerate(self.replies(user=user))
                if (i >= since or m["message_id"] == edited)
                and expect in (m.get("text") or m.get("caption") or "")
            ]

        await self.fake.wait_for(found, timeout=timeout)  # type: ignore[attr-defined]
        return found()[-1]

    async def say(
        self,
        text: str,
        expect: str,
        timeout: float = 30,  # noqa: ASYNC109
        user: int = ADMIN,
    ) -> dict:
        """``user`` (the admin, or another one) sends ``text``; the newest reply that
        contains ``expect``."""
        since = len(self.replies(user=user))
        self.fake.user_sends(user, text)  # type: ignore[attr-defined]
        return await self._wait(since, expect, timeout, user=user)

    async def press(self, message: dict, data: str, expect: str, timeout: float = 30) -> dict:  # noqa: ASYNC109
        since = len(self.replies())
        self.fake.user_presses(ADMIN, ADMIN, message["message_id"], data, forged=True)  # type: ignore[attr-defined]
        return await self._wait(since, expect, timeout, edited=message["message_id"])

    async def entry(self, entry_id: str) -> Entry | None:
        async with self.sessionmaker() as session:  # type: ignore[operator]
            return await self.knowledge.get(session, entry_id)


_UPDATE: contextvars.ContextVar[tuple[Any, Any, Any]] = contextvars.ContextVar("update")


async def _update_session(handler: Any, event: Any, data: dict[str, Any]) -> Any:
    """The update, its database session and its task, for the Telegram calls it makes."""
    _UPDATE.set((event, data.get("session"), asyncio.current_task()))
    return await handler(event, data)


def _holds_database(session: Any) -> bool:
    """Whether the session's transaction has begun in the database (BEGIN IMMEDIATE on
    SQLite): not one begun in the session alone, by a loaded row changed in memory and not
    flushed (an outbox row's attempt counted while it is sent), which holds no lock."""
    transaction = session.sync_session.get_transaction()
    if transaction is None:
        return False
    connections = getattr(transaction, "connections", None)  # SQLAlchemy 2.1
    return bool(transaction._connections if connections is None else connections)


class TransactionWatch:
    """Notes in ``calls`` each Telegram call an update's handler makes inside the update's
    transaction, as (method, what the update said): on SQLite every transaction holds the
    one write lock (BEGIN IMMEDIATE), so while Telegram is slow, or says 'retry after N s',
    every customer's turn waits on it and gives up after the busy timeout. (A task of the handler's own, an import's progress line,
    does not keep the transaction open and is not counted.)"""

    def __init__(self, calls: list[tuple[str, str]]) -> None:
        self.calls = calls

    def install(self, dp: Any, bot: Any) -> None:
        """Watches the updates ``dp`` hands to handlers and the calls ``bot`` makes."""
        dp.update.outer_middleware(_update_session)  # after the session's: it has it
        bot.session.middleware(self)

    async def __call__(self, make_request: Any, bot: Any, method: Any) -> Any:
        update, session, task = _UPDATE.get((None, None, None))
        if session is not None and task is asyncio.current_task() and _holds_database(session):
            said = update.message.text if update.message else None
            said = said or (update.callback_query.data if update.callback_query else "?")
            self.calls.append((type(method).__name__, str(said)[:60]))
        return await make_request(bot, method)


@pytest.fixture
async def admin(
    db_url: str,
    small_kb: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[AdminChat]:
    """The admin router alone (as the app mounts it), the small demo KB imported."""
    from aiogram import Dispatcher
    from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

    from bot.app import create_bot
    from bot.handlers import admin, admin_kb
    from bot.middlewares import DbSessionMiddleware
    from bot.sandbox.fakeapi import FakeTelegramServer

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, admin_ids=[ADMIN, RU_ADMIN, PL_ADMIN]
    )
    engine = create_engine(db_url)
    await upgrade_database(engine)
    sessionmaker = create_sessionmaker(engine)
    knowledge = KnowledgeService(
        settings, sessionmaker=sessionmaker, cache_dir=tmp_path_factory.mktemp("kb-admin-cache")
    )
    async with sessionmaker() as session:
        await knowledge.import_file(session, small_kb)
    services = SimpleNamespace(settings=settings, sessionmaker=sessionmaker, knowledge=knowledge)
    async with FakeTelegramServer(port=0) as server:
        fake = server.fake
        fake.add_user(user_id=ADMIN, first_name="Admin", username="boss", language_code="en")
        fake.add_user(user_id=STRANGER, first_name="Eve", language_code="en")
        fake.add_user(user_id=RU_ADMIN, first_name="Ольга", language_code="ru")
        fake.add_user(user_id=PL_ADMIN, first_name="Ewa", language_code="pl")
        dp = Dispatcher(storage=MemoryStorage(), events_isolation=SimpleEventIsolation())
        dp["services"] = services
        dp.update.outer_middleware(DbSessionMiddleware(sessionmaker))
        dp.include_router(admin.create_router(settings))
        dp.include_router(admin_kb.create_router(settings))
        chat = AdminChat(fake, knowledge, sessionmaker)
        bot = create_bot("7000000009:TEST-token", server.base_url)
        chat.services, chat.bot = services, bot
        TransactionWatch(chat.locked_calls).install(dp, bot)
        task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        try:
            yield chat
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(task, timeout=15)
            await bot.session.close()
            await knowledge.flush()
            await engine.dispose()
        # every test here: no reply, button or file went to Telegram with the lock held
        assert not chat.locked_calls, chat.locked_calls


async def test_list_upload_delete_export_and_strangers(admin: AdminChat, small_kb: Path) -> None:  # noqa: F811
    """/kb_list, a file upload with confirmation, /kb_delete with confirmation, /kb_export;
    a user who is not an admin gets nothing from this router."""
    fake = admin.fake
    text = await asyncio.to_thread(small_kb.read_text, encoding="utf-8")
    count = len(parse_text(text, "yaml"))
    more = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    upload = text + _yaml_of(more)
    fake.user_sends(ADMIN, document=("kb.yaml", upload.encode("utf-8")))
    offer = await admin._wait(0, "valid entries", 30)
    assert f"{count + 1} valid entries - 1 new, 0 changed, {count} unchanged" in offer["text"]
    await admin.press(offer, _button(offer, "Import"), "Imported")
    assert await admin.entry("franchise") == more
    count += 1

    listing = await admin.say("/kb_list", f"Knowledge base: {count} entries")
    assert "delivery_cost" in listing["text"]
    # each entry by its question in the admin's language (it was "Сколько стоит доставка?")
    assert "delivery_cost [ru,en,pl] How much is shipping?" in listing["text"], listing["text"]

    ask = await admin.say("/kb_delete delivery_cost", "Delete")
    await admin.press(ask, "kba:delyes:delivery_cost:0", "Deleted")
    assert await admin.entry("delivery_cost") is None
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        [change] = await admin.knowledge.history(session, "delivery_cost", limit=1)
    assert change.action == "delete" and change.actor == "tg:900 @boss"

    admin.fake.user_sends(ADMIN, "/kb_export")
    await fake.wait_for(lambda: fake.calls_of("sendDocument"), timeout=20)
    # the CSV an admin opens in Excel has a BOM (without one, Cyrillic shows as mojibake),
    # and the same file sent back imports with nothing changed
    admin.fake.user_sends(ADMIN, "/kb_export csv")
    await fake.wait_for(lambda: len(fake.calls_of("sendDocument")) >= 2, timeout=20)
    doc = [m for m in admin.replies() if m.get("document")][-1]["document"]
    data = fake.file_bytes(doc["file_id"])
    assert doc["file_name"] == "knowledge.csv" and data.startswith(b"\xef\xbb\xbf"), data[:9]
    fake.user_sends(ADMIN, document=("knowledge.csv", data))
    count -= 1  # delivery_cost was deleted
    back = await admin._wait(0, f"{count} valid entries", 30)
    assert "nothing to import" in back["text"], back["text"]

    fake.user_sends(STRANGER, "/kb_list")  # not an admin: this router stays silent
    await asyncio.sleep(1.5)
    assert not fake.messages(STRANGER, from_bot=True)


async def test_the_yaml_button_round_trips_and_saves_an_edit(admin: AdminChat) -> None:
    """'📝 YAML' shows the entry; sent back unchanged it is accepted, and an edited answer
    is saved (before, the shown text was re-indented wrongly and every edit was refused)."""
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    shown = await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    body = shown["text"].split("\n\n", 1)[1]
    assert body.startswith("- id: delivery_cost")
    reply = await admin.say(body, "aved")
    assert reply["text"].startswith("Saved"), reply["text"]

    before = await admin.entry("delivery_cost")
    assert before is not None
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    shown = await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    body = shown["text"].split("\n\n", 1)[1].replace(before.answers["en"], "Delivery is free.")
    await admin.say(body, "Saved")
    after = await admin.entry("delivery_cost")
    assert after is not None and after.answers["en"] == "Delivery is free."
    assert after.answers["ru"] == before.answers["ru"] and after.questions == before.questions


async def test_a_long_entry_comes_as_a_file_to_edit(admin: AdminChat) -> None:
    """An entry too long for one Telegram message (answers of up to 4,000 characters each)
    comes as a YAML file to edit and send back, not as a message Telegram refuses."""
    long = Entry(
        id="long_delivery",
        questions=["How long is delivery?"],
        answers={
            "en": ("One or two days in Moscow. " * 100).strip(),
            "ru": ("Один-два дня по Москве. " * 100).strip(),
        },
    )
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, long, actor="test")
    card = await admin.say("/kb_edit long_delivery", "long_delivery")
    sent = await admin.press(card, "kba:yaml:long_delivery:0", "too long for one message")
    assert sent["document"]["file_name"] == "long_delivery.yaml"
    # the admin is not left in the YAML edit: a plain message is not taken for one
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, "thanks")
    await asyncio.sleep(1.5)
    assert not any("Not saved" in (m.get("text") or "") for m in admin.replies(since))
    assert await admin.entry("long_delivery") == long


def _button(message: dict, text: str) -> str:
    """The callback data of the button of ``message`` whose text contains ``text``."""
    [data] = [
        b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if text in b["text"]
    ]
    return data


def _yaml_of(entry: Entry) -> str:
    from bot.handlers.admin_kb import entry_yaml

    return "\n".join("  " + line for line in entry_yaml(entry).splitlines()) + "\n"


async def _gap(admin: AdminChat, text: str) -> None:
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.record_unanswered(session, text, lang="en")
        await session.commit()


async def test_a_gap_turned_into_an_entry_never_overwrites_one(admin: AdminChat) -> None:
    """A new entry made from an unanswered question, given an id that is taken, is refused
    like /kb_add's: the existing entry's answer stays."""
    await _gap(admin, "Do you have a franchise?")
    before = await admin.entry("delivery_cost")
    listing = await admin.say("/kb_gaps", "could not answer")
    await admin.press(listing, "kba:gapnew::0", "Send the answer")
    await admin.say("en: No, we do not sell franchises.", "Last step")
    refused = await admin.say("delivery_cost", "Not saved")
    assert "already exists" in refused["text"]
    assert await admin.entry("delivery_cost") == before
    await admin.say("franchise", "Saved 'franchise'")
    franchise = await admin.entry("franchise")
    assert franchise is not None and franchise.questions == ["Do you have a franchise?"]


async def test_a_short_answer_to_russian_gap_questions_is_a_russian_answer(
    admin: AdminChat,
) -> None:
    """'299 ₽' (or a link) answering two Russian customers' questions: too short to tell
    its language, it was saved as the English answer, and the Russian customers asking it
    were answered only through the fallback; it is the questions' language."""
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        for text in ("Сколько стоит подарочная упаковка?", "Почём у вас упаковать подарок?"):
            await admin.knowledge.record_unanswered(session, text, lang="ru")
        await session.commit()
    listing = await admin.say("/kb_gaps", "could not answer")
    await admin.press(listing, "kba:gapnew::0", "Send the answer")
    await admin.say("199 ₽", "Last step")
    await admin.say("gift_wrap", "Saved 'gift_wrap'")
    entry = await admin.entry("gift_wrap")
    assert entry is not None and entry.answers == {"ru": "199 ₽"}, entry


async def test_an_abandoned_gap_does_not_leak_into_the_next_entry(admin: AdminChat) -> None:
    """'New entry' on a gap, then a fresh /kb_add for something else: the new entry does
    not close the unrelated gap, and a taken id is still refused."""
    await _gap(admin, "Do you have a franchise?")
    listing = await admin.say("/kb_gaps", "could not answer")
    await admin.press(listing, "kba:gapnew::0", "Send the answer")
    await admin.say("/kb_add", "New entry")
    await admin.say("Do you deliver to Kazan?", "Now the answer")
    await admin.say("en: Yes, in 3 days.", "Last step")
    assert "already exists" in (await admin.say("delivery_cost", "Not saved"))["text"]
    await admin.say("kazan", "Saved 'kazan'")
    kazan = await admin.entry("kazan")
    assert kazan is not None and kazan.questions == ["Do you deliver to Kazan?"]
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        gap = (await session.scalars(select(UnansweredQuestion))).one()
    assert gap.status == "open" and gap.entry_id is None


def test_the_card_of_a_long_entry_is_valid_telegram_html() -> None:
    """An entry with long answers (each within the 4,000-character limit) was cut in the
    middle of a tag: Telegram refused the card and the entry could not be opened."""
    from bot.handlers.admin_kb import entry_card
    from bot.sandbox.fakeapi import MAX_TEXT_LENGTH, parse_formatted

    for answers in (
        {"ru": "а" * 3990, "en": "short"},
        {"ru": "<б> & " * 600, "en": "x" * 3999, "pl": "y" * 3999},
    ):
        card = entry_card(Entry("long", ["q?"] * 60, answers))
        plain, _ = parse_formatted(card, "HTML")
        assert len(plain) <= MAX_TEXT_LENGTH
        assert "… and 35 more" in plain


def test_the_card_of_an_entry_with_many_long_customer_questions_fits_telegram() -> None:
    """An entry grown from /kb_gaps ('Add to' several times) had 30 questions as customers
    wrote them, two or three lines each: its card was 5,800 characters, Telegram refused
    it, and /kb_edit answered the admin with 'Sorry, something went wrong'. The card now
    shortens the questions to fit (the YAML button still shows them whole)."""
    from bot.handlers.admin_kb import entry_card
    from bot.sandbox.fakeapi import MAX_TEXT_LENGTH, parse_formatted

    asked = [
        f"Здравствуйте, я заказывала у вас чайник {i} неделю назад, и хотела спросить, можно "
        "ли вернуть его, если коробку я уже выбросила, а чек остался только электронный?"
        for i in range(30)
    ]
    card = entry_card(Entry("returns", asked, {"ru": "Да, можно. " * 300, "en": "Yes. " * 700}))
    plain, _ = parse_formatted(card, "HTML")
    assert len(plain) <= MAX_TEXT_LENGTH, len(plain)
    assert "Здравствуйте, я заказывала у вас чайник 0" in plain and "… and 5 more" in plain
    assert "Да, можно." in plain and "Yes." in plain


async def test_the_gaps_list_still_works_after_one_gap_became_an_entry(admin: AdminChat) -> None:
    """/kb_gaps lists two questions; the admin makes an entry from #1, then taps '✖ #2' on
    the same list: it was 'That list is out of date' (saving the entry forgot the list), so
    every gap needed /kb_gaps again; now #2 is dismissed."""
    await _gap(admin, "Do you have a franchise?")
    await _gap(admin, "Can I pay with bitcoin?")
    listing = await admin.say("/kb_gaps", "could not answer")
    first = listing["text"].splitlines()[1]
    await admin.press(listing, "kba:gapnew::0", "Send the answer")
    await admin.say("en: We answer this now.", "Last step")
    await admin.say("answered_gap", "Saved 'answered_gap'")
    await admin.press(listing, "kba:gapskip::1", "#2 dismissed")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        gaps = (await session.scalars(select(UnansweredQuestion))).all()
    assert sorted(g.status for g in gaps) == ["dismissed", "resolved"]
    resolved = [g for g in gaps if g.status == "resolved"]
    assert resolved[0].text in first


async def test_the_history_shows_the_shop_s_time(admin: AdminChat) -> None:
    """A change made at 09:30 UTC is listed by /kb_history at the shop's time (TIMEZONE,
    Moscow by default: 12:30); it was the UTC time with nothing to say so, three hours off
    for a manager in Moscow."""
    from datetime import UTC, datetime

    from bot.db.models import KnowledgeHistory

    async with admin.sessionmaker() as session:  # type: ignore[operator]
        row = KnowledgeHistory(
            entry_id="delivery_cost",
            action="update",
            actor="tg:900 @boss",
            created_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        )
        session.add(row)
        await session.commit()
    reply = await admin.say("/kb_history delivery_cost", "update delivery_cost")
    assert "2026-11-02 12:30 update delivery_cost by tg:900 @boss" in reply["text"]
    # and in the admin's language: it was 'update ... by' for a Russian admin too
    ru = await admin.say("/kb_history delivery_cost", "", user=RU_ADMIN)
    assert "2026-11-02 12:30 изменено delivery_cost — tg:900 @boss" in ru["text"], ru["text"]


async def test_the_history_says_which_operator_saved_a_reply(admin: AdminChat) -> None:
    """An operator's /kb_save was listed as 'create ships_on_sundays by op:501': nobody
    reading it knew who op:501 was. The history names the operator (an older row, kept with
    the id alone, still shows, as an operator's)."""
    from datetime import UTC, datetime

    from bot.db.models import KnowledgeHistory

    async with admin.sessionmaker() as session:  # type: ignore[operator]
        for actor, hour in (("op:502", 9), ("op:501 @olga_support", 10)):
            session.add(
                KnowledgeHistory(
                    entry_id="delivery_cost",
                    action="update",
                    actor=actor,
                    created_at=datetime(2026, 11, 2, hour, 30, tzinfo=UTC),
                )
            )
        await session.commit()
    reply = await admin.say("/kb_history delivery_cost", "update delivery_cost")
    assert "12:30 update delivery_cost by operator 502" in reply["text"], reply["text"]
    assert "13:30 update delivery_cost by operator 501 @olga_support" in reply["text"]
    ru = await admin.say("/kb_history delivery_cost", "", user=RU_ADMIN)
    assert "13:30 изменено delivery_cost — оператор 501 @olga_support" in ru["text"], ru["text"]


async def test_the_history_says_what_a_change_changed(admin: AdminChat) -> None:
    """/kb_history said 'update delivery_cost by tg:900 @boss' and nothing of what was
    changed: which answer, how many questions. It says so, in the admin's language."""
    from datetime import UTC, datetime

    from bot.db.models import KnowledgeHistory

    before = {"id": "delivery_cost", "questions": ["Q1"], "answers": {"ru": "A", "en": "B"}}
    after = {
        "id": "delivery_cost",
        "tags": ["delivery"],
        "questions": ["Q1", "Q2", "Q3"],
        "answers": {"ru": "A2", "en": "B", "pl": "C"},
    }
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        session.add(
            KnowledgeHistory(
                entry_id="delivery_cost",
                action="update",
                actor="tg:900 @boss",
                before=before,
                after=after,
                created_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
            )
        )
        await session.commit()
    reply = await admin.say("/kb_history delivery_cost", "update delivery_cost")
    assert (
        "2026-11-02 12:30 update delivery_cost by tg:900 @boss: answer ru, new answer pl, "
        "+2 questions, tags"
    ) in reply["text"], reply["text"]
    ru = await admin.say("/kb_history delivery_cost", "", user=RU_ADMIN)
    assert "— tg:900 @boss: ответ ru, новый ответ pl, +2 вопроса, теги" in ru["text"], ru["text"]


async def test_each_import_offer_imports_its_own_file(admin: AdminChat) -> None:
    """Two files sent one after the other: 'Import' under the first imported the second
    file (only the last one was remembered) and the second's then said 'Nothing to import';
    a step taken in between (a tag edited) lost the file too. Each offer now imports the
    file it was made for."""
    fake = admin.fake
    fake.user_sends(
        ADMIN, document=("one.jsonl", b'{"id":"one","questions":["One?"],"answers":{"en":"1"}}')
    )
    first = await admin._wait(0, "one.jsonl: 1 valid", 30)
    fake.user_sends(
        ADMIN, document=("two.jsonl", b'{"id":"two","questions":["Two?"],"answers":{"en":"2"}}')
    )
    second = await admin._wait(0, "two.jsonl: 1 valid", 30)
    card = await admin.say("/kb_edit gift_cards", "gift_cards")
    await admin.press(card, "kba:tags:gift_cards:0", "Send the tags")
    await admin.say("gifts", "gift_cards")

    await admin.press(first, _button(first, "Import"), "Imported")
    assert await admin.entry("one") is not None
    assert await admin.entry("two") is None
    await admin.press(second, _button(second, "Import"), "Imported")
    assert await admin.entry("two") is not None


async def test_a_typed_entry_s_mistakes_are_named_by_its_own_lines(admin: AdminChat) -> None:
    """An entry typed in a message (/kb_add with YAML, the YAML button) was checked as a
    file wrapped in one more line: its mistakes were one line off and came as 'message:
    invalid knowledge file, nothing imported (1 error(s))' though no file was sent; a bad
    id in /kb_add's last step was 'entry 1 (...)' of such a 'file'. Now each mistake is
    named with the line of the message, in a few words."""
    reply = await admin.say(
        "/kb_add id: franchise\nquestions: [Do you sell franchises]\nanswer: {en: No.}",
        "Not saved",
    )
    assert "line 3" in reply["text"] and "unknown key 'answer'" in reply["text"], reply["text"]
    assert "file" not in reply["text"], reply["text"]

    await admin.say("/kb_add", "New entry")
    await admin.say("Do you sell franchises?", "Now the answer")
    await admin.say("en: No, we do not.", "Last step")
    reply = await admin.say("Franchise Info", "Not saved")
    assert reply["text"].startswith("Not saved: bad id 'Franchise Info'"), reply["text"]
    assert "file" not in reply["text"] and "entry 1" not in reply["text"], reply["text"]


async def test_a_gap_already_answered_is_not_dismissed_or_answered_again(
    admin: AdminChat,
) -> None:
    """After a gap became an entry, '✖' on the same /kb_gaps list said '#1 dismissed.' and
    overwrote it (the link to its entry lost), and '➕ New entry' offered to answer it once
    more; both now say it is already answered, by which entry, and change nothing."""
    await _gap(admin, "Do you have a franchise?")
    listing = await admin.say("/kb_gaps", "could not answer")
    await admin.press(listing, "kba:gapnew::0", "Send the answer")
    await admin.say("en: No, we do not sell franchises.", "Last step")
    await admin.say("franchise", "Saved 'franchise'")

    reply = await admin.press(listing, "kba:gapskip::0", "#1")
    assert "already answered" in reply["text"] and "franchise" in reply["text"], reply["text"]
    reply = await admin.press(listing, "kba:gapnew::0", "#1")
    assert "already answered" in reply["text"], reply["text"]
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        gap = (await session.scalars(select(UnansweredQuestion))).one()
    assert (gap.status, gap.entry_id) == ("resolved", "franchise")


async def test_unknown_ids_one_entry_and_spreadsheets_get_a_clear_answer(admin: AdminChat) -> None:
    """'/kb_delete nosuch' answered 'Usage: /kb_delete ID', '/kb_history nosuch' 'No
    changes recorded yet.', a one-entry file '1 valid entries', and an .xlsx only 'Send a
    .yaml, .csv or .jsonl knowledge file.'; each now says what is wrong and what to do."""
    gone = await admin.say("/kb_delete nosuch", "nosuch")
    assert "No entry 'nosuch'" in gone["text"], gone["text"]
    never = await admin.say("/kb_history nosuch", "nosuch")
    assert "No entry 'nosuch'" in never["text"], never["text"]
    one = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    admin.fake.user_sends(ADMIN, document=("one.yaml", _yaml_of(one).encode("utf-8")))
    offer = await admin._wait(0, "valid entr", 30)
    assert "one.yaml: 1 valid entry - 1 new" in offer["text"], offer["text"]
    admin.fake.user_sends(ADMIN, document=("faq.xlsx", b"PK\x03\x04 not really a workbook"))
    sheet = await admin._wait(0, "CSV UTF-8", 30)
    assert "Save As" in sheet["text"], sheet["text"]


async def test_a_gaps_add_to_suggestion_is_the_topic_the_customers_picked(
    admin: AdminChat,
) -> None:
    """The bot could not answer 'Do you engrave kettles?' and offered its two closest
    topics; the customers tapped the second one. /kb_gaps suggested 'Add to' the search's
    nearest entry all the same (engraving questions were offered 'Add to cash_on_delivery');
    it suggests the topic the customers picked, and says so."""
    asked = ["Do you engrave kettles?", "Can you engrave a name on my kettle?"]
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        result = await admin.knowledge.search(session, asked[0])
        nearest, picked = (c.entry_id for c in result.candidates[:2])
        for text in asked:
            gap = await admin.knowledge.record_unanswered(
                session, text, lang="en", result=await admin.knowledge.search(session, text)
            )
            await admin.knowledge.note_gap_choice(session, gap, picked)
        await session.commit()
    listing = await admin.say("/kb_gaps", "could not answer")
    buttons = [b for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    adds = [b["text"] for b in buttons if "Add to" in b["text"]]
    assert adds == [f"🔗 Add to {picked}"], (adds, nearest)
    assert f"picked by customers: {picked}" in listing["text"], listing["text"]
    await admin.press(listing, f"kba:gapadd:{picked}:0", "Added")
    entry = await admin.entry(picked)
    assert entry is not None and set(asked) <= set(entry.questions)


async def test_admins_read_the_menus_confirmations_and_errors_in_their_language(
    admin: AdminChat,
) -> None:
    """An admin whose Telegram speaks Russian (or Polish) got every admin text in English:
    the menus, 'Delete ...? The history keeps a copy.', 'No entry ...'. They now come in
    the admin's language (English for any other)."""

    async def say(user: int, text: str, expect: str) -> dict:
        return await admin.say(text, expect, user=user)

    assert "/kb —" in (await say(RU_ADMIN, "/admin", "Команды администратора"))["text"]
    await say(RU_ADMIN, "/kb", "База знаний:")
    await say(RU_ADMIN, "/kb_delete nosuch", "Записи 'nosuch' нет, ничего не удалено")
    ask = await say(RU_ADMIN, "/kb_delete delivery_cost", "Удалить 'delivery_cost'")
    buttons = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["🗑 Да, удалить", "Отмена"], buttons
    card = await say(RU_ADMIN, "/kb_edit gift_cards", "Вопросы")
    assert "Ответы" in card["text"], card["text"]
    await say(RU_ADMIN, "/report last month", "Не получилось понять «last month» как период")

    await say(PL_ADMIN, "/kb_gaps", "Brak pytań bez odpowiedzi")
    await say(PL_ADMIN, "/kb_edit nosuch", "Nie ma wpisu 'nosuch'")
    # the English admin reads English as before
    await admin.say("/kb_edit nosuch", "No entry 'nosuch'. See /kb_list.")


async def test_an_empty_report_says_there_is_nothing_to_count_yet(admin: AdminChat) -> None:
    """A new shop's admin sent /report before any customer wrote: a column of zeros
    ('Conversations: 0', 'Complaints: 0', 'Handed to operators: 0 (urgent 0, still open
    0)') and a CSV of 40 empty or zero rows; /stats ended with 'Rating: - · NPS: -'. Both
    now say in one line that no customer has written yet, and no empty file is sent."""
    fake = admin.fake
    reply = await admin.say("/report 7", "nothing to count yet")
    assert "no customer wrote to the bot" in reply["text"], reply["text"]
    assert "Complaints: 0" not in reply["text"], reply["text"]
    stats = await admin.say("/stats", "Last 24 hours")
    assert "no customer wrote to the bot" in stats["text"], stats["text"]
    assert "Rating: -" not in stats["text"], stats["text"]
    ru = await admin.say("/report", "", user=RU_ADMIN)
    assert "считать пока нечего" in ru["text"], ru["text"]
    await asyncio.sleep(0.5)
    assert not fake.calls_of("sendDocument")


async def test_replace_all_asks_before_it_deletes_entries(admin: AdminChat) -> None:
    """'♻️ Replace all' sits next to '✅ Import': one tap on it under a file with one entry
    deleted every other entry of the knowledge base at once, with nothing asked. It now
    says how many entries (and which) it would delete and asks; Cancel keeps them all."""
    fake = admin.fake
    one = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        before = len(await admin.knowledge.list_entries(session))
    fake.user_sends(ADMIN, document=("one.yaml", _yaml_of(one).encode("utf-8")))
    offer = await admin._wait(0, "one.yaml: 1 valid entry", 30)
    ask = await admin.press(offer, _button(offer, "Replace all"), f"deletes {before} entries")
    assert "delivery_cost" in ask["text"], ask["text"]
    assert await admin.entry("delivery_cost") is not None
    await admin.press(ask, _button(ask, "Cancel"), "Import cancelled")
    assert await admin.entry("delivery_cost") is not None and await admin.entry("franchise") is None

    since = len(admin.replies())
    fake.user_sends(ADMIN, document=("one.yaml", _yaml_of(one).encode("utf-8")))
    offer = await admin._wait(since, "one.yaml: 1 valid entry", 30)
    ask = await admin.press(offer, _button(offer, "Replace all"), f"deletes {before} entries")
    await admin.press(ask, _button(ask, "Yes, replace all"), "Imported")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        assert [e.id for e in await admin.knowledge.list_entries(session)] == ["franchise"]


async def test_an_entry_deleted_by_another_admin_mid_edit_is_not_brought_back(
    admin: AdminChat,
) -> None:
    """Olga tapped '➕ Question' (or '📝 YAML') on an entry; a colleague deleted it meanwhile.
    Her questions got 'Not saved: no entry ...' again at every message, the step never
    ending, and her YAML sent back made the deleted entry again without a word. Both now
    say the entry no longer exists, and the step ends."""
    card = await admin.say("/kb_edit gift_cards", "gift_cards")
    await admin.press(card, "kba:addq:gift_cards:0", "Send new questions")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.delete(session, "gift_cards", actor="tg:902")
    await admin.say("Can I pay with a gift card online?", "no longer exists")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, "thanks")
    await asyncio.sleep(1.5)
    assert not any("Not saved" in (m.get("text") or "") for m in admin.replies(since))

    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    shown = await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    body = shown["text"].split("\n\n", 1)[1]
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.delete(session, "delivery_cost", actor="tg:902")
    await admin.say(body, "no longer exists")
    assert await admin.entry("delivery_cost") is None


async def test_an_admins_command_the_chat_does_not_know_gets_a_pointer(admin: AdminChat) -> None:
    """An admin's typo ('/kb_lsit') or an operator's command in the admins' private chat
    ('/take', '/queue') was read as a customer's message: 'I'm not sure I understood...',
    or 'That command is for the shop's team' though the admin is on it. A typo now gets the
    lists of commands, an operator's command where it works; /start is still the customer's
    greeting (an admin trying the bot)."""
    reply = await admin.say("/kb_lsit", "/kb_lsit")
    assert "/admin" in reply["text"] and "/kb" in reply["text"], reply["text"]
    reply = await admin.say("/take", "operators' group")
    assert "/take" in reply["text"], reply["text"]
    await admin.say("/queue@shop_bot", "operators' group")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, "/start")  # left to the customers' chat (not mounted here)
    await asyncio.sleep(1.5)
    assert not admin.replies(since)
    ru = admin.fake
    since = len(ru.messages(RU_ADMIN, from_bot=True))
    ru.user_sends(RU_ADMIN, "/kb_lsit")
    await ru.wait_for(lambda: ru.messages(RU_ADMIN, from_bot=True)[since:], timeout=30)
    [said] = ru.messages(RU_ADMIN, from_bot=True)[since:]
    assert "Не знаю команды /kb_lsit" in said["text"], said["text"]


async def test_a_file_that_changes_nothing_says_so(admin: AdminChat, small_kb: Path) -> None:  # noqa: F811
    """The file /kb_export had just sent, sent back as it was, got '... 0 new, 0 changed, 6
    unchanged. 0 current entries are not in the file (kept with Import, deleted with Replace
    all).' and three buttons to do nothing with; it now says nothing would change. A file
    that adds an entry and leaves none out no longer mentions '0 current entries' nor
    offers 'Replace all', which would do the same as Import."""
    fake = admin.fake
    data = await asyncio.to_thread(small_kb.read_bytes)
    fake.user_sends(ADMIN, document=("knowledge.yaml", data))
    same = await admin._wait(0, "knowledge.yaml", 30)
    assert "nothing to import" in same["text"], same["text"]
    assert not same.get("reply_markup"), same

    more = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    since = len(admin.replies())
    fake.user_sends(ADMIN, document=("more.yaml", data + _yaml_of(more).encode("utf-8")))
    offer = await admin._wait(since, "more.yaml", 30)
    assert "1 new, 0 changed" in offer["text"] and "current entr" not in offer["text"], offer
    buttons = [b["text"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["✅ Import", "Cancel"], buttons


async def test_a_broken_file_is_explained_once_in_plain_words(admin: AdminChat) -> None:
    """A CSV with a mistake got 'Nothing imported.' and then 'kb.csv: invalid knowledge
    file, nothing imported (1 error(s)):' - nothing imported said twice, in a programmer's
    'error(s)'. It now says once, in the admin's language, how many mistakes the file has,
    then each with its line."""
    fake = admin.fake
    bad = "id,lang,question,answer,tags\nfranchise,en,Do you sell franchises?,,\n"
    fake.user_sends(ADMIN, document=("kb.csv", bad.encode("utf-8")))
    reply = await admin._wait(0, "kb.csv", 30)
    text = reply["text"]
    assert text.startswith("Nothing imported: 1 mistake in kb.csv"), text
    assert "error(s)" not in text and text.lower().count("nothing imported") == 1, text
    assert "\n- " in text and "franchise" in text, text
    since = len(fake.messages(RU_ADMIN, from_bot=True))
    fake.user_sends(RU_ADMIN, document=("kb.csv", bad.encode("utf-8")))
    await fake.wait_for(lambda: fake.messages(RU_ADMIN, from_bot=True)[since:], timeout=30)
    [ru] = fake.messages(RU_ADMIN, from_bot=True)[since:]
    assert ru["text"].startswith("Ничего не загружено: 1 ошибка в kb.csv"), ru["text"]
    # the mistake itself too, not 'line 2, entry 'franchise': no answer in any language'
    assert "\n- строка 2, запись 'franchise': нет ответа ни на одном языке" in ru["text"], ru


async def test_a_deleted_entry_can_be_brought_back(admin: AdminChat) -> None:
    """'Delete ...? The history keeps a copy.' - but an entry deleted by mistake could not be
    brought back from Telegram (only by importing a file with it again). The 'Deleted'
    message now has '↩️ Undo', which restores the entry as it was, and the bot answers with
    it again."""
    before = await admin.entry("delivery_cost")
    ask = await admin.say("/kb_delete delivery_cost", "Delete")
    done = await admin.press(ask, "kba:delyes:delivery_cost:0", "Deleted")
    assert await admin.entry("delivery_cost") is None
    await admin.press(done, _button(done, "Undo"), "Restored 'delivery_cost'")
    assert await admin.entry("delivery_cost") == before
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        found = await admin.knowledge.search(session, "How much is delivery?")
    assert found.answer_id == "delivery_cost"
    # tapped again (or after the entry was made anew): nothing is overwritten
    again = await admin.press(done, _button(done, "Undo"), "already exists")
    assert again["text"].startswith("Not saved"), again["text"]


async def test_a_csv_excel_saved_on_russian_windows_is_imported(admin: AdminChat) -> None:
    """Excel on Windows in Russian settings saves 'CSV' in Windows-1251 with semicolons: the
    admin got 'Ничего не загружено ... not UTF-8 text'. The file is offered for import, says
    it was read as Windows-1251, and the entry keeps its Russian letters."""
    fake = admin.fake
    rows = (
        "id;lang;question;answer;tags\r\nfranchise;ru;Вы продаёте франшизу?;Нет, не продаём.;\r\n"
    )
    since = len(fake.messages(RU_ADMIN, from_bot=True))
    fake.user_sends(RU_ADMIN, document=("kb.csv", rows.encode("cp1251")))
    await fake.wait_for(lambda: fake.messages(RU_ADMIN, from_bot=True)[since:], timeout=30)
    [offer] = fake.messages(RU_ADMIN, from_bot=True)[since:]
    assert "новых 1" in offer["text"] and "Windows-1251" in offer["text"], offer["text"]
    fake.user_presses(RU_ADMIN, RU_ADMIN, offer["message_id"], _button(offer, "Загрузить"))

    for _ in range(300):  # stored after the reply: the database is polled
        if (entry := await admin.entry("franchise")) is not None:
            break
        await asyncio.sleep(0.05)
    assert entry is not None and entry.questions == ["Вы продаёте франшизу?"], entry
    assert entry.answers == {"ru": "Нет, не продаём."}


async def test_an_import_says_it_is_under_way(admin: AdminChat) -> None:
    """After 'Import' the offer stayed as it was until the file was saved and the search
    re-indexed (a minute for a big file), and the admin tapped again. It says at once that
    the import is under way, then how it went."""
    fake = admin.fake
    more = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    fake.user_sends(ADMIN, document=("kb.yaml", ("entries:\n" + _yaml_of(more)).encode()))
    offer = await admin._wait(0, "1 new", 30)
    await admin.press(offer, _button(offer, "Import"), "Imported")
    shown = [m.get("text") for m in fake.get_message(ADMIN, offer["message_id"]).history]
    assert any(t and t.startswith("⏳ Importing kb.yaml") for t in shown), shown


async def test_an_edit_made_by_mistake_can_be_undone(admin: AdminChat) -> None:
    """An admin who replaced an answer by mistake (or added the wrong questions) could only
    type the old one again from memory: only a delete had '↩️ Undo'. The card after an edit
    has '↩️ Undo this change', which puts the entry back as it was (and only while nobody
    changed it since); /kb_history ID has '↩️ Undo the last change'."""
    before = await admin.entry("delivery_cost")
    assert before is not None
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    await admin.press(card, "kba:ans:delivery_cost:0", "Send the new answer")
    edited = await admin.say("Delivery is 399 RUB now.", "Delivery is 399 RUB now.")
    after = await admin.entry("delivery_cost")
    assert after is not None and after.answers["en"] == "Delivery is 399 RUB now."
    undo = _button(edited, "Undo this change")
    await admin.press(edited, undo, "Undone: 'delivery_cost' is as it was before.")
    assert await admin.entry("delivery_cost") == before
    again = await admin.press(edited, undo, "Not undone")
    assert "'delivery_cost' has been changed since" in again["text"], again["text"]
    assert await admin.entry("delivery_cost") == before

    history = await admin.say("/kb_history delivery_cost", "update delivery_cost")
    await admin.press(history, _button(history, "Undo the last change"), "Undone")
    assert await admin.entry("delivery_cost") == after  # the undo itself taken back


async def test_a_table_saved_by_excel_as_unicode_text_is_offered(admin: AdminChat) -> None:
    """Excel's 'Unicode text' is a .txt: the admin got 'Send a .yaml, .csv or .jsonl
    knowledge file.' and nothing was read. It is read as the table it holds."""
    rows = "id\tlang\tquestion\tanswer\ttags\r\nfranchise\ten\tDo you sell franchises?\tNo.\t\r\n"
    admin.fake.user_sends(ADMIN, document=("Knowledge.txt", rows.encode("utf-16")))
    offer = await admin._wait(0, "Knowledge.txt", 30)
    assert "1 new" in offer["text"], offer["text"]


async def test_a_russian_admins_csv_export_opens_in_columns_in_excel(admin: AdminChat) -> None:
    """Excel in Russian (and Polish) settings splits a CSV at semicolons: /kb_export csv,
    comma-separated, opened as one column of 'id,lang,question,answer,tags' text. A Russian
    or Polish admin gets it with semicolons, which imports back as it was."""
    from knowledge.formats import parse_bytes

    fake = admin.fake
    fake.user_sends(RU_ADMIN, "/kb_export csv")
    await fake.wait_for(lambda: fake.calls_of("sendDocument"), timeout=20)
    [doc] = [m["document"] for m in fake.messages(RU_ADMIN, from_bot=True) if m.get("document")]
    data = fake.file_bytes(doc["file_id"])
    assert data.startswith("\ufeffid;lang;question;answer;tags\n".encode()), data[:40]
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        assert parse_bytes(data, "csv") == await admin.knowledge.list_entries(session)


async def test_a_wrong_file_imported_can_be_undone(admin: AdminChat) -> None:
    """An admin who imported the wrong file with 'Replace all' (an old copy, a colleague's
    test file) had lost every entry it lacked, and the answers it changed, with no way back
    but to find and import the right file. 'Imported' has '↩️ Undo this import', which
    puts every entry the import changed, made or deleted back as it was; an entry someone
    changed since stays as it is, and says so."""
    fake = admin.fake
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        originals = await admin.knowledge.list_entries(session)
    cost = next(e for e in originals if e.id == "delivery_cost")
    cheaper = Entry(cost.id, cost.questions, {**cost.answers, "en": "Free."}, cost.tags)
    franchise = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    upload = "entries:\n" + _yaml_of(cheaper) + _yaml_of(franchise)
    fake.user_sends(ADMIN, document=("old.yaml", upload.encode("utf-8")))
    offer = await admin._wait(0, "old.yaml: 2 valid entries", 30)
    ask = await admin.press(offer, _button(offer, "Replace all"), "deletes")
    done = await admin.press(ask, _button(ask, "Yes, replace all"), "Imported")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        assert len(await admin.knowledge.list_entries(session)) == 2

    gift = await admin.entry("gift_cards")  # deleted by the import
    assert gift is None
    undo = _button(done, "Undo this import")
    await admin.press(done, undo, "entries are back as they were")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        now = {e.id: e for e in await admin.knowledge.list_entries(session)}
        found = await admin.knowledge.search(session, "How much is delivery?")
    assert now == {e.id: e for e in originals}
    assert found.answer_id == "delivery_cost"
    again = await admin.press(done, undo, "Nothing undone")  # tapped twice
    assert again["text"].startswith("Nothing undone"), again["text"]


async def test_a_new_answer_in_one_language_reminds_of_the_others(admin: AdminChat) -> None:
    """A Russian admin who changed the delivery price in the Russian answer got the card
    and nothing else: the English answer went on quoting the old price to English-speaking
    customers. The bot says which languages stayed as they were, to check them."""
    fake = admin.fake
    before = await admin.entry("delivery_cost")
    assert before is not None and set(before.answers) == {"ru", "en", "pl"}, before
    since = len(fake.messages(RU_ADMIN, from_bot=True))
    fake.user_sends(RU_ADMIN, "/kb_edit delivery_cost")
    await fake.wait_for(lambda: fake.messages(RU_ADMIN, from_bot=True)[since:], timeout=30)
    card = fake.messages(RU_ADMIN, from_bot=True)[-1]
    since = len(fake.messages(RU_ADMIN, from_bot=True))
    fake.user_presses(
        RU_ADMIN, RU_ADMIN, card["message_id"], "kba:ans:delivery_cost:0", forged=True
    )
    await fake.wait_for(lambda: fake.messages(RU_ADMIN, from_bot=True)[since:], timeout=30)
    since = len(fake.messages(RU_ADMIN, from_bot=True))
    fake.user_sends(RU_ADMIN, "Доставка курьером стоит 399 ₽, бесплатно от 5000 ₽.")

    def reminded() -> list[str]:
        return [
            m.get("text") or ""
            for m in fake.messages(RU_ADMIN, from_bot=True)[since:]
            if "Другие языки" in (m.get("text") or "")
        ]

    await fake.wait_for(reminded, timeout=30)
    # the languages in words, not codes: "(en, pl)" was what the admin read
    assert reminded()[0].startswith("Другие языки остались прежними (английский и польский)"), (
        reminded()
    )
    after = await admin.entry("delivery_cost")
    assert after is not None and after.answers["en"] == before.answers["en"]
    assert after.answers["pl"] == before.answers["pl"]
    assert after.answers["ru"].startswith("Доставка курьером стоит 399 ₽")


async def test_questions_added_to_an_entry_without_their_language_say_so(
    admin: AdminChat,
) -> None:
    """Russian customers' engraving questions added with one tap to an entry that has only
    an English answer got 'Added 2 questions' and nothing else: those customers would then
    get the English answer. The bot says the entry has no Russian answer, with its card to
    add one."""
    engraving = Entry("engraving", ["Do you engrave kettles?"], {"en": "Yes, for 500 RUB."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, engraving, actor="test")
    for text in ("Можно ли сделать гравировку на чайнике?", "Гравировку на чайник делаете?"):
        await _gap(admin, text)
    listing = await admin.say("/kb_gaps", "could not answer")
    said = await admin.press(listing, "kba:gapadd:engraving:0", "no Russian answer")
    assert said["text"].startswith("'engraving' has no Russian answer"), said["text"]
    entry = await admin.entry("engraving")
    assert entry is not None and len(entry.questions) == 3


async def _yaml_open_then_olga_changes_en(admin: AdminChat) -> tuple[Entry, Entry, str]:
    """The admin opens '📝 YAML' on delivery_cost; then colleague Olga changes its English
    answer. Returns the entry as the admin read it, as Olga saved it, and the YAML shown."""
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    shown = await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    before = await admin.entry("delivery_cost")
    assert before is not None
    body = shown["text"].split("\n\n", 1)[1]
    olga = Entry(before.id, before.questions, {**before.answers, "en": "Delivery: 199 RUB."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, olga, actor="tg:902 @olga")
    return before, olga, body


async def test_a_colleagues_edit_is_not_lost_under_an_older_yaml(admin: AdminChat) -> None:
    """Two admins on one entry: the admin tapped '📝 YAML' on delivery_cost, Olga then
    changed its English answer, and the admin's YAML (read before her change) was saved
    over it: her new price gone without a word. It is now not saved: the admin hears who
    changed what meanwhile and gets the entry as it is now to edit again."""
    before, olga, body = await _yaml_open_then_olga_changes_en(admin)
    mine = body.replace(before.answers["ru"], "Доставка бесплатная.")
    reply = await admin.say(mine, "delivery_cost")
    assert "Not saved" in reply["text"] and "tg:902 @olga" in reply["text"], reply["text"]
    assert "answer en" in reply["text"] and "Delivery: 199 RUB." in reply["text"]
    assert await admin.entry("delivery_cost") == olga
    # the copy it sent is the entry as it is now: edited and sent back, it is saved
    fresh = reply["text"].split("\n\n", 1)[1].replace(before.answers["ru"], "Бесплатно.")
    await admin.say(fresh, "Saved")
    after = await admin.entry("delivery_cost")
    assert after is not None and after.answers == {**olga.answers, "ru": "Бесплатно."}


def _many_entries(word: str, n: int) -> bytes:
    """A YAML knowledge file of ``n`` entries ('Do you have size 7?' ...)."""
    lines = ["entries:"]
    for i in range(n):
        lines += [
            f"  - id: {word}_{i:03d}",
            "    questions:",
            f"      - Do you have {word} {i}?",
            "    answers:",
            f"      en: {word.capitalize()} {i} is in stock.",
        ]
    return ("\n".join(lines) + "\n").encode()


async def test_a_big_import_shows_how_far_it_is(admin: AdminChat) -> None:
    """A file of thousands of entries said '⏳ Importing ... this can take a minute…' and
    then nothing for minutes, while the command line shows a progress bar. The message now
    shows how far it is (at most one edit per PROGRESS_INTERVAL seconds, so which tenths
    show depends on the machine's speed): saving the entries, then updating the search."""
    admin.fake.user_sends(ADMIN, document=("sizes.yaml", _many_entries("size", 200)))
    offer = await admin._wait(0, "200 new", 60)
    await admin.press(offer, _button(offer, "Import"), "Imported", timeout=300)
    message = admin.fake.get_message(ADMIN, offer["message_id"])
    shown = [m.get("text") or "" for m in message.history]  # its texts before the last one
    steps = [t for t in shown if t.startswith("⏳ Importing sizes.yaml: saving the entries")]
    assert steps, shown
    assert all("of 200" in t and "▰" in t and t.endswith("%") for t in steps), steps
    done = [int(t.split(", ")[-1].split(" of ")[0]) for t in steps]
    assert done == sorted(done) and 0 < done[-1] <= 200, steps
    assert message.to_api()["text"].startswith("Imported: 200 entries")


async def test_use_id_tapped_twice_shows_the_entry_not_that_it_is_gone(
    admin: AdminChat,
) -> None:
    """'Use kazan' tapped twice (a slow connection, a double tap): the first saved the new
    entry, the second said 'That entry no longer exists', as if it had been lost. The second
    tap now shows the entry that was saved."""
    await admin.say("/kb_add", "New entry")
    await admin.say("Do you deliver to Kazan?", "Now the answer")
    ask = await admin.say("en: Yes, in 3 days.", "Last step")
    data = _button(ask, "Use")
    await admin.press(ask, data, "Saved")
    again = await admin.press(ask, data, "Do you deliver to Kazan?")
    assert "no longer exists" not in (again.get("text") or ""), again
    saved = await admin.entry(data.split(":")[2])
    assert saved is not None and saved.questions == ["Do you deliver to Kazan?"]


async def test_a_new_entry_without_an_answer_in_its_questions_language_is_pointed_out(
    admin: AdminChat,
) -> None:
    """An entry added with English and Polish questions and only a Polish answer was saved
    with no word: the English customers then got 'I only have this answer in Polish'. The
    admin is told which language has no answer, and how to add it."""
    await admin.say("/kb_add", "New entry")
    await admin.say("Do you have a store in Berlin?\nCzy macie sklep w Berlinie?", "Now the answer")
    ask = await admin.say("pl: Nie, sprzedajemy tylko online.", "Last step")
    await admin.press(ask, _button(ask, "Use"), "Saved")
    said = await admin._wait(0, "answer: customers writing in it", 20)
    assert "has no English or Russian answer" in said["text"], said["text"]


async def test_kb_search_says_what_a_customer_asking_it_would_get(admin: AdminChat) -> None:
    """An admin checking how the bot takes a wording had to ask it as a customer (the
    question then counted as a customer's): /kb_search says which entry answers it, or that
    the bot would not answer, with the closest entries and their confidence to open."""
    await admin.say("/kb_search", "Usage: /kb_search")
    said = await admin.say("/kb_search Сколько стоит доставка курьером?", "A customer asking")
    assert said["text"].startswith("A customer asking this gets 'delivery_cost'"), said["text"]
    assert "\n1. delivery_cost " in said["text"], said["text"]
    assert "delivery_cost" in str(said.get("reply_markup")), said
    said = await admin.say("/kb_search Do you rent out party tents?", "would not answer")
    assert "\n1. " in said["text"], said["text"]
    said = await admin.say("/kb_search Where is my order 1234567?", "order number")


async def test_import_tapped_twice_keeps_the_report_and_its_undo(admin: AdminChat) -> None:
    """'Import' tapped twice: the second tap replaced the report ('Imported: ... 1
    created') and its '↩️ Undo this import' button with 'This file was already imported or
    cancelled', so the admin could no longer see what happened nor take it back. The report
    stays; the second tap is answered in a message of its own."""
    more = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    admin.fake.user_sends(ADMIN, document=("kb.yaml", ("entries:\n" + _yaml_of(more)).encode()))
    offer = await admin._wait(0, "1 new", 30)
    data = _button(offer, "Import")
    await admin.press(offer, data, "Imported")
    await admin.press(offer, data, "already imported")
    report = admin.fake.get_message(ADMIN, offer["message_id"]).to_api()
    assert report["text"].startswith("Imported"), report["text"]
    assert "Undo" in str(report.get("reply_markup")), report


async def test_a_colleagues_edit_is_not_lost_under_a_button_edit_or_a_file(
    admin: AdminChat,
) -> None:
    """Two admins on one entry: only the 📝 YAML edit checked for a colleague's change. The
    admin's card of delivery_cost was shown, Olga then changed its English answer, and the
    admin's '✏️ Answer' on that card (or '➕ Question', or a file exported before her change)
    was saved over it: her new price gone without a word. Each now says who changed what,
    shows the entry as it is now and asks: '💾 Save mine anyway' or 'Cancel'."""
    before = await admin.entry("delivery_cost")
    assert before is not None
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    olga = Entry(before.id, before.questions, {**before.answers, "en": "Delivery: 199 RUB."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, olga, actor="tg:902 @olga")
    await admin.press(card, _button(card, "Answer"), "answer")
    reply = await admin.say("ru: Доставка бесплатная.", "delivery_cost")
    assert "Not saved yet" in reply["text"] and "tg:902 @olga" in reply["text"], reply["text"]
    assert "answer en" in reply["text"] and "Delivery: 199 RUB." in reply["text"], reply
    assert await admin.entry("delivery_cost") == olga
    await admin.press(reply, _button(reply, "Save mine anyway"), "Доставка бесплатная.")
    mine = await admin.entry("delivery_cost")
    assert mine is not None and mine.answers == {**olga.answers, "ru": "Доставка бесплатная."}

    # a question added on a card older than a colleague's change: Cancel keeps theirs
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    olga2 = Entry(mine.id, mine.questions, {**mine.answers, "en": "Delivery: 249 RUB."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, olga2, actor="tg:902 @olga")
    await admin.press(card, _button(card, "Question"), "Send new questions")
    reply = await admin.say("What does shipping cost?", "delivery_cost")
    assert "Not saved yet" in reply["text"] and "tg:902 @olga" in reply["text"], reply["text"]
    await admin.press(reply, _button(reply, "Cancel"), "Kept as it is now")
    assert await admin.entry("delivery_cost") == olga2

    # a file with the entry as it was before her change: asked before it is imported over
    from bot.handlers.admin_kb import entry_yaml

    old_copy = "entries:\n" + "\n".join("  " + x for x in entry_yaml(mine).splitlines()) + "\n"
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("kb.yaml", old_copy.encode("utf-8")))
    offer = await admin._wait(since, "1 changed", 30)
    asked = await admin.press(offer, _button(offer, "Import"), "Not imported yet")
    assert "delivery_cost: tg:902 @olga (answer en)" in asked["text"], asked["text"]
    assert await admin.entry("delivery_cost") == olga2
    await admin.press(asked, _button(asked, "Save mine anyway"), "Imported")
    assert await admin.entry("delivery_cost") == mine


async def test_the_csv_export_opens_in_excel_without_formulas(admin: AdminChat) -> None:
    """/kb_export csv: an answer starting with '+' ('+7 495 123-45-67') or '=' became a
    formula when the admin opened the file in Excel (#NAME?, a link run on a click). The
    Telegram export is Excel-safe (an apostrophe before it), and the file sent back as it
    is changes nothing."""
    phone = Entry(
        id="phone",
        questions=["What is your phone number?", "-Do you have a hotline?"],
        answers={"en": "+7 495 123-45-67", "ru": '=HYPERLINK("https://shop.example")'},
    )
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, phone, actor="test")
    fake = admin.fake
    fake.user_sends(ADMIN, "/kb_export csv")
    await fake.wait_for(lambda: fake.calls_of("sendDocument"), timeout=20)
    doc = [m for m in admin.replies() if m.get("document")][-1]["document"]
    data = fake.file_bytes(doc["file_id"])
    text = data.decode("utf-8-sig")
    assert "phone,en,What is your phone number?,'+7 495 123-45-67," in text, text
    assert "'-Do you have a hotline?" in text and "\"'=HYPERLINK(" in text, text
    since = len(admin.replies())
    fake.user_sends(ADMIN, document=("knowledge.csv", data))
    back = await admin._wait(since, "knowledge.csv", 30)
    assert "nothing to import" in back["text"], back["text"]
    assert await admin.entry("phone") == phone


async def test_a_big_import_waits_out_a_flood_limit_and_edits_sparingly(
    admin: AdminChat,
) -> None:
    """Telegram answering 'Too Many Requests: retry after 1' (429) to an edit of the
    import's message (a big file's progress edits it again and again) ended the import's
    reply there: no report, no '↩️ Undo this import', while the entries were saved. The
    flood limit is waited out, and the progress is edited at most once per ~3 s."""
    admin.fake.user_sends(ADMIN, document=("colours.yaml", _many_entries("colour", 300)))
    offer = await admin._wait(0, "300 new", 60)
    admin.fake.add_fault("editMessageText", status=429, retry_after=1, times=2)
    started = asyncio.get_running_loop().time()
    await admin.press(offer, _button(offer, "Import"), "Imported", timeout=150)
    elapsed = asyncio.get_running_loop().time() - started
    message = admin.fake.get_message(ADMIN, offer["message_id"])
    report = message.to_api()
    assert report["text"].startswith("Imported: 300 entries"), report["text"]
    assert "Undo" in str(report.get("reply_markup")), report
    # the offer, 'Importing...', then a progress step at once and at most every 3 s after
    # it (the report is the message now)
    assert len(message.history) <= 3 + elapsed / 3, (
        [m.get("text") for m in message.history],
        elapsed,
    )


async def test_a_button_on_an_entry_a_colleague_deleted_says_who_and_offers_undo(
    admin: AdminChat,
) -> None:
    """A card's button tapped after a colleague deleted the entry said only 'That entry no
    longer exists. /kb_list': the admin could not tell who deleted it or bring it back from
    there. It now says who deleted it and when, with '↩️ Undo' (the history's copy)."""
    before = await admin.entry("gift_cards")
    card = await admin.say("/kb_edit gift_cards", "gift_cards")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.delete(session, "gift_cards", actor="tg:902 @olga")
    said = await admin.press(card, _button(card, "Answer"), "no longer exists")
    assert "tg:902 @olga deleted it at" in said["text"], said["text"]
    # a tap saves nothing to begin with: not 'so nothing was saved', as after a step
    assert "nothing was saved" not in said["text"], said["text"]
    await admin.press(said, _button(said, "Undo"), "Restored 'gift_cards'")
    assert await admin.entry("gift_cards") == before
    # a step already begun: the same, and the step ends
    await admin.press(card, _button(card, "Question"), "Send new questions")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.delete(session, "gift_cards", actor="tg:902 @olga")
    said = await admin.say("Can I pay with a gift card online?", "no longer exists")
    assert "tg:902 @olga deleted it" in said["text"] and _button(said, "Undo"), said


async def test_a_photo_or_voice_message_in_a_step_is_answered_and_named(
    admin: AdminChat,
) -> None:
    """A photo sent at '/kb_add ... Now the answer' (a screenshot of the price list) or a
    voice message at '➕ Question' got no word from the admin's chat (it went on as a
    customer's message), and a photo sent as a file ('prices.jpg') only 'Send a .yaml, .csv
    or .jsonl knowledge file.'. Each is named ('That's a photo'), with what the step still
    needs; the step goes on."""
    await admin.say("/kb_add", "New entry")
    await admin.say("Do you deliver to Kazan?", "Now the answer")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, photo=True, caption="en: see the picture")
    said = await admin._wait(since, "That's a photo", 30)
    assert "Now the answer" in said["text"], said["text"]
    ask = await admin.say("en: Yes, in 3 days.", "Last step")
    await admin.press(ask, _button(ask, "Use"), "Saved")

    card = await admin.say("/kb_edit gift_cards", "gift_cards")
    await admin.press(card, _button(card, "Question"), "Send new questions")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, voice=True)
    said = await admin._wait(since, "That's a voice message", 30)
    assert "Send new questions for 'gift_cards'" in said["text"], said["text"]
    await admin.say("Gift card online?", "gift_cards")
    entry = await admin.entry("gift_cards")
    assert entry is not None and "Gift card online?" in entry.questions

    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("prices.jpg", b"\xff\xd8\xff\xe0not really"))
    said = await admin._wait(since, "not a knowledge file", 30)
    assert said["text"].startswith("That's a photo, not a knowledge file"), said["text"]
    ru = admin.fake
    n = len(ru.messages(RU_ADMIN, from_bot=True))
    ru.user_sends(RU_ADMIN, document=("прайс.png", b"\x89PNGnot really"))
    await ru.wait_for(lambda: ru.messages(RU_ADMIN, from_bot=True)[n:], timeout=30)
    [said] = ru.messages(RU_ADMIN, from_bot=True)[n:]
    assert said["text"].startswith("Это фото, а не файл базы знаний"), said["text"]


async def test_a_file_over_telegrams_download_limit_gets_a_hint(admin: AdminChat) -> None:
    """A knowledge file of 21 MB (a big shop's export) got 'The file is too large (10 MB at
    most).', no word of what to do with it. It now says how big it is, that Telegram gives
    a bot no file over 20 MB, and the ways in: smaller files one by one, or 'supportbot kb
    import' on the server."""
    big = b"entries:\n" + b"# " + b"x" * (21 * 1024 * 1024) + b"\n"
    admin.fake.user_sends(ADMIN, document=("kb.yaml", big))
    said = await admin._wait(0, "kb.yaml", 60)
    assert said["text"].startswith("kb.yaml is 21 MB: Telegram lets a bot download"), said
    assert "up to 10 MB" in said["text"] and "supportbot kb import" in said["text"], said
    n = len(admin.fake.messages(RU_ADMIN, from_bot=True))
    admin.fake.user_sends(RU_ADMIN, document=("kb.csv", b"id" + b"x" * (12 * 1024 * 1024)))
    await admin.fake.wait_for(lambda: admin.fake.messages(RU_ADMIN, from_bot=True)[n:], 60)
    [ru] = admin.fake.messages(RU_ADMIN, from_bot=True)[n:]
    assert ru["text"].startswith("kb.csv весит 12 МБ, а здесь я загружаю файлы до 10 МБ"), ru


async def test_a_short_new_answer_replaces_the_entrys_own_language(admin: AdminChat) -> None:
    """'✏️ Answer' on a Russian-only entry, then '150 ₽' (a new price, too short to tell its
    language): it was saved as an English answer beside the old Russian one, which customers
    kept getting ('Other languages stay as they were (ru)'). It replaces the Russian one."""
    pickup = Entry(
        id="pickup_price",
        questions=["Сколько стоит самовывоз?"],
        answers={"ru": "Самовывоз — 100 ₽."},
    )
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, pickup, actor="test")
    card = await admin.say("/kb_edit pickup_price", "pickup_price")
    await admin.press(card, _button(card, "Answer"), "Send the new answer")
    await admin.say("150 ₽", "150 ₽")
    entry = await admin.entry("pickup_price")
    assert entry is not None and entry.answers == {"ru": "150 ₽"}, entry


async def test_a_yaml_sent_after_a_colleagues_change_can_be_saved_anyway(
    admin: AdminChat,
) -> None:
    """The 📝 YAML edit after a colleague's change was refused with the entry as it is now to
    edit again, and nothing else: an admin who meant to overwrite it (a wrong price put
    right) had to make the edit a second time. '💾 Save mine anyway' saves it as sent;
    'Cancel' ends the step."""
    before, olga, body = await _yaml_open_then_olga_changes_en(admin)
    mine = body.replace(before.answers["en"], "Delivery is 299 RUB.")
    reply = await admin.say(mine, "Not saved")
    await admin.press(reply, _button(reply, "Save mine anyway"), "Saved")
    after = await admin.entry("delivery_cost")
    assert after is not None and after.answers["en"] == "Delivery is 299 RUB.", after


async def test_a_question_already_there_or_on_another_entry_is_said_not_added(
    admin: AdminChat,
) -> None:
    """➕ Question with a question the entry already has ('how much is shipping' once more,
    another case, no '?') or one another entry answers ('What payment methods do you
    accept?' sent to delivery_cost) saved silently: the first was dropped without a word,
    the second made two entries answer one question. The admin is told which were already
    there and which entry each other one belongs to; only the new one is added. /kb_add
    with another entry's question says so too and leaves it out."""
    before = await admin.entry("delivery_cost")
    assert before is not None
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    await admin.press(card, "kba:addq:delivery_cost:0", "Send new questions")
    since = len(admin.replies())
    said = await admin.say(
        "how much is SHIPPING\nWhat payment methods do you accept?\nIs delivery free on Sundays?",
        "Sundays",
    )
    notes = "\n".join(m.get("text") or "" for m in admin.replies(since))
    assert "1 question is already on 'delivery_cost'" in notes, notes
    assert "How much is shipping?" in notes, notes
    assert "'payment_methods'" in notes and "not added" in notes, notes
    assert "Is delivery free on Sundays?" in said["text"]  # the card, with the new one
    after = await admin.entry("delivery_cost")
    payment = await admin.entry("payment_methods")
    assert after is not None and payment is not None
    assert after.questions == [*before.questions, "Is delivery free on Sundays?"]
    assert "What payment methods do you accept?" in payment.questions

    # in Russian, with plural forms; nothing new at all: nothing saved, and said so
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost", user=RU_ADMIN)
    since = len(admin.replies(user=RU_ADMIN))
    admin.fake.user_presses(
        RU_ADMIN, RU_ADMIN, card["message_id"], "kba:addq:delivery_cost:0", forged=True
    )  # type: ignore[attr-defined]
    await admin._wait(since, "по одному в строке", 30, user=RU_ADMIN)
    said = await admin.say(
        "Сколько стоит доставка\nдоставка платная или бесплатная?", "уже есть", user=RU_ADMIN
    )
    assert "2 вопроса уже есть в 'delivery_cost'" in said["text"], said["text"]
    assert (await admin.entry("delivery_cost")) == after

    await admin.say("/kb_add", "questions")
    said = await admin.say("What payment methods do you accept?\nDo you take PayPal?", "not added")
    assert "'payment_methods'" in said["text"], said["text"]
    await admin.say("No, cards and cash only.", "id")
    await admin.say("paypal", "Saved")
    paypal = await admin.entry("paypal")
    assert paypal is not None and paypal.questions == ["Do you take PayPal?"]


async def test_a_command_sent_in_a_step_is_a_command_not_its_text(admin: AdminChat) -> None:
    """A command sent while a step waits was read as the step's text: '/kb_lsit' (a typo)
    during a 📝 YAML edit was refused as YAML ('Not saved: ...'), '/kb_gaps' after /kb_add
    became the new entry's question ('Now the answer...'), and /kb_list showed the list but
    left the step waiting, so the next message went into it. A typo gets the commands and
    what the step still waits for; a known command is run, and the step is left, said so."""
    before = await admin.entry("delivery_cost")
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    since = len(admin.replies())
    reply = await admin.say("/kb_lsit", "/kb_lsit")
    assert "/admin" in reply["text"], reply["text"]
    assert "send back" in reply["text"], reply["text"]  # the step still waits
    said = "\n".join(m.get("text") or "" for m in admin.replies(since))
    assert "Not saved" not in said and "YAML" not in said.split("/kb_lsit")[0], said
    assert await admin.entry("delivery_cost") == before

    since = len(admin.replies())
    await admin.say("/kb_list", "Knowledge base:")
    said = "\n".join(m.get("text") or "" for m in admin.replies(since))
    assert "'delivery_cost'" in said and "nothing" in said, said  # the edit left, said so

    await admin.say("/kb_add", "New entry")
    since = len(admin.replies())
    await admin.say("/kb_gaps", "No unanswered questions")
    said = "\n".join(m.get("text") or "" for m in admin.replies(since))
    assert "Now the answer" not in said, said
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, "Do you sell gift cards?")  # no step: not a new question
    await asyncio.sleep(1.5)
    assert not admin.replies(since), admin.replies(since)

    await admin.say("/kb_add", "New entry")  # the other router's commands leave it too
    await admin.say("/stats", "Last 24 hours")
    assert any("nothing was saved" in (m.get("text") or "") for m in admin.replies(since))


async def test_an_unanswered_question_becomes_an_entry_in_a_few_taps(admin: AdminChat) -> None:
    """/kb_gaps -> '➕ New entry #1' -> the answer typed -> 'Use ...' tapped: the entry is
    saved with the customers' questions, the gap is closed, and the customers' question is
    answered from it. A photo or a typo sent while the gap's answer was awaited got the
    /kb_add prompt ('Now the answer...'), without the questions it answers; it shows them
    again (the step the gap's answer had and never used)."""
    await _gap(admin, "Do you have a franchise?")
    await _gap(admin, "Can I buy a franchise of your shop?")
    listing = await admin.say("/kb_gaps", "could not answer")
    prompt = await admin.press(listing, _button(listing, "New entry #1"), "Send the answer")
    assert "Do you have a franchise?" in prompt["text"], prompt["text"]
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, photo=True)
    said = await admin._wait(since, "That's a photo", 30)
    assert "Do you have a franchise?" in said["text"], said["text"]
    said = await admin.say("/kb_lsit", "/kb_lsit")
    assert "Do you have a franchise?" in said["text"], said["text"]
    ask = await admin.say("en: No, we do not sell franchises.", "Last step")
    await admin.press(ask, _button(ask, "Use"), "Saved")
    [entry_id] = [
        e.id
        for e in await _entries(admin)
        if e.answers.get("en") == "No, we do not sell franchises."
    ]
    entry = await admin.entry(entry_id)
    assert entry is not None and set(entry.questions) == {
        "Do you have a franchise?",
        "Can I buy a franchise of your shop?",
    }
    await admin.say("/kb_gaps", "No unanswered questions")
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        found = await admin.knowledge.search(session, "Do you have a franchise?")
    assert found.answer_id == entry_id


async def _entries(admin: AdminChat) -> list[Entry]:
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        return await admin.knowledge.list_entries(session)


async def test_a_customer_is_answered_while_a_big_file_is_read(
    settings: Settings,
    classifier: object,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading a knowledge file (6 s for 5,000 entries in YAML) ran on the bot's one event
    loop: while an admin's upload was checked, and again when Import was tapped, no
    customer got an answer. The file is read off the loop: a customer who writes while it
    is being read is answered before the reading ends (the reading here waits until the
    customer's answer, or 20 s, so the order tells, not the machine's speed)."""
    import threading

    from bot.handlers import admin_kb
    from bot.sandbox.run import ADMIN_ID
    from tests.test_e2e import ANNA, launch, stop_sandbox

    real = admin_kb.parse_bytes
    order: list[str] = []
    reading, answered = threading.Event(), threading.Event()

    def slow_parse(*args: object, **kwargs: object) -> list[Entry]:
        order.append("reading")
        reading.set()
        answered.wait(timeout=20)  # on the loop, this holds the customer's answer back
        order.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(admin_kb, "parse_bytes", slow_parse)
    sandbox = await launch(settings, classifier, db_url)
    try:
        fake = sandbox.server.fake
        entry = Entry("franchise", ["Do you sell franchises?"], {"en": "No, we do not."})
        upload = ("entries:\n" + _yaml_of(entry)).encode("utf-8")

        async def customer_writes_while_it_is_read(text: str) -> None:
            await asyncio.to_thread(reading.wait, 10)
            reading.clear()
            before = len(fake.messages(ANNA, from_bot=True))
            fake.user_sends(ANNA, text)
            await fake.wait_for(lambda: len(fake.messages(ANNA, from_bot=True)) > before, 30)
            order.append("customer answered")
            answered.set()

        fake.user_sends(ANNA, "Добрый день")  # the models loaded: the first answer is slow
        await fake.wait_for(lambda: fake.messages(ANNA, from_bot=True), 60)
        fake.user_sends(ADMIN_ID, document=("kb.yaml", upload))
        await customer_writes_while_it_is_read("Здравствуйте!")
        await fake.wait_for(
            lambda: any(
                "valid entr" in (m.get("text") or "")
                for m in fake.messages(ADMIN_ID, from_bot=True)
            ),
            30,
        )
        assert order == ["reading", "customer answered", "read"], order
        offer = [
            m for m in fake.messages(ADMIN_ID, from_bot=True) if "valid entr" in m.get("text", "")
        ][-1]
        order.clear()
        answered.clear()
        fake.user_presses(ADMIN_ID, ADMIN_ID, offer["message_id"], _button(offer, "Import"))
        await customer_writes_while_it_is_read("А сколько стоит доставка?")
        await fake.wait_for(
            lambda: any(
                (m.get("text") or "").startswith("Imported")
                for m in fake.messages(ADMIN_ID, from_bot=True)
            ),
            30,
        )
        assert order[:3] == ["reading", "customer answered", "read"], order
        async with sandbox.services.sessionmaker() as session:
            assert await get_knowledge(sandbox.services).get(session, "franchise") == entry
    finally:
        await stop_sandbox(sandbox)


async def test_a_yaml_edit_does_not_give_another_entrys_question_a_second_answer(
    admin: AdminChat,
) -> None:
    """📝 YAML sent back with another entry's question added ('What payment methods do you
    accept?' into delivery_cost) saved it: two entries answered one question, and which
    one a customer got was the search's guess. It is left out, said so, as ➕ Question
    does; the rest of the edit is saved."""
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    shown = await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    body = (
        shown["text"]
        .split("\n\n", 1)[1]
        .replace(
            "questions:\n",
            "questions:\n    - What payment methods do you accept?\n    - Free delivery?\n",
            1,
        )
    )
    since = len(admin.replies())
    await admin.say(body, "not added")
    said = "\n".join(m.get("text") or "" for m in admin.replies(since))
    assert "Saved 'delivery_cost'" in said and "'payment_methods'" in said, said
    entry = await admin.entry("delivery_cost")
    assert entry is not None and "Free delivery?" in entry.questions
    assert "What payment methods do you accept?" not in entry.questions


async def test_a_forged_undo_import_button_is_answered_not_crashed(admin: AdminChat) -> None:
    """An '↩️ Undo this import' button whose data was altered (a modified client, 'abc'
    where the import's first change is) crashed the handler (ValueError: invalid literal
    for int()) and the admin got the error reply; it is answered: nothing to undo."""
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    said = await admin.press(card, "kba:impundo:abc:5", "Nothing undone")
    assert said["text"].startswith("Nothing undone"), said["text"]
    assert await admin.entry("delivery_cost") is not None


async def test_import_says_it_is_under_way_before_the_file_is_read(
    admin: AdminChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Import tapped on a big file: the offer stayed as it was, buttons and all, while the
    file was downloaded and read again (seconds for 5,000 entries), so the admin tapped
    again or thought nothing happened. '⏳ Importing ...' replaces it before the reading."""
    from bot.handlers import admin_kb

    real = admin_kb.parse_bytes
    seen: list[str] = []

    def reading(*args: object, **kwargs: object) -> list[Entry]:
        offer = [m for m in admin.replies() if "valid entr" in (m.get("text") or "")]
        shown = [m for m in admin.replies() if m["message_id"] == offer_id]
        seen.append(shown[-1].get("text", "") if shown else (offer[-1]["text"] if offer else ""))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    more = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    admin.fake.user_sends(ADMIN, document=("kb.yaml", ("entries:\n" + _yaml_of(more)).encode()))
    offer = await admin._wait(0, "valid entr", 30)
    offer_id = offer["message_id"]
    monkeypatch.setattr(admin_kb, "parse_bytes", reading)
    await admin.press(offer, _button(offer, "Import"), "Imported")
    assert seen and seen[0].startswith("⏳ Importing kb.yaml"), seen


async def test_cancel_with_no_step_says_there_is_nothing_to_cancel(admin: AdminChat) -> None:
    """/cancel sent when no step waited answered 'Cancelled.', as if something had been
    stopped; it says kindly that there is nothing to cancel and what the admin can do next,
    in their language. /cancel in a step still stops it."""
    idle = await admin.say("/cancel", "nothing to cancel")
    assert "Cancelled" not in idle["text"], idle["text"]
    assert "/kb_add" in idle["text"] and "/kb_list" in idle["text"], idle["text"]
    ru = await admin.say("/cancel", "нечего отменять", user=RU_ADMIN)
    assert "/kb_add" in ru["text"], ru["text"]
    pl = await admin.say("/cancel", "Nie ma teraz czego anulować", user=PL_ADMIN)
    assert "/kb_add" in pl["text"], pl["text"]

    await admin.say("/kb_add", "question")
    stopped = await admin.say("/cancel", "Cancelled")
    assert stopped["text"] == "Cancelled.", stopped["text"]
    again = await admin.say("/cancel", "nothing to cancel")  # the step is over
    assert "/kb_add" in again["text"], again["text"]


async def test_questions_in_a_list_are_one_per_line_whatever_the_bullet(admin: AdminChat) -> None:
    """Questions typed as a list ('- Where?', '-Where?' with no space, '– When?', '• ...')
    at /kb_add or ➕ Question were not each a question of their own; every line is one
    question, its bullet taken off, and a dash inside a question ('door-to-door', ' - ')
    or a minus before a number ('-20°C') stays."""
    await admin.say("/kb_add", "questions")
    await admin.say(
        "- Do you deliver door-to-door?\n-Where do you ship?\n–When do you ship?\n"
        "• Do you ship abroad?\n— Is it safe - really safe?\n*Can I track it?\n-\n"
        "-20°C outside: do you still ship?",
        "answer",
    )
    await admin.say("We ship all over Europe.", "id")
    await admin.say("shipping_where", "Saved")
    entry = await admin.entry("shipping_where")
    assert entry is not None
    assert entry.questions == [
        "Do you deliver door-to-door?",
        "Where do you ship?",
        "When do you ship?",
        "Do you ship abroad?",
        "Is it safe - really safe?",
        "Can I track it?",
        "-20°C outside: do you still ship?",
    ], entry.questions

    card = await admin.say("/kb_edit gift_cards", "gift_cards")
    await admin.press(card, "kba:addq:gift_cards:0", "Send new questions")
    await admin.say("-Can I pay with a gift card online?\n• Do gift cards expire?", "expire")
    entry = await admin.entry("gift_cards")
    assert entry is not None
    assert entry.questions[-2:] == [
        "Can I pay with a gift card online?",
        "Do gift cards expire?",
    ], entry.questions


async def test_a_file_giving_a_kept_entry_s_question_a_second_answer_is_not_offered(
    admin: AdminChat,
) -> None:
    """A file whose new entry had 'how much is SHIPPING' (a question of delivery_cost, which
    the file lacks and Import keeps) was offered and imported, two entries answering one
    question. The offer says which question, at which line, belongs to which entry, and has
    no Import button (only Replace all, which deletes delivery_cost, and Cancel); in
    Russian too."""
    shipping = Entry("shipping_price", ["Is there a fee?", "how much is SHIPPING"], {"en": "299."})
    data = ("entries:\n" + _yaml_of(shipping)).encode("utf-8")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("kb.yaml", data))
    offer = await admin._wait(since, "not possible", 30)
    assert (
        "line 5, entry 'shipping_price': \"how much is SHIPPING\" is already a question of "
        "'delivery_cost'" in offer["text"]
    ), offer["text"]
    buttons = [b["text"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
    assert not any("Import" in b for b in buttons) and any("Replace all" in b for b in buttons)
    forged = _button(offer, "Replace all").replace(":impr:", ":imp:")  # an Import anyway
    await admin.press(offer, forged, "Nothing imported")
    assert await admin.entry("shipping_price") is None

    since = len(admin.replies(user=RU_ADMIN))
    admin.fake.user_sends(RU_ADMIN, document=("kb.yaml", data))
    ru = await admin._wait(since, "Просто загрузить нельзя", 30, user=RU_ADMIN)
    assert "строка 5, запись 'shipping_price'" in ru["text"], ru["text"]


async def test_a_file_whose_two_entries_share_a_question_is_refused(admin: AdminChat) -> None:
    """A file whose two entries had one question ('How much is shipping?' of
    delivery_cost, 'how much is SHIPPING' of a new shipping_price) was offered and
    imported, two answers to one question. Nothing is offered: the mistake names both
    entries and the lines, in the admin's language (English, Russian, Polish)."""
    delivery = await admin.entry("delivery_cost")
    assert delivery is not None and "How much is shipping?" in delivery.questions
    shipping = Entry("shipping_price", ["Is there a fee?", "how much is SHIPPING"], {"en": "299."})
    data = ("entries:\n" + _yaml_of(delivery) + _yaml_of(shipping)).encode("utf-8")
    lines = [text.strip() for text in data.decode().splitlines()]
    line, first = (
        lines.index(f"- {q}") + 1 for q in ("how much is SHIPPING", "How much is shipping?")
    )
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("kb.yaml", data))
    reply = await admin._wait(since, "kb.yaml", 30)
    assert reply["text"].startswith("Nothing imported: 1 mistake in kb.yaml"), reply["text"]
    assert (
        f"- line {line}, entry 'shipping_price': \"how much is SHIPPING\" is also a question "
        f"of 'delivery_cost' (line {first}) in this file" in reply["text"]
    ), reply["text"]
    assert not reply.get("reply_markup"), reply
    for user, said in (
        (
            RU_ADMIN,
            f"- строка {line}, запись 'shipping_price': «how much is SHIPPING» — также "
            f"вопрос записи 'delivery_cost' (строка {first}) в этом файле",
        ),
        (
            PL_ADMIN,
            f"„how much is SHIPPING” to także pytanie wpisu 'delivery_cost' "
            f"(wiersz {first}) w tym pliku",
        ),
    ):
        since = len(admin.replies(user=user))
        admin.fake.user_sends(user, document=("kb.yaml", data))
        reply = await admin._wait(since, "kb.yaml", 30, user=user)
        assert said in reply["text"], reply["text"]
    assert await admin.entry("shipping_price") is None


async def test_the_import_offer_does_not_hold_the_database_while_telegram_is_slow(
    admin: AdminChat, db_url: str
) -> None:
    """The upload's offer read the knowledge base and was sent to Telegram inside that
    read's transaction, which on SQLite holds the write lock (BEGIN IMMEDIATE): while
    Telegram was slow to take the offer, every customer's turn and other writer waited and
    then got 'database is locked'. The transaction ends before Telegram is called: another
    writer takes the lock at once while the offer is on its way."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock taken by every transaction is SQLite's")
    import sqlite3

    path = db_url.split("///", 1)[1]
    fake = admin.fake
    franchise = Entry("franchise", ["Do you sell franchises?"], {"en": "No."})
    sent = len(fake.calls_of("sendMessage"))
    fake.add_fault("sendMessage", delay=3.0)  # Telegram slow to take the offer
    since = len(admin.replies())
    fake.user_sends(ADMIN, document=("kb.yaml", ("entries:\n" + _yaml_of(franchise)).encode()))
    await fake.wait_for(lambda: len(fake.calls_of("sendMessage")) > sent, timeout=30)
    other = sqlite3.connect(path, timeout=0)  # another writer, waiting for nobody
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        probe = "free"
    except sqlite3.OperationalError as exc:
        probe = str(exc)
    finally:
        other.close()
    offer = await admin._wait(since, "kb.yaml", 30)
    assert "1 new" in offer["text"], offer["text"]
    assert probe == "free", probe


async def test_a_question_an_entry_has_twice_is_kept_once_and_said(admin: AdminChat) -> None:
    """An entry whose questions held one question twice ('How much is shipping?' and 'how
    much is  SHIPPING': one question whatever the case, spaces or closing '?') went in as
    it was, both wordings stored and exported, without a word. The file is still offered
    and imported (kb-format.md lists no such reason to refuse it); the repeat is left out,
    said at its line in the admin's language (the offer and the report), and the entry,
    its card and /kb_export agree: the export sent back is 'nothing to import'. A YAML
    edit and /kb_add keep such a repeat once too, and say so."""
    delivery = await admin.entry("delivery_cost")
    assert delivery is not None and "How much is shipping?" in delivery.questions
    twice = Entry(
        "delivery_cost",
        [*delivery.questions, "how much is  SHIPPING"],
        {**delivery.answers, "en": "Courier delivery is 399 RUB."},
    )
    data = ("entries:\n" + _yaml_of(twice)).encode("utf-8")
    lines = [text.strip() for text in data.decode().splitlines()]
    line = lines.index("- how much is  SHIPPING") + 1
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("kb.yaml", data))
    offer = await admin._wait(since, "kb.yaml", 30)
    assert "1 valid entry - 0 new, 1 changed" in offer["text"], offer["text"]
    assert (
        "ℹ️ 1 question repeated in its entry is kept once:\n"
        f"- line {line}, entry 'delivery_cost': \"how much is  SHIPPING\" is the same question "
        'as "How much is shipping?"' in offer["text"]
    ), offer["text"]
    report = await admin.press(offer, _button(offer, "Import"), "Imported")
    assert "kept once" in report["text"], report["text"]
    stored = await admin.entry("delivery_cost")
    assert stored is not None and stored.questions == delivery.questions, stored
    assert stored.answers["en"] == "Courier delivery is 399 RUB."

    admin.fake.user_sends(ADMIN, "/kb_export")
    await admin.fake.wait_for(lambda: admin.fake.calls_of("sendDocument"), timeout=20)
    doc = [m for m in admin.replies() if m.get("document")][-1]["document"]
    exported = admin.fake.file_bytes(doc["file_id"])
    assert exported.decode().lower().count("how much is") == 1, exported.decode()
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("knowledge.yaml", exported))
    back = await admin._wait(since, "knowledge.yaml", 30)
    assert "nothing to import" in back["text"] and "kept once" not in back["text"], back

    for user, said in (
        (RU_ADMIN, "«how much is  SHIPPING» — тот же вопрос, что и «How much is shipping?»"),
        (PL_ADMIN, "„how much is  SHIPPING” to to samo pytanie co „How much is shipping?”"),
    ):
        since = len(admin.replies(user=user))
        admin.fake.user_sends(user, document=("kb.yaml", data))
        reply = await admin._wait(since, "kb.yaml", 30, user=user)
        assert said in reply["text"], reply["text"]

    # a YAML edit with the repeat: saved once, said
    card = await admin.say("/kb_edit delivery_cost", "delivery_cost")
    shown = await admin.press(card, "kba:yaml:delivery_cost:0", "Edit and send back")
    asked = "    - How much is shipping?"
    body = shown["text"].split("\n\n", 1)[1].replace(asked, f"{asked}\n    - HOW MUCH IS SHIPPING")
    since = len(admin.replies())
    await admin.say(body, "Saved")
    note = await admin._wait(since, "kept once", 30)
    assert '"HOW MUCH IS SHIPPING" is the same question as' in note["text"], note["text"]
    stored = await admin.entry("delivery_cost")
    assert stored is not None and stored.questions == delivery.questions, stored

    # /kb_add with one question twice: the new entry asks it once
    await admin.say("/kb_add", "New entry")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, "Do you sell franchises?\ndo you sell  FRANCHISES")
    await admin._wait(since, "Now the answer", 30)
    note = await admin._wait(since, "kept once", 30)
    assert '"do you sell  FRANCHISES" is the same question as' in note["text"], note["text"]
    await admin.say("en: No, we do not sell franchises.", "Last step")
    await admin.say("franchise", "Saved")
    new = await admin.entry("franchise")
    assert new is not None and new.questions == ["Do you sell franchises?"], new


async def test_a_file_that_is_no_knowledge_file_is_named_and_the_step_waits_on(
    admin: AdminChat,
) -> None:
    """An admin who sent the FAQ as Word ('faq.docx', a PDF, a zip) got only 'Send a .yaml,
    .csv or .jsonl knowledge file.', and 'kb.yaml' saved by Word was called 'a spreadsheet
    workbook ... though its name ends in .csv'. Each is named for what it is, with what to
    send instead, in the admin's language; nothing changes, and a /kb_add step it came in
    (or a sticker) still waits, its questions kept. An empty file and a file that is no
    text say so too."""
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        before = await admin.knowledge.list_entries(session)
    word = word_file()
    await admin.say("/kb_add", "New entry")
    await admin.say("Do you deliver to Kazan?", "Now the answer")
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("faq.docx", word))
    said = (await admin._wait(since, "faq.docx", 30))["text"]
    assert said.startswith("faq.docx is a text document (Word, PDF)"), said
    assert "'CSV UTF-8'" in said and "/kb_export" in said and "Nothing was changed" in said
    assert said.endswith(
        "Now the answer. Several languages: one block per language starting "
        "with 'ru:', 'en:', 'pl:'. Plain text is saved in its own language."
    ), said
    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, sticker="👍")
    said = (await admin._wait(since, "That's a sticker", 30))["text"]
    assert "Now the answer" in said, said
    ask = await admin.say("en: Yes, in 3 days.", "Last step")
    await admin.press(ask, _button(ask, "Use"), "Saved")
    made = await admin.entry("delivery_kazan")
    assert made is not None and made.questions == ["Do you deliver to Kazan?"], made

    since = len(admin.replies())
    admin.fake.user_sends(ADMIN, document=("kb.yaml", word))  # Word, named .yaml
    said = (await admin._wait(since, "kb.yaml", 30))["text"]
    assert said.startswith("kb.yaml is a text document (Word, PDF)"), said
    for user, name, data, expect in (
        (RU_ADMIN, "faq.pdf", b"%PDF-1.7\n...", "faq.pdf — текстовый документ (Word, PDF)"),
        (RU_ADMIN, "faq.zip", word, "Из файла faq.zip я не могу прочитать базу знаний"),
        (RU_ADMIN, "empty.yaml", b"\n", "файл пустой"),
        (RU_ADMIN, "kb.csv", bytes(range(256)) * 4, "текст не в UTF-8"),
        (PL_ADMIN, "faq.docx", word, "faq.docx to dokument tekstowy (Word, PDF)"),
    ):
        since = len(admin.replies(user=user))
        admin.fake.user_sends(user, document=(name, data))
        said = (await admin._wait(since, name, 30, user=user))["text"]
        assert expect in said, said
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        after = await admin.knowledge.list_entries(session)
    assert [e for e in after if e.id != made.id] == before


async def test_an_entry_stored_asking_a_question_twice_is_saved_and_shown_once(
    admin: AdminChat,
) -> None:
    """An entry stored before repeats were kept once ('Can I pick it up?' and 'can I pick it
    up'): after '✏️ Answer' the card listed both while the saved entry asked it once. The
    card shows it as saved: once."""
    from knowledge.repository import KnowledgeRepository

    legacy = Entry("pickup", ["Can I pick it up?", "can I pick it up"], {"en": "Yes."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await KnowledgeRepository(session).upsert(legacy, actor="an older version")
        await session.commit()
    card = await admin.say("/kb_edit pickup", "pickup")
    await admin.press(card, _button(card, "Answer"), "Send the new answer")
    edited = await admin.say("en: Yes, from 10 to 18.", "from 10 to 18")
    assert edited["text"].lower().count("pick it up") == 1, edited["text"]
    stored = await admin.entry("pickup")
    assert stored is not None and stored.questions == ["Can I pick it up?"], stored


@pytest.mark.parametrize(
    ("question", "lang", "suggested"),
    [
        ("Есть ли у вас скидка для студентов?", "ru", "discount_studentov"),
        ("Do you have a discount for students?", "en", "discount_students"),
        # an English question's own words ('day' is no 'duration')
        ("Do you have same-day express delivery in Moscow?", "en", "same_day_express"),
        ("Czy jest zniżka dla studentów?", "pl", "discount_studentow"),
        # an entry has the id already: the next number
        ("Сколько стоит доставка в Казань?", "ru", "cost_delivery_kazan_2"),
    ],
)
async def test_a_gap_s_suggested_id_says_what_it_is_about(
    admin: AdminChat, question: str, lang: str, suggested: str
) -> None:
    """'Есть ли у вас скидка для студентов?' made into an entry was offered the id
    'est_li_u_vas_skidka': its filler words transliterated, cut before what it was about.
    The id offered is its words that say what it is about, the shop's word for each the
    shop knows ('скидка', 'zniżka': discount); one already taken gets a number."""
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        if suggested.endswith("_2"):
            taken = Entry(
                id=suggested.removesuffix("_2"),
                questions=["Do you sell franchises?"],
                answers={"en": "No."},
            )
            await admin.knowledge.save(session, taken, actor="test")
        await admin.knowledge.record_unanswered(session, question, lang=lang)
        await session.commit()
    listing = await admin.say("/kb_gaps", "could not answer")
    await admin.press(listing, _button(listing, "New entry #1"), "Send the answer")
    ask = await admin.say(f"{lang}: Yes.", "Last step")
    assert f"tap to use '{suggested}'" in ask["text"], ask["text"]
    await admin.press(ask, _button(ask, "Use"), f"Saved '{suggested}'")


@pytest.mark.parametrize(
    ("questions", "answer", "lang"),
    [
        # a Russian question dropped (another entry has it), a Polish one left
        (
            "Сколько стоит доставка?\nJaki jest wasz numer telefonu?",
            "+7 495 123-45-67, звоните с 9 до 21.",
            "ru",
        ),
        ("Какой у вас телефон?", "Dzwońcie: +48 22 123 45 67.", "pl"),
        ("Jaki jest wasz numer telefonu?", "+48 22 123 45 67", "pl"),  # no letters: the questions'
    ],
)
async def test_a_short_answer_is_saved_in_the_language_its_script_tells(
    admin: AdminChat, questions: str, answer: str, lang: str
) -> None:
    """'+7 495 123-45-67, звоните с 9 до 21.' for a Polish question: too short to tell by
    its words, it was saved as the Polish answer ('phone' has no en, ru answer). Cyrillic is
    Russian, Polish letters Polish, whatever the questions; only an answer with no letters
    to tell takes the questions' language. The saved message names the language."""
    await admin.say("/kb_add", "New entry")
    await admin.say(questions, "Now the answer")
    await admin.say(answer, "Last step")
    saved = await admin.say("phone", "Saved 'phone'")
    word = {"ru": "Russian", "en": "English", "pl": "Polish"}[lang]  # the language, not 'pl'
    assert f"(answer: {word})" in saved["text"], saved["text"]
    entry = await admin.entry("phone")
    assert entry is not None and entry.answers == {lang: answer}, entry


async def test_a_short_cyrillic_new_answer_is_the_russian_one(admin: AdminChat) -> None:
    """'✏️ Answer' on an English-only entry, then 'Да, 100 ₽.': too short to tell by its
    words, it replaced the English answer; Cyrillic is the Russian answer, added."""
    pickup = Entry(id="pickup_price", questions=["Is pickup free?"], answers={"en": "100 RUB."})
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, pickup, actor="test")
    card = await admin.say("/kb_edit pickup_price", "pickup_price")
    await admin.press(card, _button(card, "Answer"), "Send the new answer")
    await admin.say("Да, 100 ₽.", "Да, 100 ₽.")
    entry = await admin.entry("pickup_price")
    assert entry is not None and entry.answers == {"en": "100 RUB.", "ru": "Да, 100 ₽."}, entry


async def test_an_answer_the_bot_must_never_say_is_named_when_added_or_edited(
    admin: AdminChat,
) -> None:
    """/kb_add with 'Нет, ничем не могу помочь, такова политика нашей компании.' said
    "Saved 'return_late'; the bot answers with it from now on", while customers asking got a
    person instead (the reply is blocked). As a file import does, the phrase is named and a
    rephrasing asked for, in /kb_add and in an edit; nothing claims it is answered with."""
    await admin.say("/kb_add", "New entry")
    await admin.say("Можно вернуть товар через полгода?", "Now the answer")
    await admin.say("Нет, ничем не могу помочь, такова политика нашей компании.", "Last step")
    since = len(admin.replies())
    saved = await admin.say("return_late", "Saved 'return_late'")
    assert "never say" in saved["text"] and "from now on" not in saved["text"], saved["text"]
    assert "return_late (ru):" in saved["text"], saved["text"]
    await admin._wait(since, "Можно вернуть товар", 20)  # its card
    card = await admin.say("/kb_edit return_late", "Можно вернуть товар")
    await admin.press(card, _button(card, "Answer"), "Send the new answer")
    said = await admin.say("en: No, that is our policy.", "never say")
    assert 'return_late (en): "' in said["text"], said["text"]
    assert "return_late (ru)" in said["text"], said["text"]
    # a rephrased answer: no warning
    since = len(admin.replies())
    card = await admin.say("/kb_edit return_late", "Можно вернуть товар")
    await admin.press(card, _button(card, "Answer"), "Send the new answer")
    await admin.say(
        "ru: Вернуть товар можно в течение 14 дней; для особого случая позову коллегу.\n"
        "en: Returns are accepted within 14 days; I'll ask a colleague about your case.",
        "14 дней",
    )
    assert not any("never say" in (m.get("text") or "") for m in admin.replies(since))


async def test_an_operator_who_is_no_admin_is_told_admin_commands_and_files_are_the_admins(
    settings: Settings, classifier: Any, db_url: str
) -> None:
    """An operator's /kb_add in private got the customers' 'That command is for the shop's
    team' (he is the team), and a knowledge-base file from a senior operator got 'tell me
    what happened'. Operators who are not admins are told it is the admins' (ask one), for
    the admins' commands and for files; a customer sending a file is still a customer."""
    from bot.sandbox.run import OPERATORS, stop_sandbox
    from tests.test_e2e import bot_texts, launch

    senior, operator, customer = OPERATORS[0][0], OPERATORS[1][0], 1001
    sb = await launch(settings, classifier, db_url)
    try:
        fake = sb.server.fake
        for who in (operator, senior):
            fake.user_sends(who, "/kb_add")
            await fake.wait_for_bot_message(who, text_contains="/kb_add is for the shop's admins")
            fake.user_sends(who, document=("kb.yaml", b"- id: x\n  questions: [Q?]\n  answer: A."))
            await fake.wait_for_bot_message(who, text_contains="imported by the shop's admins")
            said = bot_texts(fake, who)
            assert not any("shop's team" in t or "what happened" in t for t in said), said
        fake.user_sends(customer, document=("receipt.pdf", b"%PDF-1.4"))
        await fake.wait_for_bot_message(customer, timeout=30)
        assert not any("admins" in t for t in bot_texts(fake, customer)), bot_texts(fake, customer)
    finally:
        await stop_sandbox(sb)


def _demo_entry(entry_id: str) -> Entry:
    from tests.test_kb_service import DEMO

    return next(
        e for e in parse_text((DEMO / "shop.yaml").read_text("utf-8"), "yaml") if e.id == entry_id
    )


async def test_an_import_or_kb_add_asking_another_entrys_question_says_both(
    admin: AdminChat,
) -> None:
    """A CSV added phone_support "Какой у вас номер телефона?" -> "+7 495 123-45-67" while
    'contacts' already answered "What's your phone number?" with 8 800 100-24-24: the import
    said nothing, /kb_search showed both at 1.00 and customers got one number or the other
    depending on their words (only the very same words were caught). The import (and
    /kb_add) still saves it, and names both entries and both questions to merge or mend."""
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, _demo_entry("contacts"), actor="test")
    rows = "id;lang;question;answer;tags\r\nphone_support;ru;Какой у вас номер телефона?;+7 495 123-45-67;\r\n"
    admin.fake.user_sends(ADMIN, document=("phones.csv", rows.encode("cp1251")))
    offer = await admin._wait(0, "1 new", 30)
    done = await admin.press(offer, _button(offer, "Import"), "Imported")
    done = await admin._wait(0, "asks what", 30, edited=done["message_id"])
    said = done["text"]
    assert "⚠️ 1 new question asks what another entry's question asks" in said, said
    assert '"Какой у вас номер телефона?" of \'phone_support\' asks what "' in said, said
    assert "of 'contacts' asks, in other words" in said, said
    assert await admin.entry("phone_support") is not None  # warned, not refused

    await admin.say("/kb_add", "New entry")
    await admin.say("Ваш номер телефона?", "Now the answer")
    ask = await admin.say("ru: +7 495 000-00-00", "Last step")
    saved = await admin.press(ask, _button(ask, "Use"), "Saved")
    assert '"Ваш номер телефона?" of ' in saved["text"], saved["text"]
    assert "asks what" in saved["text"] and "'phone_support'" in saved["text"], saved["text"]
    # a question about something else is saved without a word of it
    await admin.say("/kb_add", "New entry")
    await admin.say("Do you sell franchises?", "Now the answer")
    ask = await admin.say("en: No, we don't.", "Last step")
    saved = await admin.press(ask, _button(ask, "Use"), "Saved")
    assert "asks what" not in saved["text"], saved["text"]


async def test_an_import_changing_one_language_s_answer_reminds_of_the_others(
    admin: AdminChat,
) -> None:
    """An import that changed only delivery_cost's English answer (299 -> 349 RUB) said
    'Imported: ... 1 updated' and nothing of the Russian and Polish answers still saying
    299 ₽, as ✏️ Answer does. It says which languages stayed as they were, to check."""
    cost = await admin.entry("delivery_cost")
    assert cost is not None and set(cost.answers) == {"ru", "en", "pl"}, cost
    dearer = Entry(
        cost.id, cost.questions, {**cost.answers, "en": "Delivery is 349 RUB."}, cost.tags
    )
    admin.fake.user_sends(
        ADMIN, document=("price.yaml", ("entries:\n" + _yaml_of(dearer)).encode())
    )
    offer = await admin._wait(0, "1 changed", 30)
    done = await admin.press(offer, _button(offer, "Import"), "Imported")
    done = await admin._wait(0, "stay as they were", 30, edited=done["message_id"])
    assert (
        "- delivery_cost: Other languages stay as they were (Russian and Polish)" in done["text"]
    ), done


async def test_kb_delete_asks_in_the_admins_language_and_a_restore_is_no_new_entry(
    admin: AdminChat,
) -> None:
    """An English admin's `/kb_delete gift_cards` asked "Delete 'gift_cards' (Есть
    подарочные сертификаты?)?" while /kb_list shows the English question; once the delete
    was undone, /kb_history listed "create gift_cards" as if it were a new entry. The
    question is in the admin's language, and the history says "restored (undo of the
    delete)"."""
    ask = await admin.say("/kb_delete gift_cards", "Delete 'gift_cards'")
    assert ask["text"].startswith("Delete 'gift_cards' (Do you sell gift cards?)?"), ask["text"]
    pl = await admin.say("/kb_delete gift_cards", "gift_cards", user=PL_ADMIN)
    assert "Есть" not in pl["text"] and "Do you" not in pl["text"], pl["text"]
    done = await admin.press(ask, "kba:delyes:gift_cards:0", "Deleted")
    await admin.press(done, _button(done, "Undo"), "Restored 'gift_cards'")
    history = await admin.say("/kb_history gift_cards", "delete gift_cards")
    said = history["text"]
    assert "restored (undo of the delete) gift_cards" in said, said
    assert said.count("create gift_cards") == 1 and "create gift_cards by cli" in said, said
    ru = await admin.say("/kb_history gift_cards", "удалено gift_cards", user=RU_ADMIN)
    assert "восстановлено (отмена удаления) gift_cards" in ru["text"], ru["text"]


async def test_an_undone_import_s_report_says_it_was_undone(admin: AdminChat) -> None:
    """After '↩️ Undo this import' the report went back to 'Imported: 2 entries in the
    file…' with its button gone and no word that it was undone (the admin scrolling back
    read it as done). The report itself now starts with what the Undo did."""
    more = Entry(id="franchise", questions=["Do you sell franchises?"], answers={"en": "No."})
    admin.fake.user_sends(ADMIN, document=("kb.yaml", ("entries:\n" + _yaml_of(more)).encode()))
    offer = await admin._wait(0, "1 new", 30)
    done = await admin.press(offer, _button(offer, "Import"), "Imported")
    await admin.press(done, _button(done, "Undo this import"), "is back as it was")
    report = admin.fake.get_message(ADMIN, offer["message_id"]).to_api()
    said = report["text"]
    assert said.startswith("↩️ Undone: 1 entry is back as it was before the import."), said
    assert "\n\nImported: 1 entry in the file: 1 created" in said, said
    assert "Undo" not in str(report.get("reply_markup")), report
    assert await admin.entry("franchise") is None


async def test_an_entry_without_two_languages_answers_names_them_in_words(
    admin: AdminChat,
) -> None:
    """An entry with English, Polish and Russian questions and only an English answer: the
    admin read "'loyalty_card' has no pl, ru answer", codes where the rest of the sentence is
    words. The languages are named in the admin's words: "no Polish or Russian answer"."""
    await admin.say("/kb_add", "New entry")
    questions = (
        "Do you have a loyalty card?\nCzy macie kartę lojalnościową?\nУ вас есть карта лояльности?"
    )
    await admin.say(questions, "Now the answer")
    ask = await admin.say("en: Yes, every purchase earns 5% back on the card.", "Last step")
    await admin.press(ask, _button(ask, "Use"), "Saved")
    said = await admin._wait(0, "answer: customers writing in it", 20)
    assert "has no Polish or Russian answer" in said["text"], said["text"]
    assert "pl, ru" not in said["text"], said["text"]


async def test_questions_added_with_a_tap_asking_another_entrys_question_say_both(
    admin: AdminChat,
) -> None:
    """/kb_add and an import say when a new question asks what another entry's question
    asks (in other words), but /kb_gaps' "🔗 Add to" and the card's "➕ Question" added
    "Какой у вас номер телефона?" to 'delivery_cost' while 'contacts' answers "What's your
    phone number?" without a word: customers got one answer or the other depending on their
    words. Both now name the two entries and questions, as /kb_add does."""
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.save(session, _demo_entry("contacts"), actor="test")
    await _gap(admin, "Какой у вас номер телефона?")
    listing = await admin.say("/kb_gaps", "could not answer")
    said = await admin.press(listing, "kba:gapadd:delivery_cost:0", "asks what")
    assert "⚠️ 1 new question asks what another entry's question asks" in said["text"], said
    assert "\"Какой у вас номер телефона?\" of 'delivery_cost'" in said["text"], said["text"]
    assert "of 'contacts' asks, in other words" in said["text"], said["text"]

    card = await admin.say("/kb_edit gift_cards", "gift_cards")
    await admin.press(card, "kba:addq:gift_cards:0", "Send new questions")
    told = await admin.say("What is your phone number?", "asks what")
    assert "\"What is your phone number?\" of 'gift_cards'" in told["text"], told["text"]
    assert "of 'contacts' asks, in other words" in told["text"], told["text"]
    entry = await admin.entry("gift_cards")  # warned, not refused
    assert entry is not None and "What is your phone number?" in entry.questions


POLICY = "Sorry, nothing can be done - that is our company policy."


async def _blocked_entries_and_a_ticket(admin: AdminChat, *ids: str) -> int:
    """Entries ``ids`` whose English answer has "that is our company policy" (customers who
    ask get a person instead), and a customer's ticket they brought: its id."""
    from bot.db.models import Conversation, Customer, Ticket

    async with admin.sessionmaker() as session:  # type: ignore[operator]
        await admin.knowledge.import_entries(
            session, [Entry(i, [f"Can I {i.replace('_', ' ')}?"], {"en": POLICY}) for i in ids]
        )
        customer = Customer(channel="telegram", external_id="3730001", chat_id=3730001)
        session.add(customer)
        await session.flush()
        conversation = Conversation(customer_id=customer.id, status="operator")
        session.add(conversation)
        await session.flush()
        ticket = Ticket(
            conversation_id=conversation.id, customer_id=customer.id, reason="reply_blocked"
        )
        session.add(ticket)
        await session.commit()
        return ticket.id


async def _alert(admin: AdminChat, services: Any, ticket_id: int, entry_id: str) -> bool:
    """The admins told of ``entry_id``'s blocked answer, as a customer's turn tells them."""
    from bot.db.models import Ticket
    from bot.handlers.admin_kb import alert_blocked_entry

    async with admin.sessionmaker() as session:  # type: ignore[operator]
        ticket = await session.get(Ticket, ticket_id)
        return await alert_blocked_entry(admin.bot, session, services, ticket, entry_id)


async def test_an_admin_is_told_in_the_language_they_wrote_to_this_bot_in(
    admin: AdminChat,
) -> None:
    """The Polish admin wrote to one bot; another bot in the same process (the tests, the
    sandbox) told them of an answer it may not send in Polish too: the language an admin
    was last seen writing in was the process's, not the bot's. Now each bot tells them in
    the language they wrote to it in (else the operators')."""
    await admin.say("/kb_gaps", "Brak pytań bez odpowiedzi", user=PL_ADMIN)
    ticket = await _blocked_entries_and_a_ticket(admin, "return_socks", "return_hats")
    other = SimpleNamespace(  # a second bot with the same admins, never written to
        settings=admin.services.settings,
        sessionmaker=admin.sessionmaker,
        knowledge=admin.knowledge,
    )
    assert await _alert(admin, other, ticket, "return_socks")
    assert await _alert(admin, admin.services, ticket, "return_hats")
    told = {
        m["text"].split("'")[1]: m["text"]
        for m in admin.replies(user=PL_ADMIN)
        if "return_" in (m.get("text") or "")
    }
    assert told["return_socks"].startswith("⚠️ The FAQ entry"), told
    assert told["return_hats"].startswith("⚠️ Wpis FAQ"), told


@pytest.mark.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)
async def test_two_customers_at_once_bring_one_alert_of_a_blocked_answer(
    admin: AdminChat,
) -> None:
    """Two customers asked at the same moment for an answer the bot may not send: both
    checks read no alert sent lately before either recorded its own, and each admin was
    told twice (on PostgreSQL). Now one alert, and one recorded."""
    from bot.db.models import TicketEvent
    from bot.handlers.admin_kb import BLOCKED_ALERT

    ticket = await _blocked_entries_and_a_ticket(admin, "return_socks")
    sent = await asyncio.gather(
        _alert(admin, admin.services, ticket, "return_socks"),
        _alert(admin, admin.services, ticket, "return_socks"),
    )
    assert sorted(sent) == [False, True], sent
    told = [m for m in admin.replies() if "return_socks" in (m.get("text") or "")]
    assert len(told) == 1, told
    async with admin.sessionmaker() as session:  # type: ignore[operator]
        kinds = (await session.scalars(select(TicketEvent.kind))).all()
    assert kinds.count(BLOCKED_ALERT) == 1, kinds


async def test_a_page_past_the_last_is_said_to_be_the_last(admin: AdminChat) -> None:
    """'/kb_list 99' with one page of entries showed that page as if it were page 99
    asked for; the admin is told there is only one page, and it is shown (Russian too)."""
    listing = await admin.say("/kb_list 99", "Knowledge base:")
    assert listing["text"].startswith("There is only 1 page, here it is:\n"), listing["text"]
    assert "(page 1/1)" in listing["text"] and "delivery_cost" in listing["text"]
    fake = admin.fake
    fake.user_sends(RU_ADMIN, "/kb_list 5")
    said = await fake.wait_for_bot_message(RU_ADMIN, text_contains="База знаний", timeout=20)
    assert said[-1]["text"].startswith("Всего 1 страница, вот последняя:"), said[-1]["text"]
    listing = await admin.say("/kb_list 1", "Knowledge base:")
    assert listing["text"].startswith("Knowledge base:"), listing["text"]  # the page asked


async def test_long_lists_are_cut_between_lines_and_say_how_many_more(
    admin: AdminChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/kb_gaps, /kb_search and /kb_list longer than a message were cut at 3,800
    characters, mid-line (a customer's question or an entry's id cut short, read as
    whole), and nothing said more were left out: whole lines only, then '… and N
    more'."""
    from bot.handlers import admin_kb

    for text in (
        "Do you have a franchise for the whole of the northern region, and on what terms?",
        "Are you hiring warehouse workers for the night shift at the new depot in Kazan?",
        "Can I pay for a corporate order of three hundred kettles by bank transfer later?",
    ):
        await _gap(admin, text)
    for command, head in (
        ("/kb_gaps", "could not answer"),
        ("/kb_search How much is shipping?", "A customer asking"),
        ("/kb_list", "Knowledge base:"),
    ):
        whole = (await admin.say(command, head))["text"].split("\n")
        monkeypatch.setattr(admin_kb, "MAX_TEXT", 200)
        said = (await admin.say(command, head))["text"]
        monkeypatch.undo()
        assert len(said) <= 200, said
        *lines, more = said.split("\n")
        # whole lines, as the full list has them, then how many are left out
        assert len(lines) >= 2 and lines == whole[: len(lines)], (said, whole)
        assert more == f"… and {len(whole) - len(lines)} more", said


async def test_a_big_file_is_said_to_be_read_before_it_is(admin: AdminChat) -> None:
    """An admin sent a 4 MB YAML: nothing came back for over a minute while the bot read it
    (was the file even received?). A file over half a megabyte is said at once to be
    being read, with its size; what the file holds follows."""
    fake = admin.fake
    padding = b"# " + b"x" * 600_000 + b"\n"
    fake.user_sends(ADMIN, document=("big.yaml", padding + b"entries: []\n"))
    await admin._wait(0, "no entries in the file", 60)
    first, *rest = [m["text"] for m in admin.replies()]
    assert first.startswith("Reading big.yaml (0.6 MB)"), first
    assert len(rest) == 1 and rest[0].startswith("Nothing imported"), rest
    since = len(fake.messages(RU_ADMIN, from_bot=True))
    fake.user_sends(RU_ADMIN, document=("big.yaml", padding + b"entries: []\n"))
    await fake.wait_for(lambda: len(fake.messages(RU_ADMIN, from_bot=True)) >= since + 2, 60)
    ru = fake.messages(RU_ADMIN, from_bot=True)[since]["text"]
    assert ru.startswith("Читаю big.yaml (0,6 МБ)"), ru
