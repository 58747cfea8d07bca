"""Message catalogues: every text the bot says, per language, with variants.

Catalogues live in ``locales/<lang>.yaml``: ``key: text`` or ``key: [variant, ...]``.
:class:`Texts` picks variants in rotation per conversation so regulars don't read the
same sentence every time, and falls back to English, then to the key itself.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).parent / "locales"
SUPPORTED = ("ru", "en", "pl")
FALLBACK = "en"


EXTRA_LOCALES: list[Path] = []  # other packages' catalogue folders (e.g. knowledge/locales)


def register_locales(folder: Path) -> None:
    """Add a folder of ``<lang>.yaml`` / ``<lang>.<part>.yaml`` catalogues."""
    if folder not in EXTRA_LOCALES:
        EXTRA_LOCALES.append(folder)
        catalogue.cache_clear()


@cache
def catalogue(lang: str) -> dict[str, list[str]]:
    """All texts of one language: ``<lang>.yaml`` and ``<lang>.<part>.yaml`` in every folder."""
    out: dict[str, list[str]] = {}
    for folder in (LOCALES, *EXTRA_LOCALES):
        for path in [folder / f"{lang}.yaml", *sorted(folder.glob(f"{lang}.*.yaml"))]:
            if not path.exists():
                continue
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for key, value in raw.items():
                options = value if isinstance(value, list) else [value]
                out[str(key)] = [str(v).strip() for v in options]
    return out


def variants(key: str, lang: str) -> list[str]:
    for candidate in (lang, FALLBACK):
        found = catalogue(candidate).get(key)
        if found:
            return found
    raise KeyError(f"no text {key!r} in any catalogue")


class Texts:
    """Renders catalogue texts for one conversation, rotating variants.

    ``memory`` is a mutable dict kept in the conversation state, so the rotation
    survives restarts.
    """

    def __init__(self, lang: str, memory: dict[str, Any] | None = None, seed: int | None = None):
        self.lang = lang if lang in SUPPORTED else FALLBACK
        self.memory = memory if memory is not None else {}
        self._rng = random.Random(seed)

    def __call__(self, key: str, **kwargs: Any) -> str:
        options = variants(key, self.lang)
        if len(options) == 1:
            index = 0
        else:
            last = self.memory.get(key)
            start = self._rng.randrange(len(options)) if last is None else (last + 1)
            index = start % len(options)
            self.memory[key] = index
        return options[index].format(**kwargs)

    def plain(self, key: str, **kwargs: Any) -> str:
        """The first variant, for labels such as button captions."""
        return variants(key, self.lang)[0].format(**kwargs)
