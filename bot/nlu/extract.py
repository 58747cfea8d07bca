"""Order reference, money amount and currency extraction (ru / en / pl), rule based.

Order references: ``заказ №45-112`` -> ``45-112``, ``order #A-7781`` -> ``A-7781``, ``nr 123/2024``,
``zamówienie nr 123456`` -> ``123456``. Amounts: ``1 490 р`` -> 1490 RUB, ``$25`` -> 25 USD,
``200 zł`` -> 200 PLN, ``2.5k`` -> 2500, ``1,5 тыс`` -> 1500, ``3 косаря`` / ``3 т.р.`` -> 3000 RUB;
in words: ``полторы тысячи рублей`` -> 1500 RUB, ``a hundred and twenty euros`` -> 120 EUR,
``dwieście złotych`` -> 200 PLN. Phone numbers, dates, times, percentages and quantities
(``2 шт``, ``3 kg``, ``два раза``) are not amounts, and numbers in words are never order
references.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.nlu.features import fold, translit
from bot.nlu.lexicon import CODE_WORDS

# --------------------------------------------------------------------------- order refs

_ORDER_WORD = (
    r"(?:\bзаказ\w*|\bzakaz\w*|\bnomer\s+zakaza|\bномер\w*\s+заказа|№\s*заказа|\border\w*|"
    r"\bzam[oó]wie\w*|\bnumer\w*\s+zam[oó]wienia|"
    # the Ukrainian and German words, from customers who write in them
    r"\bзамовлен\w*|\bbestellung\w*)"
)
# up to two short words between the keyword and the reference ("order from monday 123456"),
# but never a preposition that introduces a price ("заказ на 1490 р", "zamówienie za 645 zł")
_GAP = (
    r"(?:[\s:,]+(?!(?:на|за|za|na|for|on|of|worth|from|z|от|do|до|to|by|в|w|in)\b)"
    r"[^\W\d_]{1,12}){0,2}?"
)
# optional filler between the keyword and the reference itself
_ORDER_FILLER = (
    r"(?:\s*(?:number|num\.?|no\.?|nr\.?|id|ref\.?|номер|под\s+номером|o\s+numerze|numer|"
    r"№|#|:|-|—|–)\s*)*"
)
_REF_BODY = (
    r"(?:(?:[A-Za-z]{1,4}/)?\d+(?:/\d+)+"  # 123/2024, ZAM/2024/0456 (dates are dropped later)
    r"|[A-Za-zА-Яа-я]{1,3}-?\d{3,}(?:-\d+)*"  # A-7781, AB123456, ZK-2024-55
    r"|\d{2,}(?:-\d{2,})+(?:-?[A-Za-z]\w*)?"  # 45-112, 88213-04
    r"|\d{3,})"  # 123456
)
_REF_END = r"(?![\w.,]\d|[\w-])"
# digits in groups, the way a number is read out or copied from a receipt: "44 78 123" (only
# right after the order word, and 5-10 digits in all; see _candidates)
_SPACED_REF = r"\d{2,4}(?:[ \u00a0]\d{2,4}){1,3}"
_KEYWORD_REF = re.compile(
    rf"{_ORDER_WORD}{_GAP}{_ORDER_FILLER}[\s(]*(?P<ref>{_SPACED_REF}{_REF_END}|{_REF_BODY})"
    rf"{_REF_END}",
    re.IGNORECASE,
)
_MARKED_REF = re.compile(
    rf"(?:№|#|\bnr\.?|\bno\.)\s*(?P<ref>{_REF_BODY}){_REF_END}(?!\s*(?:tel|телефон))",
    re.IGNORECASE,
)
# letter-prefixed codes are order-like even without a keyword: "K-40912", "A-7781"
_CODE_REF = re.compile(r"(?<![\w-])(?P<ref>[A-Za-z]{1,2}-\d{3,}(?:-\d+)*)(?![\w-])")
_POSSESSIVE = re.compile(
    r"(?:\bmy|\bmine|\bmoje|\bmój|\bmoj|\bmoim|\bmoja|\bмой|\bмоего|\bмоём|\bмоем|\bмоя)"
    r"\W+(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)
# a number followed by a currency, unit or "year" is not an order reference
# ("5k", "5к" only when attached: "заказ 123456 к субботе" is an order by Saturday)
_NOT_REF_AFTER = re.compile(
    r"[kк](?!\w)|\s?(?:₽|\$|€|£|руб|р\b|р\.|zł|zl\b|pln|usd|eur|gbp|rub|dollars?|pounds?|евро|фунт|"
    r"тыс|шт|szt|"
    r"pcs|kg|кг|km|км|%|год|г\.|roku|rok|year|dni|дн|days?)",
    re.IGNORECASE,
)
# a bare 5-10 digit number or "558-9011" counts only in a message about an order/parcel
_BARE_REF = re.compile(r"(?<![\w+\-.,/:])(?P<ref>\d{2,}-\d{2,}|\d{5,10})(?![\w\-]|[.,:/]\d)")
_ORDER_CONTEXT = re.compile(
    r"заказ|посылк|отправлен|достав|order|parcel|package|deliver|shipment|zam[oó]w|paczk|"
    # what was sent: "Доставили не тот товар. Прислали красную. Номер 4471501"
    r"прислал|przysłal|przyslal|"
    r"przesy[lł]k|dostaw|zakaz|posylk|"
    # typos and the words around an order: "ordr 4418203 hasnt arived"
    r"\bord[er]{1,3}\b|\boder\b|\bodrer|arriv|\barived|rec[ei]{2}ve|\bshipp|\btrack|"
    r"\bзака|курьер|привез|kurier|dotar|замовлен|посилк|bestell|sendung|paket",
    re.IGNORECASE,
)
# a number given as a code is no order reference: "the verification code 482193 never
# arrives", "смс-код 482193", "kod SMS 482193", "пароль 482193"
_CODE_BEFORE = re.compile(
    rf"(?<![^\W\d_])(?:{CODE_WORDS})\W{{0,3}}(?:[^\W\d_]{{1,15}}\W{{1,3}}){{0,2}}$",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(r"(?:тел|phone|tel|telefon|номер\s+телефона)\W*$", re.IGNORECASE)
# ... or a phone number's groups after "my phone is", "mój numer telefonu to", "мой телефон
# это": "Order 3650026 hasn't arrived, my phone is 07700 900123" (07700 was the order)
_PHONE_SAID = re.compile(
    r"(?<![^\W\d_])(?:phone|telephone|mobile|tel\.?|telefon\w*|тел\.?|телефон\w*)"
    r"(?:\s+(?:number|no\.?|numer|номер))?(?:\s+(?:is|to|это|jest))?[\s:=-]*"
    r"(?:\+?\d[\d \u00a0().-]*)?$",
    re.IGNORECASE,
)
# a number after a comparison is a threshold, not a reference: "а если заказ больше 5000?",
# "what if the order is over 5000?", "zamówienie powyżej 300"
_THRESHOLD_BEFORE = re.compile(
    r"(?:больше|более|свыше|выше|меньше|менее|дороже|дешевле|over|above|under|below|than|"
    r"exceed\w*|powyżej|powyzej|ponad|poniżej|ponizej|niż|niz|przekracza\w*)\s{1,2}$",
    re.IGNORECASE,
)


# "сумма заказа 5400", "order total was 5400", "wartość zamówienia: 5400": the order's sum,
# not its number, said in one list of words for the sum before a number (_ORDER_SUM_BEFORE)
# and after a money word (_OF_ORDER)
_OF_THE_ORDER = (
    r"(?:of\s+)?(?:the\s+|my\s+|моего\s+|mojego\s+)?(?:заказа|покупки|order|purchase|"
    r"zam[oó]wienia|zakupu)\s*"
)
_SUM_IS = (
    r"(?:(?:was|is|были?|было|была|составил[аио]?|составляет|wynosi|wyni[oó]s[lł][aoy]?)\s*)?"
    r"[:—-]?\s*"
)
# "сумма заказа 5400", "order total was 5400", "the total of my order: 5400"
_ORDER_SUM_BEFORE = re.compile(
    r"(?:(?<!\w)(?:сумм\w*|стоимост\w*|цен[аыуе]|итог\w*|kwot\w*|warto[śs][ćc]\w*|cen[aąyę])|"
    rf"\b(?:total|amount|value|cost|price|sum))\s+{_OF_THE_ORDER}{_SUM_IS}$|"
    r"\b(?:order|purchase)\s+(?:total|amount|value|cost|price|sum)\s*(?:(?:was|is)\s*)?[:—-]?\s*$",
    re.IGNORECASE,
)


# a price's preposition: "за 12000", "for 4500", "za 1200 zł", "по 4500", "стоил 12000"
_PAID_BEFORE = re.compile(
    r"(?:(?<!\w)(?:за|по|около|примерно|for|about|around|za|po|oko[łl]o)|"
    r"\b(?:стои\w*|cost\w*|paid|заплатил\w*|kosztowa\w*|zap[łl]aci\w*))\s+$",
    re.IGNORECASE,
)


def _normalize_ref(ref: str) -> str:
    return re.sub(r"(?<=\d)[ \u00a0](?=\d)", "", ref.strip()).upper()  # "44 78 123": 4478123


def _is_number_only_short(ref: str) -> bool:
    return ref.isdigit() and len(ref) < 4


def _candidates(text: str, anywhere: bool = False) -> list[tuple[int, int, str]]:
    """(priority, start, ref) for every plausible order reference in ``text`` (``anywhere``:
    a bare number also in a message that names no order or parcel)."""
    found: list[tuple[int, int, str]] = []
    for priority, pattern in enumerate((_KEYWORD_REF, _MARKED_REF, _CODE_REF, _BARE_REF)):
        for match in pattern.finditer(text):
            ref, start = match.group("ref"), match.start("ref")
            if any(start == s for _, s, _ in found):
                continue
            if (
                _PHONE_CONTEXT.search(text[:start])
                or _PHONE_SAID.search(text[:start])
                or is_date_or_phone(ref)
            ):
                continue
            if re.search(r"\d\s\d", ref) and (
                not 5 <= len(re.sub(r"\D", "", ref)) <= 10 or _day_month(re.sub(r"\s", "-", ref))
            ):
                continue  # "заказ 12 05 2024", "заказ 1 490": no grouped order number
            if pattern is not _MARKED_REF and _THRESHOLD_BEFORE.search(
                text[max(0, start - 20) : start]
            ):
                continue
            if pattern is not _MARKED_REF and _is_number_only_short(ref):
                continue
            if pattern is not _MARKED_REF and (
                _WORD_MONEY_BEFORE.search(text, max(0, start - 30), start)
                or (
                    _ORDER_SUM_BEFORE.search(text, max(0, start - 40), start)
                    and len(re.sub(r"\D", "", ref)) <= 6
                )
            ):
                continue  # "заказ стоимостью 5000", "сумма заказа 5400": its price
            if _NOT_REF_AFTER.match(text, match.end("ref")):
                continue
            if pattern is _BARE_REF and not anywhere and not _ORDER_CONTEXT.search(text):
                continue
            if pattern is _BARE_REF and anywhere and _PAID_BEFORE.search(text, 0, start):
                continue  # "чайник за 12000 сломался": its price (no order word to go by)
            if pattern in (_BARE_REF, _MARKED_REF) and _CODE_BEFORE.search(
                text[max(0, start - 40) : start]
            ):
                continue  # "the verification code 482193 never arrives"
            found.append((priority, start, ref))
    return found


# "4409 118 no wait 4409118", "123456, точнее 123465": the number after the correction counts
_SELF_CORRECTION = re.compile(
    r"\b(?:no\s+wait|wait\s+no|sorry|i\s+mean|correction|actually|точнее|вернее|то\s+есть|"
    r"ой|нет,?\s+не\s+так|przepraszam|to\s+znaczy|znaczy|nie,?\s+czekaj|poprawka|"
    # "4471234, а, нет, 4471243", "ошиблась", "сорри"
    r"а\W{1,3}нет|нет(?=\s*[,.!:-]\s*\d)|ошибл\w*|ошибся|сорри|пардон)\b",
    re.IGNORECASE,
)
SELF_CORRECTION = _SELF_CORRECTION


# "не 123456, а 123465", "not 554433 but 554434", "nie 123456, tylko 123465": the denied one
DENIED_BEFORE = re.compile(r"(?:\bне|\bnot|\bnie)\s*(?:№|#|nr\.?\s*)?$", re.IGNORECASE)


def extract_order_ref(text: str, anywhere: bool = False) -> str | None:
    """Return the customer's order reference, normalised (no ``№``/``#``), or None
    (``anywhere``: a bare 5-10 digit number counts in any message, e.g. a complaint about a
    thing that came: "разбитая чашка пришла, 8200002")."""
    found = _candidates(text, anywhere)
    if not found:
        return None
    kept = [c for c in found if not DENIED_BEFORE.search(text[max(0, c[1] - 12) : c[1]])]
    found = kept or found
    fixes = list(_SELF_CORRECTION.finditer(text))
    fix = fixes[-1] if fixes else None
    if fix is not None and len(found) > 1:
        after = [c for c in found if c[1] >= fix.end()]
        if after:
            return _normalize_ref(min(after, key=lambda c: c[1])[2])
    if len(found) > 1:
        for _, start, ref in sorted(found, key=lambda c: c[1]):
            if _POSSESSIVE.search(text[max(0, start - 30) : start]):
                return _normalize_ref(ref)
    return _normalize_ref(min(found)[2])


# the words naming an order before its number: "from my order №", "из заказа номер", "z zamówienia nr"
_ORDER_WORDS_BEFORE = re.compile(
    r"(?:(?<!\w)(?:from|in|of|for|on|из|в|во|по|с|со|z|ze|w|do|dla)\s+)?"
    r"(?:(?<!\w)(?:my|the|this|мой|моего|моём|моем|mojego|moim|moje)\s+)?"
    r"(?:(?<!\w)(?:заказ\w*|номер\w*|order\w*|zam[óo]wieni\w*|numer\w*|number|nr\.?)\s*)+"
    r"(?:№|#|nr\.?|no\.?)?\s*$",
    re.IGNORECASE,
)


def without_order_ref(text: str, ref: str | None = None, *, named: bool = False) -> str | None:
    """``text`` without its order number (``ref``, else the one read in it) and the words
    naming it ("Is my vacuum from order 2298910 still under warranty?" -> "Is my vacuum
    still under warranty?", "..., хочу вернуть. Заказ 6612399" -> "..., хочу вернуть."), or
    None when it names none or nothing but the number is left (``named``: also when no word
    names the number an order's: "My parcel 5531207 never came" is left as it is)."""
    ref = ref or extract_order_ref(text)
    found = re.search(re.escape(ref), text, re.IGNORECASE) if ref else None
    if found is None:
        return None
    words = _ORDER_WORDS_BEFORE.search(text[: found.start()])
    if named and (words is None or not words.group().strip(" №#")):
        return None
    head = text[: words.start() if words else found.start()].rstrip(" ,;:-–—№#")
    tail = text[found.end() :].lstrip()
    if not head or head[-1] in ".!?":
        tail = tail.lstrip(" ,;:-–—.")
    rest = f"{head}{'' if tail[:1] in tuple(',.!?;:') else ' '}{tail}"
    rest = re.sub(r"\s{2,}", " ", rest).strip()
    return rest if re.search(r"[^\W\d_]", rest) else None


def uk_mobile(number: str) -> bool:
    """``number`` is a UK mobile written the British way: "07700 900123", "07700900123"
    (eleven digits from 07; "+44 7700 900123" is a phone by its "+")."""
    return bool(re.fullmatch(r"07\d{9}", re.sub(r"\D", "", number)))


def is_date_or_phone(ref: str) -> bool:
    digits = re.sub(r"\D", "", ref)
    if re.fullmatch(
        r"\d{3}-\d{2}-\d{2}|(?:19|20)\d{2}([-/])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])",
        ref,
    ):  # 555-35-35, 2024-05-12
        return True
    return _day_month(ref) or (len(digits) >= 11 and ref[0] in "78+") or uk_mobile(ref)


def _day_month(ref: str) -> bool:
    """12-05-2024, 12/03, 05/31: a day and a month (either order), maybe a year; not
    77-12-300 (no day 77, no year 300)."""
    m = re.fullmatch(r"(\d{1,2})([-/])(\d{1,2})(?:\2(\d{2}|\d{4}))?", ref)
    if m is None:
        return False
    a, b = int(m.group(1)), int(m.group(3))
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


# --------------------------------------------------------------------------- amounts

_CURRENCY_AFTER = [
    (
        "RUB",
        r"₽|руб(?:л(?:ей|ями|ям|ях|ем|ю|я|ь)|\.)?|р\.|р(?![\w])|rub(?:les?|lei|ley|lya|l)?|roubles?|"
        r"rur",
    ),
    ("USD", r"\$|usd|dollars?|bucks|долл(?:ар(?:ов|а)?)?\.?|бакс(?:ов|а|ы)?|dolar(?:ów|ow|y|a)?"),
    ("EUR", r"€|eur(?:o|os)?|евро"),
    (
        "GBP",
        r"£|gbp|pounds?(?:\s+sterling)?|quid|фунт(?:ов|а|ы)?(?:\s+стерлинг\w*)?|funt(?:ów|ow|y|a)?",
    ),
    (
        "PLN",
        r"zł(?:otych|ote|oty|otówk\w*|otówek)?\.?|zl(?:otych|ote|oty|otowk\w*|otowek)?(?![\w])|pln",
    ),
]
_CURRENCY_BEFORE = [
    ("USD", r"\$|usd"),
    ("EUR", r"€|eur"),
    ("GBP", r"£|gbp"),
    ("PLN", r"pln"),
    ("RUB", r"₽|rub"),
]
_MULTIPLIERS = [
    (1_000_000.0, r"млн\.?|миллион\w*|mln\.?|million|milion\w*"),
    (1_000.0, r"тыс\.?|тысяч\w*|тыщ\w*|к(?![\w])|k(?![\w])|tys\.?|tysi[aą]c\w*|thousand|grand"),
    (1_000.0, r"косар\w*|т\.\s?р\.?|тр(?![\w])"),  # thousands of roubles: "3 косаря", "1,5 т.р."
]
_ROUBLE_THOUSANDS = f"m{len(_MULTIPLIERS) - 1}"
_NUMBER = (
    r"(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?"  # 1 490 / 1 490,50
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"  # 1,490.50
    r"|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?"  # 1.490,50
    r"|\d+(?:[.,]\d+)?)"
)
_CUR_AFTER_RE = "|".join(f"(?P<a_{code}>{rx})" for code, rx in _CURRENCY_AFTER)
_CUR_BEFORE_RE = "|".join(f"(?P<b_{code}>{rx})" for code, rx in _CURRENCY_BEFORE)
_MULT_RE = "|".join(f"(?P<m{i}>{rx})" for i, (_, rx) in enumerate(_MULTIPLIERS))
_TIMES = r"(?:(?P<times>\d{1,2})\s*(?:x|×|х|\*)\s*)?"

_AMOUNT_AFTER = re.compile(  # "1299,- zł": no cents, the Polish way
    rf"(?<![\w.,\-/:+]){_TIMES}{_NUMBER}(?:[.,]-)?\s?(?:(?:{_MULT_RE})\s?)?(?:{_CUR_AFTER_RE})(?!\w)",
    re.IGNORECASE,
)
_AMOUNT_BEFORE = re.compile(
    rf"(?:{_CUR_BEFORE_RE})\s?{_NUMBER}(?:\s?(?:{_MULT_RE}))?(?![\w.,]\d)", re.IGNORECASE
)
# "2.5k", "1,5 тыс": a thousands multiplier alone marks money
_AMOUNT_MULT = re.compile(
    rf"(?<![\w.,\-/:+]){_TIMES}{_NUMBER}\s?(?:{_MULT_RE})(?!\w)", re.IGNORECASE
)
# bare numbers count as money only right after a money word ("списали 1490", "paid 25")
# a price that dropped after the purchase: "подешевел на 3000", "cheaper by $40", "taniej o 40 zł"
_PRICE_DROP = (
    r"(?:по)?дешевел\w*\s+на|дешевле\s+на|cheaper\s+by|discounted\s+by|dropped\s+by|"
    r"reduced\s+by|(?:po|s)?tania[łl]\w*\s+o|ta[ńn]sz\w*\s+o|taniej\s+o"
)
_MONEY_WORD = (
    r"\b(?:списал\w*|снял\w*|оплат\w*|заплат\w*|стоим\w*|стоит|стоил\w*|цен\w*|сумм\w*|"
    r"вернит\w*|возврат\w*|переплат\w*|доплат\w*|charged|paid|pay|cost\w*|price\w*|"
    r"refund(?:ed)?(?:\s+of)?|total|amount|zapłaci\w*|zaplaci\w*|płaci\w*|kosztuj\w*|"
    r"kosztował\w*|cen[aąyę]|kwot\w*|pobral\w*|pobrano|zwrot\w*|dopłat\w*|na\s+kwotę|za|"
    # "телевизор за 45000 пришёл разбитый": the price paid, as Polish "za" ("за 3 дня" is
    # time); not one digit ("пришло 2 за 1"), nor an order's number ("спасибо за 3790001")
    r"за(?=\s*(?:\d{2,6}(?!\d|[\s.,]\d)|\d{1,3}[\s.,]\d{3}(?!\d|[\s.,]\d)|\d+\s?тыс|[^\W\d]))|"
    # ... and English "the TV for 45000 came broken", "for 45,000" ("for 2 weeks", "for 3 items",
    # "for order 3810005" are not)
    r"for(?=\s*(?:\d{2,6}(?!\d|[\s.,]\d)|\d{1,3}[\s.,]\d{3}(?!\d|[\s.,]\d)))|"
    r"warto[śs][ćc]\w*|worth|"
    rf"{_PRICE_DROP})"
)
_MONEY_PREP = r"(?:в\s+размере|of|na|в|на|за|po|по)"
# "списали лишние 700", "charged me an extra 300", "pobrali dodatkowe 30": the surplus said
_EXTRA = r"(?:(?:мне|нам|me|us|mi|nam)\s+)?(?:(?:an\s+)?extra|лишн\w*|dodatkow\w*)\s+"
# "сумма заказа 5400", "order total was 5400", "wartość zamówienia: 5400" (_OF_THE_ORDER)
_OF_ORDER = (
    rf"(?:{_OF_THE_ORDER})?{_SUM_IS}"
    # a sum, not an order's number: "стоимость заказа 3400100 составила 5000"
    r"(?=\d{1,6}(?![\d\s.,]\d)|\d{1,3}[\s.,]\d{3}(?![\d\s.,]\d))"
)
_MONEY_CONTEXT = re.compile(
    rf"{_MONEY_WORD}\s*(?:{_OF_ORDER})?(?:{_EXTRA})?(?:{_MONEY_PREP}\s+)?"
    rf"{_NUMBER}(?!\d)(?:\s?(?:{_MULT_RE}))?"
    r"(?![\w.,:/\-]\d|\s*(?:%|шт|pcs|szt|kg|кг|km|км|g\b|г\b|dni|дн|day|час|hour|godz|min|"
    r"мин|раз|times|razy|lat|год|year|tyg|нед|week|sztuk|штук|пар|par|items?|"
    r"ден|сут|мес|лет|сек|dzie|miesi|month|звезд|звёзд))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Money:
    amount: float
    currency: str | None


def parse_number(raw: str) -> float:
    """'1 490' -> 1490, '1,490.50' -> 1490.5, '1.490,5' -> 1490.5, '1,5' -> 1.5."""
    s = re.sub(r"[ \u00a0\u202f]", "", raw)
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        s = s.replace(thousands, "").replace(decimal, ".")
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        head, _, tail = s.rpartition(sep)
        if len(tail) == 3 and s.count(sep) >= 1 and head and head[0] != "0":
            s = s.replace(sep, "")  # 1,490 / 2.500: thousands separator
        else:
            s = s.replace(sep, ".")
    return float(s)


def _multiplier(match: re.Match[str]) -> float:
    for i, (factor, _) in enumerate(_MULTIPLIERS):
        if match.groupdict().get(f"m{i}"):
            return factor
    return 1.0


def _currency(match: re.Match[str], prefix: str) -> str | None:
    for name, value in match.groupdict().items():
        if value and name.startswith(prefix):
            return name[len(prefix) :]
    return None


def _money(match: re.Match[str], prefix: str) -> Money:
    value = parse_number(match.group("num")) * _multiplier(match)
    times = match.groupdict().get("times")
    if times:
        value *= int(times)
    currency = _currency(match, prefix)
    if currency is None and match.groupdict().get(_ROUBLE_THOUSANDS):
        currency = "RUB"
    return Money(round(value, 2), currency)


def _overlaps(span: tuple[int, int], blocked: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in blocked)


# --------------------------------------------------------------------------- amounts in words
# "полторы тысячи рублей" -> 1500 RUB, "a hundred and twenty euros" -> 120 EUR,
# "dwieście złotych" -> 200 PLN. A number in words is money when a currency word follows it, or
# right after a money word ("верните полторы тысячи", "charged me fifty"); counts ("два раза",
# "three days", "dwa tygodnie") are not. Words are compared folded (lower case, ё -> е, Polish
# letters without diacritics), so "dwiescie zlotych" reads too.

# value -> its spellings; 1.5 and 0.5 ("полторы", "пол") must be followed by a thousand/million
_RU_WORDS = {
    0.5: "пол",
    1.5: "полторы полтора полутора",
    1: "один одна одно одного одной одному одним одном одну",
    2: "два две двух двум двумя",
    3: "три трех трем тремя",
    4: "четыре четырех четырем четырьмя",
    5: "пять пяти пятью",
    6: "шесть шести шестью",
    7: "семь семи семью",
    8: "восемь восьми восемью восьмью",
    9: "девять девяти девятью",
    10: "десять десяти десятью",
    11: "одиннадцать одиннадцати",
    12: "двенадцать двенадцати",
    13: "тринадцать тринадцати",
    14: "четырнадцать четырнадцати",
    15: "пятнадцать пятнадцати",
    16: "шестнадцать шестнадцати",
    17: "семнадцать семнадцати",
    18: "восемнадцать восемнадцати",
    19: "девятнадцать девятнадцати",
    20: "двадцать двадцати",
    30: "тридцать тридцати",
    40: "сорок сорока",
    50: "пятьдесят пятидесяти",
    60: "шестьдесят шестидесяти",
    70: "семьдесят семидесяти",
    80: "восемьдесят восьмидесяти",
    90: "девяносто девяноста",
    100: "сто ста",
    200: "двести двухсот двумстам двумястами двухстах",
    300: "триста трехсот тремстам тремястами трехстах",
    400: "четыреста четырехсот четыремстам четырьмястами четырехстах",
    500: "пятьсот пятисот пятистам пятьюстами пятистах",
    600: "шестьсот шестисот шестистам шестьюстами шестистах",
    700: "семьсот семисот семистам семьюстами семистах",
    800: "восемьсот восьмисот восьмистам восьмьюстами восьмистах",
    900: "девятьсот девятисот девятистам девятьюстами девятистах",
    1000: "тысяча тысячи тысячу тысяч тысяче тысячам тысячами тысячах тысячей тыща тыщи тыщу тыщ",
    1_000_000: "миллион миллиона миллиону миллионом миллионе миллионы миллионов",
}
_EN_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
    13: "thirteen",
    14: "fourteen",
    15: "fifteen",
    16: "sixteen",
    17: "seventeen",
    18: "eighteen",
    19: "nineteen",
    20: "twenty",
    30: "thirty",
    40: "forty fourty",
    50: "fifty",
    60: "sixty",
    70: "seventy",
    80: "eighty",
    90: "ninety",
    100: "hundred",
    1000: "thousand grand",
    1_000_000: "million",
}
_PL_WORDS = {
    0.5: "pół",
    1.5: "półtora półtorej",
    1: "jeden jedna jedno jednego jednej jednemu jednym jedną",
    2: "dwa dwie dwóch dwu dwom dwóm dwoma",
    3: "trzy trzech trzem trzema",
    4: "cztery czterech czterem czterema",
    5: "pięć pięciu pięcioma",
    6: "sześć sześciu sześcioma",
    7: "siedem siedmiu siedmioma",
    8: "osiem ośmiu ośmioma",
    9: "dziewięć dziewięciu dziewięcioma",
    10: "dziesięć dziesięciu",
    11: "jedenaście jedenastu",
    12: "dwanaście dwunastu",
    13: "trzynaście trzynastu",
    14: "czternaście czternastu",
    15: "piętnaście piętnastu",
    16: "szesnaście szesnastu",
    17: "siedemnaście siedemnastu",
    18: "osiemnaście osiemnastu",
    19: "dziewiętnaście dziewiętnastu",
    20: "dwadzieścia dwudziestu",
    30: "trzydzieści trzydziestu",
    40: "czterdzieści czterdziestu",
    50: "pięćdziesiąt pięćdziesięciu",
    60: "sześćdziesiąt sześćdziesięciu",
    70: "siedemdziesiąt siedemdziesięciu",
    80: "osiemdziesiąt osiemdziesięciu",
    90: "dziewięćdziesiąt dziewięćdziesięciu",
    100: "sto stu",
    200: "dwieście dwustu",
    300: "trzysta trzystu",
    400: "czterysta czterystu",
    500: "pięćset pięciuset",
    600: "sześćset sześciuset",
    700: "siedemset siedmiuset",
    800: "osiemset ośmiuset",
    900: "dziewięćset dziewięciuset",
    1000: "tysiąc tysiąca tysiące tysięcy tysiącem tysiącu tysiącami tysiącach",
    1_000_000: "milion miliona miliony milionów milionem",
}
# slang for a thousand roubles: "три косаря" -> 3000 RUB
_RUB_THOUSAND = "косарь косаря косарю косарем косари косарей косарям косарями"
_NUMBER_WORDS = {
    fold(form): float(value)
    for table in (_RU_WORDS, _EN_WORDS, _PL_WORDS, {1000: _RUB_THOUSAND})
    for value, forms in table.items()
    for form in forms.split()
}
# Russian typed in Latin letters: "spisali dvesti rublei", "pyatsot", "tysyachu"
_NUMBER_WORDS.update(
    {
        translit(fold(form)): float(value)
        for value, forms in _RU_WORDS.items()
        for form in forms.split()
        if translit(fold(form)) not in _NUMBER_WORDS
    }
)
_RUB_SLANG = frozenset(_RUB_THOUSAND.split())
_SCALES = (1000.0, 1_000_000.0)

_WORD = re.compile(r"[^\W\d_]+")
# "с половиной" / "and a half" / "i pół" after units: read as one token, then a scale must follow
_HALF = "+half"
_HALF_AFTER = re.compile(
    r"\s+(?:с\s+половиной|s\s+polovinoi|and\s+a\s+half|i\s+p[oó][lł])(?![^\W\d_])", re.I
)
_WORD_GAP = re.compile(r"[\s\u00a0-]{1,3}")  # between the words of one number: "twenty-five"
_WORD_CURRENCY = re.compile(rf"[\s\u00a0]?(?:{_CUR_AFTER_RE})(?!\w)", re.IGNORECASE)
_WORD_MONEY_BEFORE = re.compile(
    rf"{_MONEY_WORD}\s*(?:(?:мне|нам|me|us|mi|nam)\s+)?(?:{_EXTRA})?(?:{_MONEY_PREP}\s+)?$",
    re.IGNORECASE,
)
# after a money word the number must end the clause or go on with one of these words,
# so that "списали два раза", "paid three times", "zwrot za ten produkt" are not amounts
_AFTER_AMOUNT = frozenset(
    fold(w)
    for w in (
        "за и а но с со на мне нам уже назад обратно вместо вчера сегодня дважды еще тоже "
        "лишних лишние сверху больше по до без когда хотя "
        "for and but to back twice already me us from on at instead extra too more than "
        "yesterday today please when with so again plus over by "
        "za i a ale z ze na mi nam już zamiast wczoraj dzisiaj dziś proszę kiedy więcej bo też "
        "jeszcze plus od do po"
    ).split()
)


def _parse_words(words: Iterable[str]) -> tuple[int, float]:
    """The longest prefix of folded ``words`` that reads as one number: (words used, value).

    Units, tens and hundreds add up within a group, a thousand/million closes the group
    ("две тысячи триста" = 2300); English "hundred" multiplies ("five hundred"), "a" and "and"
    join ("a hundred and twenty"). (0, 0.0) when ``words`` does not start with a number.
    """
    total = group = 0.0
    stage = 0  # what the current group already has: 3 hundreds, 2 tens, 1 units (0 nothing)
    last_scale = math.inf
    complete, need_scale = True, False
    best = (0, 0.0)
    for n, word in enumerate(words):
        value = _NUMBER_WORDS.get(word)
        if word == "a" and n == 0:  # "a hundred", "a thousand", "a grand"
            group, stage, complete = 1.0, 1, False
        elif word == "and" and (stage == 3 or (stage == 0 and total)):
            complete = False  # "a hundred and twenty", "one thousand and five"
        elif word == _HALF:  # "две с половиной тысячи", "two and a half thousand"
            if not group or stage != 1 or group >= 10 or need_scale:
                break
            group, complete, need_scale = group + 0.5, False, True
        elif value is None or (need_scale and value not in _SCALES):
            break
        elif value in _SCALES:
            if value >= last_scale or (not group and total):
                break
            total += (group or 1.0) * value
            group, stage, last_scale, complete, need_scale = 0.0, 0, value, True, False
        elif value in (0.5, 1.5):  # "полторы тысячи", "пол тысячи", "półtora tysiąca"
            if n:
                break
            group, stage, complete, need_scale = value, 1, False, True
        elif value == 100 and 0 < group < 100 and stage != 3:  # "five hundred", "twelve hundred"
            group, stage, complete = group * 100, 3, True
        else:
            rank = 3 if value >= 100 else 2 if value >= 10 else 1
            if stage and stage <= rank:
                break
            group, stage, complete = group + value, 1 if 10 <= value < 20 else rank, True
        if complete:
            best = (n + 1, total + group)
    return best


def _drop_inside(tokens: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The tokens without the words a "+half" token covers ("с", "половиной")."""
    out: list[tuple[int, int, str]] = []
    covered = -1
    for start, end, word in tokens:
        if start < covered:
            continue
        out.append((start, end, word))
        if word == _HALF:
            covered = end
    return out


def _word_numbers(text: str) -> list[tuple[int, int, float, bool]]:
    """(start, end, value, says roubles) of every number written in words in ``text``."""
    tokens: list[tuple[int, int, str]] = []
    for match in _WORD.finditer(text):
        start, end, word = match.start(), match.end(), fold(match.group())
        if word.startswith("пол") and _NUMBER_WORDS.get(word[3:]) in _SCALES:
            tokens.append((start, start + 3, "пол"))  # "полтысячи" = "пол" + "тысячи"
            start, word = start + 3, word[3:]
        tokens.append((start, end, word))
        half = _HALF_AFTER.match(text, end)
        if half and _NUMBER_WORDS.get(word, 10) < 10:
            tokens.append((end, half.end(), _HALF))
    tokens = _drop_inside(tokens)
    found = []
    i = j = 0
    while i < len(tokens):
        # j: the end of the run of number words that follow each other with only spaces
        # or a hyphen between them
        j = max(i, j)
        while j < len(tokens) and (
            tokens[j][2] in _NUMBER_WORDS or tokens[j][2] in ("a", "and", _HALF)
        ):
            if j > i and not (
                tokens[j][0] == tokens[j - 1][1]
                or _WORD_GAP.fullmatch(text, tokens[j - 1][1], tokens[j][0])
            ):
                break
            j += 1
        used, value = _parse_words(tokens[k][2] for k in range(i, j))
        if not used:
            i += 1
            continue
        words = tokens[i : i + used]
        found.append((words[0][0], words[-1][1], value, any(w in _RUB_SLANG for *_, w in words)))
        i += used
    return found


_NEXT = re.compile(r"\s*(?:(?P<word>[^\W\d_]+)|(?P<number>[\d%]))?")
_DIGITS_BEFORE = re.compile(r"\d[\s\u00a0]*$")


def _ends_amount(text: str, end: int) -> bool:
    """Nothing, punctuation or a word from _AFTER_AMOUNT follows the number."""
    after = _NEXT.match(text, end)
    if after.group("word"):
        return fold(after.group("word")) in _AFTER_AMOUNT
    return not after.group("number")


def _amounts_in_words(
    text: str, taken: list[tuple[int, int]]
) -> tuple[list[tuple[int, Money, int]], list[tuple[int, Money, int]]]:
    """Amounts in words: (with a currency, after a money word), as (start, money, end)."""
    marked, bare = [], []
    for start, end, value, roubles in _word_numbers(text):
        window = max(0, start - 60)  # where a digit or a money word before it is looked for
        if _overlaps((start, end), taken) or _DIGITS_BEFORE.search(text, window, start):
            continue  # "5 тысяч рублей" is read with its digits
        currency = _WORD_CURRENCY.match(text, end)
        if currency:
            money = Money(value, _currency(currency, "a_") or ("RUB" if roubles else None))
            marked.append((start, money, currency.end()))
        elif roubles:
            marked.append((start, Money(value, "RUB"), end))
        elif (
            value >= 10
            and _ends_amount(text, end)
            and _WORD_MONEY_BEFORE.search(text, window, start)
        ):
            bare.append((start, Money(value, None), end))
    return marked, bare


_THOUSAND_END = re.compile(r"(?:тысяч\w*|тыщ\w*|тыс\.?|tysi[aą]c\w*|tys\.?|thousand)$", re.I)


def _with_words_tail(text: str, item: tuple[int, Money, int]) -> tuple[int, Money, int]:
    """Digits, a thousand, then words: "2 тысячи триста рублей" -> 2300 RUB, not 2000."""
    start, money, end = item
    if money.amount % 1000 or not _THOUSAND_END.search(text[start:end]):
        return item
    tail = _word_numbers(text[end : end + 80])
    if not tail or text[end : end + tail[0][0]].strip() or tail[0][2] >= 1000:
        return item
    value_end = end + tail[0][1]
    currency = _WORD_CURRENCY.match(text, value_end)
    if not currency and not _ends_amount(text, value_end):
        return item  # "списали 3 тысячи два раза": the words count something else
    code = money.currency or (_currency(currency, "a_") if currency else None)
    return start, Money(money.amount + tail[0][2], code), currency.end() if currency else value_end


# the minor units after a whole amount: "12 zł 50 gr", "99 руб. 90 коп.", "5 dollars and 50 cents"
_MINOR_UNITS = re.compile(
    r"[\s\u00a0]*(?:(?:и|and|i)\s+)?(?P<minor>\d{1,2})[\s\u00a0]?"
    r"(?:gr(?:osz[ey]?|oszy)?|коп(?:еек|ейки|ейка|\.)?|cents?|¢)(?!\w)",
    re.IGNORECASE,
)


def _with_minor_units(text: str, item: tuple[int, Money, int]) -> tuple[int, Money, int]:
    start, money, end = item
    match = _MINOR_UNITS.match(text, end)
    if match is None or money.amount != int(money.amount):
        return item
    value = round(money.amount + int(match.group("minor")) / 100, 2)
    return start, Money(value, money.currency), match.end()


def _price_drop(
    text: str, blocked: list[tuple[int, int]], found: list[tuple[int, Money, int]]
) -> Money | None:
    """The amount a price fell by: named ("подешевел на 300", "cheaper by $20"), or the
    difference of two prices in one currency ("$80 yesterday, $60 today, the difference?")."""
    if not _PRICE_CHANGE.search(text):
        return None
    for match in _DROP_AMOUNT.finditer(text):
        if not _overlaps(match.span("num"), blocked):
            money = _money(match, "-")
            code = money.currency or next((m.currency for _, m, _ in found if m.currency), None)
            return Money(money.amount, code)
    if len(found) == 2 and not _SURPLUS_NUMBER.search(text):
        (_, a, _), (_, b, _) = found
        if a.currency == b.currency and a.amount != b.amount:
            return Money(round(abs(a.amount - b.amount), 2), a.currency)
    return None


def extract_money(text: str, blocked: list[tuple[int, int]] | None = None) -> Money | None:
    """First money amount in ``text`` (currency-marked amounts win over bare ones, digits over
    words, the disputed amount over the others)."""
    blocked = blocked or []
    found: list[tuple[int, Money, int]] = []
    for pattern, prefix in ((_AMOUNT_AFTER, "a_"), (_AMOUNT_BEFORE, "b_"), (_AMOUNT_MULT, "-")):
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, _, end in found):
                continue
            if pattern is _AMOUNT_MULT and parse_number(match.group("num")) >= 1000:
                continue  # "2700K" is a colour temperature, not 2.7 million
            if not _overlaps(match.span("num"), blocked) and not _is_time_or_date(text, match):
                found.append((match.start(), _money(match, prefix), match.end()))
    found = [_with_minor_units(text, _with_words_tail(text, item)) for item in found]
    found = _settled(text, found)
    priced = list(found)  # amounts with a currency or a thousands word
    # amounts in words rank after digit ones: with a currency after digits with a currency,
    # after a money word only when nothing else is found
    in_words, bare_in_words = _amounts_in_words(text, blocked + [(s, e) for s, _, e in found])
    if not found and not in_words:
        for match in (*_MONEY_CONTEXT.finditer(text), *_SURPLUS_NUMBER.finditer(text)):
            if _overlaps(match.span("num"), blocked) or _is_time_or_date(text, match):
                continue
            money = _money(match, "-")
            if money.amount >= 1:
                found.append((match.start(), money, match.end()))
        if not found:
            in_words = bare_in_words
    drop = _price_drop(text, blocked, priced)
    if drop is not None:
        return drop
    disputed = [f for f in found + in_words if _disputed(text, f[0], f[2])]
    best = disputed or found or in_words
    return min(best, key=lambda item: item[0])[1] if best else None


# "не 700 рублей, а 1700", "not $54 but $45", "nie 70 zł, tylko 170": the amount put in place
# of a denied one (its currency, else the denied one's)
_INSTEAD_AMOUNT = re.compile(
    rf"[\s,]*(?:а|but|tylko|lecz|a)\s+(?:{_CUR_BEFORE_RE})?\s?{_NUMBER}(?!\d)"
    rf"(?:\s?(?:{_MULT_RE}))?(?:\s?(?:{_CUR_AFTER_RE}))?(?!\w)",
    re.IGNORECASE,
)


def _settled(text: str, found: list[tuple[int, Money, int]]) -> list[tuple[int, Money, int]]:
    """The amounts the customer stands by: not one denied ("не 700 рублей, а 1700"), nor one
    taken back ("$54, sorry, I mean $45", "1490 ₽, точнее 1940 ₽")."""
    kept: list[tuple[int, Money, int]] = []
    for start, money, end in found:
        if not DENIED_BEFORE.search(text[max(0, start - 12) : start]):
            kept.append((start, money, end))
            continue
        instead = _INSTEAD_AMOUNT.match(text, end)
        if instead is None:
            continue
        value = parse_number(instead.group("num")) * _multiplier(instead)
        code = _currency(instead, "a_") or _currency(instead, "b_") or money.currency
        item = (instead.start("num"), Money(round(value, 2), code), instead.end())
        if not any(s <= item[0] < e for s, _, e in kept + found):
            kept.append(item)
    kept = sorted(kept or found, key=lambda item: item[0])
    fixes = [m.end() for m in _SELF_CORRECTION.finditer(text)]
    if len(kept) > 1 and fixes:
        after = [item for item in kept if item[0] >= fixes[-1]]
        if after and any(item[0] < fixes[-1] for item in kept):
            return after
    return kept


# The amount in dispute when several are named: "charged 4 740, so 1250 too much",
# "переплата 500 руб", "pobrano 200 zł za dużo".
_SURPLUS_WORDS = (
    r"too\s+much|extra|more\s+than|over\b|difference|cheaper|лишн\w*|больше|сверху|"
    r"разниц\w*|дешевле|za\s+du[żz]o|wi[eę]cej|r[óo][żz]nic\w*|taniej"
)
_SURPLUS_AFTER = re.compile(rf"^\W{{0,3}}(?:{_SURPLUS_WORDS})", re.IGNORECASE)
# a bare number named as the surplus is money too: "can I get the 500 difference back?"
_SURPLUS_NUMBER = re.compile(
    rf"(?<![\w.,\-/:+$€£₽]){_NUMBER}(?![\d.,]\d|\s*%)(?=\W{{0,3}}(?:difference|cheaper|разниц\w*|"
    r"дешевле|r[óo][żz]nic\w*|taniej))",
    re.IGNORECASE,
)
_SURPLUS_BEFORE = re.compile(
    r"(?:overcharged(?:\s+me)?(?:\s+by)?|overpaid(?:\s+by)?|extra|difference(?:\s+of|\s+is)?|"
    rf"переплат\w*|лишни[ех]|разниц\w*|nadp[łl]at\w*|r[óo][żz]nic\w*|{_PRICE_DROP})"
    r"\W{0,3}(?:на\s+|by\s+|o\s+)?$",
    re.IGNORECASE,
)


_DROP_AMOUNT = re.compile(
    rf"(?:{_PRICE_DROP})\s*(?:{_CUR_BEFORE_RE})?\s?{_NUMBER}(?!\d)(?!\s*%)", re.IGNORECASE
)
_PRICE_CHANGE = re.compile(
    r"difference|cheaper|price\s+(?:dropped|went\s+down|fell)|разниц\w*|дешевле|подешевел\w*|"
    r"r[óo][żz]nic\w*|taniej|ta[ńn]sz\w*|(?:po|s)tania[łl]\w*",
    re.IGNORECASE,
)


def _disputed(text: str, start: int, end: int) -> bool:
    return bool(
        _SURPLUS_AFTER.search(text[end : end + 20])
        or _SURPLUS_BEFORE.search(text[max(0, start - 30) : start])
    )


def _is_time_or_date(text: str, match: re.Match[str]) -> bool:
    start, end = match.span("num")
    window = text[max(0, start - 1) : end + 6]
    return bool(
        re.match(
            r"\D?\d{1,2}[:.]\d{2}(?:[:.]\d{2,4})?\s*(?:час|h\b|am|pm|godz|утра|вечера)", window
        )
        or re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", match.group("num"))
    )


# --------------------------------------------------------------------------- overcharge
# "Цена была 990 ₽, а списали 1 490 ₽", "the price was $40 but you charged me $55", "cena 120
# zł, a pobrano 150 zł": the customer is owed the difference, not either amount
_PRICE_BEFORE = re.compile(
    r"(?:цен[аеуы]|стоил\w*|стоимост\w*|стоит|ценник\w*|price\w*|cost\w*|listed|"
    r"cen[aąęy]|kosztowa\w*|kosztuje)\W{0,3}(?:\w+\W+){0,4}$",
    re.IGNORECASE,
)
_CHARGED_BEFORE = re.compile(
    r"(?:списал\w*|снял\w*|взял\w*|оплатил\w*|заплатил\w*|charged|took|billed|paid|"
    r"pobra\w*|ściągn\w*|sciagn\w*|zap[łl]aci\w*)\W{0,3}(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)


_OVERCHARGE_WORDS = (("price", _PRICE_BEFORE), ("charged", _CHARGED_BEFORE))
# a bare price a few words after its word: "the price on the site was 39.99", "cena na
# stronie to 120"
_PRICE_CONTEXT = re.compile(
    r"\b(?:цен[аеуы]|стоил\w*|стоимост\w*|ценник\w*|price\w*|cost\w*|listed|cen[aąęy]|"
    rf"kosztowa\w*)\W{{0,3}}(?:[^\W\d_]+\W+){{0,4}}{_NUMBER}(?!\d)"
    r"(?![\w.,:/\-]\d|\s*(?:%|шт|pcs|szt|kg|кг|km|км|dni|дн|day|час|hour|godz|min|мин))",
    re.IGNORECASE,
)


def overcharge(text: str) -> Money | None:
    """The difference when the message names the price and a larger amount charged for it."""
    found: list[tuple[int, Money]] = []
    spans: list[tuple[int, int]] = []
    # with a currency, then bare ones after a money word ("цена 1 990, а списали 2 390 руб")
    patterns = (
        (_AMOUNT_AFTER, "a_"),
        (_AMOUNT_BEFORE, "b_"),
        (_MONEY_CONTEXT, "-"),
        (_PRICE_CONTEXT, "-"),
    )
    for pattern, prefix in patterns:
        for match in pattern.finditer(text):
            span = match.span("num")
            if _overlaps(span, spans) or _is_time_or_date(text, match):
                continue
            spans.append(span)
            found.append((span[0], _money(match, prefix)))
    if len(found) != 2:
        return None
    price = charged = None
    for start, money in sorted(found, key=lambda item: item[0]):
        before = text[max(0, start - 40) : start]
        said = [
            (m.start(), kind) for kind, rx in _OVERCHARGE_WORDS for m in [rx.search(before)] if m
        ]
        if said:  # the word nearest the amount says which it is
            if max(said)[1] == "price":
                price = money
            else:
                charged = money
    if price is None or charged is None or charged.amount <= price.amount:
        return None
    if price.currency and charged.currency and price.currency != charged.currency:
        return None
    return Money(round(charged.amount - price.amount, 2), charged.currency or price.currency)


# --------------------------------------------------------------------------- facade


@dataclass(frozen=True)
class Entities:
    order_ref: str | None
    amount: float | None
    currency: str | None


def _ref_spans(text: str, ref: str | None) -> list[tuple[int, int]]:
    if not ref:
        return []
    return [m.span() for m in re.finditer(re.escape(ref), text, re.IGNORECASE)]


def _phone_spans(text: str) -> list[tuple[int, int]]:
    phone = re.compile(r"(?:\+\d{1,3}[\s-]?)?\(?\d{3}\)?[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2}\b")
    return [m.span() for m in phone.finditer(text)]


def extract(text: str) -> Entities:
    """Order reference and money amount/currency of one message."""
    ref = extract_order_ref(text)
    money = extract_money(text, _ref_spans(text, ref) + _phone_spans(text))
    return Entities(
        order_ref=ref,
        amount=money.amount if money else None,
        currency=money.currency if money else None,
    )


# "заказал 2, а пришла одна", "I ordered 2 but only 1 came", "zamówiłem 2 sztuki a przyszła
# jedna": fewer pieces came than were ordered (a missing item, not a wrong one)
_ORDERED = re.compile(
    r"(?<!\w)(?:заказ(?:ал|ала|али|ывал|ывала|ывали)|купил\w*|ordered|bought|"
    r"zam[óo]wi(?:[łl]\w*|li\w*)|kupi[łl]\w*)(?!\w)",
    re.IGNORECASE,
)
_CAME = re.compile(
    r"(?<!\w)(?:только|лишь|only|just|tylko|jedynie|пришл[аио]?|привезли|доставили|"
    r"получил\w*|came|arrived|got|received|przysz[łl][aoy]?|dotar[łl][aoy]?|dosta[łl]\w*|"
    r"by[łl][aoy]?)(?!\w)",
    re.IGNORECASE,
)
# "заказал 5 дней назад", "ordered 3 weeks ago": a time, not a count of pieces
_TIME_UNIT = re.compile(
    r"(?:дн|ден|недел|нед|месяц|час|мин|day|week|month|hour|min|dni|dzie|tydz|tygod|miesi|godz)",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def _count_after(text: str, start: int, words: int) -> float | None:
    """The first count among the next ``words`` words after ``start`` (None if none, or if
    a unit of time follows it)."""
    tokens = list(_TOKEN.finditer(text, start))
    for i, token in enumerate(tokens[:words]):
        word = token.group()
        value = float(word) if word.isdigit() else _NUMBER_WORDS.get(fold(word))
        if value is None or value != int(value):
            continue
        after = tokens[i + 1].group() if i + 1 < len(tokens) else ""
        return None if _TIME_UNIT.match(after) else value
    return None


def fewer_than_ordered(text: str) -> bool:
    """Fewer pieces came than were ordered: a count right after "ordered" larger than one
    right after "came" / "only" further on."""
    text = text or ""
    ordered = _ORDERED.search(text)
    if ordered is None:
        return False
    wanted = _count_after(text, ordered.end(), 2)
    if wanted is None or not 1 < wanted < 100:
        return False
    for came in _CAME.finditer(text, ordered.end()):
        got = _count_after(text, came.end(), 2)
        if got is not None and got < wanted:
            return True
    return False


# "заказывал синий", "а пришёл красный", "I ordered the blue one", "got a red one",
# "zamawiałam niebieską", "przyszła czerwona": what was ordered or what came instead, told in a
# line of its own (a wrong item's details, given in pieces)
_ITEM_ORDERED = (
    r"заказ(?:ал|ала|али|ывал|ывала|ывали)|брал[аи]?|выбирал[аи]?|ordered|bought|chose|picked|"
    r"zam[óo]wi(?:[łl]\w*|li\w*)|zamawia[łl]\w*|wybra[łl]\w*|kupi[łl]\w*"
)
_ITEM_CAME = (
    r"пришл[аио]|пришёл|пришел|прислали|привезли|доставили|получил[аи]?|got|received|came|"
    r"arrived|sent|przysz[łl][aoy]|przyszed[łl]|dosta[łl]\w*|przys[łl]ali\w*|wys[łl]ali\w*"
)
# words between the verb and the thing: "I ordered the blue one", "а мне пришёл красный"
_ITEM_FILLER = r"(?:я|мне|нам|вы|а|но|i|me|us|you|the|a|an|but|and|mi|nam|ja|ale|to|że|ze|jednak)"
_ITEM_TOLD = re.compile(
    rf"(?<!\w)(?:{_ITEM_ORDERED}|{_ITEM_CAME})\s+(?:{_ITEM_FILLER}\s+){{0,2}}(?P<after>[^\W\d_]{{3,}})"
    rf"|(?P<before>[^\W\d_]{{3,}})\s+(?:{_ITEM_FILLER}\s+)?(?:{_ITEM_CAME})(?!\w)",
    re.IGNORECASE,
)
# ... not the thing: "got it", "получил ваше сообщение", "посылка пришла вчера", "przyszła paczka"
_NOT_ITEM = re.compile(
    rf"^(?:{_ITEM_FILLER}|"
    r"вам|тебе|что|когда|which|what|when|who|co|kiedy|wam|it|this|that|these|those|your|yours|my|nothing|message|email|mail|reply|answer|letter|"
    r"notification|money|refund|photo|picture|order|parcel|package|today|yesterday|already|"
    r"back|now|here|there|late|only|just|ваш\w*|мо[йяеи]\w*|эт\w+|ничего|сообщени\w*|"
    r"письм\w*|ответ\w*|уведомлени\w*|смс|деньг\w*|возврат\w*|фото\w*|заказ\w*|посылк\w*|вчера|"
    r"сегодня|уже|только|сейчас|недавно|nic|wiadomo\w*|odpowied\w*|mail\w*|pieni\w*|zwrot\w*|"
    r"zdj[ęe]\w*|zam[óo]wieni\w*|paczk\w*|przesy[łl]k\w*|wczoraj|dzisiaj|dzi[śs]|ju[żz]|"
    r"tylko|teraz|wasz\w*|moj\w*|m[óo]j|wiem|have|had|been|will|did|cannot|can't|не|nie|not)$",
    re.IGNORECASE,
)


def item_told(text: str) -> bool:
    """A short line that says what was ordered or what came ("заказывал синий", "got a red
    one", "przyszła czerwona"), not a question and not a message, a parcel or money."""
    text = (text or "").strip()
    if not text or "?" in text or len(_TOKEN.findall(text)) > 10:
        return False
    for m in _ITEM_TOLD.finditer(text):
        thing = m.group("after") or m.group("before")
        if not _NOT_ITEM.match(thing):
            return True
    return False
