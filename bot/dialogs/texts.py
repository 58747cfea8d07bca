"""Message catalogues: every text the bot says, per language, with variants (gettext).

The catalogues are gettext files read with Babel, one *domain* per package:

* ``locales/<domain>.pot``: the template; its ``msgid`` s are the English texts;
* ``locales/<lang>/LC_MESSAGES/<domain>.po``: one translation per language.

Each message's ``msgctxt`` is the key the code asks for (``complaint_thanks``); several
messages with the same key are its *variants*, which :class:`Texts` rotates per
conversation so regulars don't read the same sentence every time. A variant whose
translation is empty or fuzzy is skipped; a key with no translated variant falls back to
English. Placeholders are ``str.format`` fields (``{items}``), flagged
``python-brace-format``; a text with a '%' in it (``{value}% off``) is also flagged
``no-python-format``, as ``msgfmt -c`` would read '% o' as a printf directive
(``pybabel update`` alone flags it ``python-format`` again: update with
``scripts/update_catalogues.py``, which puts ``no-python-format`` back). A text that counts something ("within {n} hours") has plural
forms (``msgid_plural``, ``msgstr[0..]``): its first placeholder is the count, and the
language's gettext plural rule picks the form (1 час, 2 часа, 5 часов, 21 час).

Standard tools work: ``pybabel init -i bot/dialogs/locales/supportbot.pot
-d bot/dialogs/locales -D supportbot -l de`` starts a language, and
``python scripts/update_catalogues.py`` (``pybabel update`` of every domain, then the
flags ``msgfmt -c`` needs) carries English edits into every translation (marking changed
ones fuzzy).
"""

from __future__ import annotations

import gettext
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "supportbot"
SOURCE = "en"  # the language of the msgids
SUPPORTED = ("ru", "en", "pl")
FALLBACK = "en"

# One variant of a text: the text, or its plural forms in the order of the language's rule.
Variant = str | tuple[str, ...]


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


def _variant(text: str | tuple[str, ...] | list[str]) -> Variant | None:
    """A catalogue string as a variant; None if it (or one of its plural forms) is empty."""
    if isinstance(text, str):
        return text.strip() or None
    parts = tuple(str(form).strip() for form in text)
    return parts if all(parts) else None


def _texts(domain: Domain, lang: str) -> dict[str, list[Variant]]:
    out: dict[str, list[Variant]] = {}
    if lang == SOURCE:
        source = _read(domain.template, None)
        for message in source or ():
            variant = _variant(message.id) if message.id else None
            if variant and message.context:
                out.setdefault(message.context, []).append(variant)
        return out
    translated = _read(domain.po(lang), lang)
    for message in translated or ():
        if not (message.id and message.context and message.string) or message.fuzzy:
            continue
        variant = _variant(message.string)
        if variant:
            out.setdefault(message.context, []).append(variant)
    return out


@cache
def catalogue(lang: str) -> dict[str, list[Variant]]:
    """All texts of one language, key -> variants, over every registered domain."""
    out: dict[str, list[Variant]] = {}
    for domain in DOMAINS:
        out.update(_texts(domain, lang))
    return out


def _lookup(key: str, lang: str) -> tuple[str, list[Variant]]:
    """The variants of ``key`` and the language they are in (``lang``, else the fallback)."""
    for candidate in (lang, FALLBACK):
        found = catalogue(candidate).get(key)
        if found:
            return candidate, found
    raise KeyError(f"no text {key!r} in any catalogue")


def variants(key: str, lang: str) -> list[Variant]:
    return _lookup(key, lang)[1]


def forms(variant: Variant) -> tuple[str, ...]:
    """A variant's texts: its plural forms, or the text alone."""
    return (variant,) if isinstance(variant, str) else variant


@cache
def plural_rule(lang: str) -> Callable[[int], int]:
    """The gettext plural rule of a language: a count -> the index of its plural form."""
    return gettext.c2py(get_plural(lang).plural_expr)


def placeholders(text: str) -> list[str]:
    """The ``str.format`` placeholders of a text, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def fields(text: str | tuple[str, ...]) -> set[str]:
    """The ``str.format`` placeholders of a text (of all its plural forms)."""
    return {name for form in forms(text) for name in placeholders(form)}


def render(variant: Variant, lang: str, kwargs: dict[str, Any]) -> str:
    """A variant filled in; a plural one in the form its count (first placeholder) needs."""
    if isinstance(variant, str):
        return variant.format(**kwargs)
    count = float(kwargs[placeholders(variant[-1])[0]])
    index = plural_rule(lang)(int(count)) if count.is_integer() else len(variant) - 1
    return variant[min(index, len(variant) - 1)].format(**kwargs)


_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "PLN": "zł"}


def number(amount: float, lang: str) -> str:
    """An amount of money as a reader of ``lang`` writes it: 1 500, 29,90, 5.50."""
    pattern = "#,##0" if float(amount).is_integer() else "#,##0.00"
    return format_decimal(amount, format=pattern, locale=lang if lang in SUPPORTED else FALLBACK)


# signs an English reader sees before the number ($5.50, €8); Russian and Polish put every
# sign after it (5 $, 8 €, 29,90 zł)
_SIGN_FIRST = {"en": ("$", "€", "£")}


def money(amount: float, currency: str | None, lang: str) -> str:
    """An amount as a reader of ``lang`` writes it: 1 500 ₽, 29,90 zł, $5.50, €8, 5 $ (with
    no currency known, the bare number)."""
    value = number(amount, lang)
    if not currency:
        return value
    symbol = _SYMBOLS.get(currency.upper(), currency.upper())
    first = _SIGN_FIRST.get(lang if lang in SUPPORTED else FALLBACK, ())
    return f"{symbol}{value}" if symbol in first else f"{value} {symbol}"


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
                if message.pluralizable != isinstance(message.string, tuple | list):
                    problems.append(f"{where}: plural forms do not match the template")
                    continue
                string = tuple(message.string) if message.pluralizable else message.string
                if any(string) and fields(string) != fields(message.id):
                    problems.append(
                        f"{where}: placeholders {sorted(fields(string))} "
                        f"!= {sorted(fields(message.id))}"
                    )
                if message.pluralizable and any(string) and not all(string):
                    problems.append(f"{where}: a plural form is empty")
                if message.pluralizable and len(string) != get_plural(lang).num_plurals:
                    problems.append(
                        f"{where}: {len(string)} plural forms, {lang} has "
                        f"{get_plural(lang).num_plurals}"
                    )
    return problems


def label(texts: Texts, key: str, fallback: str) -> str:
    """``key``'s text in ``texts``' language when the catalogues have it (a complaint type,
    a hand-off's reason), else ``fallback`` (a code they do not know, said as it is)."""
    return texts(key) if key in catalogue(SOURCE) else fallback


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
        lang, options = _lookup(key, self.lang)
        if len(options) == 1:
            index = 0
        else:
            last = self.memory.get(key)
            start = self._rng.randrange(len(options)) if last is None else (last + 1)
            index = start % len(options)
            self.memory[key] = index
        return render(options[index], lang, kwargs)

    def plain(self, key: str, **kwargs: Any) -> str:
        """The first variant, for labels such as button captions."""
        lang, options = _lookup(key, self.lang)
        return render(options[0], lang, kwargs)
