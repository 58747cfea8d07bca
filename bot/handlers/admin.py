"""Admins (user ids in ADMIN_IDS): knowledge and reports commands in a private chat."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings

ADMIN_HELP = (
    "Admin commands:\n/admin - this help\n/stats - conversations, complaints and tickets today\n"
)


def create_router(settings: Settings) -> Router:
    router = Router(name=__name__)
    admins = set(settings.admin_ids)
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.from_user.id.in_(admins))
    router.callback_query.filter(F.from_user.id.in_(admins))

    @router.message(Command("admin"))
    async def admin_help(message: Message) -> None:
        await message.answer(ADMIN_HELP)

    @router.message(Command("stats"))
    async def admin_stats(message: Message, session) -> None:  # type: ignore[no-untyped-def]
        from bot.reports import quick_stats

        await message.answer(await quick_stats(session))

    @router.message(Command("report"))
    async def admin_report(message: Message, session) -> None:  # type: ignore[no-untyped-def]
        from datetime import timedelta

        from aiogram.types import BufferedInputFile

        from bot.db.models import utcnow
        from bot.reports import build_report, render

        report = await build_report(session, since=utcnow() - timedelta(days=30))
        body = render(report, "table")
        await message.answer_document(
            BufferedInputFile(body.encode("utf-8"), filename="report.txt"),
            caption=f"Last 30 days: {report['complaints']} complaints, "
            f"{report['escalations']['total']} escalations",
        )

    return router
