"""``supportbot kb import|export|list|search`` (shared/spec/cli.md, "Knowledge base")."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from knowledge.formats import KbFormatError, counted

log = logging.getLogger(__name__)


class ProgressBar:
    """A small progress bar on stderr (one line per 10% when stderr is not a terminal)."""

    def __init__(self, stream: TextIO | None = None, min_total: int = 200) -> None:
        self.stream = stream or sys.stderr
        self.min_total = min_total
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last: dict[str, int] = {}
        self._started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total < self.min_total:
            return
        label = {"save": "saving  ", "index": "indexing"}.get(stage, stage)
        pct = int(100 * done / max(total, 1))
        if self.tty:
            width = 30
            filled = int(width * done / max(total, 1))
            bar = "#" * filled + "." * (width - filled)
            elapsed = time.perf_counter() - self._started
            self.stream.write(f"\r{label} [{bar}] {done}/{total} {pct:3d}% {elapsed:5.1f}s")
            if done >= total:
                self.stream.write("\n")
        else:
            step = pct // 10
            if self._last.get(stage) == step and done < total:
                return
            self._last[stage] = step
            self.stream.write(f"{label} {done}/{total} ({pct}%)\n")
        self.stream.flush()


def _run(make: Callable[[Any, Any], Awaitable[int]], args: argparse.Namespace) -> int:
    """Open the database (migrated), build the service, run ``make(service, session)``."""
    from bot.config import load_settings
    from bot.db import create_engine, create_sessionmaker, upgrade_database
    from knowledge.service import KnowledgeService

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    settings = load_settings()

    async def go() -> int:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_database(engine)
            sessionmaker = create_sessionmaker(engine)
            service = KnowledgeService(settings, sessionmaker=sessionmaker)
            async with sessionmaker() as session:
                code = await make(service, session)
            await service.flush()
            return code
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except KbFormatError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1


def cmd_import(args: argparse.Namespace) -> int:
    from knowledge.formats import LEGACY_ENCODINGS, decode_bytes, load_file

    path = Path(args.file)
    try:
        entries = load_file(path)  # the whole file is validated before the database is touched
    except KbFormatError as exc:
        print(f"supportbot: {exc}", file=sys.stderr)
        return 1
    legacy = decode_bytes(path.read_bytes())[1]  # Excel's CSV on Windows: its code page

    async def go(service: Any, session: Any) -> int:
        bar = ProgressBar()
        report = await service.import_entries(
            session, entries, replace=args.replace, actor="cli", progress=bar, source=str(path)
        )
        print(f"imported {path}: {report.summary()} ({report.seconds:.1f}s)")
        if legacy:
            print(f"note: {path} is not UTF-8; read as {LEGACY_ENCODINGS[legacy]}", file=sys.stderr)

        def listed(head: str, lines: list[str]) -> None:
            """A warning or note, then each of its lines indented (stderr)."""
            print(head, file=sys.stderr)
            for line in lines:
                print(f"  {line}", file=sys.stderr)

        if report.warnings:
            from knowledge.service import BLOCKED_NOTE, BLOCKED_NOTE_ONE

            n = len(report.warnings)
            listed(f"warning: {n} {BLOCKED_NOTE_ONE if n == 1 else BLOCKED_NOTE}:", report.warnings)
        if report.clashes:  # imported all the same (kb-format.md): the admin mends them
            n = len(report.clashes)
            listed(
                f"warning: {counted(n, 'question', 'questions')} with two entries answering "
                f"{'it' if n == 1 else 'them'} (imported; keep each question in one entry):",
                report.clashes,
            )
        if report.alike:  # a new question another entry answers: customers get either answer
            listed(
                f"warning: {counted(len(report.alike), 'new question')} asking what another "
                "entry's question asks (imported; merge the two entries, or word the questions "
                "so they differ):",
                report.alike,
            )
        if report.answers_kept:  # the price changed in one language, still old in the others
            from bot.dialogs.texts import Texts
            from knowledge.service import kept_note

            for entry_id, langs in report.answers_kept.items():
                print(f"note: {entry_id}: {kept_note(langs, Texts('en'))}", file=sys.stderr)
        if report.repeated:  # an entry asking one question twice: imported as written
            said = counted(len(report.repeated), "question", "questions")
            listed(
                f"note: {said} repeated in one entry (imported as written, so the export "
                "gives the file back; one wording is enough):",
                report.repeated,
            )
        return 0

    return _run(go, args)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.jsonl import writable
    from knowledge.formats import detect_format

    path = writable(Path(args.file))
    try:
        fmt = detect_format(path)  # before the database is opened
    except KbFormatError as exc:
        print(f"supportbot: cannot export to {path}: {'; '.join(exc.errors)}", file=sys.stderr)
        return 1
    excel_safe = getattr(args, "excel_safe", False)
    if excel_safe and fmt != "csv":
        print(
            f"supportbot: --excel-safe is for a .csv file (Excel's formulas); {path} is {fmt}",
            file=sys.stderr,
        )
        return 2

    async def go(service: Any, session: Any) -> int:
        count = await service.export_file(session, path, excel_safe=excel_safe)
        print(f"exported {counted(count, 'entry', 'entries')} to {path}")
        return 0

    return _run(go, args)


def cmd_list(args: argparse.Namespace) -> int:
    async def go(service: Any, session: Any) -> int:
        entries = await service.list_entries(session)
        for e in entries:
            tags = ",".join(e.tags) or "-"
            langs = ",".join(e.answers)
            print(f"{e.id}\t{langs}\t{len(e.questions)}q\t{tags}\t{e.title}")
        print(counted(len(entries), "entry", "entries"), file=sys.stderr)
        return 0

    return _run(go, args)


def cmd_search(args: argparse.Namespace) -> int:
    from bot.jsonl import JsonlError, read_jsonl, writable

    in_path, out_path = Path(args.input), writable(Path(args.output))
    rows: list[tuple[Any, str]] = []
    for lineno, row in read_jsonl(in_path):
        text = row.get("text")
        if not isinstance(text, str):
            raise JsonlError(f"{in_path}:{lineno}: 'text' must be a string")
        rows.append((row.get("id"), text))  # no id: null, as `nlu predict` writes
    if args.top_k < 1:
        raise JsonlError("--top-k must be at least 1")

    found: list[Any] = []

    async def go(service: Any, session: Any) -> int:
        found.extend(await service.search_many(session, [t for _, t in rows], top_k=args.top_k))
        return 0

    code = _run(go, args)
    if code:
        return code
    answered = 0
    with out_path.open("w", encoding="utf-8") as out:
        for (row_id, _), result in zip(rows, found, strict=True):
            data = {"id": row_id, **result.to_dict()}
            answered += data["answer_id"] is not None
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    print(
        f"searched {counted(len(rows), 'question')}: {answered} answered, "
        f"{len(rows) - answered} declined -> {out_path}",
        file=sys.stderr,
    )
    return 0


def add_subparsers(kb_sub: Any) -> None:
    """Register ``import``, ``export``, ``list`` and ``search`` under ``supportbot kb``."""
    p = kb_sub.add_parser("import", help="import a YAML, CSV or JSONL knowledge file")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--replace", action="store_true", help="delete the entries that are not in the file"
    )
    p.set_defaults(func=cmd_import)

    p = kb_sub.add_parser("export", help="export the knowledge base (format from the extension)")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--excel-safe",
        action="store_true",
        help="CSV: an apostrophe before a text starting with = + - @, so Excel shows it "
        "instead of running it as a formula (the import takes it off)",
    )
    p.set_defaults(func=cmd_export)

    p = kb_sub.add_parser("list", help="one line per entry")
    p.set_defaults(func=cmd_list)

    p = kb_sub.add_parser("search", help="answer questions from a JSONL file")
    p.add_argument("--input", required=True, help="Q.jsonl with {id, text} rows")
    p.add_argument("--output", required=True, help="R.jsonl to write")
    p.add_argument("--top-k", type=int, default=5, help="candidates per question (default 5)")
    p.set_defaults(func=cmd_search)
