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
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
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


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count
