"""Admins (user ids in ADMIN_IDS): knowledge and reports commands in a private chat."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.config import Settings
from bot.handlers.admin_kb import KbStates, admin_texts, leave_step, own_transactions, unlock


def create_router(settings: Settings) -> Router:
    router = Router(name=__name__)
    admins = set(settings.admin_ids)
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.from_user.id.in_(admins))
    router.callback_query.filter(F.from_user.id.in_(admins))
    router.message.middleware(own_transactions)
    router.callback_query.middleware(own_transactions)

    @router.message(StateFilter(KbStates), Command("admin", "stats", "report"))
    async def command_in_step(message: Message, state: FSMContext) -> None:
        """/stats in the middle of a knowledge-base step: the step is left, said so (its
        text is never taken for a command, nor the next message for the step)."""
        await leave_step(message, state)
        raise SkipHandler

    @router.message(Command("admin"))
    async def admin_help(message: Message) -> None:
        texts = admin_texts(message.from_user)
        await message.answer(texts("admin_help"))

    @router.message(Command("stats"))
    async def admin_stats(message: Message, session) -> None:  # type: ignore[no-untyped-def]
        from bot.reports import is_empty, last_day, quick_stats

        report = await last_day(session)
        said = (
            admin_texts(message.from_user)("admin_stats_empty")
            if is_empty(report)
            else await quick_stats(session, report, admin_texts(message.from_user))
        )
        await unlock(session)  # the report read: no lock held while Telegram takes it
        await message.answer(said)

    @router.message(Command("report"))
    async def admin_report(message: Message, command: CommandObject, session, services) -> None:  # type: ignore[no-untyped-def]
        from aiogram.types import BufferedInputFile

        from bot.db.models import utcnow
        from bot.delivery import split_text
        from bot.reports import (
            PeriodError,
            build_report,
            is_empty,
            parse_period,
            render,
            render_summary,
        )
        from knowledge.service import get_knowledge

        texts = admin_texts(message.from_user)
        try:
            since, until, fmt = parse_period(command.args or "", utcnow(), tz=settings.tz)
        except PeriodError as exc:
            usage = texts("admin_report_usage")
            if exc.reversed:
                start, end = exc.reversed
                await message.answer(
                    texts("admin_report_reversed", start=start, end=end, usage=usage)
                )
            else:
                await message.answer(texts("admin_report_unread", args=exc.said, usage=usage))
            return
        report = await build_report(
            session,
            since=since,
            until=until,
            tz=settings.tz,
            currency=settings.shop_currency,
            knowledge=get_knowledge(services),  # similar questions as one, as /kb_gaps
        )
        await unlock(session)
        period = report["period"]
        if is_empty(report):  # a new shop, or days nobody wrote: no column of zeros
            start, end = period["from"], period["to"] or texts("admin_report_today")
            await message.answer(texts("admin_report_empty", start=start, end=end))
            return
        for part in split_text(render_summary(report, texts)):
            await message.answer(part)
        # Excel in Russian and Polish settings: semicolons between columns, decimal commas
        body = render(report, fmt, excel_comma=texts.lang in ("ru", "pl"))
        # a BOM: Excel opens a UTF-8 CSV without one as mojibake (Cyrillic, "zł")
        data = body.encode("utf-8-sig" if fmt == "csv" else "utf-8")
        name = f"report_{period['from']}_{period['to'] or 'today'}"
        await message.answer_document(
            BufferedInputFile(data, filename=f"{name}.{'txt' if fmt == 'table' else fmt}"),
            caption=texts("admin_report_file_csv" if fmt == "csv" else "admin_report_file"),
        )

    return router
