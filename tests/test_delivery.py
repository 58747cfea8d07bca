"""The outbox against the local fake Bot API: what reaches the customer, and only once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.app import create_bot
from bot.db.models import Conversation, Customer, Message
from bot.delivery import deliver, flush_outbox, split_text
from bot.sandbox.fakeapi import FakeTelegram, FakeTelegramServer
from bot.services import Services

TOKEN = "123456:TEST-token"


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(fake=FakeTelegram(token=TOKEN)) as srv:
        yield srv


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = create_bot(TOKEN, server.base_url)
    try:
        yield bot
    finally:
        await bot.session.close()


async def _reply_in_outbox(services: Services, chat_id: int, text: str) -> int:
    async with services.sessionmaker() as session:
        customer = Customer(channel="telegram", external_id=str(chat_id), chat_id=chat_id)
        session.add(customer)
        await session.flush()
        conversation = Conversation(customer_id=customer.id, status="bot", state={})
        session.add(conversation)
        await session.flush()
        row = Message.outgoing(conversation.id, chat_id, text)
        session.add(row)
        await session.commit()
        return row.id


async def test_a_long_reply_whose_second_part_failed_does_not_repeat_the_first(
    services: Services, server: FakeTelegramServer, bot: Bot
) -> None:
    """A reply too long for one message goes in parts. Telegram took the first part and
    then failed on the second; the outbox sent the whole reply again, so the customer read
    the first part twice. Now only what is missing is sent."""
    fake = server.fake
    user = fake.add_user("Anna", language_code="ru")
    text = ("Вот что я нашёл по вашему вопросу. " * 180).strip()  # 6,299 characters: two parts
    first, second = split_text(text)
    row_id = await _reply_in_outbox(services, user["id"], text)
    fake.add_fault("sendMessage", status=500, times=4, after=1)  # every retry of part two
    async with services.sessionmaker() as session:
        assert await deliver(bot, session, [row_id]) == 0
    got = [m["text"] for m in fake.messages(user["id"], from_bot=True)]
    assert got == [first]
    await flush_outbox(bot, services.sessionmaker, older_than=0)
    got = [m["text"] for m in fake.messages(user["id"], from_bot=True)]
    assert got == [first, second]
    async with services.sessionmaker() as session:
        row = await session.get(Message, row_id)
        assert row is not None and row.delivered_at is not None


def test_a_long_reply_is_cut_between_paragraphs() -> None:
    """A long answer of paragraphs was cut at the last space that fit, mid-sentence, though
    a paragraph ended a few lines before: the customer read half a sentence at the end of one
    message and its rest at the start of the next."""
    paragraphs = [f"Пункт {i}. " + "Подробности о доставке и возврате. " * 20 for i in range(8)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_text(text)
    assert len(parts) == 2
    assert all(p.startswith("Пункт") and p.endswith(".") for p in parts), [p[-40:] for p in parts]
    assert "\n\n".join(parts) == text


async def test_a_reply_outlasts_a_telegram_outage(
    services: Services, server: FakeTelegramServer, bot: Bot
) -> None:
    """Telegram answered 502 for about a minute: the outbox tried the reply every few
    seconds, each failure counted against its six attempts, and after the sixth the reply
    was given up for good; the customer never got it. An outage is waited out; only
    Telegram refusing the message itself counts."""
    fake = server.fake
    user = fake.add_user("Anna", language_code="ru")
    row_id = await _reply_in_outbox(services, user["id"], "Передал ваш вопрос коллеге.")
    async with services.sessionmaker() as session:
        row = await session.get(Message, row_id)
        assert row is not None
        row.attempts = 5  # five passes of the outbox have met the outage already
        await session.commit()
    fake.add_fault("sendMessage", status=502, times=4)  # and so does this one
    assert await flush_outbox(bot, services.sessionmaker, older_than=0) == 0
    assert await flush_outbox(bot, services.sessionmaker, older_than=0) == 1  # it is over
    assert [m["text"] for m in fake.messages(user["id"], from_bot=True)] == [
        "Передал ваш вопрос коллеге."
    ]


async def test_a_reply_telegram_keeps_refusing_oddly_does_not_hold_up_the_others(
    services: Services, server: FakeTelegramServer, bot: Bot
) -> None:
    """Telegram answered one reply with an error the outbox did not expect (404, 409): the
    error broke the pass before the attempt was counted, so every pass stopped at that reply
    and the replies to every later customer waited behind it for ever. It counts as an
    attempt, and the others are sent."""
    fake = server.fake
    anna = fake.add_user("Anna", language_code="ru")
    john = fake.add_user("John", language_code="en")
    stuck = await _reply_in_outbox(services, anna["id"], "Передал ваш вопрос коллеге.")
    await _reply_in_outbox(services, john["id"], "I've passed this on to a colleague.")
    fake.add_fault("sendMessage", status=404, description="Not Found", times=1)
    assert await flush_outbox(bot, services.sessionmaker, older_than=0) == 1
    assert [m["text"] for m in fake.messages(john["id"], from_bot=True)] == [
        "I've passed this on to a colleague."
    ]
    async with services.sessionmaker() as session:
        row = await session.get(Message, stuck)
        assert row is not None and row.attempts == 1 and "Not Found" in (row.delivery_error or "")
    assert await flush_outbox(bot, services.sessionmaker, older_than=0) == 1  # tried again
    assert [m["text"] for m in fake.messages(anna["id"], from_bot=True)] == [
        "Передал ваш вопрос коллеге."
    ]


async def test_a_reply_telegram_took_is_not_sent_again_when_marking_it_waits_on_the_database(
    services: Services, server: FakeTelegramServer, bot: Bot, settings
) -> None:
    """Telegram took the reply, but another process held the database a little longer than
    the wait allowed ('database is locked'), so marking it delivered failed: once the claim
    on it lapsed, the outbox sent the same reply again and the customer read it twice. The
    marking is tried again; the reply reaches the customer once."""
    import sqlite3

    from bot import delivery

    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's whole-database write lock")
    fake = server.fake
    user = fake.add_user("Anna", language_code="ru")
    row_id = await _reply_in_outbox(services, user["id"], "Передал ваш вопрос коллеге.")
    async with services.sessionmaker() as session:
        first = await session.get(Message, row_id)
        assert first is not None
        session.add(Message.outgoing(first.conversation_id, user["id"], "Он ответит здесь."))
        await session.commit()
    fake.add_fault("sendMessage", delay=1.0)  # the other process takes the lock meanwhile
    other = sqlite3.connect(settings.database_url.split("///", 1)[1], isolation_level=None)

    async def hold_the_lock() -> None:
        await asyncio.sleep(0.3)
        other.execute("BEGIN IMMEDIATE")
        await asyncio.sleep(16.5)  # past the 15 s the bot waits for it
        other.execute("ROLLBACK")

    holder = asyncio.create_task(hold_the_lock())
    try:
        async with services.sessionmaker() as session:
            delivered = await deliver(bot, session, [row_id, row_id + 1])
    finally:
        await holder
        other.close()
    assert delivered == 2
    delivery._CLAIMS.clear()  # a claim would have lapsed (200 s later)
    await flush_outbox(bot, services.sessionmaker, older_than=0)
    got = [m["text"] for m in fake.messages(user["id"], from_bot=True)]
    assert got == ["Передал ваш вопрос коллеге.", "Он ответит здесь."], got
    async with services.sessionmaker() as session:
        row = await session.get(Message, row_id)
        assert row is not None and row.delivered_at is not None and row.tg_message_id
