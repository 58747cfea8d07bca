"""High-recall keyword rules for the legal threat (lawyer, court, regulator, police, media).

A message that names one of these is an "activist" complaint whatever the model says, so
the rule overrides the threat head. Patterns are stems with word boundaries ("суд" must not
fire on "посуда"), Polish without diacritics included.
"""

from __future__ import annotations

import re

_LEGAL_PATTERNS = [
    # Russian
    r"\bсуд(?:а|у|ом|е|ы|ов|ами|ах)?\b",
    r"\bсудеб\w*",
    r"\bсудить\w*|\bзасуж\w*|\bотсуж\w*",
    r"\bиск(?:а|ом|у|ов|и)?\b|\bисков\w*",
    r"\bюрист\w*|\bюридич\w*|\bадвокат\w*",
    r"\bроспотребнадзор\w*|\bпотребнадзор\w*|\bрпн\b|\bозпп\b",
    r"\bзащит\w*\s+прав\s+потребител\w*|\bобществ\w*\s+защиты\s+прав",
    r"\bпрокуратур\w*|\bпрокурор\w*",
    r"\bполици\w*|\bзаявлени\w*\s+в\s+полицию|\bмвд\b",
    r"\bжурналист\w*|\bсми\b|\bтелевидени\w*|\bна\s+тв\b|\bпресс[аеуы]\b",
    r"\bфас\b|\bцентробанк\w*|\bцб\s+рф\b|\bфинансов\w*\s+омбудсмен\w*|\bомбудсмен\w*",
    r"\bзакон\w*\s+о\s+защите\s+прав|\bзозпп\b",
    r"\bдосудебн\w*",
    r"\bсудиться\b|\bсужусь\b",
    # English
    r"\blawyers?\b|\blawyer'?s\b|\battorneys?\b|\bsolicitors?\b|\blegal\s+(?:action|team|advice|steps|proceedings)\b",
    r"\bcourts?\b|\bsmall\s+claims\b|\blawsuits?\b|\bsu(?:e|ing|ed)\b",
    r"\bconsumer\s+(?:protection|rights|ombudsman|council|agency|affairs|watchdog)\b",
    r"\btrading\s+standards\b|\bbbb\b|\bbetter\s+business\s+bureau\b|\bftc\b|\bregulators?\b",
    r"\bombudsman\b|\bpolice\b|\bjournalists?\b|\breporters?\b|\bthe\s+press\b|\bnewspapers?\b",
    r"\bcitizens\s+advice\b|\bcma\b|\bprosecutor\w*",
    # Polish
    r"\bprawni(?:k|ka|kowi|kiem|cy|ków)\b|\badwokat\w*|\bkancelari\w*|\bradc\w*\s+prawn\w*",
    r"\bs[aą]d(?:u|zie|em|y|ów|owy|owa|owe|owej)?\b|\be-s[aą]d\w*|\bpozew\b|\bpozw\w*",
    r"\buokik\w*|\brzeczni\w*\s+(?:praw\s+)?konsument\w*|\brzeczni\w*\s+finansow\w*",
    r"\binspekcj\w*\s+handlow\w*|\buodo\b|\bprokuratur\w*",
    r"\bpolicj\w*|\bpolicji\b|\bdziennikar\w*|\bmedi(?:ów|ow|ach|a)\b|\btelewizj\w*",
    r"\bsprawy\s+dla\s+reportera\b|\bdrog[aąeę]\s+s[aą]dow\w*",
]
_LEGAL = re.compile("|".join(f"(?:{p})" for p in _LEGAL_PATTERNS), re.IGNORECASE)

# "не буду подавать в суд", "not going to sue": negated mentions do not count
_NEGATED = re.compile(
    r"(?:\bне\s+(?:буду|собираюсь|хочу|стану)|\bnot\s+(?:going\s+to|gonna)|\bwon'?t|"
    r"\bnie\s+(?:będę|bede|chcę|chce|zamierzam))\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)


def legal_threat(text: str) -> bool:
    """True when the message names a lawyer, court, regulator, police or the media."""
    for match in _LEGAL.finditer(text):
        if not _NEGATED.search(text[max(0, match.start() - 40) : match.start()]):
            return True
    return False
