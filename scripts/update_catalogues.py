"""Carry the English texts of the templates (``.pot``) into every translation (``.po``).

    python scripts/update_catalogues.py [pybabel update options, e.g. --no-fuzzy-matching]

Runs ``pybabel update`` for each domain (``bot/dialogs/locales``, domain ``supportbot``;
``knowledge/locales``, domain ``knowledge``; ``escalation/locales``, domain ``operators``),
then puts ``no-python-format`` back: Babel flags every text whose English reads like a
printf directive ``python-format`` again (``{value}% off`` holds '% o'), and ``msgfmt -c``
then refuses the catalogue ('msgstr' is not a valid Python format string). The bot's texts
are ``str.format`` texts only (``python-brace-format``), never printf ones, so no
``python-format`` flag is kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = (
    (ROOT / "bot" / "dialogs" / "locales", "supportbot"),
    (ROOT / "knowledge" / "locales", "knowledge"),
    (ROOT / "escalation" / "locales", "operators"),
)


def keep_no_python_format(text: str) -> str:
    """A catalogue's text with every ``python-format`` flag turned ``no-python-format``
    (the other flags, and everything else, as they were)."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#, ") and "python-format" in line:
            body = line[3:].rstrip("\r\n")
            flags = [f.strip() for f in body.split(",") if f.strip()]
            if "python-format" in flags:
                kept = [f for f in flags if f not in ("python-format", "no-python-format")]
                line = "#, " + ", ".join([*kept, "no-python-format"]) + line[3 + len(body) :]
        out.append(line)
    return "".join(out)


def fix_flags(folder: Path, domain: str) -> list[Path]:
    """Every catalogue of ``domain`` under ``folder`` (its template too) without a
    ``python-format`` flag; the files changed."""
    changed = []
    for path in [folder / f"{domain}.pot", *sorted(folder.glob(f"*/LC_MESSAGES/{domain}.po"))]:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        fixed = keep_no_python_format(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            changed.append(path)
    return changed


def update(folder: Path, domain: str, options: list[str]) -> None:
    """``pybabel update`` of one domain, then its flags fixed."""
    CommandLineInterface().run(
        [
            "pybabel",
            "update",
            "-i",
            str(folder / f"{domain}.pot"),
            "-d",
            str(folder),
            "-D",
            domain,
            *options,
        ]
    )
    fix_flags(folder, domain)


def main(argv: list[str] | None = None) -> int:
    options = list(sys.argv[1:] if argv is None else argv)
    for folder, domain in DOMAINS:
        update(folder, domain, options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
