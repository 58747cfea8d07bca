"""The sandbox page in headless Chromium, with a tiny echo bot behind the fake Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.sandbox.fakeapi import FakeTelegram, FakeTelegramServer
from tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS

SCREENSHOT = Path("/tmp/sandbox_page.png")
TOKEN = "424242:SANDBOX"

pytestmark = BROWSER_MARKS


@dataclass
class EchoBot:
    """Echoes customers, mirrors them into a forum topic, relays operators back."""

    group_id: int
    topics: dict[int, int] = field(default_factory=dict)  # customer id -> thread id
    dp: Dispatcher = field(default_factory=Dispatcher)

    def __post_init__(self) -> None:
        self.dp.message.register(self.on_private, F.chat.type == "private")
        self.dp.message.register(self.on_operator, F.chat.id == self.group_id, F.message_thread_id)
        self.dp.callback_query.register(self.on_press, F.data == "press")

    async def thread_for(self, message: Message, bot: Bot) -> int:
        assert message.from_user is not None
        user = message.from_user
        if user.id not in self.topics:
            topic = await bot.create_forum_topic(self.group_id, f"{user.full_name} #{user.id}")
            self.topics[user.id] = topic.message_thread_id
            card = await bot.send_message(
                self.group_id,
                f"<b>New conversation</b>\nCustomer: {user.full_name} ({user.language_code})",
                parse_mode="HTML",
                message_thread_id=topic.message_thread_id,
            )
            await bot.pin_chat_message(self.group_id, card.message_id)
        return self.topics[user.id]

    async def on_private(self, message: Message, bot: Bot) -> None:
        thread = await self.thread_for(message, bot)
        await bot.copy_message(
            self.group_id, message.chat.id, message.message_id, message_thread_id=thread
        )
        if message.text:
            button = InlineKeyboardButton(text="Press me", callback_data="press")
            await message.answer(
                f"echo: {message.text}",
                reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
            )

    async def on_press(self, query: CallbackQuery, bot: Bot) -> None:
        await query.answer("Got it")
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"{query.message.text} — pressed ✓")
        await bot.send_message(query.from_user.id, "You pressed the button.")

    async def on_operator(self, message: Message, bot: Bot) -> None:
        customer = next((c for c, t in self.topics.items() if t == message.message_thread_id), None)
        if customer is not None and message.text and message.from_user:
            await bot.send_message(customer, f"{message.from_user.first_name}: {message.text}")


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[FakeTelegramServer, dict[str, int]]]:
    fake = FakeTelegram(token=TOKEN)
    anna = fake.add_user("Anna", "Operator", username="anna_ops")
    customer = fake.add_user("Ivan", "Petrov", language_code="ru")
    group = fake.add_group("Support operators", members=[anna["id"]], admins=[anna["id"]])
    async with FakeTelegramServer(fake=fake) as srv:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
        echo = EchoBot(group["id"])
        task = asyncio.create_task(
            echo.dp.start_polling(bot, handle_signals=False, polling_timeout=2)
        )
        try:
            yield srv, {"customer": customer["id"], "operator": anna["id"], "group": group["id"]}
        finally:
            with contextlib.suppress(RuntimeError):
                await asyncio.wait_for(echo.dp.stop_polling(), 10)
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
            await bot.session.close()


async def test_sandbox_page_end_to_end(sandbox: tuple[FakeTelegramServer, dict[str, int]]) -> None:
    from playwright.async_api import async_playwright, expect

    srv, ids = sandbox
    fake = srv.fake
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 900})
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(
                "response",
                lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
            )
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            await page.goto(srv.base_url + "/")

            # customer writes, the echo bot answers with an inline button
            customer_messages = page.locator("#customer-messages [data-testid=customer-message]")
            await expect(page.locator("#customer-select")).to_contain_text("Ivan Petrov")
            await page.fill("#customer-input", "hello bot")
            await page.click("#customer-send")
            await expect(page.locator("#customer-input")).to_have_value("")
            await expect(customer_messages.filter(has_text="hello bot").first).to_have_attribute(
                "data-from", "user"
            )
            echo = customer_messages.filter(has_text="echo: hello bot")
            await expect(echo).to_have_attribute("data-from", "bot")

            # pressing the inline button: answered (toast), edited, and a new message
            await echo.locator("[data-testid=inline-button]", has_text="Press me").click()
            await expect(page.locator("#toast")).to_have_text("Got it")
            await expect(echo).to_contain_text("pressed ✓")
            await expect(echo).to_have_attribute("data-edited", "true")
            await expect(
                customer_messages.filter(has_text="You pressed the button.")
            ).to_have_count(1)

            # operators' side: the topic made by the bot, with the pinned card and the copy
            topic = page.locator("[data-testid=topic]", has_text="Ivan Petrov")
            await expect(topic).to_have_count(1)
            await topic.click()
            await expect(topic).to_have_class(re.compile(r"\bselected\b"))
            await expect(page.locator("[data-testid=pinned-card]")).to_contain_text(
                "New conversation"
            )
            topic_messages = page.locator("#topic-messages [data-testid=topic-message]")
            await expect(topic_messages.filter(has_text="hello bot")).to_have_count(1)
            await expect(topic_messages.filter(has_text="New conversation")).to_have_attribute(
                "data-pinned", "true"
            )

            # a draft survives re-renders caused by new messages
            await page.fill("#customer-input", "half-typed draft")
            fake.user_sends(ids["customer"], photo=True, caption="my receipt")
            await expect(topic_messages.locator("img")).to_have_count(1)
            await expect(customer_messages.locator("img")).to_have_count(1)
            await page.wait_for_timeout(1200)
            await expect(page.locator("#customer-input")).to_have_value("half-typed draft")

            # an operator writes in the topic; the bot relays it to the customer
            await page.select_option("#operator-select", str(ids["operator"]))
            await page.fill("#operator-input", "Hi, I'm Anna. /take")
            await page.click("#operator-send")
            mine = topic_messages.filter(has_text="Hi, I'm Anna.")
            await expect(mine).to_have_attribute("data-from", "operator")
            await expect(mine).to_have_class(re.compile(r"\bout\b"))
            await expect(
                customer_messages.filter(has_text="Anna: Hi, I'm Anna. /take")
            ).to_have_count(1)

            # the customer sends a photo from the page
            await page.click("#customer-photo")
            await expect(customer_messages.locator("img")).to_have_count(2)
            await expect(page.locator("#customer-input")).to_have_value("")  # used as the caption

            await page.wait_for_timeout(700)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            await browser.close()

    assert not errors, errors
    thread = next(t["message_thread_id"] for t in fake.topics(ids["group"]))
    assert [m["text"] for m in fake.messages(ids["group"], thread, from_bot=False)] == [
        "Hi, I'm Anna. /take"
    ]
