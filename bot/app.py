"""The application factory: builds exactly what production, the sandbox and tests run."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand

from bot.config import Settings
from bot.delivery import flush_outbox, outbox_loop
from bot.handlers import create_root_router
from bot.middlewares import ClassifyMiddleware, DbSessionMiddleware
from bot.services import Services

log = logging.getLogger(__name__)


def create_bot(token: str, api_base: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=None))


def create_dispatcher(settings: Settings, services: Services) -> Dispatcher:
    dp = Dispatcher(
        storage=MemoryStorage(),
        events_isolation=SimpleEventIsolation(),
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


async def on_startup(bot: Bot, services: Services) -> None:
    """Re-send replies a previous run stored but never delivered, then start the outbox."""
    with suppress(Exception):
        await bot.set_my_commands(CUSTOMER_COMMANDS)
    sent = await flush_outbox(bot, services.sessionmaker, older_than=0.0)
    if sent:
        log.info("delivered %s message(s) left from the previous run", sent)
    task = asyncio.create_task(outbox_loop(bot, services.sessionmaker), name="outbox")
    services.background.append(task)
    from escalation.timers import held_loop

    services.background.append(asyncio.create_task(held_loop(bot, services), name="held"))
    if services.desk is not None:
        from escalation.timers import timers_loop

        services.background.append(asyncio.create_task(timers_loop(bot, services), name="sla"))


async def on_shutdown(services: Services) -> None:
    for task in services.background:
        task.cancel()
    for task in services.background:
        with suppress(asyncio.CancelledError, Exception):
            await task
    services.background.clear()
