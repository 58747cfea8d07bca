"""What the bot says to the operators, in OPERATORS_LANGUAGE (en, ru, pl): the ticket card,
the notes in a ticket's topic, the replies to their commands, the seniors' alerts.

The texts are the gettext domain ``operators`` (``escalation/locales``; keys ``op_*``), read
like the customers' texts (:mod:`bot.dialogs.texts`): the English is the template's msgid,
a text with no translation falls back to it. A complaint type or a hand-off's reason is the
admins' word for it (``admin_type_*``, ``admin_reason_*``), the same in reports and cards.
What the customer wrote (the card's transcript, an edited message) is quoted as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.dialogs.texts import Texts, label, register_domain

if TYPE_CHECKING:
    from bot.config import Settings

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "operators"
register_domain(LOCALES, DOMAIN)
CANNED_LANGS = ("ru", "en", "pl")


def language_word(texts: Texts, lang: str | None, fallback: str | None = None) -> str:
    """A language in words ('Russian'): a canned reply's, an FAQ answer's; another (none
    recognised): the ``fallback``, by default 'language not recognised'."""
    if lang in CANNED_LANGS:
        return texts(f"op_lang_{lang}")
    return texts("op_lang_unknown") if fallback is None else fallback


def languages_in_words(texts: Texts, langs: Sequence[str], *, lacking: bool = False) -> str:
    """Languages in words, joined as the language of ``texts`` joins them ('English and
    Polish', 'английский и польский'), not as codes ('en, pl'); ``lacking``: as a text says
    an answer is in none of them ('has no Polish or Russian answer', 'нет ответа на польском
    и на русском', 'nie ma odpowiedzi po polsku ani po rosyjsku')."""
    words = [
        texts(f"admin_lang_in_{x}") if lacking and x in CANNED_LANGS else language_word(texts, x, x)
        for x in langs
    ]
    if len(words) < 2:
        return "".join(words)
    key = "admin_langs_or" if lacking else "admin_langs_and"
    return texts(key, first=", ".join(words[:-1]), last=words[-1])


def operator_texts(settings: Settings | None = None) -> Texts:
    """The operators' texts (English without settings)."""
    return Texts(settings.operators_language if settings is not None else "en")


def in_words(texts: Texts, prefix: str, code: str | None, empty: str = "-") -> str:
    """A label in words ('delivery_delay' -> 'late or lost delivery', with ``prefix``
    'admin_type_'); a code the catalogues do not know: as it is, without underscores."""
    if not code:
        return empty
    return label(texts, f"{prefix}{code}", code.replace("_", " "))


def with_card_late(texts: Texts, said: str, drawn: bool) -> str:
    """What an action is answered with, and that its card is late when Telegram failed to
    take it (``drawn`` False: the timers redraw it)."""
    return said if drawn else f"{said} {texts('op_card_late')}"


def age_words(minutes: int, texts: Texts | None = None) -> str:
    """How long a ticket has waited: '25 min', '3 h 10 min', '2 d 4 h'."""
    texts = texts or operator_texts()
    if minutes < 60:
        return texts("op_age_min", n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        if rest:
            return texts("op_age_hours_min", hours=hours, minutes=rest)
        return texts("op_age_hours", hours=hours)
    days, hours = divmod(hours, 24)
    if hours:
        return texts("op_age_days_hours", days=days, hours=hours)
    return texts("op_age_days", days=days)
