"""Message catalogues: every text the bot says, per language, with variants (gettext).

The catalogues are gettext files read with Babel, one *domain* per package:

* ``locales/<domain>.pot``: the template; its ``msgid`` s are the English texts;
* ``locales/<lang>/LC_MESSAGES/<domain>.po``: one translation per language.

Each message's ``msgctxt`` is the key the code asks for (``complaint_thanks``); several
messages with the same key are its *variants*, which :class:`Texts` rotates per
conversation so regulars don't read the same sentence every time. A variant whose
translation is empty or fuzzy is skipped; a key with no translated variant falls back to
English. Placeholders are ``str.format`` fields (``{items}``), flagged
``python-brace-format``.

Standard tools work: ``pybabel init -i bot/dialogs/locales/supportbot.pot
-d bot/dialogs/locales -D supportbot -l de`` starts a language, ``pybabel update``
carries English edits into every translation (marking changed ones fuzzy).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "supportbot"
SOURCE = "en"  # the language of the msgids
SUPPORTED = ("ru", "en", "pl")
FALLBACK = "en"


@dataclass(frozen=True)
class Domain:
    folder: Path
    name: str

    @property
    def template(self) -> Path:
        return self.folder / f"{self.name}.pot"

    def po(self, lang: str) -> Path:
        return self.folder / lang / "LC_MESSAGES" / f"{self.name}.po"


DOMAINS: list[Domain] = [Domain(LOCALES, DOMAIN)]


def register_domain(folder: Path, name: str) -> None:
    """Add another package's catalogues (e.g. ``knowledge/locales``, domain ``knowledge``)."""
    domain = Domain(folder, name)
    if domain not in DOMAINS:
        DOMAINS.append(domain)
        catalogue.cache_clear()


@cache
def _read(path: Path, lang: str | None) -> Catalog | None:
    if not path.is_file():
        return None
    with path.open("rb") as f:
        return read_po(f, locale=lang, charset="utf-8")


def _texts(domain: Domain, lang: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if lang == SOURCE:
        source = _read(domain.template, None)
        for message in source or ():
            if message.id and message.context:
                out.setdefault(message.context, []).append(str(message.id).strip())
        return out
    translated = _read(domain.po(lang), lang)
    for message in translated or ():
        if message.id and message.context and message.string and not message.fuzzy:
            out.setdefault(message.context, []).append(str(message.string).strip())
    return out


@cache
def catalogue(lang: str) -> dict[str, list[str]]:
    """All texts of one language, key -> variants, over every registered domain."""
    out: dict[str, list[str]] = {}
    for domain in DOMAINS:
        out.update(_texts(domain, lang))
    return out


def variants(key: str, lang: str) -> list[str]:
    for candidate in (lang, FALLBACK):
        found = catalogue(candidate).get(key)
        if found:
            return found
    raise KeyError(f"no text {key!r} in any catalogue")


def fields(text: str) -> set[str]:
    """The ``str.format`` placeholders of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check_catalogues() -> list[str]:
    """Problems a translator must fix: broken placeholders, keys the template lacks."""
    problems = []
    for domain in DOMAINS:
        template = _read(domain.template, None)
        if template is None:
            problems.append(f"{domain.template}: missing")
            continue
        keys = {m.context for m in template if m.id}
        for po in sorted(domain.folder.glob(f"*/LC_MESSAGES/{domain.name}.po")):
            lang = po.parent.parent.name
            for message in _read(po, lang) or ():
                if not message.id:
                    continue
                where = f"{po}: {message.context}"
                if message.context not in keys:
                    problems.append(f"{where}: not in the template")
                if message.string and fields(str(message.string)) != fields(str(message.id)):
                    problems.append(
                        f"{where}: placeholders {sorted(fields(str(message.string)))} "
                        f"!= {sorted(fields(str(message.id)))}"
                    )
    return problems


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
