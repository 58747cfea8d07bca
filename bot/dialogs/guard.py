"""The forbidden-phrase guard: checked over every text the bot sends.

The playbook's "words the bot never says" ([004]): "that is our policy", "I can't help
you", "it's not my job", and their Russian and Polish equivalents. When a text trips the
guard it is replaced with a safe sentence that offers a person instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: dict[str, list[str]] = {
    "en": [
        r"\b(that|this|it)('s| is) (our|the) (company('s)? )?policy\b",
        r"\bcompany policy\b",
        r"\bnothing (can be|we can|i can) (done|do)\b",
        r"\bi (can ?not|can't|cannot|am unable to) help( you)?\b",
        r"\bwe (can ?not|can't|cannot|are unable to) help( you)?\b",
        r"\b(it's|it is|that's|that is) not my (job|responsibility|problem)\b",
        r"\bnot our (problem|fault)\b",
        r"\byour (own )?fault\b",
    ],
    "ru": [
        r"так(ова|ая) политик[аи]",
        r"политика (нашей )?компании",
        r"ничем не (могу|можем) помочь",
        r"не (могу|можем) (вам )?помочь",
        r"(это )?не моя (работа|обязанность|проблема|забота)",
        r"не наша (проблема|вина)",
        r"(вы )?сами виноваты",
        r"ничего не (поделаешь|поделать|можем сделать|могу сделать)",
    ],
    "pl": [
        r"taka jest (nasza )?polityka",
        r"polityka (naszej )?firmy",
        r"nie (mogę|możemy) (ci |pani |panu |państwu )?pomóc",
        r"(to )?nie (jest )?moja (praca|sprawa|robota)",
        r"nic (nie )?(da się|możemy|mogę) zrobić",
        r"to (pana|pani|twoja) wina",
    ],
}

COMPILED = {lang: [re.compile(p, re.IGNORECASE) for p in pats] for lang, pats in _PATTERNS.items()}

SAFE = {
    "ru": "Давайте я подключу коллегу: он разберётся и поможет.",
    "en": "Let me bring in a colleague who will sort this out with you.",
    "pl": "Połączę Cię z konsultantem, który to wyjaśni i pomoże.",
}


@dataclass(frozen=True)
class Violation:
    lang: str
    pattern: str
    fragment: str


def find_forbidden(text: str) -> list[Violation]:
    """Every forbidden phrase in ``text``, in any of the three languages."""
    found = []
    for lang, patterns in COMPILED.items():
        for pattern in patterns:
            m = pattern.search(text)
            if m:
                found.append(Violation(lang, pattern.pattern, m.group(0)))
    return found


def is_safe(text: str) -> bool:
    return not find_forbidden(text)


def sanitize(text: str, lang: str) -> tuple[str, list[Violation]]:
    """Return the text, or the safe sentence if the text contains a forbidden phrase."""
    violations = find_forbidden(text)
    if not violations:
        return text, []
    return SAFE.get(lang, SAFE["en"]), violations
