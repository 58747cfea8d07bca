"""`supportbot sandbox`: the real bot against a fake Telegram on localhost, with a web page."""

from __future__ import annotations

import asyncio
import logging
import webbrowser
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.app import create_bot, create_dispatcher
from bot.config import Settings
from bot.runner import start_polling, start_webhook, stop_webhook
from bot.sandbox.fakeapi import FakeTelegram, FakeTelegramServer
from bot.services import Services, build_services

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "7000000001:SANDBOX-token-not-for-telegram"
OPERATORS_CHAT_ID = -1001000000001
OPERATORS = (
    (501, "Olga", "olga_support", "ru"),
    (502, "Tomasz", "tomasz_support", "pl"),
)
ADMIN_ID = 900
DEMO_KB = Path(__file__).resolve().parents[2] / "knowledge" / "demo" / "shop.yaml"


def populate(fake: FakeTelegram) -> None:
    """Operators, an admin, the operators' forum group, and two demo customers."""
    for user_id, name, username, lang in OPERATORS:
        fake.add_user(name, username=username, language_code=lang, user_id=user_id)
    fake.add_user("Admin", username="shop_admin", language_code="en", user_id=ADMIN_ID)
    fake.add_group(
        "Support operators",
        chat_id=OPERATORS_CHAT_ID,
        is_forum=True,
        members=[u[0] for u in OPERATORS] + [ADMIN_ID],
        admins=[OPERATORS[0][0]],
    )
    fake.add_user("Анна", username="anna_k", language_code="ru", user_id=1001)
    fake.add_user("John", username="john_d", language_code="en", user_id=1002)


def sandbox_settings(settings: Settings, database_url: str) -> Settings:
    return settings.model_copy(
        update={
            "database_url": database_url,
            "operators_chat_id": OPERATORS_CHAT_ID,
            "admin_ids": [ADMIN_ID],
            "senior_operator_ids": [OPERATORS[0][0]],
        }
    )


@dataclass
class Sandbox:
    server: FakeTelegramServer
    bot: Bot
    dp: Dispatcher
    services: Services
    task: asyncio.Task[None] | None = None
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return self.server.base_url + "/"


async def start_sandbox(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    database_url: str = "sqlite+aiosqlite:///sandbox.db",
    mode: str = "polling",
    load_demo_kb: bool = True,
    services: Services | None = None,
    server: FakeTelegramServer | None = None,
) -> Sandbox:
    """Start the fake Telegram (unless given a running one), then the real bot against it."""
    if server is None:
        server = FakeTelegramServer(host=host, port=port)
        await server.__aenter__()
        populate(server.fake)
    settings = sandbox_settings(settings, database_url)
    if services is None:
        services = await build_services(settings)
    if load_demo_kb and DEMO_KB.exists():
        await _load_kb(services)
    bot = create_bot(SANDBOX_TOKEN, server.base_url)
    dp = create_dispatcher(settings, services)
    sandbox = Sandbox(server=server, bot=bot, dp=dp, services=services)
    if mode == "webhook":
        hook_settings = settings.model_copy(update={"webhook_host": host, "webhook_port": 0})
        sandbox.runner = await start_webhook(bot, dp, services, hook_settings, None)
    else:
        sandbox.task = asyncio.create_task(
            start_polling(bot, dp, services, handle_signals=False), name="sandbox-polling"
        )
    return sandbox


async def _load_kb(services: Services) -> None:
    try:
        from knowledge.service import import_file_if_empty
    except ImportError:
        return
    await import_file_if_empty(services, DEMO_KB)


async def stop_bot(sandbox: Sandbox) -> None:
    """Stop the bot only (the fake Telegram keeps running): a restart in tests."""
    if sandbox.task is not None:
        with suppress(RuntimeError):
            await sandbox.dp.stop_polling()
        with suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(sandbox.task, timeout=15)
    if sandbox.runner is not None:
        await stop_webhook(sandbox.dp, sandbox.services, sandbox.runner)
        await sandbox.bot.delete_webhook()
    await sandbox.bot.session.close()
    await sandbox.services.close()


async def stop_sandbox(sandbox: Sandbox) -> None:
    await stop_bot(sandbox)
    await sandbox.server.__aexit__(None, None, None)


async def run_sandbox(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8081,
    database_url: str = "sqlite+aiosqlite:///sandbox.db",
    open_browser: bool = True,
    mode: str = "polling",
) -> None:
    sandbox = await start_sandbox(
        settings, host=host, port=port, database_url=database_url, mode=mode
    )
    print(f"Sandbox is running: open {sandbox.url} (Ctrl+C to stop)", flush=True)
    if open_browser:
        with suppress(Exception):
            webbrowser.open(sandbox.url)
    try:
        if sandbox.task is not None:
            await sandbox.task
        else:
            await asyncio.Event().wait()
    finally:
        await stop_sandbox(sandbox)
