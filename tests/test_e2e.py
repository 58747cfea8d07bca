"""The whole bot over HTTP against the local fake Telegram Bot API server."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.db.models import Message, ProcessedUpdate, Ticket
from bot.sandbox.run import (
    OPERATORS,
    OPERATORS_CHAT_ID,
    Sandbox,
    sandbox_settings,
    start_sandbox,
    stop_bot,
    stop_sandbox,
)
from bot.services import build_services
from tests.test_kb_admin import TransactionWatch

ANNA, JOHN = 1001, 1002
OLGA = OPERATORS[0][0]


async def launch(settings, classifier, db_url, **kw) -> Sandbox:
    s = sandbox_settings(settings, db_url)
    services = await build_services(s, classifier=classifier, seed=0)
    return await start_sandbox(
        s, port=0, database_url=db_url, services=services, load_demo_kb=False, **kw
    )


@pytest.fixture
async def sandbox(settings, classifier, db_url) -> AsyncIterator[Sandbox]:
    sb = await launch(settings, classifier, db_url)
    yield sb
    await stop_sandbox(sb)


def topic_texts(fake, thread: int) -> list[str]:
    return [m.get("text") or "" for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread)]


def bot_texts(fake, chat_id: int, thread_id: int | None = None) -> list[str]:
    return [
        m.get("text") or m.get("caption") or ""
        for m in fake.messages(chat_id, thread_id=thread_id, from_bot=True)
    ]


async def poll_db(sandbox: Sandbox, read, until=bool, tries: int = 100):
    """What ``read(session)`` returns once ``until`` holds (or after ``tries`` tenths of a
    second): the replies are sent before the turn's transaction is committed."""
    value = None
    for _ in range(tries):
        async with sandbox.services.sessionmaker() as session:
            value = await read(session)
        if until(value):
            break
        await asyncio.sleep(0.1)
    return value


async def settled(sandbox: Sandbox, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until the bot has read every update sent so far and finished handling each
    (instead of a fixed sleep before checking that nothing more happened: an overloaded
    machine is slower than any sleep, a fast one is not kept waiting)."""
    fake = sandbox.server.fake
    tasks = sandbox.dp._handle_update_tasks  # the updates being handled now
    loop = asyncio.get_running_loop()
    end, quiet = loop.time() + timeout, 0
    while quiet < 3:  # idle three times in a row: no update read between two looks
        if loop.time() > end:
            raise TimeoutError(f"the bot is still busy after {timeout} s")
        quiet = quiet + 1 if not fake.pending_updates() and not tasks else 0
        await asyncio.sleep(0.05)


async def the_ticket(session) -> Ticket | None:
    return await session.scalar(select(Ticket))


async def notes(session) -> list[Message]:
    return list((await session.scalars(select(Message).where(Message.direction == "note"))).all())


async def test_customer_gets_a_greeting_in_their_language(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Здравствуйте!")
    fake.user_sends(JOHN, "Hello, good evening")
    ru = await fake.wait_for_bot_message(ANNA, timeout=20)
    en = await fake.wait_for_bot_message(JOHN, timeout=20)
    assert "Анна" in ru[0]["text"]
    assert "John" in en[0]["text"] and any(w in en[0]["text"] for w in ("Hello", "Hi", "Good"))


async def test_duplicate_update_is_handled_once(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Привет")
    await fake.wait_for_bot_message(ANNA, timeout=20)
    update_id = max(fake.primary_bot.history)
    fake.redeliver(update_id)
    fake.user_sends(ANNA, "спасибо!")
    await fake.wait_for_bot_message(ANNA, count=2, timeout=20)
    await settled(sandbox)
    assert len(bot_texts(fake, ANNA)) == 2, bot_texts(fake, ANNA)
    async with sandbox.services.sessionmaker() as session:
        incoming = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
        seen = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert incoming == 2 and seen >= 2


async def test_flood_limits_and_server_errors_lose_nothing(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.add_fault("sendMessage", status=429, retry_after=1, times=1)
    fake.add_fault("sendMessage", status=502, times=1)
    fake.user_sends(JOHN, "hi!")
    msgs = await fake.wait_for_bot_message(JOHN, timeout=30)
    await settled(sandbox)
    assert len(bot_texts(fake, JOHN)) == 1 and msgs[0]["text"]


async def test_a_burst_of_messages_is_answered_when_it_ends(sandbox: Sandbox) -> None:
    """More than six messages in ten seconds: the bot says once it is reading them, and
    when the customer stops (writing nothing more) it answers what they wrote; before, it
    waited for a next message that might never come."""
    fake = sandbox.server.fake
    burst = ["hello", "hey", "anyone?", "hello??", "is anyone there", "hi", "helloooo"]
    last = "the kettle I ordered arrived with a cracked lid"
    for text in [*burst, last]:
        fake.user_sends(JOHN, text)
    try:
        await fake.wait_for(lambda: any("reading" in t for t in bot_texts(fake, JOHN)), timeout=30)
    except TimeoutError:
        raise AssertionError(bot_texts(fake, JOHN)) from None
    notice = len(bot_texts(fake, JOHN))
    await fake.wait_for_bot_message(JOHN, count=notice + 1, timeout=40)
    answer = " ".join(bot_texts(fake, JOHN)[notice:])
    assert "sorry" in answer.lower() and "order" in answer.lower(), answer  # the kettle
    async with sandbox.services.sessionmaker() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    assert stored == len(burst) + 1  # every message once in the transcript, none added


async def test_stickers_voice_and_photos_get_kind_answers(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(JOHN, voice=True)
    voice = await fake.wait_for_bot_message(JOHN, timeout=20)
    assert "voice" in voice[0]["text"].lower()
    fake.user_sends(JOHN, photo=True)
    photo = await fake.wait_for_bot_message(JOHN, count=2, timeout=20)
    assert "happened" in photo[-1]["text"]


def test_a_poll_or_a_dice_is_in_the_transcript() -> None:
    """A customer who sent a poll ("Where is my order?") or a dice was answered, but the
    transcript on the operators' card had an empty line: what they sent was lost."""
    from datetime import UTC, datetime

    from aiogram.types import Chat, Dice, Poll, PollOption, User
    from aiogram.types import Message as TgMessage

    from bot.handlers.convert import incoming_from_message
    from escalation.card import transcript_lines

    def sent(**content: object) -> Message:
        message = TgMessage(
            message_id=7,
            date=datetime.now(UTC),
            chat=Chat(id=JOHN, type="private"),
            from_user=User(id=JOHN, is_bot=False, first_name="John"),
            **content,
        )
        incoming = incoming_from_message(message)
        return Message(direction="in", attachments=[a.to_dict() for a in incoming.attachments])

    options = [PollOption(persistent_id=str(i), text=t, voter_count=0) for i, t in enumerate("ab")]
    poll = Poll(
        id="p1",
        question="Where is my order 7781420?",
        options=options,
        total_voter_count=0,
        is_closed=False,
        is_anonymous=True,
        type="regular",
        allows_multiple_answers=False,
        allows_revoting=False,
        members_only=False,
    )
    lines = transcript_lines([sent(poll=poll), sent(dice=Dice(emoji="🎲", value=3))], UTC)
    assert "Where is my order 7781420?" in lines[0] and "poll" in lines[0], lines
    assert "🎲" in lines[1], lines


async def test_restart_mid_dialogue_loses_nothing(settings, classifier, db_url) -> None:
    first = await launch(settings, classifier, db_url)
    fake, server = first.server.fake, first.server
    try:
        fake.user_sends(ANNA, "Привезли сломанный чайник, крышка треснула, очень неприятно")
        ask = await fake.wait_for_bot_message(ANNA, timeout=20)
        assert "номер заказа" in ask[-1]["text"]
        # Telegram accepts the next message but the bot dies before it can answer.
        fake.add_fault("sendMessage", status=500, times=50)
        fake.user_sends(ANNA, "заказ 5531207")

        # a fresh session per look: one SQLite read transaction keeps its first snapshot
        async def undelivered(session) -> int:
            return await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == "out", Message.delivered_at.is_(None))
            )

        pending = await poll_db(first, undelivered, tries=300)
        assert pending, "the reply was stored before sending"
        await stop_bot(first)
        fake.faults.clear()  # Telegram is healthy again
        # While the bot is down the customer sends a photo; then it comes back.
        fake.user_sends(ANNA, photo=True, caption="вот фото")
        second = await launch(settings, classifier, db_url, server=server)
        try:
            # the stored reply is delivered, the photo is taken, and the fix options come
            # (the first run's retry of the stored reply may still hold it for a moment: in
            # one process its claim outlives the stopped bot, so it can come a little later)
            def all_three() -> bool:
                sent = fake.messages(ANNA, from_bot=True)
                return len(sent) >= 3 and any(m.get("reply_markup") for m in sent)

            await fake.wait_for(all_three, timeout=40)
            texts = bot_texts(fake, ANNA)
            assert "номер заказа" not in "\n".join(texts[1:]), "never asks again for what was given"
        finally:
            await stop_bot(second)
    finally:
        await server.__aexit__(None, None, None)


async def test_webhook_mode(settings, classifier, db_url) -> None:
    sb = await launch(settings, classifier, db_url, mode="webhook")
    try:
        sb.server.fake.user_sends(JOHN, "hello")
        msgs = await sb.server.fake.wait_for_bot_message(JOHN, timeout=20)
        assert msgs[0]["text"]
    finally:
        await stop_sandbox(sb)


async def test_handoff_operator_reply_resolve_and_bot_again(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Заказ 45-112 не пришёл, позовите живого оператора")
    # the thanks and apology come first, then the colleague is announced
    await fake.wait_for(
        lambda: [t for t in bot_texts(fake, ANNA) if "коллег" in t.lower()], timeout=20
    )
    topics = await fake.wait_for(
        lambda: [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]], timeout=20
    )
    thread = topics[0]["message_thread_id"]
    card = (await fake.wait_for_bot_message(OPERATORS_CHAT_ID, thread_id=thread, timeout=20))[0][
        "text"
    ]
    assert "45-112" in card and "Transcript" in card and "позовите" in card
    assert await fake.wait_for(lambda: fake.pinned(OPERATORS_CHAT_ID, thread), timeout=10)

    fake.user_sends(ANNA, "жду")  # the customer writes while waiting: relayed, bot silent
    await fake.wait_for(
        lambda: any(
            (m.get("text") or "") == "жду"
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread)
        ),
        timeout=20,
    )
    before = len(bot_texts(fake, ANNA))

    fake.user_sends(OLGA, "# проверю склад", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    fake.user_sends(
        OLGA,
        "Анна, добрый день! Заказ уже у курьера, привезёт сегодня.",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
    )
    reply = await fake.wait_for_bot_message(ANNA, count=before + 1, timeout=20)
    assert "курьера" in reply[-1]["text"]
    assert not any("проверю склад" in t for t in bot_texts(fake, ANNA)), (
        "internal notes never reach the customer"
    )

    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    survey = await fake.wait_for_bot_message(ANNA, count=before + 3, timeout=20)
    assert survey[-1].get("reply_markup"), "resolution asks for feedback with buttons"
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
        assert (
            ticket is not None
            and ticket.status == "resolved"
            and ticket.first_response_at is not None
        )

    fake.user_sends(ANNA, "Спасибо большое!")
    after = await fake.wait_for_bot_message(ANNA, count=before + 4, timeout=20)
    assert after[-1]["text"], "the bot answers again after the ticket closes"


async def test_the_card_of_a_resolved_ticket_keeps_what_was_known(sandbox: Sandbox) -> None:
    """/resolve refreshed the pinned card from the bot's clean slate for the next request:
    the ticket's record lost its classification and what the bot had promised ("Intent: ? ·
    complaint type: - ... Customer needs help (?)")."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(
        lambda: "resolved" in fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption(),
        timeout=20,
    )
    card = fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption().split("Transcript:")[0]
    assert "complaint type: late or lost delivery" in card and "customer kind: claimant" in card, (
        card
    )
    assert "Bot promised:" in card and "Claimant complaint (late or lost delivery)" in card, card


async def test_deleted_topic_is_recreated_with_the_card(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "I want to talk to a real person please")
    topics = await fake.wait_for(
        lambda: [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]], timeout=20
    )
    old = topics[0]["message_thread_id"]
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, thread_id=old, timeout=20)
    fake.delete_topic(OPERATORS_CHAT_ID, old)
    fake.user_sends(JOHN, "hello? still there?")
    new = await fake.wait_for(
        lambda: [
            t
            for t in fake.topics(OPERATORS_CHAT_ID)
            if t["message_thread_id"] != old and not t.get("deleted") and "#" in t["name"]
        ],
        timeout=20,
    )
    thread = new[0]["message_thread_id"]
    await fake.wait_for(
        lambda: any(
            "still there" in (m.get("text") or "")
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread)
        ),
        timeout=20,
    )
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["text"]
    assert "Ticket #" in card and "real person" in card


async def test_forged_ticket_callback_from_a_customer_is_rejected(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "hello")
    greeting = await fake.wait_for_bot_message(JOHN, timeout=20)
    fake.user_sends(JOHN, "operator please")
    await fake.wait_for(
        lambda: [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]], timeout=20
    )
    fake.user_presses(JOHN, JOHN, greeting[0]["message_id"], "tk:resolve:1", forged=True)
    fake.user_presses(JOHN, JOHN, greeting[0]["message_id"], "x" * 200, forged=True)
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.status == "open", "a customer cannot resolve tickets"
    answers = [a for a in fake.callback_answers if a]
    assert len(answers) >= 2, "every press is answered, forged or not"


def watch_locked_calls(sandbox: Sandbox) -> list[tuple[str, str]]:
    """From now on, the Telegram calls made while their update's transaction was open (the
    SQLite write lock every customer's turn waits for): (method, what the update said)."""
    calls: list[tuple[str, str]] = []
    TransactionWatch(calls).install(sandbox.dp, sandbox.bot)
    return calls


async def _escalate(fake, user: int, text: str) -> int:
    fake.user_sends(user, text)
    topics = await fake.wait_for(
        lambda: [
            t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"] and not t.get("deleted")
        ],
        timeout=20,
    )
    thread = topics[-1]["message_thread_id"]
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, thread_id=thread, timeout=20)
    return thread


async def test_media_edits_and_blocking_are_relayed_to_the_topic(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(JOHN, photo=True, caption="the broken box")
    fake.user_sends(JOHN, document=("receipt.pdf", b"%PDF-1.4 receipt"))
    fake.user_sends(JOHN, voice=True)
    sent = fake.user_sends(JOHN, "my order is 55112")
    fake.user_edits(JOHN, sent["message_id"], "my order is 55113")

    def relayed() -> list[dict]:
        msgs = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        kinds = {k for m in msgs for k in ("photo", "document", "voice") if m.get(k)}
        edited = any("55113" in (m.get("text") or "") for m in msgs)
        return msgs if kinds == {"photo", "document", "voice"} and edited else []

    await fake.wait_for(relayed, timeout=20)
    before = len(bot_texts(fake, JOHN))
    fake.user_blocks_bot(JOHN)
    fake.user_sends(OLGA, "Hello John!", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="blocked the bot", timeout=20
    )
    assert len(bot_texts(fake, JOHN)) == before


async def test_details_given_while_waiting_for_a_person_are_on_the_pinned_card(
    sandbox: Sandbox,
) -> None:
    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_sends(ANNA, "Номер заказа 5531207, сумма 2500 рублей")

    def card_details() -> str:
        card = next(
            m
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
            if m["message_id"] == card_id
        )
        return card["text"].split("Transcript:")[0]

    # the message is relayed to the topic after the card is brought up to date
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="сумма 2500", timeout=20
    )
    details = card_details()
    assert "order 5531207" in details and "amount 2,500 ₽" in details, details


async def test_an_operator_reply_while_the_card_is_pinned_reaches_the_customer(
    sandbox: Sandbox,
) -> None:
    """The topic is linked to its ticket before anything appears in it: an operator who
    answers as soon as the card shows up, while the bot is still pinning it (Telegram slow
    here), is not ignored."""
    fake = sandbox.server.fake
    fake.add_fault("pinChatMessage", delay=3.0)
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(OLGA, "Hi John, Olga here", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: any("Olga here" in t for t in bot_texts(fake, JOHN)), timeout=20)


async def test_who_is_an_operator_is_asked_of_telegram_with_no_transaction_open(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the roster's 10 minutes were over, Tomasz's press of Take, Olga's reply to John,
    her /queue and a stranger's reply in John's topic each asked Telegram whether they are
    in the operators' group inside the update's transaction (after the ticket was read):
    on SQLite it holds the one write lock, so a slow Telegram held up every customer's
    turn. Telegram is asked first, no transaction open; the take is done, Olga's reply
    reaches John, the stranger's does not."""
    from bot.handlers.operators import OperatorRoster

    monkeypatch.setattr(OperatorRoster, "KEEP", 0.0)  # every check asks, as 10 min later
    fake = sandbox.server.fake
    tomasz = OPERATORS[1][0]
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False  # a public group: anyone may post
    stranger = fake.add_user("Mallory", username="mallory")["id"]
    locked = watch_locked_calls(sandbox)
    thread = await _escalate(fake, JOHN, "operator please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    asked = len(fake.calls_of("getChatMember"))
    fake.user_presses(tomasz, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    ticket = await poll_db(sandbox, the_ticket, lambda t: t is not None and t.assignee_id == tomasz)
    assert ticket is not None and ticket.assignee_id == tomasz
    fake.user_sends(OLGA, "Hi John, Olga here", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hi John, Olga here" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(stranger, "Hi John!", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="only the shop's operators", timeout=20
    )
    fake.user_sends(OLGA, "/queue", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, text_contains="Waiting tickets", timeout=20)
    assert "Hi John!" not in bot_texts(fake, JOHN)
    who = [int(c["user_id"]) for c in fake.calls_of("getChatMember")[asked:]]
    assert who.count(OLGA) >= 2 and tomasz in who and stranger in who, who
    if sandbox.services.settings.database_url.startswith("sqlite"):
        # (on PostgreSQL a read takes no lock, only a row read FOR UPDATE is locked, and
        # the ticket's alone: no other customer's turn waits)
        assert not [c for c in locked if c[0] == "GetChatMember"], locked


async def test_a_customers_turns_ask_telegram_with_no_transaction_open(sandbox: Sandbox) -> None:
    """John's complaint handed to a person, his photo, file and edit relayed to the topic,
    the survey's No pressed after /resolve, his blocking the bot and unblocking it: the
    button's spinner was cleared, and the resolved topic asked to open again, while the
    update's transaction held SQLite's one write lock (every other customer's and
    operator's turn waited on a slow Telegram)."""
    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    fake.user_sends(JOHN, photo=True, caption="the broken box")
    fake.user_sends(JOHN, document=("receipt.pdf", b"%PDF-1.4 receipt"))
    sent = fake.user_sends(JOHN, "my order is 55112")
    fake.user_edits(JOHN, sent["message_id"], "my order is 55113")
    await fake.wait_for(
        lambda: any("55113" in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)), timeout=20
    )
    fake.user_sends(OLGA, "Hello John", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hello John" in bot_texts(fake, JOHN), timeout=20)
    before = len(fake.messages(JOHN, from_bot=True))
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    surveys = await fake.wait_for(
        lambda: [m for m in fake.messages(JOHN, from_bot=True)[before:] if m.get("reply_markup")],
        timeout=20,
    )
    fake.user_presses(JOHN, JOHN, surveys[-1]["message_id"], "sv:solved:no")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is reopened", timeout=20
    )

    # the topic Olga's Resolve closes is open again: the customer's reopening opens it, or,
    # when it came while Telegram was still closing it, the Resolve opens it after the close
    def topic_open() -> bool:
        return not next(
            t for t in fake.topics(OPERATORS_CHAT_ID) if t["message_thread_id"] == thread
        )["closed"]

    await fake.wait_for(topic_open, timeout=20)
    fake.user_blocks_bot(JOHN)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="blocked the bot", timeout=20
    )
    fake.user_blocks_bot(JOHN, blocked=False)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="unblocked", timeout=20
    )
    if sandbox.services.settings.database_url.startswith("sqlite"):
        # (on PostgreSQL a read takes no lock, only a row read FOR UPDATE is locked, and
        # the ticket's alone: no other customer's turn waits)
        assert not locked, locked


async def test_an_operator_saves_a_reply_to_the_faq_without_overwriting_it(
    sandbox: Sandbox,
) -> None:
    """``/kb_save`` as a reply to the operator's answer: a bad id is explained, an id one
    letter off an entry's names that entry (it made a second entry before); an existing
    entry's id adds the customer's question to it and keeps the admins' answer. The question
    is the one the answer answered, not the customer's 'Thanks a lot!' written after it."""
    from knowledge.formats import Entry
    from knowledge.service import get_knowledge

    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    knowledge = get_knowledge(sandbox.services)
    franchise = Entry(
        id="franchise", questions=["Do you sell franchises?"], answers={"en": "No, we do not."}
    )
    async with sandbox.services.sessionmaker() as session:
        await knowledge.save(session, franchise, actor="test")
    thread = await _escalate(fake, JOHN, "operator please")
    question = "Can I open a shop of yours in my town as a franchise?"
    fake.user_sends(JOHN, question)
    await fake.wait_for(
        lambda: any(question in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)), timeout=20
    )
    answer = fake.user_sends(
        OLGA, "Sorry, not at the moment.", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Sorry, not at the moment." in bot_texts(fake, JOHN), timeout=20)
    # thanked before the answer was saved: the thanks became the FAQ's question
    fake.user_sends(JOHN, "Thanks a lot!")
    await fake.wait_for(
        lambda: any("Thanks a lot" in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)),
        timeout=20,
    )
    # sent not as a reply to her answer: how to use it, in the operators' English (her
    # Telegram's Russian is not the team's)
    fake.user_sends(OLGA, "/kb_save", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        thread_id=thread,
        text_contains="Reply with /kb_save to your own answer that should go to the FAQ.",
        timeout=20,
    )
    for command, expect in (
        ("/kb_save Franchise!", "Not saved: bad id 'Franchise!'"),
        # a typo of an entry's id: which entry is near, nothing saved
        ("/kb_save franchse", "there is no entry 'franchse', but there is 'franchise'"),
        (
            "/kb_save franchise",
            "The customer's question now leads to 'franchise'. Its answer stays as the admins "
            "wrote it.",
        ),
    ):
        fake.user_sends(
            OLGA,
            command,
            chat_id=OPERATORS_CHAT_ID,
            message_thread_id=thread,
            reply_to_message_id=answer["message_id"],
        )
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains=expect, timeout=20
        )
    async with sandbox.services.sessionmaker() as session:
        saved = await knowledge.get(session, "franchise")
    assert saved is not None and saved.answers == franchise.answers
    assert saved.questions == [*franchise.questions, question]
    # each reply said after the save (or the reads) ended: no customer waited on the lock
    assert not [call for call in locked if call[1].startswith("/kb_save")], locked


async def test_kb_save_answers_in_the_operators_language(settings, classifier, db_url) -> None:
    """A Polish team (OPERATORS_LANGUAGE=pl): Olga's Telegram speaks Russian, and /kb_save
    answered her in Russian ('Сохранено в FAQ как ...', 'Не сохранено: ...') under a Polish
    card, where every other reply to an operator is Polish: now /kb_save's are too."""
    sb = await launch(settings.model_copy(update={"operators_language": "pl"}), classifier, db_url)
    try:
        await _kb_save_in_polish(sb)
    finally:
        await stop_sandbox(sb)


async def _kb_save_in_polish(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    thread = await _escalate(fake, JOHN, "operator please")
    question = "Do you deliver to Iceland?"
    fake.user_sends(JOHN, question)
    await fake.wait_for(
        lambda: any(question in t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread)), timeout=20
    )
    answer = fake.user_sends(
        OLGA, "Yes, in 7-10 days.", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Yes, in 7-10 days." in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/kb_save", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        thread_id=thread,
        text_contains="Wyślij /kb_save jako odpowiedź na swoją wiadomość do klienta",
        timeout=20,
    )
    for expect in (
        "Zapisano w FAQ jako 'delivery_iceland'. Administratorzy mogą go zmienić przez /kb_edit.",
        # the same again: the question is that entry's now
        "Nie zapisano: „Do you deliver to Iceland?” to pytanie wpisu "
        "'delivery_iceland', więc nie dodano do niego drugiej odpowiedzi",
    ):
        fake.user_sends(
            OLGA,
            "/kb_save",
            chat_id=OPERATORS_CHAT_ID,
            message_thread_id=thread,
            reply_to_message_id=answer["message_id"],
        )
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains=expect, timeout=20
        )
    said = bot_texts(fake, OPERATORS_CHAT_ID, thread)
    assert not any("Saved to the FAQ" in t or "Сохранено" in t for t in said), said
    assert not [call for call in locked if call[1].startswith("/kb_save")], locked


async def test_operator_edits_and_canned_replies_reach_the_customer(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    before = len(bot_texts(fake, JOHN))
    op = fake.user_sends(
        OLGA, "Your refnd is on its way", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for_bot_message(JOHN, count=before + 1, timeout=20)
    fake.user_edits(OPERATORS_CHAT_ID, op["message_id"], "Your refund is on its way")
    await fake.wait_for(lambda: any("refund is on" in t for t in bot_texts(fake, JOHN)), timeout=20)
    fake.user_sends(
        OLGA,
        "/canned_add thanks Thank you for waiting!",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
    )
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="Saved canned", timeout=20
    )
    fake.user_sends(OLGA, "/canned thanks", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Thank you for waiting!" in bot_texts(fake, JOHN), timeout=20)
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.assignee_id == OLGA and ticket.status == "taken"


async def test_an_edited_signed_reply_keeps_the_operators_name(
    settings, classifier, db_url
) -> None:
    """SHOW_OPERATOR_NAME: the customer got "Olga: Your refnd is on its way"; when Olga fixed
    the typo, the edit replaced it with the bare text and her name was gone."""
    sb = await launch(settings.model_copy(update={"show_operator_name": True}), classifier, db_url)
    try:
        fake = sb.server.fake
        thread = await _escalate(fake, JOHN, "operator please")
        op = fake.user_sends(
            OLGA, "Your refnd is on its way", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
        )
        await fake.wait_for(lambda: "Olga: Your refnd is on its way" in bot_texts(fake, JOHN))
        fake.user_edits(OPERATORS_CHAT_ID, op["message_id"], "Your refund is on its way")
        await fake.wait_for(
            lambda: any("refund is on" in t for t in bot_texts(fake, JOHN)), timeout=20
        )
        assert "Olga: Your refund is on its way" in bot_texts(fake, JOHN), bot_texts(fake, JOHN)
        # a photo and a canned reply are signed too (they reached the customer unsigned)
        fake.user_sends(
            OLGA,
            photo=True,
            caption="the label",
            chat_id=OPERATORS_CHAT_ID,
            message_thread_id=thread,
        )
        await fake.wait_for(lambda: "Olga: the label" in bot_texts(fake, JOHN), timeout=20)
        fake.user_sends(
            OLGA, "/canned_add thanks Thank you for waiting!", chat_id=OPERATORS_CHAT_ID
        )
        await fake.wait_for_bot_message(OPERATORS_CHAT_ID, text_contains="Saved", timeout=20)
        fake.user_sends(OLGA, "/canned thanks", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for(
            lambda: "Olga: Thank you for waiting!" in bot_texts(fake, JOHN), timeout=20
        )
    finally:
        await stop_sandbox(sb)


async def test_a_signed_edit_too_long_with_the_name_says_why(settings, classifier, db_url) -> None:
    """SHOW_OPERATOR_NAME: Olga edited her short answer into one of 4,092 characters, which
    'Olga: ' in front makes longer than Telegram takes; she read 'Telegram would not change
    the message they have (they may have cleared the chat)', the wrong reason (John had
    cleared nothing). She is told that her name makes it too long, and by how much."""
    sb = await launch(settings.model_copy(update={"show_operator_name": True}), classifier, db_url)
    try:
        fake = sb.server.fake
        thread = await _escalate(fake, JOHN, "operator please")
        op = fake.user_sends(OLGA, "short", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for(lambda: "Olga: short" in bot_texts(fake, JOHN), timeout=20)
        long = "word " * 818 + "ok"  # 4,092 characters, 4,098 with 'Olga: '
        fake.user_edits(OPERATORS_CHAT_ID, op["message_id"], long)
        said = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="did not reach", timeout=20
        )
        assert "cleared the chat" not in said[-1]["text"], said[-1]["text"]
        assert "your name" in said[-1]["text"] and "(4096 characters) by 2" in said[-1]["text"]
        assert "Olga: short" in bot_texts(fake, JOHN)
    finally:
        await stop_sandbox(sb)


async def test_a_ticket_command_outside_a_ticket_topic_is_answered(sandbox: Sandbox) -> None:
    """'/resolve' typed in the group's General topic (or a topic of no ticket) did nothing,
    and said nothing: the operator believed the ticket closed."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=None, text_contains="ticket's topic", timeout=20
    )
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.status == "open" and ticket.topic_id == thread


async def test_handled_update_ids_are_forgotten_after_two_days(sandbox: Sandbox) -> None:
    """Every handled update id was kept forever: Telegram may number anew after a quiet week
    (and a restarted sandbox did), and a customer's message with an old id was dropped as
    "already handled". Ids older than two days (Telegram keeps an update a day) go."""
    from datetime import timedelta

    from sqlalchemy import select

    from bot.db.models import ProcessedUpdate, utcnow
    from escalation.timers import check_timers

    now = utcnow()
    async with sandbox.services.sessionmaker() as session:
        session.add(ProcessedUpdate(bot_id=1, update_id=11, processed_at=now - timedelta(days=3)))
        session.add(ProcessedUpdate(bot_id=1, update_id=12, processed_at=now - timedelta(hours=2)))
        await session.commit()
    await check_timers(sandbox.bot, sandbox.services, now=now + timedelta(hours=2))
    async with sandbox.services.sessionmaker() as session:
        kept = await session.scalars(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == 1)
        )
        assert sorted(kept) == [12]


async def test_sla_reminds_operators_and_apologises_to_the_customer(sandbox: Sandbox) -> None:
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    before = len(bot_texts(fake, ANNA))
    later = utcnow() + timedelta(days=2)
    counts = await check_timers(sandbox.bot, sandbox.services, now=later)
    assert counts == {"reminded": 1, "apologized": 1}
    reminder = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="without an answer", timeout=10
    )
    assert reminder
    apology = await fake.wait_for_bot_message(ANNA, count=before + 1, timeout=10)
    assert "Извините" in apology[-1]["text"] and "SORRY5" in apology[-1]["text"]
    again = await check_timers(sandbox.bot, sandbox.services, now=later)
    assert again == {"reminded": 0, "apologized": 0}, "each reminder and apology happens once"


async def test_a_customer_who_writes_again_after_an_answer_is_not_forgotten(
    sandbox: Sandbox,
) -> None:
    """Olga answered, then Anna asked 'а когда вернутся деньги?' and nobody answered for two
    days: the SLA counted only the first answer, so nobody was ever reminded. A question
    left unanswered past the SLA is now reminded in the topic, once; a 'спасибо' is not.
    The seniors are alerted in private with the topic's link, as for a first message left
    unanswered (they were not: a customer left waiting after an answer went unseen)."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    fake.user_sends(OLGA, "Возврат оформлен", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Возврат оформлен" in bot_texts(fake, ANNA), timeout=20)
    fake.user_sends(ANNA, "Спасибо!")
    fake.user_sends(ANNA, sticker="👍")  # a sticker is a reaction too (it was reminded of)
    await fake.wait_for(
        lambda: any(m.get("sticker") for m in fake.messages(OPERATORS_CHAT_ID)), timeout=20
    )
    later = utcnow() + timedelta(days=2)
    quiet = await check_timers(sandbox.bot, sandbox.services, now=later)
    assert quiet["reminded"] == 0, "thanks need no answer"
    fake.user_sends(ANNA, "А когда вернутся деньги?")
    await fake.wait_for(
        lambda: any("деньги" in (m.get("text") or "") for m in fake.messages(OPERATORS_CHAT_ID)),
        timeout=20,
    )
    counts = await check_timers(sandbox.bot, sandbox.services, now=later)
    assert counts["reminded"] == 1, counts
    reminder = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="wrote again", timeout=10
    )
    assert "Olga" in reminder[-1]["text"], reminder[-1]["text"]
    alert = await fake.wait_for_bot_message(OLGA, text_contains="wrote again", timeout=10)
    link = f"https://t.me/c/{str(OPERATORS_CHAT_ID).removeprefix('-100')}/{thread}"
    assert link in alert[-1]["text"], alert[-1]["text"]
    again = await check_timers(sandbox.bot, sandbox.services, now=later)
    assert again["reminded"] == 0, "reminded once"
    assert len(fake.messages(OLGA, from_bot=True)) == 1, "the seniors are alerted once"


async def test_the_sla_reminder_of_a_ticket_whose_operator_left_asks_to_take_it(
    sandbox: Sandbox,
) -> None:
    """Olga took the ticket and then left the operators' group: the reminder still said
    'It is with Olga (@olga_support): please answer the customer', so nobody took it and
    the customer waited on. The ticket is back in the queue, the topic says she has left,
    and the reminder asks for /take."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    group = fake.chats[OPERATORS_CHAT_ID]
    group.members.remove(OLGA)  # she leaves the group
    group.admins.remove(OLGA)
    await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(days=2))
    reminder = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="without an answer", timeout=10
    )
    assert "/take" in reminder[-1]["text"] and "Olga" not in reminder[-1]["text"], reminder[-1]
    said = topic_texts(fake, thread)
    assert any("Olga" in t and "has left" in t and "back in the queue" in t for t in said), said
    ticket = await poll_db(sandbox, the_ticket)
    assert ticket is not None and (ticket.assignee_id, ticket.status) == (None, "open")


async def test_after_the_promised_time_the_bot_asks_and_no_brings_in_a_person(
    sandbox: Sandbox,
) -> None:
    from datetime import timedelta

    from bot.db.models import Complaint, utcnow
    from escalation.followup import check_follow_ups

    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="within", timeout=20)
    assert await check_follow_ups(sandbox.bot, sandbox.services) == {"asked": 0, "skipped": 0}

    later = utcnow() + timedelta(days=2)
    assert (await check_follow_ups(sandbox.bot, sandbox.services, now=later))["asked"] == 1
    question = await fake.wait_for_bot_message(JOHN, text_contains="sorted out", timeout=10)
    assert "7781420" in question[-1]["text"]
    again = await check_follow_ups(sandbox.bot, sandbox.services, now=later)
    assert again == {"asked": 0, "skipped": 0}, "asked once"

    fake.user_presses(JOHN, JOHN, question[-1]["message_id"], "cmp:fu:no")
    topics = await fake.wait_for(
        lambda: [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]], timeout=20
    )
    assert topics
    async with sandbox.services.sessionmaker() as session:
        complaint = await session.scalar(select(Complaint))
        ticket = await session.scalar(select(Ticket))
    assert complaint is not None and complaint.outcome == "not_sorted_after_follow_up"
    assert ticket is not None and ticket.reason == "fix_not_helped"


async def test_non_members_cannot_press_ticket_buttons(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "human please")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    stranger = fake.add_user("Mallory", username="mallory")
    fake.user_presses(stranger["id"], OPERATORS_CHAT_ID, card["message_id"], "tk:resolve:1")
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:resolve:999", forged=True)
    await fake.wait_for(lambda: len(fake.callback_answers) >= 2, timeout=20)
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.status == "open"
    texts = [a.get("text") for a in fake.callback_answers]
    assert any("Only operators" in (t or "") for t in texts) and any(
        "out of date" in (t or "") for t in texts
    )
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:take:1")
    await fake.wait_for(
        lambda: (
            "Take"
            not in str(
                fake.get_message(OPERATORS_CHAT_ID, card["message_id"]).to_api().get("reply_markup")
            )
        ),
        timeout=20,
    )
    ticket = await poll_db(
        sandbox, the_ticket, lambda t: t is not None and t.assignee_id == OLGA, tries=50
    )
    assert ticket is not None and ticket.assignee_id == OLGA and ticket.status == "taken"


async def test_an_internal_error_gets_a_kind_answer_and_keeps_the_message(sandbox: Sandbox) -> None:
    class Broken:
        """Fault injection: the classifier crashes on one message."""

        def __init__(self, inner) -> None:
            self.inner = inner

        def predict_one(self, text: str):
            if "BOOM" in text:
                raise RuntimeError("classifier crashed")
            return self.inner.predict_one(text)

        def predict(self, texts):
            return [self.predict_one(t) for t in texts]

    engine = sandbox.services.engine
    engine.classifier = Broken(engine.classifier)
    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Здравствуйте, BOOM")
    reply = await fake.wait_for_bot_message(ANNA, timeout=20)
    assert "Извините" in reply[0]["text"] and "сохранено" in reply[0]["text"]
    async with sandbox.services.sessionmaker() as session:
        kept = await session.scalar(select(Message).where(Message.text == "Здравствуйте, BOOM"))
    assert kept is not None
    fake.user_sends(ANNA, "Привет")
    await fake.wait_for_bot_message(ANNA, count=2, timeout=20)


async def test_handoff_survives_a_restart_without_loss_or_duplicates(
    settings, classifier, db_url
) -> None:
    first = await launch(settings, classifier, db_url)
    server, fake = first.server, first.server.fake
    try:
        thread = await _escalate(fake, JOHN, "I need a real person, my parcel 77123 is lost")
        await stop_bot(first)
        # while the bot is down: the customer writes and sends a photo, an operator answers
        fake.user_sends(JOHN, "are you there? here is the label", photo=True)
        fake.user_sends(
            OLGA, "Hi John, I'm on it.", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
        )
        second = await launch(settings, classifier, db_url, server=server)
        try:
            await fake.wait_for(
                lambda: any(
                    m.get("photo")
                    for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
                ),
                timeout=30,
            )
            await fake.wait_for(lambda: "Hi John, I'm on it." in bot_texts(fake, JOHN), timeout=30)
            fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
            await fake.wait_for(
                lambda: any(m.get("reply_markup") for m in fake.messages(JOHN, from_bot=True)[-1:]),
                timeout=30,
            )
            fake.user_sends(JOHN, "thank you!")
            await fake.wait_for(lambda: len(bot_texts(fake, JOHN)) >= 5, timeout=30)
            await settled(second)
        finally:
            await stop_bot(second)
        texts = bot_texts(fake, JOHN)
        assert texts.count("Hi John, I'm on it.") == 1, "relayed exactly once"
        relayed = [
            m
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
            if m.get("photo")
        ]
        assert len(relayed) == 1
    finally:
        await server.__aexit__(None, None, None)


async def test_reopen_brings_the_chat_back_unless_a_newer_ticket_is_open(sandbox: Sandbox) -> None:
    """/reopen of a resolved ticket gives the chat back to the operators; but with a newer
    ticket of the customer's open, a reopened old one was a second open ticket and the
    customer's messages went to one topic only. That /reopen now points to the newer one."""
    fake = sandbox.server.fake

    def ticket_topics() -> list[int]:
        return [t["message_thread_id"] for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]

    fake.user_sends(JOHN, "I want to talk to a real person please")
    first = (await fake.wait_for(ticket_topics, timeout=20))[0]
    await fake.wait_for_bot_message(OPERATORS_CHAT_ID, thread_id=first, timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=first)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=first, text_contains="Ticket #1 resolved", timeout=20
    )
    fake.user_sends(OLGA, "/reopen", chat_id=OPERATORS_CHAT_ID, message_thread_id=first)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=first, text_contains="reopened", timeout=20
    )
    fake.user_sends(JOHN, "thanks for coming back, one more thing")
    await fake.wait_for(
        lambda: any(
            "one more thing" in (m.get("text") or "")
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=first)
        ),
        timeout=20,
    )
    # resolved again (John says it is solved); he asks for a person anew: a second ticket
    # (asked instead of answering "was it solved?", it would reopen this one)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=first)
    await fake.wait_for(
        lambda: (
            sum(
                (m.get("text") or "").startswith("Ticket #1 resolved")
                for m in fake.messages(OPERATORS_CHAT_ID, thread_id=first, from_bot=True)
            )
            >= 2
        ),
        timeout=20,
    )
    solved = await fake.wait_for_bot_message(JOHN, text_contains="solved?", count=2, timeout=20)
    fake.user_presses(JOHN, JOHN, solved[-1]["message_id"], "sv:solved:yes")
    await fake.wait_for_bot_message(
        JOHN, text_contains="1 (poor)", after_message_id=solved[-1]["message_id"], timeout=20
    )
    fake.user_sends(JOHN, "Sorry, I need a person again please")
    second = await fake.wait_for(
        lambda: [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]][1:], timeout=20
    )
    second_thread = second[0]["message_thread_id"]
    # the hand-off turn done: ticket #2 knows its topic (Telegram makes it before the bot
    # stores it; under load a /reopen read in between pointed to #2 without its link)
    await settled(sandbox)
    fake.user_sends(OLGA, "/reopen", chat_id=OPERATORS_CHAT_ID, message_thread_id=first)
    refusal = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=first, text_contains="newer", timeout=20
    )
    assert "#" in refusal[-1]["text"]
    # an answer written in the old topic: pointed to the open ticket's topic (it was told
    # to /reopen, which is refused)
    fake.user_sends(OLGA, "Your refund is done", chat_id=OPERATORS_CHAT_ID, message_thread_id=first)
    pointed = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=first, text_contains="not sent", timeout=20
    )
    link = f"https://t.me/c/{str(OPERATORS_CHAT_ID).removeprefix('-100')}/{second_thread}"
    assert "#2" in pointed[-1]["text"] and link in pointed[-1]["text"], pointed[-1]["text"]
    assert "/reopen" not in pointed[-1]["text"], pointed[-1]["text"]
    assert "Your refund is done" not in bot_texts(fake, JOHN)
    async with sandbox.services.sessionmaker() as session:
        statuses = sorted((await session.scalars(select(Ticket.status))).all())
    assert statuses.count("resolved") == 1 and len(statuses) == 2, statuses
    assert second_thread != first


async def test_transfer_of_a_resolved_ticket_leaves_it_resolved(sandbox: Sandbox) -> None:
    """/transfer in a resolved ticket's topic put it 'back in the queue': an open ticket
    while the bot had the chat again, in the queue and the SLA timers, and a later request
    for a person joined it ('a colleague already has your case') with no new topic."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "I want to talk to a real person please")
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="resolved;", timeout=20
    )
    sent = fake.user_sends(OLGA, "/transfer", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    answer = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, after_message_id=sent["message_id"], timeout=20
    )
    assert "reopen" in answer[-1]["text"].lower(), answer[-1]["text"]
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.status == "resolved" and ticket.assignee_id is None


async def test_a_reopened_ticket_keeps_its_card(sandbox: Sandbox) -> None:
    """/reopen refreshed the pinned card from the bot's clean slate after the resolution:
    'Intent: ? · complaint type: -', 'Customer needs help (?)', and what the bot had
    promised was gone, for the operator who took the case up again."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="resolved;", timeout=20
    )
    fake.user_sends(OLGA, "/reopen", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="reopened", timeout=20
    )
    card = fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption().split("Transcript:")[0]
    assert "waiting" in card or "in progress" in card, card
    assert "complaint type: late or lost delivery" in card and "customer kind: claimant" in card, (
        card
    )
    assert "Bot promised:" in card and "Claimant complaint (late or lost delivery)" in card, card


async def test_not_solved_while_the_topic_is_being_closed_leaves_it_open(
    sandbox: Sandbox, office_hours: None
) -> None:
    """Olga resolved John's ticket; Telegram was slow to close its topic, and John answered
    'Was your question solved?' with No at once: the ticket was reopened and its topic
    opened again, then Olga's close went through, so the reopened ticket sat in a closed
    topic. The topic of a ticket reopened meanwhile is opened again after the close."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "Hi John, done", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hi John, done" in bot_texts(fake, JOHN), timeout=20)
    fake.add_fault("closeForumTopic", delay=3.0)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    question = await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    fake.user_presses(JOHN, JOHN, question[-1]["message_id"], "sv:solved:no")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="not solved", timeout=20
    )
    await fake.wait_for(lambda: not fake.faults, timeout=20)
    await settled(sandbox)
    ticket = await poll_db(sandbox, the_ticket, lambda t: t is not None and t.status != "resolved")
    assert ticket is not None and ticket.status == "taken"
    [topic] = [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]
    assert not topic["closed"], topic


async def test_not_solved_in_the_survey_goes_back_to_the_ticket_and_its_operator(
    sandbox: Sandbox, office_hours: None
) -> None:
    """'No' to 'Was your question solved?' ('I'm passing it back to a colleague') opened a
    new ticket in a new topic, with nobody on it and a card of the bot's clean slate
    ('Intent: ?', 'Customer needs help (?)'), while the operator who had handled the case
    watched the old, closed topic. The resolved ticket is reopened in its topic instead."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_sends(
        OLGA, "Hi John, the courier has it", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(lambda: "Hi John, the courier has it" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    question = await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    fake.user_presses(JOHN, JOHN, question[-1]["message_id"], "sv:solved:no")
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="not solved", timeout=20
    )
    assert "#1" in told[-1]["text"], told[-1]["text"]
    back = await fake.wait_for_bot_message(JOHN, text_contains="passing it back", timeout=20)
    await fake.wait_for(
        lambda: any(  # operators are at work: within the SLA, not "tomorrow at 09:00"
            "within about 30 minutes" in (m.get("text") or "")
            for m in fake.messages(JOHN, from_bot=True)
            if m["message_id"] > back[-1]["message_id"]
        ),
        timeout=20,
    )

    # the topic Olga's Resolve closes is open again: the customer's reopening opens it, or,
    # when it came while Telegram was still closing it, the Resolve opens it after the close
    def topics() -> list[dict]:
        return [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]

    await fake.wait_for(lambda: topics() if not topics()[0]["closed"] else None, timeout=20)
    assert len(topics()) == 1, topics()

    def card() -> str:
        return (
            fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption().split("Transcript:")[0]
        )

    # the card is redrawn at the reopening (or, when Telegram fails then, by the timers)
    await fake.wait_for(lambda: "in progress" in card(), timeout=30)
    assert "complaint type: late or lost delivery" in card(), card()
    async with sandbox.services.sessionmaker() as session:
        tickets = (await session.scalars(select(Ticket))).all()
    assert [(t.status, t.assignee_id) for t in tickets] == [("taken", OLGA)]
    fake.user_sends(JOHN, "the courier still has not come")
    await fake.wait_for(
        lambda: any(
            "still has not come" in (m.get("text") or "")
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread)
        ),
        timeout=20,
    )
    # nobody answers the reopened ticket: the SLA reminds the operators, as for a new one
    # (it did not: the ticket had had its first answer, so the timers skipped it)
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    await poll_db(sandbox, the_ticket, lambda t: t.status == "taken")
    later = utcnow() + timedelta(hours=3)  # 15:00 in Moscow: the SLA was up at 12:30
    counts = await check_timers(sandbox.bot, sandbox.services, now=later)
    assert counts["reminded"] == 1, counts
    reminder = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="without an answer", timeout=10
    )
    assert "reopened" in reminder[-1]["text"] and "3 h" in reminder[-1]["text"], reminder
    assert (await check_timers(sandbox.bot, sandbox.services, now=later))["reminded"] == 0


def test_a_pressed_button_is_in_the_transcript_by_its_label() -> None:
    """The transcript showed a pressed button by its code: 'Customer: [pressed
    sv:solved:no]', '[pressed cmp:opt:refund]'; an operator reads what the customer saw."""
    from datetime import UTC

    from escalation.card import transcript_lines

    asked = Message(
        direction="out",
        text="How would you like me to fix it?",
        buttons=[[{"text": "Replace the item", "data": "cmp:opt:replace"}]]
        + [[{"text": "Refund the money", "data": "cmp:opt:refund"}]],
    )
    pressed = Message(direction="in", attachments=[{"kind": "button", "name": "cmp:opt:refund"}])
    old = Message(direction="in", attachments=[{"kind": "button", "name": "sv:nps:9"}])
    lines = transcript_lines([asked, pressed, old], UTC)
    assert lines[1].endswith("Customer: [pressed Refund the money]"), lines
    assert lines[2].endswith("Customer: [pressed sv:nps:9]"), lines  # no button known: the code


async def test_operators_see_each_other_by_name_and_empty_notes_are_not_saved(
    sandbox: Sandbox,
) -> None:
    """/queue said 'taken by 501'; Tomasz's /take of Olga's ticket said only 'Ticket #1 is
    yours', so Olga (watching the topic) did not learn her ticket had moved; '/note' with
    nothing after it saved an empty note, and an edited note kept its old text. The queue
    and the take now name the operator, an empty note is refused with how to write one, and
    an edit corrects the note."""
    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    tomasz = OPERATORS[1][0]
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "Hi John, I'm on it", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hi John, I'm on it" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/queue", chat_id=OPERATORS_CHAT_ID)
    queue = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, text_contains="Waiting tickets", timeout=20
    )
    assert "taken by Olga" in queue[-1]["text"] and str(OLGA) not in queue[-1]["text"], queue
    # the queue is read, and the read ended, before Telegram is asked to show it
    assert not [c for c in locked if c[1] == "/queue" and c[0] == "SendMessage"], locked
    fake.user_sends(tomasz, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    took = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    assert "it was with Olga" in took[-1]["text"], took[-1]["text"]
    fake.user_sends(tomasz, "/note", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    refused = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="empty", timeout=20
    )
    assert "/note" in refused[-1]["text"]
    fake.user_sends(
        tomasz, "/note called the courier", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    noted = await poll_db(sandbox, notes)
    assert [n.text for n in noted] == ["called the courier"]
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.assignee_id == tomasz
    # a note corrected in Telegram is corrected in the ticket (it kept the old text)
    fake.user_edits(OPERATORS_CHAT_ID, noted[0].relay_message_id, "/note the courier comes Friday")
    note = await poll_db(
        sandbox,
        lambda session: session.get(Message, noted[0].id),
        lambda n: n is not None and n.text != "called the courier",
    )
    assert note is not None and note.text == "the courier comes Friday", note and note.text
    assert not [t for t in bot_texts(fake, JOHN) if "Friday" in t]
    # "#5531207 ..." is an order number for the customer, not a note: it was swallowed
    shipped = "#5531207 is shipped, the tracking number comes by SMS"
    fake.user_sends(tomasz, shipped, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: shipped in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(
        tomasz, "#ask the warehouse", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    noted = await poll_db(sandbox, notes, lambda n: len(n) == 2)
    assert [n.text for n in noted] == ["the courier comes Friday", "ask the warehouse"]
    assert not [t for t in bot_texts(fake, JOHN) if "warehouse" in t]


async def test_admins_report_reads_in_words_for_the_days_asked_and_opens_in_excel(
    sandbox: Sandbox,
) -> None:
    """/report took no dates (always the last 30 days), sent a table of metric keys
    ('complaints_by_type.delivery_delay  1', 'escalations.by_reason.customer_request  1') and
    no CSV a spreadsheet opens. It now reads '/report 7' or '/report FROM TO [csv|json]',
    answers in words, and attaches a CSV with a BOM (Excel shows UTF-8 without one as
    mojibake)."""
    from bot.sandbox.run import ADMIN_ID

    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    fake.user_sends(ADMIN_ID, "/report last month please")
    usage = await fake.wait_for_bot_message(ADMIN_ID, text_contains="/report", timeout=20)
    assert "2026-11-01" in usage[-1]["text"] and not fake.calls_of("sendDocument")
    fake.user_sends(ADMIN_ID, "/report 7")
    summary = await fake.wait_for_bot_message(ADMIN_ID, text_contains="Complaints: 1", timeout=20)
    text = summary[-1]["text"]
    assert "late or lost delivery: 1" in text and "delivery_delay" not in text, text
    await fake.wait_for(lambda: fake.calls_of("sendDocument"), timeout=20)
    doc = [m for m in fake.messages(ADMIN_ID, from_bot=True) if m.get("document")][-1]
    assert doc["document"]["file_name"].endswith(".csv"), doc["document"]
    data = fake.file_bytes(doc["document"]["file_id"])
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    assert "complaints_by_type.delivery_delay,1" in data.decode("utf-8-sig"), data


async def test_an_operators_reply_to_a_customers_message_is_quoted_for_the_customer(
    sandbox: Sandbox,
) -> None:
    """An operator answering one of several messages (Telegram's reply in the topic) reached
    the customer as a bare message: which question it answered was lost. It now quotes the
    customer's own message, as a reply does in any chat."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    asked = fake.user_sends(JOHN, "and can I pay by card on delivery?")
    fake.user_sends(JOHN, "also the box was crushed")
    # the copies, not the card: its transcript, redrawn in a moment, has the words too
    await fake.wait_for(
        lambda: any(
            m.get("text") == "also the box was crushed"
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        ),
        timeout=20,
    )
    copy = next(
        m
        for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        if m.get("text") == "and can I pay by card on delivery?"
    )
    fake.user_sends(
        OLGA,
        "Yes, card on delivery works",
        chat_id=OPERATORS_CHAT_ID,
        reply_to_message_id=copy["message_id"],
    )
    fake.user_sends(
        OLGA, "I'll look at the box now", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await fake.wait_for(
        lambda: "I'll look at the box now" in " ".join(bot_texts(fake, JOHN)), timeout=20
    )
    answers = {
        m["text"]: m
        for m in fake.messages(JOHN, from_bot=True)
        if "card on delivery" in m.get("text", "") or "box now" in m.get("text", "")
    }
    quoted = answers["Yes, card on delivery works"].get("reply_to_message") or {}
    assert quoted.get("message_id") == asked["message_id"], answers
    assert "reply_to_message" not in answers["I'll look at the box now"]


async def test_a_reply_to_the_customers_edit_notice_quotes_the_edited_message(
    sandbox: Sandbox,
) -> None:
    """John corrected his order number with Telegram's edit; Olga answered the topic's
    '✏️ The customer edited a message: my order is 55113' with a reply, and John read her
    answer bare, not quoting the message it answers, as her replies to his other messages
    do. A reply to the notice quotes the message he edited."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    sent = fake.user_sends(JOHN, "my order is 55112")
    fake.user_sends(JOHN, "and the box was crushed")
    await fake.wait_for(lambda: any("crushed" in t for t in topic_texts(fake, thread)), timeout=20)
    fake.user_edits(JOHN, sent["message_id"], "my order is 55113")
    [notice] = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="edited a message", timeout=20
    )
    fake.user_sends(
        OLGA,
        "Found 55113, it ships today",
        chat_id=OPERATORS_CHAT_ID,
        reply_to_message_id=notice["message_id"],
    )
    await fake.wait_for(lambda: "Found 55113, it ships today" in bot_texts(fake, JOHN), timeout=20)
    answer = next(
        m
        for m in fake.messages(JOHN, from_bot=True)
        if m.get("text") == "Found 55113, it ships today"
    )
    quoted = answer.get("reply_to_message") or {}
    assert quoted.get("message_id") == sent["message_id"], answer


async def test_a_canned_reply_is_found_whatever_the_case_of_its_name(sandbox: Sandbox) -> None:
    """'/canned_add Thanks ...' stored 'Thanks'; '/canned thanks' then said 'No such canned
    reply' and '/canned_add THANKS ...' stored a second one. A name is one name in any case."""
    from bot.db.models import CannedReply

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "operator please")
    for command, answer in (
        ("/canned_add Thanks Thank you for waiting!", "Saved canned"),
        ("/canned_add THANKS Thank you for waiting, John!", "Saved canned"),
        ("/canned thanks", "Sent to the customer"),
    ):
        sent = fake.user_sends(OLGA, command, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        reply = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, after_message_id=sent["message_id"], timeout=20
        )
        assert answer in reply[-1]["text"], (command, reply[-1]["text"])
    await fake.wait_for(lambda: "Thank you for waiting, John!" in bot_texts(fake, JOHN))
    async with sandbox.services.sessionmaker() as session:
        names = (await session.scalars(select(CannedReply.name))).all()
    assert len(names) == 1, names
    # no name: how to use it, not "No such canned reply"
    fake.user_sends(OLGA, "/canned_del", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, text_contains="Usage: /canned_del", timeout=20
    )
    fake.user_sends(OLGA, "/canned_del Thanks", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, text_contains="Deleted canned reply 'thanks' (English)", timeout=20
    )


async def test_a_canned_reply_reaches_the_customer_in_their_language(sandbox: Sandbox) -> None:
    """A canned reply had one text: Anna, who writes Russian, got 'Thank you for waiting!'
    in English, and the operator could not store or pick a Russian one. Each language now
    has its own text; the customer's is sent, and none in another language."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    for command, answer in (
        ("/canned_add thanks Thank you for waiting!", "(English)"),
        ("/canned thanks", "has no Russian text"),
        ("/canned_add thanks ru Спасибо, что подождали!", "(Russian)"),
        ("/canned_add sorry Sorry for the delay", "(English)"),
        ("/canned thanks", "Sent to the customer: Спасибо"),
        ("/canned sorry", "has no Russian text"),
        ("/canned sorry en", "Sent to the customer: Sorry"),  # picked by the operator
    ):
        sent = fake.user_sends(OLGA, command, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        reply = await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, after_message_id=sent["message_id"], timeout=20
        )
        assert answer in reply[-1]["text"], (command, reply[-1]["text"])
    texts = bot_texts(fake, ANNA)
    assert "Спасибо, что подождали!" in texts and "Thank you for waiting!" not in texts, texts


async def test_the_transcript_stays_in_the_topic_when_the_card_grows_long(
    sandbox: Sandbox,
) -> None:
    """The card was posted with the transcript under it; the customer then wrote a long
    story while waiting, and when Olga took the ticket the card came back without the
    transcript (too long for one message) and no file was sent: what the customer had told
    the bot before the hand-off was nowhere in the topic."""
    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Здравствуйте, у меня заказ 7781234")
    await fake.wait_for_bot_message(ANNA, timeout=20)
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    [card] = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[:1]
    assert "7781234" in card["text"].split("Transcript:")[-1], card["text"]
    story = "Курьер позвонил, потом пропал, потом снова позвонил. " * 60  # ~3,200 letters
    fake.user_sends(ANNA, story.strip())
    await fake.wait_for(
        lambda: len(fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)) > 1
    )
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )

    def transcript_shown() -> bool:
        shown = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        card = shown[0].get("text", "")
        files = [
            m
            for m in shown
            if (m.get("document") or {}).get("file_name", "").endswith("transcript.txt")
        ]
        return "Operator:" in card and ("Transcript:" in card or bool(files))

    await fake.wait_for(transcript_shown, timeout=20)


async def test_a_senior_alerted_in_private_gets_a_link_to_the_topic(sandbox: Sandbox) -> None:
    """Olga, a senior, was alerted in her private chat ('🔥 High priority ticket #1: a
    senior operator is needed.') with no way to the ticket: she had to look for its topic
    among the others in the group. The alert now links to the topic."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "I will take you to court, my lawyer is ready")
    alert = await fake.wait_for_bot_message(OLGA, text_contains="High priority", timeout=20)
    link = f"https://t.me/c/{str(OPERATORS_CHAT_ID).removeprefix('-100')}/{thread}"
    assert link in alert[-1]["text"], alert[-1]["text"]
    # where she was alerted, /queue lists the tickets (she was answered as a customer: 'Эта
    # команда — для сотрудников магазина...'), and a ticket command says where it works
    fake.user_sends(OLGA, "/queue")
    queue = await fake.wait_for_bot_message(OLGA, text_contains="Waiting tickets", timeout=20)
    [line] = [x for x in queue[-1]["text"].splitlines() if x.startswith("#1 🔥 John")]
    assert "legal threat" in line, queue[-1]["text"]
    fake.user_sends(OLGA, "/take")
    await fake.wait_for_bot_message(OLGA, text_contains="ticket's topic", timeout=20)
    assert "сотрудников" not in " ".join(bot_texts(fake, OLGA)), bot_texts(fake, OLGA)


async def test_a_reply_in_another_language_than_the_customers_is_questioned_once(
    sandbox: Sandbox,
) -> None:
    """Tomasz posted 'Pani Katarzyno, wyślemy brakującą ładowarkę jutro kurierem.' in John's
    English topic: it reached John with no word to anyone. It is still sent (it may be
    meant), and the operator is asked, once per ticket, whether it is for this customer."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    polish = "Pani Katarzyno, wyślemy brakującą ładowarkę jutro kurierem."
    fake.user_sends(OLGA, polish, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: polish in bot_texts(fake, JOHN), timeout=20)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="This reply is in Polish", timeout=20
    )
    for text in (
        "Dziękujemy za cierpliwość, paczka jest w drodze.",
        "Sorry John, the charger is on its way.",
    ):
        fake.user_sends(OLGA, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
        await fake.wait_for(lambda t=text: t in bot_texts(fake, JOHN), timeout=20)
    await asyncio.sleep(1)
    told = [t for t in bot_texts(fake, OPERATORS_CHAT_ID, thread) if "This reply is in" in t]
    assert len(told) == 1, told


async def test_a_russian_reply_in_an_english_topic_is_questioned_too(sandbox: Sandbox) -> None:
    """Olga wrote 'Мария, мы оформили возврат 5000 рублей…' in John's English topic: it
    reached John with no word (a reply with no Latin letters was never checked). It is sent,
    and the operator asked whether it is for this customer."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    russian = "Мария, мы оформили возврат 5000 рублей, деньги придут за 3 дня."
    fake.user_sends(OLGA, russian, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: russian in bot_texts(fake, JOHN), timeout=20)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="This reply is in Russian", timeout=20
    )


async def test_an_admins_command_where_it_does_not_work_says_where_it_does(
    sandbox: Sandbox,
) -> None:
    """Olga, a senior operator but no admin, sent /report in her private chat and was told,
    as a customer is, 'Эта команда — для сотрудников магазина'; the admin's /kb_list in the
    operators' group got no answer at all. Each now says where the command works."""
    from bot.sandbox.run import ADMIN_ID

    fake = sandbox.server.fake
    fake.user_sends(OLGA, "/report 7")
    said = await fake.wait_for_bot_message(OLGA, text_contains="/report", timeout=20)
    assert "admins" in said[-1]["text"] and "сотрудников" not in said[-1]["text"], said[-1]
    fake.user_sends(ADMIN_ID, "/kb_list", chat_id=OPERATORS_CHAT_ID)
    await fake.wait_for(
        lambda: any(
            "/kb_list is an admin command" in (m.get("text") or "")
            for m in fake.messages(OPERATORS_CHAT_ID, from_bot=True)
        ),
        timeout=20,
    )
    # the admin's own private chat still runs it
    fake.user_sends(ADMIN_ID, "/kb_list")
    await fake.wait_for_bot_message(ADMIN_ID, text_contains="knowledge base", timeout=20)


async def test_a_customer_who_unblocks_the_bot_is_reachable_again_on_the_card(
    sandbox: Sandbox,
) -> None:
    """A customer who had blocked the bot wrote again: the pinned card still said 'replies
    will not reach them' and the topic's last word was 'messages cannot be delivered', so
    the operator did not answer. The topic is now told they can be answered again, and the
    card no longer says they blocked the bot."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_blocks_bot(JOHN)
    fake.user_sends(OLGA, "Hello John!", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="blocked the bot", timeout=20
    )
    await fake.wait_for(
        lambda: "blocked" in fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption(),
        timeout=20,
    )
    fake.user_sends(JOHN, "sorry, I blocked you by mistake, are you there?")
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="unblocked", timeout=20
    )
    assert "reach" in told[-1]["text"], told[-1]["text"]
    card = fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption().split("Transcript:")[0]
    assert "blocked" not in card, card


async def test_a_reply_that_waited_while_the_customer_unblocked_leaves_the_card_right(
    sandbox: Sandbox,
) -> None:
    """Olga answered John, who had blocked the bot; Telegram was slow, and meanwhile John
    unblocked it and wrote again. Her reply reached him, and the card, redrawn to show she
    took the ticket, said again 'the customer has blocked the bot' (drawn from John as her
    reply had read him, before he unblocked): she would not have written again."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_blocks_bot(JOHN)
    await fake.wait_for(
        lambda: "blocked" in fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption(),
        timeout=20,
    )
    fake.add_fault("copyMessage", delay=3.0)  # the next one: Olga's reply to John

    def replies() -> int:
        return sum(str(c.get("chat_id")) == str(JOHN) for c in fake.calls_of("copyMessage"))

    before = replies()
    fake.user_sends(OLGA, "Hello John!", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: replies() > before, timeout=20)  # on its way, held
    fake.user_sends(JOHN, "sorry, I blocked you by mistake, are you there?")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="unblocked", timeout=20
    )
    await fake.wait_for_bot_message(JOHN, text_contains="Hello John", timeout=20)
    await fake.wait_for(
        lambda: "Olga" in fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption(),
        timeout=20,
    )
    await asyncio.sleep(0.5)  # any redraw still on its way lands
    card = fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption().split("Transcript:")[0]
    assert "Operator: Olga" in card, card
    assert "blocked" not in card, card


async def test_the_card_and_the_topic_name_the_case_in_words_not_codes(sandbox: Sandbox) -> None:
    """The card read 'Intent: request_human · complaint type: delivery_delay ... threat:
    churn', 'Asked but not yet given: order_ref' and the topic '#1 John · delivery_delay':
    the classifier's codes. They are said in words, as the reports say them."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel is a week late, I will never buy from you again")
    await fake.wait_for_bot_message(JOHN, text_contains="order number", timeout=20)
    thread = await _escalate(fake, JOHN, "just give me a real person")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["text"]
    head = card.split("Transcript:")[0]
    [topic] = [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]
    assert "late or lost delivery" in topic["name"], topic
    assert "complaint type: late or lost delivery (delivery_delay)" in head, head
    assert "Asked but not yet given: order number" in head, head
    # the codes only in brackets after their words (as the classifier and reports name them)
    words = re.sub(r" \([a-z_]+\)", "", head)
    codes = ("delivery_delay", "request_human", "order_ref", "churn")
    assert not [c for c in codes if c in words or c in topic["name"]], head


async def test_a_resolved_tickets_topic_keeps_the_case_in_its_name(sandbox: Sandbox) -> None:
    """'💬 #1 John · late or lost delivery' became '✅ #1 John' on /resolve (named from the
    bot's clean slate after the case): the closed topics could no longer be told apart."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="resolved;", timeout=20
    )
    [topic] = [t for t in fake.topics(OPERATORS_CHAT_ID) if "#" in t["name"]]
    assert topic["name"] == "✅ #1 John · late or lost delivery", topic


async def test_a_ticket_resolved_with_the_cards_button_is_said_in_the_topic(
    sandbox: Sandbox,
) -> None:
    """Tomasz pressed Resolve on the card of Olga's ticket: only he saw 'resolved' (a
    passing notice on his screen); Olga watching the topic saw it closed with no word of
    who or why. The topic now says it, as for /resolve."""
    fake = sandbox.server.fake
    tomasz = OPERATORS[1][0]
    thread = await _escalate(fake, JOHN, "operator please")
    fake.user_sends(OLGA, "Hi John, I'm on it", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hi John, I'm on it" in bot_texts(fake, JOHN), timeout=20)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    last = fake.messages(OPERATORS_CHAT_ID, thread_id=thread)[-1]["message_id"]
    fake.user_presses(tomasz, OPERATORS_CHAT_ID, card["message_id"], "tk:resolve:1")
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        thread_id=thread,
        text_contains="resolved",
        after_message_id=last,
        timeout=20,
    )
    assert "Tomasz" in told[-1]["text"], told[-1]["text"]
    last = told[-1]["message_id"]
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card["message_id"], "tk:reopen:1")
    told = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID,
        thread_id=thread,
        text_contains="reopened",
        after_message_id=last,
        timeout=20,
    )
    assert "Olga" in told[-1]["text"], told[-1]["text"]


async def test_words_after_resolve_are_kept_and_another_tickets_number_is_refused(
    sandbox: Sandbox,
) -> None:
    """'/resolve 5' typed in ticket #1's topic resolved #1, and '/resolve refund sent'
    dropped 'refund sent' without a word. A number of another ticket is refused with where
    to send it; a comment is kept as a note on the ticket."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "/resolve 5", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    refused = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="#5", timeout=20
    )
    assert "ticket #1's topic" in refused[-1]["text"], refused[-1]["text"]
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.status == "open"
    fake.user_sends(
        OLGA,
        "/resolve refund sent to the card",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
    )
    done = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="resolved", timeout=20
    )
    assert "note" in done[-1]["text"], done[-1]["text"]
    noted = await poll_db(sandbox, notes)
    ticket = await poll_db(sandbox, the_ticket)
    assert ticket is not None and ticket.status == "resolved"
    assert [n.text for n in noted] == ["refund sent to the card"]


@pytest.mark.parametrize(
    ("answer", "reopened"),
    [("yes, thank you", False), ("no, still nothing", True), ("👍", False), ("👎", True)],
)
async def test_a_typed_answer_to_was_it_solved_counts(
    sandbox: Sandbox, answer: str, reopened: bool
) -> None:
    """Typing 'yes' or 'no' to 'Was your question solved?' instead of pressing a button
    dropped the survey ('no' did not bring the operator back). A typed answer counts as the
    button would, and so does a thumbs-up or -down."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "Done, John", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Done, John" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    fake.user_sends(JOHN, answer)
    if reopened:
        await fake.wait_for_bot_message(JOHN, text_contains="passing it back", timeout=20)
        async with sandbox.services.sessionmaker() as session:
            ticket = await session.scalar(select(Ticket))
        assert ticket is not None and ticket.status == "taken"
    else:
        rate = await fake.wait_for_bot_message(JOHN, text_contains="rate", timeout=20)
        assert "sv:csat:5" in str(rate[-1].get("reply_markup")), rate[-1]


async def test_blocking_the_bot_is_told_in_the_topic_when_it_happens(sandbox: Sandbox) -> None:
    """A customer who blocked the bot while waiting was learned of only when an operator's
    reply failed: the operator wrote an answer nobody could read. Telegram's notice of the
    block (and of the unblock) now reaches the topic and the card at once."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_blocks_bot(JOHN)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="blocked the bot", timeout=20
    )
    await fake.wait_for(
        lambda: "blocked" in fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption(),
        timeout=20,
    )
    fake.user_blocks_bot(JOHN, blocked=False)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="unblocked", timeout=20
    )
    await fake.wait_for(
        lambda: (
            "blocked"
            not in fake.get_message(OPERATORS_CHAT_ID, card_id)
            .text_or_caption()
            .split("Transcript:")[0]
        ),
        timeout=20,
    )


async def test_a_forwarded_message_in_another_language_is_answered_in_the_customers(
    sandbox: Sandbox,
) -> None:
    """Anna writes in Russian and forwards the courier's notice, which is in English: the
    bot went on in English. John's first message, a forwarded notice in Russian, was
    answered in Russian. Someone else's words say nothing of the customer's language."""
    from bot.db.models import Customer

    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Здравствуйте, у меня проблема с доставкой")
    first = await fake.wait_for_bot_message(ANNA, timeout=20)
    notice = "Your parcel could not be delivered: the address was not found. It goes back."
    fake.user_sends(ANNA, notice, forwarded_from="DPD Courier")
    fake.user_sends(
        JOHN, "Посылка не может быть доставлена: адрес не найден.", forwarded_from="СДЭК"
    )
    to_anna = await fake.wait_for_bot_message(
        ANNA, timeout=20, after_message_id=first[-1]["message_id"]
    )
    to_john = await fake.wait_for_bot_message(JOHN, timeout=20)
    for _ in range(100):
        async with sandbox.services.sessionmaker() as session:
            langs = dict(
                (await session.execute(select(Customer.first_name, Customer.language))).all()
            )
            forwarded = await session.scalar(
                select(func.count()).select_from(Message).where(Message.text.like("%не найден%"))
            )
        if forwarded:
            break
        await asyncio.sleep(0.1)
    await settled(sandbox)
    anna = " ".join(bot_texts(fake, ANNA)[len(first) :])
    assert re.search("[а-я]", anna) and "Thank you" not in anna, anna
    john = " ".join(bot_texts(fake, JOHN))
    assert not re.search("[а-я]", john), john
    assert langs == {"Анна": "ru", "John": "en"}, langs
    assert to_anna and to_john


async def test_an_order_number_at_the_end_of_a_long_story_is_not_asked_for(
    sandbox: Sandbox,
) -> None:
    """A customer told the whole story in one long message (2,500 characters) and gave the
    order number at its end: only the first 2,000 characters were read, and the bot asked
    for the number they had given."""
    from bot.db.models import Conversation

    fake = sandbox.server.fake
    story = (
        "Здравствуйте! Две недели назад я заказала у вас электрический чайник в подарок маме. "
        "Курьер приехал, коробка была вся мятая и мокрая. Я открыла её при курьере: у "
        "чайника треснула крышка, а носик отколот. "
        + "Я очень долго выбирала этот чайник, читала отзывы, сравнивала цены, и выбрала "
        "ваш магазин, потому что все хвалили вашу доставку и упаковку. Мама очень "
        "расстроилась, праздник был испорчен. " * 10 + "Номер заказа 5531207."
    )
    assert len(story) > 2000
    fake.user_sends(ANNA, story)
    await fake.wait_for_bot_message(ANNA, timeout=30)
    for _ in range(100):
        async with sandbox.services.sessionmaker() as session:
            state = await session.scalar(select(Conversation.state))
        if state and state.get("complaint"):
            break
        await asyncio.sleep(0.1)
    assert (state or {}).get("known", {}).get("order_ref") == "5531207", state
    await settled(sandbox)
    assert "номер заказа" not in " ".join(bot_texts(fake, ANNA)), bot_texts(fake, ANNA)


async def test_a_thumbs_up_answers_is_that_ok(sandbox: Sandbox) -> None:
    """'Is that OK for you?' answered with 👍 (typed, or a sticker): the typed one was taken
    for 'are you there?' (the fix said again, the question asked again), the sticker got
    '😊 What can I help you with?', as if the case were forgotten. A thumbs-up is a yes."""
    from bot.db.models import Complaint

    fake = sandbox.server.fake

    def refund_button(user: int) -> int | None:
        for m in fake.messages(user, from_bot=True):
            rows = (m.get("reply_markup") or {}).get("inline_keyboard", [])
            if any(b["callback_data"] == "cmp:opt:refund" for row in rows for b in row):
                return m["message_id"]
        return None

    for user in (ANNA, JOHN):
        fake.user_sends(user, "The kettle from order 5531207 arrived broken, the spout is chipped")
    for user in (ANNA, JOHN):
        await fake.wait_for_bot_message(user, timeout=20)
        fake.user_sends(user, photo=True)
    for user in (ANNA, JOHN):
        offer = await fake.wait_for(lambda user=user: refund_button(user), timeout=20)
        fake.user_presses(user, user, offer, "cmp:opt:refund")
    for user in (ANNA, JOHN):
        await fake.wait_for_bot_message(user, text_contains="OK", timeout=20)
    asked = {user: len(bot_texts(fake, user)) for user in (ANNA, JOHN)}
    fake.user_sends(ANNA, "👍")
    fake.user_sends(JOHN, sticker="👍")
    for _ in range(150):
        async with sandbox.services.sessionmaker() as session:
            solved = await session.scalar(
                select(func.count())
                .select_from(Complaint)
                .where(Complaint.resolved_at.is_not(None))
            )
        if solved == 2:
            break
        await asyncio.sleep(0.1)
    await settled(sandbox)
    for user in (ANNA, JOHN):
        said = " ".join(bot_texts(fake, user)[asked[user] :])
        assert "Great" in said and "help you with" not in said and "refund" not in said, said
    assert solved == 2


async def test_a_take_pressed_on_a_stale_card_does_not_steal_a_colleagues_ticket(
    sandbox: Sandbox,
) -> None:
    """Olga and Tomasz pressed Take on the same card a moment apart: Olga was told 'Ticket
    #1 is yours', then Tomasz's press (his card still showed the button) silently made it
    his; nobody in the topic learnt that, and Olga worked a ticket that was no longer hers.
    The second press is refused, naming who has it and how to take it over."""
    fake = sandbox.server.fake
    tomasz = OPERATORS[1][0]
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_presses(OLGA, OPERATORS_CHAT_ID, card_id, "tk:take:1")
    await fake.wait_for(lambda: len(fake.callback_answers) >= 1, timeout=20)
    # his client still shows the card as it was before Olga's press
    fake.user_presses(tomasz, OPERATORS_CHAT_ID, card_id, "tk:take:1", forged=True)
    await fake.wait_for(lambda: len(fake.callback_answers) >= 2, timeout=20)
    second = fake.callback_answers[-1]
    assert "Olga" in (second.get("text") or "") and "/take" in second["text"], second
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.assignee_id == OLGA


async def test_the_sla_reminder_of_a_taken_ticket_names_who_has_it(sandbox: Sandbox) -> None:
    """Olga took the ticket with /take and got pulled away: the reminder in the topic said
    'Ticket #1 has waited 2880 min without an answer (normal priority). Please /take it.',
    as if nobody had it (a colleague's /take would take it from her) and in minutes nobody
    reads. It now says the ticket is with Olga and she should answer, in hours and days."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    await poll_db(sandbox, the_ticket, lambda t: t is not None and t.assignee_id == OLGA)
    counts = await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(days=2))
    assert counts["reminded"] == 1
    reminder = (
        await fake.wait_for_bot_message(
            OPERATORS_CHAT_ID, thread_id=thread, text_contains="without an answer", timeout=10
        )
    )[-1]["text"]
    assert "Olga" in reminder and "/take" not in reminder, reminder
    assert "2 d" in reminder and "min" not in reminder, reminder


async def test_transfer_as_a_reply_to_a_stranger_does_not_hand_them_the_ticket(
    sandbox: Sandbox,
) -> None:
    """The operators' group is public: Mallory, no member, wrote in John's topic ('I can
    help him'), and Olga answered her with /transfer (a reply to her message): 'Ticket #1
    handed to Mallory (@mallory).', the ticket hers, reminders asking her to answer. Only
    a colleague in the group is handed a ticket: Olga reads that Mallory is not known as
    an operator here, and the ticket stays hers."""
    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False  # a public group: anyone may post
    mallory = fake.add_user("Mallory", username="mallory")["id"]
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    hers = fake.user_sends(
        mallory, "I can help him", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    fake.user_sends(
        OLGA,
        "/transfer",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
        reply_to_message_id=hers["message_id"],
    )
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="as an operator here", timeout=20
    )
    assert "I don't know 'Mallory'" in said[-1]["text"], said[-1]["text"]
    await settled(sandbox)
    assert not any("handed to" in t for t in topic_texts(fake, thread))
    ticket = await poll_db(sandbox, the_ticket)
    assert ticket is not None and (ticket.assignee_id, ticket.status) == (OLGA, "taken")


async def test_transfer_to_a_colleague_named_with_at_hands_it_to_them(sandbox: Sandbox) -> None:
    """'/transfer @tomasz_support' put the ticket back in the queue and said 'Ticket #1 is
    back in the queue.': the name was ignored, Olga believed Tomasz had it and nobody did.
    A colleague named by their @username (or first name) gets it; a name the bot does not
    know is refused with how to hand it on, and the ticket stays where it was. Telegram is
    asked who is who once the update's reads are over (it was asked, up to a hundred times,
    while they held SQLite's one write lock, every customer's turn waiting)."""
    fake = sandbox.server.fake
    locked = watch_locked_calls(sandbox)
    tomasz = OPERATORS[1][0]
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    # Tomasz has worked in the group before (a note on the ticket)
    fake.user_sends(
        tomasz, "# I know this customer", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    await poll_db(sandbox, notes)
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    fake.user_sends(
        OLGA, "/transfer @nobody_here", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    refused = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="nobody_here", timeout=20
    )
    assert "queue" not in refused[-1]["text"].split(".")[0], refused[-1]["text"]
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.assignee_id == OLGA
    fake.user_sends(
        OLGA, "/transfer @Tomasz_support", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    handed = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="handed to", timeout=20
    )
    assert "Tomasz" in handed[-1]["text"], handed[-1]["text"]
    # named so that Telegram tells Tomasz (he may not be watching this topic)
    assert "@tomasz_support" in handed[-1]["text"], handed[-1]["text"]
    ticket = await poll_db(sandbox, the_ticket, lambda t: t is not None and t.assignee_id == tomasz)
    assert ticket is not None and (ticket.assignee_id, ticket.status) == (tomasz, "taken")
    # Olga, who no longer has it, puts Tomasz's ticket back in the queue: said whose it was
    # (it read 'Ticket #1 is back in the queue.', and Tomasz was not told)
    fake.user_sends(OLGA, "/transfer", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    back = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is back in the queue", timeout=20
    )
    assert "it was with Tomasz (@tomasz_support)" in back[-1]["text"], back[-1]["text"]
    if sandbox.services.settings.database_url.startswith("sqlite"):
        asked = [c for c in locked if c[1].startswith("/transfer") and c[0] == "GetChatMember"]
        assert not asked, locked


async def test_transfer_to_oneself_is_not_a_hand_off(sandbox: Sandbox) -> None:
    """Olga typed '/transfer @olga_support' (her own name, meaning a colleague's): the bot
    said 'Ticket #1 handed to Olga (@olga_support).', as if it had gone somewhere, and she
    left it; the ticket stayed hers and nobody else knew. It now says it is hers already."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "/take", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is yours", timeout=20
    )
    sent = fake.user_sends(
        OLGA, "/transfer @olga_support", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread
    )
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, after_message_id=sent["message_id"], timeout=20
    )
    assert "already yours" in said[-1]["text"], said[-1]["text"]


@pytest.mark.parametrize(
    ("user", "words", "back"),
    [
        (JOHN, "wait, it's still not here", "passing it back"),
        (ANNA, "подождите, посылки всё ещё нет", "коллеге"),
    ],
)
async def test_still_not_solved_in_words_after_resolve_goes_back_to_the_operator(
    sandbox: Sandbox, user: int, words: str, back: str
) -> None:
    """Asked 'Was your question solved?' after the resolution, John wrote 'wait, it's still
    not here' instead of pressing No: the survey was dropped and the bot asked 'did something
    go wrong with an order? Tell me what happened', as if nothing had been said, and the
    operator never learnt. A complaint in answer to that question is a 'no': the ticket
    goes back to its operator, and the message reaches the topic."""
    fake = sandbox.server.fake
    hello = "Talk to a human please" if user == JOHN else "Позовите оператора, пожалуйста"
    thread = await _escalate(fake, user, hello)
    fake.user_sends(OLGA, "Sent today", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Sent today" in bot_texts(fake, user), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(user, count=4, timeout=20)
    fake.user_sends(user, words)
    said = await fake.wait_for_bot_message(user, count=5, timeout=20)
    assert back in said[-1]["text"], said[-1]["text"]
    await fake.wait_for(
        lambda: any(
            (m.get("text") or "") == words
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        ),
        timeout=20,
    )
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and (ticket.status, ticket.assignee_id) == ("taken", OLGA)


async def test_an_order_number_corrected_while_waiting_says_so_on_the_card(
    sandbox: Sandbox,
) -> None:
    """The bot had passed order 7781420 to the delivery team; waiting for a person, John
    wrote 'sorry, wrong number, the order is 7781421'. The card then showed 'order 7781421'
    next to 'Bot promised: ... passed to our delivery team for order 7781420' with nothing
    to say which was right or that the team had the wrong one. It now says 'order 7781421
    (corrected from 7781420)'."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "My parcel for order 7781420 is a week late, nobody tells me anything")
    await fake.wait_for_bot_message(JOHN, text_contains="solve it", timeout=20)
    thread = await _escalate(fake, JOHN, "no, this is not ok at all")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_sends(JOHN, "sorry, wrong number, the order is 7781421")

    def details() -> str:
        card = fake.get_message(OPERATORS_CHAT_ID, card_id).text_or_caption()
        return next(line for line in card.splitlines() if line.startswith("Details:"))

    await fake.wait_for(lambda: "7781421" in details(), timeout=20)
    await settled(sandbox)
    assert "order 7781421 (corrected from 7781420)" in details(), details()


async def test_a_ticket_put_back_in_the_queue_is_reminded_if_nobody_takes_it(
    sandbox: Sandbox, office_hours: None
) -> None:
    """Olga answered, then her shift ended and she sent /transfer: 'back in the queue'.
    Nobody took it, the customer wrote again and waited, and no reminder ever came (the
    timers looked only at tickets never answered). The SLA now counts again from the
    transfer: the topic is reminded, once, and asked to /take it."""
    from datetime import timedelta

    from bot.db.models import utcnow
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "Hi John, checking", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Hi John, checking" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/transfer", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="is back in the queue", timeout=20
    )
    await poll_db(sandbox, the_ticket, lambda t: t is not None and t.status == "open")
    soon = await check_timers(sandbox.bot, sandbox.services, now=utcnow() + timedelta(minutes=5))
    assert soon["reminded"] == 0, "not before the SLA is up"
    later = utcnow() + timedelta(hours=2)  # 14:00 in Moscow: the SLA was up at 12:30
    assert (await check_timers(sandbox.bot, sandbox.services, now=later))["reminded"] == 1
    reminder = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="without an answer", timeout=10
    )
    assert "queue" in reminder[-1]["text"] and "/take" in reminder[-1]["text"], reminder[-1]
    assert (await check_timers(sandbox.bot, sandbox.services, now=later))["reminded"] == 0


async def test_after_hours_the_operators_are_reminded_in_the_morning_not_at_night(
    after_hours: None, sandbox: Sandbox
) -> None:
    """At 23:00 in Moscow John asks for a person: he is told a colleague answers tomorrow at
    09:00, the ticket is due at 09:30, and the SLA timers leave the operators alone through
    the night; past 09:30, unanswered, the topic is reminded."""
    from datetime import UTC, datetime, timedelta

    from bot.db.models import as_utc
    from escalation.timers import check_timers

    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    await fake.wait_for(
        lambda: any("tomorrow at 09:00" in text for text in bot_texts(fake, JOHN)), timeout=20
    )
    ticket = await poll_db(sandbox, the_ticket, lambda t: t is not None)
    due = as_utc(ticket.due_at)
    assert due == datetime(2026, 12, 3, 6, 30, tzinfo=UTC), due  # Thursday 09:30 in Moscow
    for night in (due - timedelta(hours=8), due - timedelta(minutes=1)):  # 01:30, 09:29
        assert (await check_timers(sandbox.bot, sandbox.services, now=night))["reminded"] == 0
    morning = await check_timers(sandbox.bot, sandbox.services, now=due + timedelta(minutes=1))
    assert morning["reminded"] == 1, morning
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="without an answer", timeout=10
    )


async def test_a_resolve_comment_after_a_colleague_resolved_is_kept(sandbox: Sandbox) -> None:
    """Tomasz pressed Resolve on the card; a moment later Olga sent '/resolve refund of 25
    EUR sent' and got 'Already resolved.': her comment was dropped without a word, and
    nobody would learn the refund went out. The comment is kept as a note, and she is told.
    (Olga is a group admin: only admins can write in a closed topic.)"""
    fake = sandbox.server.fake
    tomasz = OPERATORS[1][0]
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    card_id = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["message_id"]
    fake.user_presses(tomasz, OPERATORS_CHAT_ID, card_id, "tk:resolve:1")
    await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="pressed Resolve", timeout=20
    )
    fake.user_sends(
        OLGA,
        "/resolve refund of 25 EUR sent",
        chat_id=OPERATORS_CHAT_ID,
        message_thread_id=thread,
    )
    said = await fake.wait_for_bot_message(
        OPERATORS_CHAT_ID, thread_id=thread, text_contains="Already resolved", timeout=20
    )
    assert "note" in said[-1]["text"], said[-1]["text"]
    noted = await poll_db(sandbox, notes)
    assert [n.text for n in noted] == ["refund of 25 EUR sent"]


async def test_photos_sent_to_the_bot_before_the_hand_off_are_in_the_topic(
    sandbox: Sandbox,
) -> None:
    """The customer sent the bot a photo of the broken kettle and the receipt, then asked
    for a person: the card said 'photos/files: 2', but the topic had no way to see them, and
    the operator had to ask the customer to send them again. They are copied to the topic
    under the card."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, "The kettle arrived broken, order 5531207")
    await fake.wait_for_bot_message(JOHN, timeout=20)
    fake.user_sends(JOHN, photo=True)
    await fake.wait_for_bot_message(JOHN, count=2, timeout=20)
    fake.user_sends(JOHN, document=("receipt.pdf", b"%PDF-1.4 receipt"))  # kept, the offer stands
    thread = await _escalate(fake, JOHN, "I want to talk to a real person please")

    def media() -> list[dict]:
        msgs = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        return [
            m
            for m in msgs
            if m.get("photo") or "receipt" in (m.get("document") or {}).get("file_name", "")
        ]

    shown = await fake.wait_for(lambda: len(media()) >= 2 and media(), timeout=20)
    assert [bool(m.get("photo")) for m in shown] == [True, False], shown
    await settled(sandbox)
    assert len(media()) == 2, "copied once"


async def test_photos_of_a_case_the_bot_closed_are_not_copied_to_a_later_ticket(
    sandbox: Sandbox,
) -> None:
    """The bot arranged a refund for John's broken kettle (he sent its photo) and he was
    happy with it; later he asked where another order was and for a person. The card of the
    new ticket rightly counted no photos, yet the kettle's photo was copied into its topic
    as if it were this request's. Only the media of the ticket's own case are copied."""
    fake = sandbox.server.fake

    def button(data: str) -> int | None:
        for m in reversed(fake.messages(JOHN, from_bot=True)):
            rows = (m.get("reply_markup") or {}).get("inline_keyboard", [])
            if any(b["callback_data"] == data for row in rows for b in row):
                return m["message_id"]
        return None

    fake.user_sends(JOHN, "The kettle from order 5531207 arrived broken, the spout is chipped")
    await fake.wait_for_bot_message(JOHN, timeout=20)
    fake.user_sends(JOHN, photo=True)
    offer = await fake.wait_for(lambda: button("cmp:opt:refund"), timeout=20)
    fake.user_presses(JOHN, JOHN, offer, "cmp:opt:refund")
    asked = await fake.wait_for(lambda: button("cmp:sat:yes"), timeout=20)
    fake.user_presses(JOHN, JOHN, asked, "cmp:sat:yes")
    from bot.db.models import Complaint

    solved = await poll_db(
        sandbox, lambda s: s.scalar(select(Complaint.resolved_at)), until=lambda at: at is not None
    )
    assert solved is not None, bot_texts(fake, JOHN)
    thread = await _escalate(fake, JOHN, "Where is my order 7781420? Connect me with an operator")
    fake.user_sends(JOHN, "It was due on Monday")
    await fake.wait_for(
        lambda: any(
            "Monday" in (m.get("text") or "")
            for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
        ),
        timeout=20,
    )
    topic = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)
    assert not [m for m in topic if m.get("photo")], [m.get("text") for m in topic]


async def test_a_photo_after_was_it_solved_keeps_the_survey_and_reaches_the_reopened_topic(
    sandbox: Sandbox,
) -> None:
    """Asked 'Was your question solved?', John sent a photo of the parcel still damaged:
    the survey ended ('Tell me in a few words what happened'), his No then read 'That
    button is no longer active', and the operator never saw the photo. The question
    stands after a photo, and No reopens the ticket with the photo copied to its topic."""
    fake = sandbox.server.fake
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    fake.user_sends(OLGA, "Sent today", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    await fake.wait_for(lambda: "Sent today" in bot_texts(fake, JOHN), timeout=20)
    fake.user_sends(OLGA, "/resolve", chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    question = await fake.wait_for_bot_message(JOHN, text_contains="solved?", timeout=20)
    fake.user_sends(JOHN, photo=True)
    said = await fake.wait_for_bot_message(
        JOHN, timeout=20, after_message_id=question[-1]["message_id"]
    )
    assert "solved?" in said[-1]["text"] and said[-1].get("reply_markup"), said[-1]["text"]
    fake.user_presses(JOHN, JOHN, said[-1]["message_id"], "sv:solved:no")
    await fake.wait_for_bot_message(JOHN, text_contains="passing it back", timeout=20)
    await fake.wait_for(
        lambda: any(m.get("photo") for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread)),
        timeout=20,
    )
    assert not any("no longer active" in t for t in bot_texts(fake, JOHN))


async def test_a_stranger_and_forged_buttons_change_nothing_and_leak_nothing(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A stranger in a public operators' group wrote in John's topic and in General, typed
    the operators' commands and pressed forged buttons on the card; John pressed forged
    buttons (garbage, another ticket's Resolve) under the bot's messages. Nothing reached a
    customer or acted on a ticket, but John's every forged press was put in the topic as
    '🔘 The customer pressed: tk:resolve:2' and he got no word; now each presser gets a short
    answer (John in his language) and the topic is not filled with what no button said."""
    fake = sandbox.server.fake
    fake.chats[OPERATORS_CHAT_ID].join_to_send = False  # a public group: anyone may post
    thread = await _escalate(fake, JOHN, "Talk to a human please")
    other = await _escalate(fake, ANNA, "Позовите оператора, пожалуйста")
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]
    await settled(sandbox)
    before = {JOHN: len(bot_texts(fake, JOHN)), ANNA: len(bot_texts(fake, ANNA))}
    mallory = fake.add_user("Mallory", username="mallory")["id"]
    for text in ("Hi John, I can refund you", "/resolve", "/take", "/note x", "/reopen"):
        fake.user_sends(mallory, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    for text in ("/transfer @olga_support", "/close", "/queue"):
        fake.user_sends(mallory, text, chat_id=OPERATORS_CHAT_ID, message_thread_id=thread)
    fake.user_sends(mallory, "/queue", chat_id=OPERATORS_CHAT_ID)  # in General
    garbage = ["\x00\xff garbage", "tk:resolve:2", "tk:take:999999", "tk:" + "9" * 61, "tk:x:1"]
    for data in garbage:
        fake.user_presses(mallory, OPERATORS_CHAT_ID, card["message_id"], data, forged=True)
    greeting = fake.messages(JOHN, from_bot=True)[0]["message_id"]
    for data in [*garbage, "sv:solved:yes", "cmp:opt:refund"]:
        fake.user_presses(JOHN, JOHN, greeting, data, forged=True)
    await settled(sandbox)
    async with sandbox.services.sessionmaker() as session:
        tickets = (await session.scalars(select(Ticket).order_by(Ticket.id))).all()
    assert [(t.status, t.assignee_id) for t in tickets] == [("open", None), ("open", None)]
    assert len(bot_texts(fake, JOHN)) == before[JOHN], bot_texts(fake, JOHN)
    assert len(bot_texts(fake, ANNA)) == before[ANNA], bot_texts(fake, ANNA)
    for topic in (thread, other):
        assert not any("pressed" in t for t in bot_texts(fake, OPERATORS_CHAT_ID, topic))
    answers = {a["callback_query_id"]: a for a in fake.callback_answers}
    assert len(answers) == 2 * len(garbage) + 2, answers
    johns = [a["text"] for a in answers.values() if a["user_id"] == JOHN]
    assert johns and all(t and "button is no longer active" in t for t in johns), johns
    strangers = [a["text"] for a in answers.values() if a["user_id"] == mallory]
    assert all(strangers), strangers
    said_to_mallory = [
        m for m in fake.messages(OPERATORS_CHAT_ID, from_bot=True) if "Mallory" in str(m)
    ]
    assert len(said_to_mallory) <= 1, said_to_mallory  # told once, not at every message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_game_a_poll_and_a_dice_from_a_customer_are_answered_and_named(
    sandbox: Sandbox,
) -> None:
    """A game shared from a game bot is a message with no text and no file: the card's
    transcript had an empty line for it, and in the topic, where Telegram will not copy it,
    it read '📎 (Telegram would not copy this message) Customer:' with nothing after it. It
    is named there and in the transcript, as a poll and a dice are, and answered like any
    wordless message."""
    fake = sandbox.server.fake
    fake.user_sends(JOHN, game="lumberjack")
    await fake.wait_for_bot_message(JOHN, timeout=20)
    assert "happened" in bot_texts(fake, JOHN)[-1], bot_texts(fake, JOHN)
    fake.user_sends(JOHN, poll={"question": "Where is my order 3470501?", "options": ["?"]})
    await settled(sandbox)
    thread = await _escalate(fake, JOHN, "operator please")
    await settled(sandbox)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["text"]
    assert "[game Lumberjack]" in card and "Where is my order 3470501?" in card, card
    fake.user_sends(JOHN, dice="🎯")
    fake.user_sends(JOHN, game="lumberjack")
    await fake.wait_for(
        lambda: [t for t in topic_texts(fake, thread) if "game Lumberjack" in t], timeout=20
    )
    await settled(sandbox)
    assert any("🎯" in str(m) for m in fake.messages(OPERATORS_CHAT_ID, thread_id=thread))
    assert not any(t.rstrip().endswith("Customer:") for t in topic_texts(fake, thread))


async def test_a_place_and_a_contact_shared_mid_complaint_are_on_the_card(
    sandbox: Sandbox,
) -> None:
    """Anna, asked for a photo of the broken kettle, shared her phone with Telegram's button
    and the parcel locker it came to: each was thanked for in Russian, the photo still asked
    for once more (no 'I don't understand'), and the card shows the number and the place, the locker
    by its name and address (it showed its coordinates only)."""
    fake = sandbox.server.fake
    fake.user_sends(ANNA, "Пришёл разбитый чайник, заказ 3470502")
    await fake.wait_for_bot_message(ANNA, timeout=20)
    fake.user_sends(ANNA, contact={})  # her own number, as the button shares it
    await fake.wait_for_bot_message(ANNA, count=2, timeout=20)
    locker = {"latitude": 55.75, "longitude": 37.61, "title": "Постамат 77-123"}
    fake.user_sends(ANNA, venue={**locker, "address": "ул. Тверская, 7"})
    await fake.wait_for_bot_message(ANNA, count=3, timeout=20)
    answers = bot_texts(fake, ANNA)[1:]
    assert all("Спасибо" in t for t in answers), answers
    assert "фото" in answers[0] and not any("не понял" in t for t in answers), answers
    thread = await _escalate(fake, ANNA, "Позовите оператора")
    await settled(sandbox)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["text"]
    details = card.split("Details:")[1].split("\n")[0]
    assert "order 3470502" in details and "+4860" in details, card
    assert "Постамат 77-123, ул. Тверская, 7" in details, card


async def test_a_problem_corrected_by_editing_is_the_cases_problem(sandbox: Sandbox) -> None:
    """Anna wrote 'пришёл чайник не того цвета' and, the bot having answered, edited it to
    'пришёл разбитый чайник': nothing was said, and the case (its type, the fixes offered,
    the card's description) stayed a wrong item. The edit is thanked for, and the case is a
    broken item now: its fixes (a warranty repair too) and the card follow the new words."""
    fake = sandbox.server.fake
    sent = fake.user_sends(ANNA, "Заказ 3470503: пришёл чайник не того цвета")
    await fake.wait_for_bot_message(ANNA, timeout=20)
    await settled(sandbox)
    fake.user_edits(ANNA, sent["message_id"], "Заказ 3470503: пришёл разбитый чайник, носик отбит")
    told = await fake.wait_for_bot_message(ANNA, count=2, timeout=20)
    assert "исправление учёл" in told[-1]["text"], told[-1]["text"]
    fake.user_sends(ANNA, photo=True)
    await fake.wait_for(lambda: "ремонт" in " ".join(bot_texts(fake, ANNA)).lower(), timeout=20)
    thread = await _escalate(fake, ANNA, "Позовите оператора")
    await settled(sandbox)
    card = fake.messages(OPERATORS_CHAT_ID, thread_id=thread, from_bot=True)[0]["text"]
    head = card.split("Transcript:")[0]
    assert "broken or defective item" in head and "wrong item" not in head, head
    assert "Description: Заказ 3470503: пришёл разбитый чайник, носик отбит" in head, head


@pytest.mark.parametrize("asked", ["а где мой возврат?", "это точно?"])
async def test_a_reply_to_the_bots_promise_after_the_case_closed_is_about_that_case(
    sandbox: Sandbox, asked: str
) -> None:
    """Anna's refund was arranged ('Готово: оформил полный возврат денег по заказу
    3530301...'), she said it suits her and rated the help. Days later she replied to that
    message with 'это точно?' and got 'Хорошо. Что-нибудь ещё?'; 'а где мой возврат?' had the
    order passed to a colleague as a status question, the refund she was answering forgotten.
    A question sent as a reply to the bot's message on a closed case is about that case:
    where the refund stands, with its promise."""
    fake = sandbox.server.fake
    fake.user_sends(
        ANNA, photo=True, caption="Пришла куртка с разошедшимся швом на рукаве, заказ 3530301"
    )
    await fake.wait_for_bot_message(ANNA, text_contains="Вернуть деньги", timeout=20)
    fake.user_sends(ANNA, "верните деньги")
    [done] = await fake.wait_for_bot_message(ANNA, text_contains="Готово", timeout=20)
    fake.user_sends(ANNA, "да")
    await fake.wait_for_bot_message(ANNA, text_contains="от 1", timeout=20)
    await settled(sandbox)
    before = len(bot_texts(fake, ANNA))
    fake.user_sends(ANNA, asked, reply_to_message_id=done["message_id"])
    await fake.wait_for(lambda: len(bot_texts(fake, ANNA)) > before, timeout=20)
    await settled(sandbox)
    said = "\n".join(bot_texts(fake, ANNA)[before:])
    assert "Что-нибудь ещё" not in said and "коллеге" not in said, said
    assert "возврат денег по заказу 3530301" in said, said
    assert not fake.topics(OPERATORS_CHAT_ID), said
