"""Reading and writing JSONL files with line-numbered errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    """A bad line in an input file; the message names the file and line."""


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)``; blank lines are allowed, anything else must parse."""
    if not path.exists():
        raise JsonlError(f"{path}: no such file")
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise JsonlError(
                    f"{path}:{lineno}: not UTF-8 text (byte {exc.start + 1} of the line)"
                ) from exc
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise JsonlError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise JsonlError(f"{path}:{lineno}: each line must be a JSON object")
            yield lineno, obj


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every object of a JSONL file, in order (``read_jsonl`` without the line numbers)."""
    return [obj for _, obj in read_jsonl(path)]


def writable(path: Path) -> Path:
    """Check before any work that ``path`` can be written (its folder exists)."""
    if path.is_dir():
        raise JsonlError(f"{path}: is a folder; name a file to write")
    if not path.parent.is_dir():
        raise JsonlError(f"{path}: the folder {path.parent} does not exist")
    return path


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count
