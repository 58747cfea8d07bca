"""Running the bot: long polling or webhook mode."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import create_bot, create_dispatcher, load_knowledge, on_shutdown, on_startup
from bot.config import ConfigError, Settings
from bot.services import Services, build_services

log = logging.getLogger(__name__)
FINISH_SECONDS = 8.0  # how long a stopping bot waits for the messages it is reading
WEBHOOK_HANDLER = web.AppKey("webhook_handler", SimpleRequestHandler)


def updates_in_progress(dp: Dispatcher, runner: web.AppRunner | None = None) -> list[asyncio.Task]:
    """The updates being handled now: polling's tasks, or the webhook's (answered to
    Telegram at once, handled in the background)."""
    tasks = set(getattr(dp, "_handle_update_tasks", ()))
    if runner is not None and WEBHOOK_HANDLER in runner.app:
        tasks |= set(getattr(runner.app[WEBHOOK_HANDLER], "_background_feed_update_tasks", ()))
    return [t for t in tasks if not t.done()]


async def finish_updates(tasks: list[asyncio.Task], seconds: float = FINISH_SECONDS) -> None:
    """Let the updates being handled when the bot stops (a deploy, Ctrl+C) finish: Telegram
    was told they were received as soon as they came, so one cut off by the process ending
    is never delivered again, and the customer never answered. A turn saved and waiting on
    Telegram (a flood limit) is not waited for long: the outbox sends its replies later."""
    if not tasks:
        return
    log.info("finishing %s update(s) being handled", len(tasks))
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    if pending:
        log.warning("%s update(s) still being handled after %.0f s", len(pending), seconds)


async def start_polling(
    bot: Bot, dp: Dispatcher, services: Services, *, handle_signals: bool = True
) -> None:
    await bot.delete_webhook(drop_pending_updates=False)
    await on_startup(bot, services)
    try:
        await dp.start_polling(
            bot,
            handle_signals=handle_signals,
            allowed_updates=dp.resolve_used_update_types(),
            polling_timeout=10,
        )
    finally:
        await finish_updates(updates_in_progress(dp))
        await on_shutdown(services)


async def _check_operators_chat(bot: Bot, settings: Settings) -> None:
    """Stop at start, in one line, when the operators' group cannot take tickets."""
    from escalation.telegram import check_operators_chat

    problem = await check_operators_chat(bot, settings.require_operators_chat())
    if problem is not None:
        await bot.session.close()
        raise ConfigError(f"OPERATORS_CHAT_ID: {problem}")


async def run_polling(settings: Settings) -> None:
    token = settings.require_token()
    settings.require_operators_chat()  # hand-offs need somewhere to go
    settings.require_lasting_database()
    bot = create_bot(token, settings.telegram_api_base)
    await _check_operators_chat(bot, settings)
    services = await build_services(settings)
    dp = create_dispatcher(settings, services)
    me = await bot.get_me()
    log.info("polling as @%s", me.username)
    try:
        await start_polling(bot, dp, services)
    finally:
        await bot.session.close()
        await services.close()


def webhook_app(bot: Bot, dp: Dispatcher, settings: Settings) -> web.Application:
    app = web.Application()
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    handler = SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret)
    handler.register(app, path=settings.webhook_path)
    app[WEBHOOK_HANDLER] = handler
    setup_application(app, dp, bot=bot)
    return app


async def start_webhook(
    bot: Bot, dp: Dispatcher, services: Services, settings: Settings, url: str | None
) -> web.AppRunner:
    """Serve the webhook on WEBHOOK_HOST:WEBHOOK_PORT and register ``url`` with Telegram.

    Without ``url`` the local address is registered (the sandbox and tests; port 0 = any).
    """
    await load_knowledge(services)  # before Telegram sends the first update
    app = webhook_app(bot, dp, settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    if not url:
        port = runner.addresses[0][1]
        url = f"http://{settings.webhook_host}:{port}{settings.webhook_path}"
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await bot.set_webhook(url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
    await on_startup(bot, services)
    return runner


async def run_webhook(settings: Settings) -> None:
    token = settings.require_token()
    settings.require_operators_chat()
    settings.require_lasting_database()
    if not settings.webhook_url:
        raise ConfigError("WEBHOOK_URL is not set: put the public HTTPS URL in .env for --webhook")
    bot = create_bot(token, settings.telegram_api_base)
    await _check_operators_chat(bot, settings)
    services = await build_services(settings)
    dp = create_dispatcher(settings, services)
    runner = await start_webhook(bot, dp, services, settings, settings.webhook_url)
    log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    try:
        await asyncio.Event().wait()
    finally:
        await stop_webhook(dp, services, runner)
        await bot.session.close()
        await services.close()


async def stop_webhook(dp: Dispatcher, services: Services, runner: web.AppRunner) -> None:
    """Stop taking updates, finish those being handled, then stop the background tasks."""
    tasks = updates_in_progress(dp, runner)
    await runner.cleanup()
    await finish_updates(tasks + updates_in_progress(dp))
    await on_shutdown(services)
