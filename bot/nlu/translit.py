"""Russian typed in Latin letters ("zakaz ne prishel", "gde moj zakaz") back in Cyrillic.

The classifier learned Russian mostly from Cyrillic text; a transliterated message reads
much like the Cyrillic one once its letters are put back. The common ways of typing each
letter are taken (``zh``/``ž`` ж, ``kh``/``h`` х, ``shch``/``sch`` щ, ``j``/``y`` й, ``'`` ь);
where two letters are possible, the likelier one in that place.
"""

from __future__ import annotations

import re

_MULTI = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("tsya", "тся"),
    ("ts", "ц"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "ё"),
    ("jo", "ё"),
    ("ye", "е"),
)
_SINGLE = {
    "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х",
    "i": "и", "j": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
    "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс",
    "y": "ы", "z": "з", "'": "ь", "’": "ь",
}  # fmt: skip
_VOWELS = set("aeiouy")
_WORD = re.compile(r"[A-Za-z'’]+")


def _word(word: str) -> str:
    low = word.lower()
    out: list[str] = []
    i = 0
    while i < len(low):
        for latin, cyr in _MULTI:
            if low.startswith(latin, i):
                if latin == "ye" and i > 0 and low[i - 1] not in _VOWELS:
                    continue  # "nedelye": ы + е is rarer than "ye" after a vowel or alone
                out.append(cyr)
                i += len(latin)
                break
        else:
            ch = low[i]
            prev = low[i - 1] if i else ""
            if ch in "yi" and prev in _VOWELS and (i + 1 == len(low) or low[i + 1] not in _VOWELS):
                out.append("й")  # "moy", "moi", "rublei", "zdravstvuyte": й after a vowel
            elif ch == "y" and i == 0:
                out.append("й")
            else:
                out.append(_SINGLE.get(ch, ch))
            i += 1
    text = "".join(out)
    if word.isupper() and len(word) > 1:
        return text.upper()
    if word[:1].isupper():
        return text[:1].upper() + text[1:]
    return text


# words the letters alone get wrong, typed without the soft sign or read with a й
_WORDS = {
    "сколко": "сколько",
    "стойт": "стоит",
    "постойт": "постоит",
    "ест": "есть",
    "получений": "получении",
    "доставкй": "доставки",
}
# an infinitive typed without its soft sign after "как", "можно", "хочу"...: "kak otmenit
# zakaz" is "как отменить заказ", not "как отменит"
_INFINITIVE_AFTER = re.compile(
    r"(?<![а-яё])(как|можно|нельзя|хочу|хотим|хотела?|нужно|надо|могу|можете|сможете|не\s+могу|"
    r"чтобы|где|куда)(\s+)([а-яё]{3,}[иаея]т)(?![а-яё])",
    re.IGNORECASE,
)


def cyrillize(text: str) -> str:
    """``text`` with its Latin words in Cyrillic ("gde moj zakaz 12345" -> "где мой заказ
    12345"); digits, signs and other letters as they are."""
    cyr = _WORD.sub(lambda m: _word(m.group()), text)
    cyr = re.sub(
        r"[а-яё]+", lambda m: _WORDS.get(m.group().lower(), m.group()), cyr, flags=re.IGNORECASE
    )
    return _INFINITIVE_AFTER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}ь", cyr)


def as_cyrillic(text: str) -> str | None:
    """Russian typed in Latin letters, in Cyrillic ("kak otmenit zakaz" -> "как отменить
    заказ"); None when the message has Cyrillic letters already or is not Russian."""
    from bot.nlu.lang import detect_lang

    if re.search(r"[а-яё]", text, re.IGNORECASE) or detect_lang(text) != "ru":
        return None
    return cyrillize(text)
