"""The fake Telegram Bot API, driven through an unmodified aiogram Bot."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReactionTypeEmoji,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.sandbox.fakeapi import FakeTelegram, FakeTelegramServer, make_png

TOKEN = "123456:TEST-token"
BOT_ID = 123456


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(fake=FakeTelegram(token=TOKEN)) as srv:
        yield srv


@pytest.fixture
def fake(server: FakeTelegramServer) -> FakeTelegram:
    return server.fake


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(TOKEN, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def run_polling(
    dp: Dispatcher, bot: Bot, body: Callable[[], Awaitable[None]], limit: float = 20.0
) -> None:
    """Run ``body`` while ``dp`` polls; always stop polling, bounded in time."""
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=2))
    try:
        async with asyncio.timeout(limit):
            await body()
    finally:
        with contextlib.suppress(RuntimeError):  # not started yet
            await asyncio.wait_for(dp.stop_polling(), 10)
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == BOT_ID
    assert me.is_bot
    assert me.username == "supportbot_sandbox_bot"


async def test_send_message_with_inline_keyboard_is_in_history(
    bot: Bot, fake: FakeTelegram
) -> None:
    user = fake.add_user("Ivan", language_code="ru")
    sent = await bot.send_message(
        user["id"], "Choose:", reply_markup=keyboard(("Yes", "yes"), ("No", "no"))
    )
    assert isinstance(sent, Message)
    assert sent.chat.id == user["id"]
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "no"
    history = fake.messages(user["id"])
    assert [m["text"] for m in history] == ["Choose:"]
    assert history[0]["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Yes",
        "callback_data": "yes",
    }
    assert fake.calls_of("sendMessage")[0]["chat_id"] == user["id"]


async def test_polling_receives_message_and_callback(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user("Olga", language_code="en")
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"echo: {message.text}", reply_markup=keyboard(("Press me", "pressed"))
        )

    @dp.callback_query(F.data == "pressed")
    async def pressed(query: CallbackQuery) -> None:
        await query.answer("done")
        assert isinstance(query.message, Message)
        await query.message.edit_text("button pressed")

    async def body() -> None:
        sent = fake.user_sends(user["id"], "hello")
        [reply] = await fake.wait_for_bot_message(user["id"], text_contains="echo: hello")
        assert reply["message_id"] > sent["message_id"]
        fake.user_presses(user["id"], user["id"], reply["message_id"], "pressed")
        edited = await fake.wait_for(
            lambda: fake.get_message(user["id"], reply["message_id"]).api.get("edit_date")
        )
        assert edited
        msg = fake.get_message(user["id"], reply["message_id"])
        assert msg.api["text"] == "button pressed"
        assert "reply_markup" not in msg.api  # editMessageText without markup drops it
        await fake.wait_for(lambda: fake.callback_answers)
        assert fake.callback_answers[0]["text"] == "done"

    await run_polling(dp, bot, body)


async def test_forum_topic_and_thread_message(bot: Bot, fake: FakeTelegram) -> None:
    op = fake.add_user("Anna")
    group = fake.add_group("Operators", members=[op["id"]], admins=[op["id"]])
    topic = await bot.create_forum_topic(group["id"], "Ticket #1")
    assert topic.name == "Ticket #1"
    sent = await bot.send_message(
        group["id"], "New ticket", message_thread_id=topic.message_thread_id
    )
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.is_topic_message
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.forum_topic_created is not None
    service = fake.messages(group["id"], topic.message_thread_id, include_service=True)
    assert "forum_topic_created" in service[0]
    assert [m["text"] for m in fake.messages(group["id"], topic.message_thread_id)] == [
        "New ticket"
    ]
    assert fake.topics(group["id"])[0]["name"] == "Ticket #1"

    await bot.pin_chat_message(group["id"], sent.message_id)
    assert fake.pinned(group["id"], topic.message_thread_id) == [sent.message_id]
    await bot.edit_forum_topic(group["id"], topic.message_thread_id, name="Ticket #1 [taken]")
    await bot.close_forum_topic(group["id"], topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(group["id"], topic.message_thread_id)
    await bot.reopen_forum_topic(group["id"], topic.message_thread_id)
    assert fake.topics(group["id"])[0]["name"] == "Ticket #1 [taken]"

    fake.user_sends(
        op["id"], "/take", chat_id=group["id"], message_thread_id=topic.message_thread_id
    )
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None
    assert update.message.text == "/take"
    assert update.message.message_thread_id == topic.message_thread_id
    assert update.message.entities is not None and update.message.entities[0].type == "bot_command"

    member = await bot.get_chat_member(group["id"], op["id"])
    assert member.status == "administrator"
    admins = await bot.get_chat_administrators(group["id"])
    assert {a.user.id for a in admins} == {op["id"], BOT_ID}
    chat = await bot.get_chat(group["id"])
    assert chat.is_forum and chat.title == "Operators"
    assert chat.pinned_message is not None


async def test_deleted_topic_raises_thread_not_found(bot: Bot, fake: FakeTelegram) -> None:
    group = fake.add_group("Operators")
    topic = await bot.create_forum_topic(group["id"], "Ticket #2")
    fake.delete_topic(group["id"], topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(group["id"], "anyone?", message_thread_id=topic.message_thread_id)
    assert fake.topics(group["id"])[0]["deleted"] is True


async def test_blocked_user_raises_forbidden(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user("Blocker")
    fake.user_blocks_bot(user["id"])
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user["id"], "hi")
    [update] = await bot.get_updates(allowed_updates=["my_chat_member"])
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_injected_429_and_500(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    fake.add_fault("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(user["id"], "one")
    assert retry.value.retry_after == 7
    fake.add_fault("*", status=500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(user["id"], "two")
    await bot.send_message(user["id"], "three")  # faults are used up
    assert [m["text"] for m in fake.messages(user["id"])] == ["three"]

    fake.add_fault("getMe", delay=0.3)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.3


async def test_telegram_errors(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(987654321, "hi")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user["id"], "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user["id"], "x" * 4097)
    await bot.send_message(user["id"], "x" * 4096)
    msg = await bot.send_message(user["id"], "same")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(text="same", chat_id=user["id"], message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="new", chat_id=user["id"], message_id=9999)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(user["id"], "a <3 b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="reserved"):
        await bot.send_message(user["id"], "Hello.", parse_mode="MarkdownV2")
    bold = await bot.send_message(user["id"], "<b>Ticket</b> &lt;42&gt;", parse_mode="HTML")
    assert bold.text == "Ticket <42>"
    assert bold.entities is not None and bold.entities[0].type == "bold"
    edited = await bot.edit_message_text(
        text="changed",
        chat_id=user["id"],
        message_id=msg.message_id,
        reply_markup=keyboard(("Ok", "ok")),
    )
    assert isinstance(edited, Message) and edited.edit_date
    await bot.edit_message_reply_markup(chat_id=user["id"], message_id=msg.message_id)
    assert "reply_markup" not in fake.get_message(user["id"], msg.message_id).api
    assert await bot.delete_message(user["id"], msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(user["id"], msg.message_id)
    assert fake.get_message(user["id"], msg.message_id).deleted
    assert await bot.send_chat_action(user["id"], "typing")
    assert await bot.set_message_reaction(
        user["id"], bold.message_id, [ReactionTypeEmoji(emoji="👍")]
    )
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.set_chat_menu_button()
    assert await bot.log_out()


async def test_copy_user_photo_into_topic(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user("Photographer")
    group = fake.add_group("Operators")
    topic = await bot.create_forum_topic(group["id"], "Ticket #3")
    sent = fake.user_sends(user["id"], photo=True, caption="broken screen")
    copied = await bot.copy_message(
        group["id"], user["id"], sent["message_id"], message_thread_id=topic.message_thread_id
    )
    [copy] = fake.messages(group["id"], topic.message_thread_id)
    assert copy["message_id"] == copied.message_id
    assert copy["photo"][-1]["file_id"] == sent["photo"][-1]["file_id"]
    assert copy["caption"] == "broken screen"
    forwarded = await bot.forward_message(group["id"], user["id"], sent["message_id"])
    assert forwarded.forward_origin is not None
    ids = await bot.copy_messages(group["id"], user["id"], [sent["message_id"]])
    assert len(ids) == 1


async def test_upload_and_download(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    content = b"order 42\nstatus: delayed\n"
    msg = await bot.send_document(
        user["id"], BufferedInputFile(content, "report.txt"), caption="report"
    )
    assert msg.document is not None and msg.document.file_name == "report.txt"
    data = await bot.download(msg.document.file_id)
    assert isinstance(data, io.BytesIO) and data.getvalue() == content

    png = make_png(200, 100)
    photo = await bot.send_photo(user["id"], BufferedInputFile(png, "p.png"))
    assert photo.photo is not None and photo.photo[-1].width == 200
    file = await bot.get_file(photo.photo[-1].file_id)
    assert file.file_path
    got = await bot.download(file)
    assert got is not None and got.getvalue() == png
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user["id"], BufferedInputFile(b"not an image", "x.png"))

    voice = await bot.send_voice(user["id"], BufferedInputFile(b"OggS-fake-voice", "v.ogg"))
    assert voice.voice is not None
    again = await bot.send_photo(user["id"], photo.photo[-1].file_id)
    assert again.photo is not None
    user_file = fake.user_sends(user["id"], document=("invoice.pdf", b"%PDF-1.4 fake"))
    got = await bot.download(user_file["document"]["file_id"])
    assert got is not None and got.getvalue() == b"%PDF-1.4 fake"


async def test_long_polling_waits_and_returns_early(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started >= 0.9

    async def later() -> None:
        await asyncio.sleep(0.2)
        fake.user_sends(user["id"], "wake up")

    task = asyncio.create_task(later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=10)
    await task
    assert time.monotonic() - started < 3
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    # not confirmed yet: returned again; confirmed by offset: gone
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []


async def test_redeliver_same_update_id(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    seen: list[tuple[int, str | None]] = []
    dp = Dispatcher()

    @dp.message()
    async def record(message: Message, event_update: Update) -> None:
        seen.append((event_update.update_id, message.text))

    async def body() -> None:
        fake.user_sends(user["id"], "pay me back")
        await fake.wait_for(lambda: len(seen) == 1)
        fake.redeliver(seen[0][0])
        await fake.wait_for(lambda: len(seen) == 2)

    await run_polling(dp, bot, body)
    assert seen[0] == seen[1]


async def _start_webhook_app(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def test_webhook_delivery_with_secret(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    dp = Dispatcher()
    received: list[int] = []

    @dp.message()
    async def reply(message: Message, event_update: Update) -> SendMessage:
        received.append(event_update.update_id)
        return message.answer(f"webhook: {message.text}")  # answered in the webhook response

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="s3cret", handle_in_background=False).register(
        app, path="/hook"
    )
    runner, url = await _start_webhook_app(app)
    try:
        fake.user_sends(user["id"], "before webhook")  # pending, delivered once the hook is set
        assert await bot.set_webhook(f"{url}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        await fake.wait_for_bot_message(user["id"], text_contains="webhook: before webhook")
        fake.user_sends(user["id"], "hello hook")
        await fake.wait_for_bot_message(user["id"], text_contains="webhook: hello hook")
        assert len(received) == 2
        info = await bot.get_webhook_info()
        assert info.url == f"{url}/hook" and info.pending_update_count == 0
        fake.redeliver(received[-1])
        await fake.wait_for(lambda: len(received) == 3)
        assert received[2] == received[1]
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []
    finally:
        await fake.aclose()
        await runner.cleanup()


async def test_webhook_retries_on_errors(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    attempts: list[tuple[int, str]] = []

    async def flaky(request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        attempts.append(
            (body["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""))
        )
        return web.Response(status=500 if len(attempts) < 3 else 200)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    runner, url = await _start_webhook_app(app)
    fake.webhook_retry_delay = 0.05
    try:
        await bot.set_webhook(f"{url}/hook", secret_token="abc")
        fake.user_sends(user["id"], "retry me")
        await fake.wait_for(lambda: len(attempts) >= 3)
        assert {a for a in attempts} == {(attempts[0][0], "abc")}
        info = await bot.get_webhook_info()
        assert info.last_error_message and "500" in info.last_error_message
        await fake.wait_for(lambda: fake.bots[BOT_ID].updates == [])
    finally:
        await fake.aclose()
        await runner.cleanup()


async def test_raw_protocol_and_control_api(server: FakeTelegramServer, fake: FakeTelegram) -> None:
    base = server.base_url
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{base}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
        async with http.get(f"{base}/bot{TOKEN}/GETME") as resp:
            assert (await resp.json())["result"]["id"] == BOT_ID
        async with http.post(
            f"{base}/sandbox/api/users", json={"first_name": "Web", "language_code": "pl"}
        ) as resp:
            user = (await resp.json())["result"]
        async with http.post(
            f"{base}/sandbox/api/send", json={"user_id": user["id"], "text": "from page"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "from page"
        async with http.post(
            f"{base}/sandbox/api/send", json={"user_id": user["id"], "photo": True}
        ) as resp:
            sent_photo = (await resp.json())["result"]
        async with http.get(
            f"{base}/sandbox/api/file/{sent_photo['photo'][-1]['file_id']}"
        ) as resp:
            assert resp.content_type == "image/png"
        async with http.post(
            f"{base}/sandbox/api/press",
            json={"user_id": user["id"], "chat_id": user["id"], "message_id": 1, "data": "x"},
        ) as resp:
            assert resp.status == 400 and "no button" in (await resp.json())["error"]
        async with http.post(
            f"{base}/sandbox/api/fault", json={"method": "getMe", "status": 502}
        ) as resp:
            assert resp.status == 200
        async with http.get(f"{base}/bot{TOKEN}/getMe") as resp:
            assert resp.status == 502
        async with http.get(f"{base}/sandbox/api/state") as resp:
            state = (await resp.json())["result"]
        async with http.get(f"{base}/") as resp:
            assert "<html" in (await resp.text()).lower()
    assert [u["first_name"] for u in state["users"]] == ["Web"]
    chat = next(c for c in state["chats"] if c["id"] == user["id"])
    assert chat["messages"][0]["message"]["text"] == "from page"
    assert state["bots"][0]["pending_update_count"] == 2


async def test_media_group_caption_edit_and_markdown(bot: Bot, fake: FakeTelegram) -> None:
    user = fake.add_user()
    album = await bot.send_media_group(
        user["id"],
        [
            InputMediaPhoto(media=BufferedInputFile(make_png(10, 10, 1), "a.png"), caption="first"),
            InputMediaPhoto(media=BufferedInputFile(make_png(10, 10, 2), "b.png")),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    edited = await bot.edit_message_caption(
        chat_id=user["id"],
        message_id=album[0].message_id,
        caption="*new* caption",
        parse_mode="MarkdownV2",
    )
    assert isinstance(edited, Message)
    assert edited.caption == "new caption"
    assert edited.caption_entities is not None and edited.caption_entities[0].type == "bold"
    text = await bot.send_message(user["id"], "plain")
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=user["id"], message_id=text.message_id, caption="x")
    md = await bot.send_message(
        user["id"],
        r"Order \#42 is _late_ \- [track](https://example.org/t)",
        parse_mode="MarkdownV2",
    )
    assert md.text == "Order #42 is late - track"
    assert md.entities is not None
    assert [e.type for e in md.entities] == ["italic", "text_link"]
    assert md.entities[1].url == "https://example.org/t"
    emoji = await bot.send_message(user["id"], "🙂 <i>ok</i>", parse_mode="HTML")
    assert emoji.entities is not None and emoji.entities[0].offset == 3  # UTF-16 offsets


async def test_members_and_concurrent_polls(bot: Bot, fake: FakeTelegram) -> None:
    op = fake.add_user("Op")
    stranger = fake.add_user("Stranger")
    group = fake.add_group("Operators", members=[op["id"]])
    assert (await bot.get_chat_member(group["id"], op["id"])).status == "member"
    assert (await bot.get_chat_member(group["id"], stranger["id"])).status == "left"
    assert (await bot.get_chat_member(group["id"], BOT_ID)).status == "administrator"
    private = await bot.get_chat(stranger["id"])
    assert private.type == "private" and private.first_name == "Stranger"

    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.3)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 5)
    assert await asyncio.wait_for(second, 5) == []


async def test_a_member_removed_and_an_album_copied_as_telegram_does(
    bot: Bot, fake: FakeTelegram
) -> None:
    """``member_changes``: the member is gone for getChatMember, the 'chat_member' update
    comes only to a bot that asked for it, the service message to any; copyMessages keeps
    an album's grouping (a new group id) and leaves a lone message alone."""
    admin, op, user = fake.add_user("Admin"), fake.add_user("Op"), fake.add_user("John")
    group = fake.add_group("Operators", members=[op["id"]], admins=[admin["id"]])
    fake.member_changes(group["id"], op["id"], "left", by=admin["id"])
    assert (await bot.get_chat_member(group["id"], op["id"])).status == "left"
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    [left] = [u.message for u in updates if u.message is not None]
    assert left.left_chat_member is not None and left.left_chat_member.id == op["id"]
    assert left.from_user is not None and left.from_user.id == admin["id"]
    fake.member_changes(group["id"], op["id"], "member", service_message=False)
    updates = await bot.get_updates(
        offset=updates[-1].update_id + 1, timeout=0, allowed_updates=["chat_member"]
    )
    [joined] = [u.chat_member for u in updates if u.chat_member is not None]
    assert joined.old_chat_member.status == "left" and joined.new_chat_member.status == "member"

    album = [
        fake.user_sends(user["id"], photo=True, caption=c, media_group_id="g") for c in ("a", None)
    ]
    lone = fake.user_sends(user["id"], "and this")
    ids = [m["message_id"] for m in (*album, lone)]
    await bot.copy_messages(group["id"], user["id"], ids)
    copies = fake.messages(group["id"], from_bot=True)[-3:]
    assert copies[0]["media_group_id"] == copies[1]["media_group_id"] != "g"
    assert "media_group_id" not in copies[2] and copies[0]["caption"] == "a"


async def test_a_restarted_fake_numbers_its_updates_on(bot: Bot, fake: FakeTelegram) -> None:
    """The sandbox restarted on the same database numbered its updates from 1 again, and the
    bot skipped every message as already handled: a new fake goes on after the old one's."""
    user = fake.add_user()
    fake.user_sends(user["id"], "first run")
    [first] = await bot.get_updates(timeout=0)
    await asyncio.sleep(0.01)
    again = FakeTelegram(token=TOKEN)
    user2 = again.add_user()
    again.user_sends(user2["id"], "after a restart")
    later = next(iter(again.bots.values())).updates[0].update_id
    assert later > first.update_id, (first.update_id, later)


async def test_every_kind_of_message_can_be_sent_from_the_page(
    server: FakeTelegramServer, fake: FakeTelegram, bot: Bot
) -> None:
    """The page's /sandbox/api/send sends what a Telegram user can (before: text, photos,
    files and voice only), each as aiogram reads it; a stranger may post in the group."""
    user = fake.add_user("Web", language_code="pl")
    olga = fake.add_user("Olga")
    group = fake.add_group("Operators", members=[olga["id"]], admins=[olga["id"]])
    kinds = {
        "sticker": {"sticker": "👍"},
        "location": {"location": [52.2297, 21.0122]},
        "venue": {"venue": {"latitude": 52.2, "longitude": 21.0, "title": "Paczkomat WAW01"}},
        "contact": {"contact": True},
        "video_note": {"video_note": True},
        "animation": {"animation": True, "caption": "gif"},
        "poll": {"poll": {"question": "Gdzie paczka?", "options": ["tu", "tam"]}},
        "dice": {"dice": "🎲"},
        "game": {"game": "lumberjack"},
        "forward_origin": {"text": "kurier: paczka jutro", "forwarded_from": "Kurier"},
    }
    base = server.base_url
    async with aiohttp.ClientSession() as http:
        for body in kinds.values():
            async with http.post(
                f"{base}/sandbox/api/send", json={"user_id": user["id"], **body}
            ) as resp:
                assert resp.status == 200, await resp.text()
        async with http.post(
            f"{base}/sandbox/api/send",
            json={"user_id": user["id"], "chat_id": group["id"], "text": "hi"},
        ) as resp:
            assert resp.status == 400 and "not a member" in (await resp.json())["error"]
        async with http.post(
            f"{base}/sandbox/api/send",
            json={"user_id": user["id"], "chat_id": group["id"], "text": "hi", "stranger": True},
        ) as resp:
            assert (await resp.json())["result"]["from"]["id"] == user["id"]
    updates = await bot.get_updates(timeout=0)
    sent = [u.message for u in updates if u.message and u.message.chat.id == user["id"]]
    assert [m.content_type for m in sent] == [*kinds.keys()][:-1] + ["text"]
    by_kind = dict(zip(kinds, sent, strict=True))
    assert by_kind["location"].location.latitude == 52.2297
    assert by_kind["venue"].venue.title == "Paczkomat WAW01"
    assert by_kind["contact"].contact.user_id == user["id"]
    assert by_kind["contact"].contact.phone_number
    assert [o.text for o in by_kind["poll"].poll.options] == ["tu", "tam"]
    assert 1 <= by_kind["dice"].dice.value <= 6
    assert by_kind["animation"].caption == "gif" and by_kind["animation"].document
    assert by_kind["forward_origin"].forward_origin.sender_user_name == "Kurier"
    in_group = [u.message for u in updates if u.message and u.message.chat.id == group["id"]]
    assert [m.text for m in in_group] == ["hi"]
    member = await bot.get_chat_member(group["id"], user["id"])
    assert member.status == "left"  # a stranger: not an operator
    for kind, message in by_kind.items():  # copied as Telegram copies them
        if kind == "game":
            with pytest.raises(TelegramBadRequest, match="can't be copied"):
                await bot.copy_message(group["id"], user["id"], message.message_id)
            continue
        copied = await bot.copy_message(group["id"], user["id"], message.message_id)
        stored = fake.get_message(group["id"], copied.message_id).api
        assert kind == "forward_origin" or kind in stored, (kind, stored)
