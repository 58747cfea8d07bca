"""The `supportbot` command (see shared/spec/cli.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from bot.jsonl import JsonlError
from knowledge.formats import KbFormatError

EXIT_NOT_AVAILABLE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool cut off by `head`
log = logging.getLogger("supportbot")


class NotAvailable(Exception):
    """A subcommand that a later release provides."""


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def _settings() -> Settings:
    return load_settings()


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


# --------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run_polling, run_webhook

    settings = _settings()
    _setup_logging(settings.log_level)
    _run(run_webhook(settings) if args.webhook else run_polling(settings))
    return 0


SANDBOX_DB = "sqlite+aiosqlite:///sandbox.db"


def sandbox_database(flag: str | None, settings: Settings) -> str:
    """The sandbox's database: ``--database-url``, else DATABASE_URL when it is set (in the
    environment or .env, as everywhere else), else sandbox.db in the current directory."""
    if flag:
        return flag
    return settings.database_url if "database_url" in settings.model_fields_set else SANDBOX_DB


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.run import run_sandbox

    settings = _settings()
    _setup_logging(settings.log_level)
    _run(
        run_sandbox(
            settings,
            host=args.host,
            port=args.port,
            database_url=sandbox_database(args.database_url, settings),
            open_browser=not args.no_browser,
            mode=args.mode,
        )
    )
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    from bot.actions import run

    settings = _settings()
    _setup_logging(settings.log_level)
    run(settings, host=args.host, port=args.port)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from bot.db import (
        alembic_config,
        check_opens,
        create_engine,
        current_revision,
        downgrade_database,
        upgrade_database,
    )

    settings = _settings()

    async def go() -> tuple[str | None, str | None]:
        engine = create_engine(settings.database_url)
        try:
            await check_opens(engine)
            before = await current_revision(engine)
            if args.db_command == "upgrade":
                await upgrade_database(engine, args.revision)
            else:
                await downgrade_database(engine, args.revision)
            return before, await current_revision(engine)
        finally:
            await engine.dispose()

    try:
        before, after = _run(go())
    except CommandError as exc:  # an unknown revision, or one on the wrong side
        script = ScriptDirectory.from_config(alembic_config())
        known = ", ".join(r.revision for r in reversed(list(script.walk_revisions())))
        raise ConfigError(
            f"db {args.db_command} {args.revision}: {exc} (the migrations: base, {known}, head)"
        ) from exc
    url = _safe_url(settings.database_url)
    at = after or "base"
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if args.db_command == "upgrade" and before == after and args.revision not in ("head", at):
        # Alembic does nothing for "upgrade 0001" of a database at 0004
        print(f"nothing to upgrade: the database is at {at}, newer than {args.revision}: {url}")
        return 0
    print(f"database {args.db_command}d to {at}{' (head)' if at == head else ''}: {url}")
    return 0


def _parse_at(value: str, settings: Settings) -> datetime:
    """``--at 2026-12-02T12:00``: a moment, in the shop's time zone unless it names its own."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(
            f"--at {value!r} is not a date and time like 2026-12-02T12:00 ({exc})"
        ) from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.tz)
    return at


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot.simulate import simulate

    settings = _settings()
    _setup_logging(os.environ.get("LOG_LEVEL", "WARNING"))
    kb = Path(args.kb) if args.kb else None
    at = _parse_at(args.at, settings) if args.at else None
    count = _run(simulate(settings, Path(args.input), Path(args.output), kb, at=at))
    print(f"simulated {count} dialogue(s) -> {args.output}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bot.db import create_engine, create_sessionmaker, upgrade_database
    from bot.reports import build_report, parse_day, render
    from knowledge.service import KnowledgeService

    settings = _settings()
    try:
        since = parse_day(args.date_from, tz=settings.tz)  # the shop's days, not UTC's
        until = parse_day(args.date_to, end=True, tz=settings.tz)
    except ValueError as exc:
        raise ConfigError(f"--from/--to must be dates like 2026-11-01 ({exc})") from exc
    if since is not None and until is not None and since > until:
        raise ConfigError(f"--from {args.date_from} is after --to {args.date_to}")

    async def go() -> dict[str, Any]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_database(engine)
            sessionmaker = create_sessionmaker(engine)
            # similar unanswered questions are one, as the admins' /kb_gaps groups them
            knowledge = KnowledgeService(settings, sessionmaker=sessionmaker)
            async with sessionmaker() as session:
                return await build_report(
                    session,
                    since,
                    until,
                    tz=settings.tz,
                    currency=settings.shop_currency,
                    knowledge=knowledge,
                )
        finally:
            await engine.dispose()

    print(render(_run(go()), args.format))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from bot.bench import render_table, run_bench

    settings = _settings()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.customers < 1 or args.duration <= 0:
        raise ConfigError("--customers must be >= 1 and --duration > 0")
    result = _run(
        run_bench(
            settings,
            customers=args.customers,
            duration=args.duration,
            mode=args.mode,
            database_url=args.database_url,
        )
    )
    print(json.dumps(result) if args.json else render_table(result))
    return 0


def _not_yet(what: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        raise NotAvailable(f"supportbot {what} is not yet available")

    return handler


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supportbot",
        description="Customer-support bot for Telegram: understands, answers, follows the "
        "service playbook, hands over to people with full context.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("run", help="run the Telegram bot (long polling; --webhook for webhook)")
    p.add_argument("--webhook", action="store_true", help="webhook mode (needs WEBHOOK_URL)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "sandbox", help="the whole bot locally against a fake Telegram, with a web page"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081, help="web page / fake Bot API port")
    p.add_argument(
        "--database-url",
        default=None,
        help=f"sandbox database (default: DATABASE_URL when set, else {SANDBOX_DB})",
    )
    p.add_argument("--mode", choices=("polling", "webhook"), default="polling")
    p.add_argument("--no-browser", action="store_true", help="don't open a browser")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("actions", help="a Rasa custom-action server backed by the same services")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=5055, help="Rasa's action_endpoint port")
    p.set_defaults(func=cmd_actions)

    p = sub.add_parser("nlu", help="understand messages: predict, train, eval")
    nlu_sub = p.add_subparsers(dest="nlu_command", metavar="NLU_COMMAND")
    nlu_sub.required = True
    try:
        from bot.nlu.cli import add_subparsers as add_nlu
    except ImportError:  # pragma: no cover - only while the classifier is not installed

        def add_nlu(s: Any) -> None:
            for name in ("predict", "train", "eval"):
                s.add_parser(name).set_defaults(func=_not_yet(f"nlu {name}"))

    add_nlu(nlu_sub)

    p = sub.add_parser("kb", help="knowledge base: import, export, list, search")
    kb_sub = p.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    kb_sub.required = True
    from knowledge.cli import add_subparsers as add_kb

    add_kb(kb_sub)

    p = sub.add_parser("simulate", help="run dialogues through the conversation engine")
    p.add_argument("--input", required=True, help="DIALOGUES.jsonl")
    p.add_argument("--output", required=True, help="TRANSCRIPTS.jsonl")
    p.add_argument("--kb", help="knowledge file to import into the fresh database first")
    p.add_argument(
        "--at",
        metavar="ISO-TIME",
        help="play the dialogues as if it were then, e.g. 2026-12-02T12:00 (the shop's "
        "TIMEZONE unless it says its own; default: now), so replies that depend on the "
        "operators' hours do not change with the hour it runs at",
    )
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("report", help="service figures: complaints, times, CSAT, NPS")
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("bench", help="load test over the local fake Bot API")
    p.add_argument("--customers", type=int, default=50)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--mode", choices=("polling", "webhook"), default="polling")
    p.add_argument(
        "--database-url",
        default=None,
        help="an empty database to run on (default: a temporary SQLite file)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("db", help="database migrations")
    db_sub = p.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    db_sub.required = True
    up = db_sub.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db)
    down = db_sub.add_parser("downgrade", help="revert migrations to REVISION")
    down.add_argument("revision")
    down.set_defaults(func=cmd_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        # The reader went away (`supportbot kb list | head`): stop quietly, like other
        # Unix tools; what was left unwritten goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except NotAvailable as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return EXIT_NOT_AVAILABLE
    except ConfigError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    except (JsonlError, KbFormatError) as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
