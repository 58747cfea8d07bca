"""JSONL input/output with line-numbered errors (the project's reader, plus field checks)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.jsonl import JsonlError, write_jsonl
from bot.jsonl import read_jsonl as _read_rows

InputError = JsonlError  # a bad line in an input file, named with its file and line number

__all__ = ["InputError", "read_jsonl", "write_jsonl"]


def read_jsonl(
    path: Path, *, required: Iterable[str] = ("text",), allow_empty: bool = False
) -> Iterator[dict]:
    """Yield one object per non-blank line; raise InputError naming the bad line."""
    required = tuple(required)
    for lineno, row in _read_rows(Path(path)):
        for key in required:
            value = row.get(key)
            if not isinstance(value, str) or not (allow_empty or value.strip()):
                kind = "a string" if allow_empty else "a non-empty string"
                raise InputError(f"{path}:{lineno}: {key!r} must be {kind}")
        yield row
