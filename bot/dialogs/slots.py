"""What the customer has told us so far, gathered from every message of the conversation.

``state["known"]`` holds order_ref, amount, photos (file ids), contact and description.
It is filled from any message, in any order, so the bot never asks for something the
customer already gave.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.nlu.extract import (
    DENIED_BEFORE,
    SELF_CORRECTION,
    extract_order_ref,
    is_date_or_phone,
    overcharge,
    parse_number,
    uk_mobile,
)

if TYPE_CHECKING:
    from bot.dialogs.engine import TurnContext
    from bot.dialogs.types import Incoming

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])(\+?\d[\d\s()\-]{8,17}\d)(?![\w-])")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# what can show the problem (a photo, a file, a video); a GIF is a reaction, like a sticker
MEDIA_KINDS = {"photo", "document", "video"}
# a file that shows no problem: a receipt, an invoice, a document (an image or a video sent
# as a file does show it)
_PAPER_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|odt|ods|rtf|txt|csv|zip|rar|7z|html?|xml)$", re.I)


def _paper(attachment: Any) -> bool:
    return attachment.kind == "document" and bool(_PAPER_FILE.search(attachment.name or ""))


# a thumbs-up or -down alone (any skin tone, repeated): the answer to a yes/no question
_SIGN_MARKS = "\U0001f3fb-\U0001f3ff\ufe0f\\s"
_THUMB_UP = re.compile(f"^[{_SIGN_MARKS}]*[👍👌✅🆗][👍👌✅🆗{_SIGN_MARKS}]*$")
_THUMB_DOWN = re.compile(f"^[{_SIGN_MARKS}]*[👎❌][👎❌{_SIGN_MARKS}]*$")


def yes_no_sign(incoming: Incoming) -> str | None:
    """'yes' for a thumbs-up alone, typed or a sticker's (👍, 👌, ✅), 'no' for a thumbs-down
    (👎, ❌); None for anything else."""
    text = (incoming.text or "").strip()
    if not text and not incoming.callback_data:
        text = next((a.name or "" for a in incoming.attachments if a.kind == "sticker"), "")
    if _THUMB_UP.match(text):
        return "yes"
    return "no" if _THUMB_DOWN.match(text) else None


# a Polish mobile number without +48 (prefixes 45, 50, 51, 53, 57, 60, 66, 69, 72, 73, 78, 79,
# 88): "601 234 567", "601-234-567" (plainly a phone), "601234567" (nine digits alone: one only
# when a Polish customer is asked for a contact, or it might be an order number)
_PL_MOBILE = re.compile(
    r"(?<![\w+-])((?:45|5[0137]|6[069]|7[2389]|88)\d(?P<sep>[ \u00a0-]?)\d{3}(?P=sep)\d{3})"
    r"(?![\w-]|[ \u00a0-]\d)"
)


def find_contact(text: str, *, polish: bool = False) -> str | None:
    """The e-mail or phone number in ``text`` (``polish``: a Polish customer asked for a
    contact, so nine digits alone are a mobile number too)."""
    m = _EMAIL.search(text)
    if m:
        return m.group(0)
    for m in _PHONE.finditer(text):
        if _is_phone(m.group(1)):
            return m.group(1).strip()
    for m in _PL_MOBILE.finditer(text):
        if m.group("sep") or polish:
            return m.group(1)
    return None


# what may come with a contact given alone: "my email is", "mój numer:", "телефон для связи"
_CONTACT_FILLER = re.compile(
    r"(?<!\w)(?:my|mine|is|it'?s|here|e-?mail|email|address|phone|number|tel|mobile|contact|"
    r"me|at|on|мой|моя|мо[ёе]|это|вот|почта|e-?мейл|имейл|емейл|телефон|номер|тел|для|связи|"
    r"m[óo]j|moja|moje|to|jest|mail|maila|adres|telefon|numer|kontakt\w*|pod)(?!\w)",
    re.IGNORECASE,
)


def contact_only(text: str) -> str | None:
    """The e-mail or phone number of a message that gives it and nothing else ("anna@x.pl",
    "my email is john@example.com", "+48 601 234 567")."""
    contact = find_contact(text or "")
    if contact is None:
        return None
    rest = _CONTACT_FILLER.sub(" ", text.replace(contact, " "))
    return contact if not re.sub(r"[\W_]+", "", rest) else None


def _pl_mobile_in_groups(text: str, ref: str) -> bool:
    """``ref`` is a Polish mobile written in groups of three ("601 234 567") in ``text``."""
    return any(
        m.group("sep") and re.sub(r"\D", "", m.group(1)) == ref for m in _PL_MOBILE.finditer(text)
    )


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return (
        10 <= len(digits) <= 13 and (candidate.startswith("+") or digits[0] in "78")
    ) or uk_mobile(candidate)


def words(text: str) -> int:
    return len(_WORD.findall(text))


_NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+|[\w-]+\.(?:ru|com|pl|net|org|by|kz|ua)\b\S*|"
    r"@\w+|\S*\d\S*",
    re.IGNORECASE,
)


def real_words(text: str) -> int:
    """Words of a language: e-mails, links, @handles, numbers and codes ("AB-77812") are none."""
    return words(_NOT_WORDS.sub(" ", text))


# where a sentence ends: after ".", "?", "!", ";" or "…" and a space, or at a new line
_SENTENCE_END = re.compile(r"(?<=[?!.;…])\s+|\n+")


def sentences(text: str) -> list[str]:
    """``text``'s sentences, stripped (none empty)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def said_once(said: list[str]) -> list[str]:
    """The sentences ``said``, each once (the first time, in lower case and single spaces):
    the same venting said over and over is read, and shown, once."""
    seen: set[str] = set()
    once = []
    for sentence in said:
        key = " ".join(sentence.lower().split())
        if key not in seen:
            seen.add(key)
            once.append(sentence)
    return once


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def no_words(text: str) -> bool:
    """Something was written, but not one letter or digit: "???", "😡😡"."""
    return bool(text.strip()) and not _LETTER_OR_DIGIT.search(text)


def ask_what_happened(ctx: TurnContext, intent: str | None) -> None:
    """No words, but plainly something went wrong: asked kindly what happened (no apology for
    a problem nobody named, no gesture); the complaint opens with the answer."""
    ctx.state["complaint_clarified"] = int(ctx.state.get("turns", 0))
    ctx.say("no_words_clarify")
    ctx.event("clarify", intent=intent, reason="no_words")


def is_description(text: str, minimum: int = 4) -> bool:
    """A message that says what happened (not just a number or a yes)."""
    return words(text) >= minimum


_BARE_REF = re.compile(
    r"(?<![\w+/-])(?:№|#|no\.?\s*|nr\.?\s*)?((?:[A-Za-z]{1,4}/)?\d{1,10}(?:/\d{1,6})+|"
    r"[A-Za-zА-Яа-я]{1,3}-?\d{3,10}|\d{4,10}(?:-\d{1,6})?)(?![\w/-])"
)


# words said around an order number given on its own: "заказ 5512377", "it's order 5512377"
_LONE_FILLER = frozenset(
    "it its it's is this that the here my order number no nr "
    "это вот мой моего номер заказ заказа заказе "
    "to jest oto mój moje numer zamówienie zamówienia".split()
)
_LONE_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def question_stands(state: dict[str, Any]) -> bool:
    """A question of ours is waiting for the customer's answer: a complaint case being
    collected, or the order number asked for a status."""
    case = state.get("complaint") or {}
    return case.get("stage") not in (None, "done") or state.get("order_status") == "asked"


def lone_order_ref(state: dict[str, Any], incoming: Incoming) -> str | None:
    """The order number of a message that is that number and nothing else ("5512377",
    "заказ 5512377") while nothing is asked of the customer (a case being collected, a
    question for the number, "what happened?", what went wrong after a low rating; a
    survey's rating question is moved on from): the model reads a lone number as a
    complaint. A number of five digits or more, or a code like "A-7781" (not "1490")."""
    text = (incoming.text or "").strip()
    if not text or incoming.callback_data or incoming.attachments:
        return None
    if (state.get("complaint") or {}).get("stage") not in (None, "done"):
        return None
    if any(state.get(k) is not None for k in ("order_status", "complaint_clarified")):
        return None
    if (state.get("survey") or {}).get("step") == "why":
        return None  # "what went wrong?" after a low rating: the answer, whatever it is
    if not all(w.lower() in _LONE_FILLER for w in _LONE_TOKEN.findall(text)):
        return None
    if len(re.findall(r"\d+(?:[-/]\d+)*", text)) != 1:
        return None
    ref = bare_order_ref(text)
    if ref is None or (ref.isdigit() and len(ref) < 5):
        return None
    return ref


def bare_order_ref(text: str) -> str | None:
    """An order reference given on its own, after we asked for it (not a phone number or a
    date): "7734521", "A-7781", "123/2024"."""
    phones = [(m.start(1), m.end(1)) for m in _PHONE.finditer(text) if _is_phone(m.group(1))]
    fixes = [m.end() for m in SELF_CORRECTION.finditer(text)]
    if fixes:
        # "4471234, а, нет, 4471243": the number after the correction
        later = bare_order_ref(text[fixes[-1] :])
        if later is not None and _first_order_ref(text[: fixes[-1]]):
            return later
    return _first_order_ref(text, phones)


def _first_order_ref(text: str, phones: list[tuple[int, int]] | None = None) -> str | None:
    """The first order reference in ``text`` (see :func:`bare_order_ref`)."""
    if phones is None:
        phones = [(m.start(1), m.end(1)) for m in _PHONE.finditer(text) if _is_phone(m.group(1))]
    for m in _BARE_REF.finditer(text):
        ref = m.group(1)
        if DENIED_BEFORE.search(text[max(0, m.start(1) - 12) : m.start(1)]):
            continue  # "not 554433 but 554434": the one denied
        digits = re.sub(r"\D", "", ref)
        if (len(digits) >= 10 and digits[0] in "78") or is_date_or_phone(ref):
            continue
        if any(a <= m.start(1) and m.end(1) <= b for a, b in phones):
            continue  # the end of a phone number written in groups: "+7 916 1234567"
        return ref
    for m in _GROUPED_REF.finditer(text):
        # "44 78 123", "вот номер 447 812 3": read out in groups (no phone, no date)
        digits = re.sub(r"\D", "", m.group(0))
        if not 5 <= len(digits) <= 10 or _is_phone(m.group(0)):
            continue
        if any(a < m.end() and m.start() < b for a, b in phones):
            continue  # a part of "8 916 123 45 67"
        if is_date_or_phone(m.group(0).replace(" ", "-")):
            continue
        if DENIED_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        return digits
    return None


_GROUPED_REF = re.compile(r"(?<![\w+/-])\d{2,4}(?:[ \u00a0]\d{1,4}){1,3}(?![\w/-]|[.,]\d)")


# "ой, ошиблась, номер на самом деле 445566", "sorry, the order number is 445566", "pomyłka,
# numer to 445566": the customer corrects a detail given before (a second order is no correction)
_CORRECTS = re.compile(
    r"на\s+самом\s+деле|ошиб(?:лась|ся|ка|очка)|опечат|перепута|не\s+тот\s+номер|"
    r"(?:правильный|верный|настоящий)\s+номер|(?:точнее|вернее|исправ\w*)\b|"
    # "номер заказа не тот, правильный 5512091", "the right one is 5512091"
    r"номер\w*(?:\s+заказа)?\s+не\s+т(?:от|ой)\b|(?:правильный|верный)\W+(?:\w+\W+)?#?\d|"
    r"\b(?:right|correct|real)\s+(?:one|number|order(?:\s+number)?)\s+(?:is|was)\b|"
    r"(?:извините|простите|пардон)\W+(?:\w+\W+)?номер|"
    r"\bactually\b|\bmistake\b|\btypo\b|wrong\s+number|\bi\s+meant\b|\bcorrect(?:ion|ed)?\b|"
    r"\bsorry\W+(?:\w+\W+){0,2}(?:order\s+)?(?:number|no\.?)\b|should\s+(?:be|read)\b|"
    r"pomy[łl]k|pomyli[łl]|w[łl]a[śs]ciw(?:ie|y\s+numer)|poprawn|prawid[łl]owy\s+numer|liter[óo]wk|"
    r"chodzi[łl]o\s+mi\s+o|przepraszam\W+(?:\w+\W+)?numer|(?:z[łl]y|b[łl][ęe]dny|nie\s+ten)\s+numer|"
    r"chodzi\s+(?:mi\s+)?o\s+(?:nr\.?\s*|numer\s+|zam[óo]wienie\s+)?#?\d|powinno\s+by[ćc]\b|"
    # "не 123456, а 123465", "not 554433 but 554434", "nie 554433, tylko 554434"
    r"\bне\s+(?:№\s*)?[\w-]*\d[\w-]*,?\s+а\b|\bnot\s+#?[\w-]*\d[\w-]*,?\s+but\b|"
    r"\bnie\s+(?:nr\.?\s*)?[\w-]*\d[\w-]*,?\s+(?:tylko|a|lecz)\b|"
    # "нет, 5566132", "no, it's 5566132", "nie, 5566132": a no and the right number alone
    r"^\W*(?:нет|no|nope|nie)[\s,.!:;-]+(?:(?:it'?s|this\s+is|номер|number|numer|nr\.?|№|#)\s*)?"
    r"#?\d[\w-]*\W*$",
    re.IGNORECASE,
)


_AMOUNT_NUMBER = (
    r"\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d{1,2})?|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|"
    r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?"
)
_AMOUNT_SIGN = r"(?:\s?[^\w\s,]|\s?[^\W\d]{1,8}\.?)?"  # "$", "₽", "руб.", "zł", "dollars"
# "не 700, а 1700", "not $700 but $1700", "nie 30 zł, tylko 25 zł", "1700, а не 700"
_AMOUNT_DENIED = re.compile(
    rf"(?:\bне|\bnot|\bnie)\s+[^\w\s]?(?P<old>{_AMOUNT_NUMBER}){_AMOUNT_SIGN}[\s,]*"
    rf"(?:а|but|tylko|lecz|a)\s+[^\w\s]?(?P<new>{_AMOUNT_NUMBER})(?![\d.,]\d)|"
    rf"(?<![\w.,])[^\w\s]?(?P<new2>{_AMOUNT_NUMBER}){_AMOUNT_SIGN}[\s,]*"
    rf"(?:а\s+не|not|a\s+nie|nie)\s+[^\w\s]?(?P<old2>{_AMOUNT_NUMBER})(?![\d.,]\d)",
    re.IGNORECASE,
)


def corrected_amount(text: str, pred_amount: float | None, old: float) -> float | None:
    """The amount that replaces ``old``: one said in a correction ("sorry, actually it was
    $6"), or the one put in place of ``old`` denied ("ой, не 700, а 1700")."""
    for m in _AMOUNT_DENIED.finditer(text):
        was, now = m.group("old") or m.group("old2"), m.group("new") or m.group("new2")
        if parse_number(was) == old and parse_number(now) != old:
            return parse_number(now)
    if pred_amount is not None and float(pred_amount) != old and corrects(text):
        return float(pred_amount)
    return None


def corrects(text: str) -> bool:
    """The message corrects something the customer said before."""
    return bool(_CORRECTS.search(text))


def _looks_like(ref: str | None, old: str) -> bool:
    """A bare number that may replace ``old`` unasked: about as long (a mistyped order
    number), not "на самом деле я заплатила 4500" for order 5512090."""
    digits = len(re.sub(r"\D", "", ref or ""))
    return digits > 0 and abs(digits - len(re.sub(r"\D", "", old))) <= 1


def moved_on(ctx: TurnContext) -> bool:
    """The complaint case of this chat is over (or there is none) and no person has it: an
    order number said now is about what the customer writes now."""
    case = ctx.state.get("complaint") or {}
    return ctx.conversation.status == "bot" and case.get("stage") in (None, "done")


def awaiting(ctx: TurnContext, slot: str) -> bool:
    """Did the bot ask for ``slot`` in this conversation?"""
    if ctx.state.get("order_status") == "asked" and slot == "order_ref":
        return True
    case = ctx.state.get("complaint") or {}
    if slot in case.get("asked", []):
        return True
    return any(
        t.get("type") == "asked_for" and t.get("slot") == slot for t in ctx.state.get("trail", [])
    )


def remember(ctx: TurnContext) -> list[str]:
    """Update ``state["known"]`` from this turn; return the slots that became known."""
    known: dict[str, Any] = ctx.state.setdefault("known", {})
    new: list[str] = []
    text = (ctx.incoming.text or "").strip()
    pred = ctx.prediction
    old = known.get("order_ref")
    amount = None
    if known.get("amount") is not None and text:
        amount = corrected_amount(text, pred.amount if pred else None, float(known["amount"]))
    if amount is not None:
        # "ой, не 700, а 1700", "sorry, actually it was $6": the amount, not an order number
        ctx.corrected["amount"] = f"{float(known['amount']):g}"
        known["amount"] = amount
        if pred is not None and pred.currency and float(pred.amount or 0) == amount:
            known["currency"] = pred.currency
        new.append("amount")
    elif pred is not None and pred.order_ref and old and pred.order_ref != old and moved_on(ctx):
        # the case is over: "в заказе 5512999 пришла разбитая кружка" is about another order
        known["order_ref"] = pred.order_ref
        ctx.left_order = str(old)
        new.append("order_ref")
    elif pred is not None and pred.order_ref and old and pred.order_ref != old and corrects(text):
        # "ой, ошиблась, номер заказа на самом деле 445566": the new number replaces the old
        known["order_ref"] = pred.order_ref
        ctx.corrected["order_ref"] = str(old)
        new.append("order_ref")
    elif pred is not None and pred.order_ref and not old:
        known["order_ref"] = pred.order_ref
        new.append("order_ref")
    elif text and (
        ((not old or corrects(text)) and awaiting(ctx, "order_ref"))
        or (old and corrects(text) and _looks_like(bare_order_ref(text), str(old)))
    ):
        # We asked for the order number: a bare "5531207" or "A-7781" is the answer; or the
        # number given with the complaint is corrected ("pomyłka, numer to 5512091")
        ref = bare_order_ref(text)
        if ref and pred is not None and pred.amount is not None and ref == f"{pred.amount:g}":
            ref = None  # "на самом деле я заплатила 4500": the amount, not the order
        if ref and ctx.lang == "pl" and _pl_mobile_in_groups(text, ref):
            ref = None  # "601 234 567" from a Polish customer: a mobile, the order still to come
        if ref and ref != old:
            known["order_ref"] = ref
            if old:
                ctx.corrected["order_ref"] = str(old)
            new.append("order_ref")
    elif (
        text
        and not old
        and pred is not None
        and pred.intent in ("complaint", "order_status")
        and not question_stands(ctx.state)  # "601234567" for the contact asked is no order
        and real_words(text) >= 2
        and (ref := extract_order_ref(text, anywhere=True)) is not None
        and not (pred.amount is not None and ref == f"{pred.amount:g}")
    ):
        # "пришла не та сумка, номер 8200001", "kettle leaks, 6654411": a complaint's number
        # with no order word near it is its order's (it was asked for again); "where is it?
        # 3690007", "где он? 3690007": the number of the order asked about (it was asked for)
        known["order_ref"] = ref
        new.append("order_ref")
    if pred is not None and pred.amount is not None and known.get("amount") is None:
        over = overcharge(text)  # "цена 990 ₽, а списали 1 490 ₽": the 500 ₽ is the claim
        known["amount"] = float(over.amount if over else pred.amount)
        if (over and over.currency) or pred.currency:
            known["currency"] = (over and over.currency) or pred.currency
        new.append("amount")
    media = [a for a in ctx.incoming.attachments if a.kind in MEDIA_KINDS and not _paper(a)]
    if media:
        photos = known.setdefault("photos", [])
        photos.extend(a.file_id or a.kind for a in media)
        new.append("photo")
    papers = [a for a in ctx.incoming.attachments if _paper(a)]
    if papers:
        # "вот чек" with receipt.pdf: kept for the team, and no photo of the problem (it
        # was taken for one, and the fix offered with nothing seen)
        known.setdefault("files", []).extend(a.file_id or a.name for a in papers)
        new.append("file")
    for a in ctx.incoming.attachments:
        # Telegram's share-contact button and a shared location: the phone number or the
        # coordinates are in the attachment's name
        if a.kind in ("contact", "location") and a.name:
            slot = a.kind
            if known.get(slot) != a.name:
                known[slot] = a.name
                if slot not in new:
                    new.append(slot)
    if text and not known.get("contact"):
        # "601234567" to a Polish customer asked for a contact (not the order number just given)
        polish = (
            ctx.lang == "pl"
            and awaiting(ctx, "contact")
            and "order_ref" not in new
            and not (pred is not None and pred.order_ref)
        )
        contact = find_contact(text, polish=polish)
        if contact:
            known["contact"] = contact
            new.append("contact")
    return new


_LANG_CURRENCY = {"ru": "RUB", "pl": "PLN"}  # an amount said without a currency


def claim_currency(known: dict[str, Any], lang: str, shop_currency: str | None) -> str | None:
    """The claimed amount's currency: the one said, else the language's, else the shop's
    (None: not known, the amount is said as a bare number)."""
    return known.get("currency") or _LANG_CURRENCY.get(lang) or shop_currency


def has(known: dict[str, Any], slot: str) -> bool:
    if slot == "photo":
        return bool(known.get("photos"))
    return bool(known.get(slot))
