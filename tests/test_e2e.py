"""The whole bot over HTTP against the local fake Telegram Bot API server."""

from __future__ import annotations

import asyncio
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


def bot_texts(fake, chat_id: int, thread_id: int | None = None) -> list[str]:
    return [
        m.get("text") or m.get("caption") or ""
        for m in fake.messages(chat_id, thread_id=thread_id, from_bot=True)
    ]


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
    await asyncio.sleep(1.0)
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
    await asyncio.sleep(0.5)
    assert len(bot_texts(fake, JOHN)) == 1 and msgs[0]["text"]


async def test_stickers_voice_and_photos_get_kind_answers(sandbox: Sandbox) -> None:
    fake = sandbox.server.fake
    fake.user_sends(JOHN, voice=True)
    voice = await fake.wait_for_bot_message(JOHN, timeout=20)
    assert "voice" in voice[0]["text"].lower()
    fake.user_sends(JOHN, photo=True)
    photo = await fake.wait_for_bot_message(JOHN, count=2, timeout=20)
    assert "happened" in photo[-1]["text"]


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
        async with first.services.sessionmaker() as session:
            for _ in range(100):
                pending = await session.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.direction == "out", Message.delivered_at.is_(None))
                )
                if pending:
                    break
                await asyncio.sleep(0.1)
        assert pending, "the reply was stored before sending"
        await stop_bot(first)
        fake.faults.clear()  # Telegram is healthy again
        # While the bot is down the customer sends a photo; then it comes back.
        fake.user_sends(ANNA, photo=True, caption="вот фото")
        second = await launch(settings, classifier, db_url, server=server)
        try:
            # the stored reply is delivered, the photo is taken, and the fix options come
            await fake.wait_for(
                lambda: any(m.get("reply_markup") for m in fake.messages(ANNA, from_bot=True)),
                timeout=40,
            )
            texts = bot_texts(fake, ANNA)
            assert len(texts) >= 3, texts
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
    notice = await fake.wait_for_bot_message(ANNA, timeout=20)
    assert "коллег" in notice[-1]["text"].lower()
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
    await asyncio.sleep(1.5)
    async with sandbox.services.sessionmaker() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.status == "open", "a customer cannot resolve tickets"
    answers = [a for a in fake.callback_answers if a]
    assert len(answers) >= 2, "every press is answered, forged or not"
