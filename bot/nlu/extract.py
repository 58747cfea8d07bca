"""Order reference, money amount and currency extraction (ru / en / pl), rule based.

Order references: ``заказ №45-112`` -> ``45-112``, ``order #A-7781`` -> ``A-7781``,
``zamówienie nr 123456`` -> ``123456``. Amounts: ``1 490 р`` -> 1490 RUB, ``$25`` -> 25 USD,
``200 zł`` -> 200 PLN, ``2.5k`` -> 2500, ``1,5 тыс`` -> 1500. Phone numbers, dates, times,
percentages and quantities (``2 шт``, ``3 kg``) are not amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --------------------------------------------------------------------------- order refs

_ORDER_WORD = (
    r"(?:\bзаказ\w*|\bzakaz\w*|\bnomer\s+zakaza|\bномер\w*\s+заказа|№\s*заказа|\border\w*|"
    r"\bzam[oó]wie\w*|\bnumer\w*\s+zam[oó]wienia)"
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
    r"(?:[A-Za-zА-Яа-я]{1,3}-?\d{3,}(?:-\d+)*"  # A-7781, AB123456, ZK-2024-55
    r"|\d{2,}(?:-\d{2,})+(?:-?[A-Za-z]\w*)?"  # 45-112, 88213-04
    r"|\d{3,})"  # 123456
)
_REF_END = r"(?![\w.,]\d|[\w-])"
_KEYWORD_REF = re.compile(
    rf"{_ORDER_WORD}{_GAP}{_ORDER_FILLER}[\s(]*(?P<ref>{_REF_BODY}){_REF_END}", re.IGNORECASE
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
_NOT_REF_AFTER = re.compile(
    r"\s?(?:₽|\$|€|руб|р\b|р\.|zł|zl\b|pln|usd|eur|rub|dollars?|евро|тыс|k\b|к\b|шт|szt|"
    r"pcs|kg|кг|km|км|%|год|г\.|roku|rok|year|dni|дн|days?)",
    re.IGNORECASE,
)
# a bare 5-10 digit number or "558-9011" counts only in a message about an order/parcel
_BARE_REF = re.compile(r"(?<![\w+\-.,/:])(?P<ref>\d{2,}-\d{2,}|\d{5,10})(?![\w\-]|[.,:/]\d)")
_ORDER_CONTEXT = re.compile(
    r"заказ|посылк|отправлен|доставк|order|parcel|package|deliver|shipment|zam[oó]w|paczk|"
    r"przesy[lł]k|dostaw|zakaz|posylk|"
    # typos and the words around an order: "ordr 4418203 hasnt arived"
    r"\bord[er]{1,3}\b|\boder\b|\bodrer|arriv|\barived|rec[ei]{2}ve|\bshipp|\btrack|"
    r"\bзака|курьер|привез|kurier|dotar",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(r"(?:тел|phone|tel|telefon|номер\s+телефона)\W*$", re.IGNORECASE)


def _normalize_ref(ref: str) -> str:
    return ref.strip().upper()


def _is_number_only_short(ref: str) -> bool:
    return ref.isdigit() and len(ref) < 4


def _candidates(text: str) -> list[tuple[int, int, str]]:
    """(priority, start, ref) for every plausible order reference in ``text``."""
    found: list[tuple[int, int, str]] = []
    for priority, pattern in enumerate((_KEYWORD_REF, _MARKED_REF, _CODE_REF, _BARE_REF)):
        for match in pattern.finditer(text):
            ref, start = match.group("ref"), match.start("ref")
            if any(start == s for _, s, _ in found):
                continue
            if _PHONE_CONTEXT.search(text[:start]) or _is_date_or_phone(ref):
                continue
            if pattern is not _MARKED_REF and _is_number_only_short(ref):
                continue
            if _NOT_REF_AFTER.match(text, match.end("ref")):
                continue
            if pattern is _BARE_REF and not _ORDER_CONTEXT.search(text):
                continue
            found.append((priority, start, ref))
    return found


# "4409 118 no wait 4409118", "123456, точнее 123465": the number after the correction counts
_SELF_CORRECTION = re.compile(
    r"\b(?:no\s+wait|wait\s+no|sorry|i\s+mean|correction|actually|точнее|вернее|то\s+есть|"
    r"ой|нет,?\s+не\s+так|przepraszam|to\s+znaczy|znaczy|nie,?\s+czekaj|poprawka)\b",
    re.IGNORECASE,
)


def extract_order_ref(text: str) -> str | None:
    """Return the customer's order reference, normalised (no ``№``/``#``), or None."""
    found = _candidates(text)
    if not found:
        return None
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


def _is_date_or_phone(ref: str) -> bool:
    digits = re.sub(r"\D", "", ref)
    if re.fullmatch(r"\d{3}-\d{2}-\d{2}|\d{1,2}-\d{1,2}-\d{2,4}", ref):  # 555-35-35, 12-05-2024
        return True
    return len(digits) >= 11 and ref[0] in "78+"


# --------------------------------------------------------------------------- amounts

_CURRENCY_AFTER = [
    ("RUB", r"₽|руб(?:лей|ля|ль|\.)?|р\.|р(?![\w])|rub(?:les?)?|roubles?|rur|рублей"),
    ("USD", r"\$|usd|dollars?|bucks|долл(?:ар(?:ов|а)?)?\.?|баксов"),
    ("EUR", r"€|eur(?:o|os)?|евро"),
    ("PLN", r"zł(?:otych|ote|oty)?\.?|zl(?:otych|ote|oty)?(?![\w])|pln"),
]
_CURRENCY_BEFORE = [
    ("USD", r"\$|usd"),
    ("EUR", r"€|eur"),
    ("PLN", r"pln"),
    ("RUB", r"₽|rub"),
]
_MULTIPLIERS = [
    (1_000_000.0, r"млн\.?|миллион\w*|mln\.?|million|milion\w*"),
    (1_000.0, r"тыс\.?|тысяч\w*|тыщ\w*|к(?![\w])|k(?![\w])|tys\.?|tysi[aą]c\w*|thousand|grand"),
]
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

_AMOUNT_AFTER = re.compile(
    rf"(?<![\w.,\-/:+]){_TIMES}{_NUMBER}\s?(?:(?:{_MULT_RE})\s?)?(?:{_CUR_AFTER_RE})(?!\w)",
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
_MONEY_CONTEXT = re.compile(
    r"\b(?:списал\w*|снял\w*|оплат\w*|заплат\w*|стоим\w*|стоит|стоил\w*|цен\w*|сумм\w*|"
    r"вернит\w*|возврат\w*|переплат\w*|доплат\w*|charged|paid|pay|cost\w*|price\w*|"
    r"refund(?:ed)?(?:\s+of)?|total|amount|zapłaci\w*|zaplaci\w*|płaci\w*|kosztuj\w*|"
    r"kosztował\w*|cen[aąyę]|kwot\w*|pobral\w*|pobrano|zwrot\w*|dopłat\w*|na\s+kwotę|za)"
    r"\s*(?:(?:в\s+размере|of|na|в|на|за|po|по)\s+)?"
    rf"{_NUMBER}(?!\d)(?:\s?(?:{_MULT_RE}))?"
    r"(?![\w.,:/\-]\d|\s*(?:%|шт|pcs|szt|kg|кг|km|км|g\b|г\b|dni|дн|day|час|hour|godz|min|"
    r"мин|раз|times|razy|lat|год|year|tyg|нед|week|sztuk|штук|пар|par|items?))",
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
    return Money(round(value, 2), _currency(match, prefix))


def _overlaps(span: tuple[int, int], blocked: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in blocked)


def extract_money(text: str, blocked: list[tuple[int, int]] | None = None) -> Money | None:
    """First money amount in ``text`` (currency-marked amounts win over bare ones)."""
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
    if not found:
        for match in _MONEY_CONTEXT.finditer(text):
            if _overlaps(match.span("num"), blocked) or _is_time_or_date(text, match):
                continue
            money = _money(match, "-")
            if money.amount >= 1:
                found.append((match.start(), money, match.end()))
    if not found:
        return None
    disputed = [f for f in found if _disputed(text, f[0], f[2])]
    return min(disputed or found, key=lambda item: item[0])[1]


# The amount in dispute when several are named: "charged 4 740, so 1250 too much",
# "переплата 500 руб", "pobrano 200 zł za dużo".
_SURPLUS_AFTER = re.compile(
    r"^\W{0,3}(?:too\s+much|extra|more\s+than|over\b|лишн\w*|больше|сверху|"
    r"za\s+du[żz]o|wi[eę]cej)",
    re.IGNORECASE,
)
_SURPLUS_BEFORE = re.compile(
    r"(?:overcharged(?:\s+me)?(?:\s+by)?|overpaid(?:\s+by)?|extra|difference(?:\s+of|\s+is)?|"
    r"переплат\w*|лишни[ех]|разниц\w*|nadp[łl]at\w*|r[óo][żz]nic\w*)\W{0,3}(?:на\s+|by\s+|o\s+)?$",
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
