"""JSONL input/output with line-numbered errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path


class InputError(ValueError):
    """A bad line in an input file (the message carries the file and line number)."""


def read_jsonl(
    path: Path, *, required: Iterable[str] = ("text",), allow_empty: bool = False
) -> Iterator[dict]:
    """Yield one object per non-blank line; raise InputError naming the bad line."""
    required = tuple(required)
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise InputError(f"{path}:{lineno}: expected a JSON object")
            for key in required:
                value = row.get(key)
                if not isinstance(value, str) or not (allow_empty or value.strip()):
                    kind = "a string" if allow_empty else "a non-empty string"
                    raise InputError(f"{path}:{lineno}: {key!r} must be {kind}")
            yield row


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
