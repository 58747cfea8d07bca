"""The application factory: builds exactly what production, the sandbox and tests run."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import ClientDecodeError
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.methods import GetUpdates
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import BotCommand, Update
from pydantic import ValidationError

from bot.config import Settings
from bot.delivery import flush_outbox, outbox_loop
from bot.handlers import create_root_router
from bot.middlewares import ClassifyMiddleware, DbSessionMiddleware
from bot.services import Services
from escalation.telegram import Turns

log = logging.getLogger(__name__)


class TolerantSession(AiohttpSession):
    """A session that reads past an update aiogram cannot parse. Telegram sometimes sends a
    field the library's types do not expect (aiogram issues #1014, #1840); getUpdates then
    failed as a whole, the offset never moved past it, and polling retried it for ever: no
    customer was answered again. The update that does not parse is logged and handed on as
    an empty one (its id only), so the offset moves on and the others are read."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError:
            kept = _readable_updates(bot, method, content)
            if kept is None:
                raise
            return super().check_response(bot, method, status_code, kept)


def _readable_updates(bot: Bot, method: TelegramMethod[Any], content: str) -> str | None:
    """getUpdates' answer with each update that does not parse replaced by its id alone
    (None: not getUpdates, or not a list of updates at all)."""
    if not isinstance(method, GetUpdates):
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("ok") is not True:
        return None
    results = data.get("result")
    if not isinstance(results, list):
        return None
    kept: list[Any] = []
    for raw in results:
        try:
            Update.model_validate(raw, context={"bot": bot})
            kept.append(raw)
        except ValidationError as exc:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.warning("update %s could not be read and is skipped: %s", update_id, exc)
            if isinstance(update_id, int):
                kept.append({"update_id": update_id})
    return json.dumps({**data, "result": kept})


def create_bot(token: str, api_base: str | None = None) -> Bot:
    session = (
        TolerantSession(api=TelegramAPIServer.from_base(api_base))
        if api_base
        else TolerantSession()
    )
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=None))


class QueuedIsolation(SimpleEventIsolation):
    """Aiogram's lock of a chat (its updates handled one at a time) that also counts, per
    chat, the updates being handled or waiting their turn: a customer's burst of messages
    while a ticket waits redraws the operators' card once, at its last turn
    (``OperatorDesk.after_turn``)."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = Turns()  # chat id -> its updates handled or waiting

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        with self.turns.turn(key.chat_id):
            async with self._locks[key]:
                yield


def create_dispatcher(settings: Settings, services: Services) -> Dispatcher:
    isolation = QueuedIsolation()
    if services.desk is not None:
        services.desk.turns = isolation.turns
    dp = Dispatcher(
        storage=MemoryStorage(),
        events_isolation=isolation,
        settings=settings,
        services=services,
    )
    dp.update.outer_middleware(ClassifyMiddleware(services.engine))
    dp.update.outer_middleware(DbSessionMiddleware(services.sessionmaker))
    dp.include_router(create_root_router(settings))
    return dp


CUSTOMER_COMMANDS = [
    BotCommand(command="start", description="Start / Начать"),
    BotCommand(command="help", description="Help / Помощь"),
]


async def load_knowledge(services: Services) -> None:
    """The FAQ's index built, its search model loaded (seconds; more on a busy machine),
    before the first update, in a transaction of its own that ends before the loading:
    in the first customer's turn the loading held SQLite's one write lock, every other
    turn waited and, past the busy timeout, failed with 'database is locked'."""
    if services.knowledge is None:
        return
    try:
        async with services.sessionmaker() as session:
            await services.knowledge.index(session)
    except Exception:  # the first question loads it (and says what is wrong) instead
        log.warning("the FAQ's index not built at the start", exc_info=True)


async def on_startup(bot: Bot, services: Services) -> None:
    """Re-send replies a previous run stored but never delivered, then start the outbox."""
    await load_knowledge(services)
    if services.desk is not None:
        services.desk.watch_group(bot)  # the admins told if the group refuses the bot
    with suppress(Exception):
        await bot.set_my_commands(CUSTOMER_COMMANDS)
    # an operator's reply refused for good when the outbox sends it is said in its topic
    refused = services.desk.reply_refused if services.desk is not None else None
    sent = await flush_outbox(bot, services.sessionmaker, older_than=0.0, refused=refused)
    if sent:
        log.info("delivered %s message(s) left from the previous run", sent)
    task = asyncio.create_task(
        outbox_loop(bot, services.sessionmaker, refused=refused), name="outbox"
    )
    services.background.append(task)
    from escalation.timers import held_loop

    services.background.append(asyncio.create_task(held_loop(bot, services), name="held"))
    if services.desk is not None:
        from escalation.timers import timers_loop

        services.background.append(asyncio.create_task(timers_loop(bot, services), name="sla"))


async def on_shutdown(services: Services) -> None:
    if services.desk is not None:
        services.desk.watch_group(None)
        await services.desk.finish_albums()  # an album being gathered is sent, not cut off
        await services.desk.stop_redraws()
    for task in services.background:
        task.cancel()
    for task in services.background:
        with suppress(asyncio.CancelledError, Exception):
            await task
    services.background.clear()
