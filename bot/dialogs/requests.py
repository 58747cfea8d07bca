"""Several requests in one message.

"Здравствуйте! Где мой заказ 4478120? И ещё: как вернуть куртку?" holds a greeting, an
order-status question and a returns question. The classifier reads one intent per text,
so the message is split into requests (sentences, and "and also" / "и ещё" / "i jeszcze"
joins), each part is classified, and:

* the *main* request is the most pressing one (complaint > person > order > question >
  the rest); the conversation flows handle it, with the order number, amount, threat and
  emotion read from the whole message;
* the other *questions* are answered from the knowledge base in the same turn, so the
  customer does not have to ask again (when all are questions, those it cannot answer are
  said so, with a person offered);
* every complaint type named in a part, or in a clause of one ("the kettle arrived cracked
  and the courier was rude"), is kept in ``complaint_types``: the complaint flow fixes the
  product problem and passes what was said about staff, service or the site on as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.dialogs.slots import words
from bot.nlu.extract import extract_order_ref, without_order_ref
from bot.nlu.lexicon import (
    PACKAGING,
    arrival_only,
    bare_outburst,
    box_damage_only,
    damage_denied,
    damage_named,
    item_trouble_named,
    staff_praised,
    type_denied,
)
from bot.nlu.schema import Prediction

MIN_CONFIDENCE = 0.45  # the engine's bar for acting on an intent
QUESTION_IN_COMPLAINT = 0.8  # a question asked inside a complaint must be clearly general
MAX_PARTS = 5
PRIORITY = {
    "complaint": 0,
    "request_human": 1,
    "order_status": 2,
    "faq": 3,
    "deny": 4,
    "affirm": 4,
    "praise": 5,
    "out_of_scope": 6,
    "greeting": 7,
    "thanks": 7,
    "goodbye": 7,
}
THREAT_ORDER = {"none": 0, None: 0, "churn": 1, "public": 2, "legal": 3}

# the words that open a question, per language: "and" before them starts another question
# ("…и сколько стоит доставка", "…and how long does it take", "…i ile kosztuje dostawa"); the
# Polish "i" only before Polish ones, as it is also the English "I" ("…where I can pick up")
_QUESTION_WORDS_RU = r"как|где|когда|можно|сколько|что|есть\s+ли|почему|зачем|куда"
_QUESTION_WORDS_EN = r"can|could|do|does|how|what|where|when|is|are|will|why|which"
_QUESTION_WORDS_PL = r"jak|gdzie|kiedy|czy|ile|co|dlaczego|jaki|jaka|jakie"
_QWORD = (
    r"(?:а\s+)?(?:как|где|когда|можно|сколько|куда|какая|какой|какие|how|where|when|can\s+i|"
    r"could\s+i|do\s+you|jak|gdzie|kiedy|czy|ile|jaki|jaka|jakie)\b"
)
# after a comma only words that ask ("…, как её вернуть"), not "…, можно было предупредить"
# or "…, когда открыла коробку"
_QWORD_AFTER_COMMA = (
    r"(?:а\s+)?(?:как|где|сколько|куда|какая|какой|какие|how|where|jak|gdzie|ile|jaki|jaka|"
    r"jakie)\b"
)
_ASKS = re.compile(
    rf"\?|(?:^\W*|[.!?…]\s*){_QWORD}|,\s*{_QWORD_AFTER_COMMA}",
    re.IGNORECASE,
)


def asks_question(text: str) -> bool:
    """The message asks something: a "?", a question word opening it or a sentence, or an
    asking word after a comma ("Пришла куртка с дыркой, как её вернуть"; not "Курьер
    опоздал, можно было хотя бы предупредить")."""
    return bool(_ASKS.search(text or ""))


_SPLIT = re.compile(
    r"(?<=[?!.;…])\s+"  # sentence ends
    r"|\n+"
    r"|\s*,?\s*\b(?:и\s+ещ[её]|а\s+ещ[её]|ещ[её]\s+вопрос|также|кроме\s+того|"
    r"and\s+also|also|plus|another\s+question|"
    r"i\s+jeszcze|a\s+także|oraz|poza\s+tym|jeszcze\s+jedno)\b\s*[:,\-–]?\s*"
    rf"|\s*,?\s+(?:и\s+(?=(?:{_QUESTION_WORDS_RU})\b)|and\s+(?=(?:{_QUESTION_WORDS_EN})\b)|"
    rf"i\s+(?=(?:{_QUESTION_WORDS_PL})\b))"
    # "курьер нахамил, позовите менеджера": the problem, then the request for a person
    r"|\s*,\s*(?=(?:позовите|соедините|переключите|свяжите\s+(?:меня\s+)?с|"
    r"(?:дайте|нужен|нужна|хочу|можно)\s+(?:мне\s+)?(?:с\s+)?(?:жив\w+\s+)?"
    r"(?:оператор|менеджер|человек|сотрудник|консультант)|"
    r"(?:хочу|можно|дайте)\s+(?:мне\s+)?(?:поговорить|пообщаться|связаться)\s+с|"
    r"(?:i\s+want|i'?d\s+like|let\s+me)\s+to\s+(?:talk|speak)\s+to|"
    r"(?:get|give)\s+me\s+(?:a\s+)?(?:real\s+)?(?:human|person|manager|agent)|"
    r"(?:chc[eę]|prosz[eę])\s+(?:o\s+)?(?:rozmow\w*|porozmawia\w*|konsultant\w*|cz[łl]owiek\w*)|"
    r"po[łl][ąa]cz\w*\s+(?:mnie\s+)?z)\b)",
    re.IGNORECASE,
)
# clauses of one sentence joined by "and" / "but": "чайник треснул, а курьер нахамил"
_CLAUSE = re.compile(
    r"\s*,\s*(?:а|и|но|да\s+и|and|but|a|i|ale|oraz)\s+|\s+а\s+ещ[её]\s+|\s+a\s+do\s+tego\s+|"
    r"\s+(?:and|but)\s+(?=(?:the|my|your|then|also|on\s+top)\b)|\s+(?:и|но)\s+(?=(?:ещ[её]|курьер|"
    r"оператор|менеджер|продав|сотрудник|сайт|приложени)\w*)|\s+(?:i|ale)\s+(?=(?:kurier|"
    r"konsultant|pracownik|sprzedaw|stron|aplikacj)\w*)|"
    # "опоздал на 3 дня и чайник пришёл сломанный": a second clause about a broken thing
    r"\s+(?:и|and|i|oraz)\s+(?=(?:[^\W\d_]+\s+){0,3}(?:сломан|разбит|трещин|помят|cracked|"
    r"broken|damaged|smashed|chipped|p[ęe]kni[ęe]|uszkodz|zepsu|rozbit|zgniec|st[łl]uczon|"
    r"pot[łl]uczon))",
    re.IGNORECASE,
)
CLAUSE_CONFIDENCE = 0.8  # a clause's own complaint type counts only when clearly one
# a conjunction opening a part ("И сколько стоит доставка?", "A ile trwa zwrot?"); not the
# English "I" before its verb ("I want a refund") nor the article "a" ("A friend told me"):
# "i" not before an English verb, "a" only before a Polish word that asks or points
_I_VERB = (
    r"(?:am|was|have|had|can|could|cannot|want|wanted|need|needed|would|will|should|did|do|"
    r"just|also|still|got|bought|ordered|paid|received|think|thought|tried|returned|sent|"
    r"live|see|know|wonder|hope|really|never|already|only|called|asked|wrote|made|placed|"
    r"don'?t|didn'?t|can'?t|haven'?t|wasn'?t|won'?t)\b"
)
_A_POLISH = (
    rf"(?:{_QUESTION_WORDS_PL}|czemu|je[śs]li|je[żz]eli|gdyby|mo[żz]e|mog[ęe]|mo[żz]na|to|ten|ta|"
    r"m[óo]j|moja|moje|nie|jeszcze|zwrot|dostawa|kurier)\b"
)
_LEADING = re.compile(
    rf"^(?:(?:и|а|но|and|but|so|ale|oraz)\s+|i\s+(?!{_I_VERB})|a\s+(?={_A_POLISH}))",
    re.IGNORECASE,
)


# "Hi, I have a problem with my order", "mam reklamację", "у меня проблема с заказом": the
# customer says there is a problem and nothing about it (the model reads praise, a goodbye or
# an order-status question into such a line); an order number may come with it
_HELLO_WORDS = (
    r"hi|hello|hey|good\s+(?:morning|afternoon|evening)|dzie[ńn]\s+dobry|cze[śs][ćc]|witam|"
    r"hej|здравствуйте|добрый\s+(?:день|вечер)|доброе\s+утро|привет"
)
_GREETING = rf"(?:(?:{_HELLO_WORDS})\W*)?"
_ORDER_NOUN = (
    r"(?:(?:my|our|the|an?|this)\s+)?(?:order|parcel|package|delivery|purchase)|"
    r"(?:moim\s+|moj[aą]\s+|tym\s+)?(?:zam[oó]wieniem|paczk[aą]|przesy[lł]k[aą]|dostaw[aą]|zakupem)|"
    r"(?:моим\s+)?(?:заказом|заказу|посылкой|доставкой)"
)
# "a problem with your website", "z waszą aplikacją", "с приложением": the site or the app
_SITE_NOUN = (
    r"(?:(?:my|our|the|your|this)\s+)?(?:website|web\s+site|site|app|application|account|"
    r"payment|checkout)|(?:(?:wasz[aąe]|waszej|moim|moj[aą])\s+)?(?:stron[aąey]|aplikacj[aąię]|"
    r"kont(?:em|a)?|p[łl]atno[śs]ci[aą]?)|(?:вашим\s+|моим\s+)?(?:сайтом|приложением|оплатой|"
    r"личным\s+кабинетом|аккаунтом)"
)
_SITE_NAMED = re.compile(rf"(?:with|about|z|с|по)\s+(?:{_SITE_NOUN})\b", re.IGNORECASE)
# "about the courier", "на курьера", "na kuriera": someone of the staff
_STAFF_NOUN = (
    r"(?:(?:the|your|a|my|this|one\s+of\s+your)\s+)?(?:courier|driver|delivery\s+(?:guy|man|driver|person)|"
    r"operator|agent|staff|consultant|manager|employee|support\s+(?:agent|guy|person|staff)|"
    r"shop\s+assistant|cashier)s?|(?:ваш\w*\s+)?(?:курьер|оператор|сотрудник|менеджер|"
    r"консультант|продав|водител|кассир)\w*|(?:wasz\w*\s+)?(?:kurier|konsultant|pracownik|"
    r"sprzedaw|kierowc|kasjer)\w*"
)
_STAFF_NAMED = re.compile(rf"(?:about|on|на|na)\s+(?:{_STAFF_NOUN})(?!\w)", re.IGNORECASE)
# one of the shop's people named anywhere: "оператор мне нагрубил", "your agent was rude"
_STAFF_WORD = re.compile(rf"(?<!\w)(?:{_STAFF_NOUN})(?!\w)", re.IGNORECASE)
# what a complaint is "on": "хочу пожаловаться на доставку", "complain about the delivery",
# "skarga na dostawę" (what went wrong with it is still to be asked)
_DELIVERY_OBJECT = (
    r"(?:(?:the|my|your|this)\s+)?(?:delivery|shipping|order|parcel|package)|"
    r"(?:вашу\s+|мою\s+)?(?:доставку|посылку)|(?:ваш\s+|мой\s+)?заказ|"
    r"(?:wasz[ąa]\s+|moj[ąa]\s+)?(?:dostaw[ęe]|przesy[łl]k[ęe]|paczk[ęe])|zam[óo]wienie"
)
# "about the quality of an item", "на качество товара", "na jakość produktu": a thing bought
_QUALITY_NOUN = (
    r"(?:the\s+)?(?:(?:poor|bad)\s+)?quality(?:\s+of\s+(?:the\s+|an?\s+|my\s+|your\s+)?"
    r"(?:items?|products?|goods|things?|purchase|order))?|(?:the\s+|an?\s+|my\s+)?(?:item|"
    r"product|goods)|(?:плохое\s+)?качество(?:\s+(?:товара|товаров|продукта|продукции|вещи|заказа|"
    r"покупки))?|товар|(?:s[łl]ab[ąa]\s+)?jako[śs][ćc](?:\s+(?:produktu|towaru|rzeczy|"
    r"zam[óo]wienia))?|produkt|towar"
)
# ... or said as its complaint's object: "reklamację towaru", "reklamacja produktu"
_GOODS_CLAIMED = r"reklamacj[eęa]\s+(?:towaru|produktu|rzeczy)"
_QUALITY_NAMED = re.compile(
    rf"(?:(?:about|on|на|na)\s+(?:{_QUALITY_NOUN})|{_GOODS_CLAIMED})(?!\w)", re.IGNORECASE
)
_PROBLEM_ONLY = re.compile(
    rf"{_GREETING}(?:"
    r"(?:i(?:'ve|\s+have)?(?:\s+got)?|there(?:'s|\s+is)|we\s+have)\s+(?:a\s+|an\s+|some\s+)?"
    r"(?:problem|issue|complaint|trouble)|i\s+want\s+to\s+complain|"
    r"i(?:'d|\s+would)\s+like\s+to\s+(?:make|file|lodge|raise)\s+a\s+complaint|"
    r"i\s+(?:want|would\s+like|'d\s+like)\s+to\s+(?:make|file|lodge|raise|leave)\s+a\s+complaint|"
    r"something(?:'s|\s+is|\s+has)?\s+(?:gone\s+|went\s+)?wrong|"
    r"(?:mam|jest|mamy)\s+(?:(?:ma[lł]y|du[zż]y|powa[zż]ny)\s+)?(?:problem|k[lł]opot|reklamacj[eęa])|"
    r"(?:ja\s+)?(?:chc[eę]|chcia[lł](?:a)?bym)\s+(?:z[lł]o[zż]y[cć]|zg[lł]osi[cć])\s+"
    r"(?:reklamacj[eę]|skarg[eę])(?:\s+(?:towaru|produktu|rzeczy))?|"
    r"co[śs]\s+(?:jest\s+)?nie\s+tak|"
    r"(?:у\s+меня|есть)\s+(?:проблема|претензия|жалоба)|"
    # the bare noun: "жалоба на оператора", "complaint about the courier", "skarga na kuriera"
    r"(?:a\s+)?complaint|жалоба|претензия|skarga|reklamacja|"
    r"(?:я\s+)?(?:хочу|хотел[аи]?\s+бы)\s+(?:пожаловаться|(?:оставить|подать|оформить|написать)\s+"
    r"(?:жалобу|претензию|рекламацию))|что-то\s+не\s+так|"
    # the order said to have one: "My order has a problem", "С заказом проблема", "Z zamówieniem
    # jest problem" (praise to the model)
    rf"(?:{_ORDER_NOUN}|{_SITE_NOUN})\s+(?:has|had|got)\s+(?:a\s+|an\s+|some\s+)?(?:problem|issue)|"
    rf"(?:с|z)\s+(?:{_ORDER_NOUN}|{_SITE_NOUN})\s+(?:(?:jest|какая-то|какие-то|есть)\s+)?"
    r"(?:проблем[аы]|problem|k[lł]opot)"
    rf")(?:\s+(?:with|about|z|с|по)\s+(?:{_ORDER_NOUN}|{_SITE_NOUN})|\s+(?:about|on|на|na)\s+"
    rf"(?:{_STAFF_NOUN}|{_QUALITY_NOUN}|{_DELIVERY_OBJECT}))?"
    # the order's number, bare or named: "#3620001", "order 3620001", "zamówienie nr 3620003",
    # "заказ 3620004"
    r"(?:\W*(?:(?:for\s+|по\s+|do\s+)?(?:order|zam[oó]wieni\w*|заказ\w*)\s*)?"
    r"(?:nr\.?|no\.?|number|numer|номер|№|#)?\s*[\w-]*\d[\w-]*)?"
    r"[\s.!,:)(]*(?:please|pro[sś]z[eę]|пожалуйста)?[\s.!]*",
    re.IGNORECASE,
)


def announces_problem(text: str) -> bool:
    """The message says only that there is a problem ("I have a problem with my order")."""
    return bool(_PROBLEM_ONLY.fullmatch((text or "").strip()))


def staff_named(text: str) -> bool:
    """One of the shop's people is named: a courier, an operator, a consultant."""
    return bool(_STAFF_WORD.search(text or ""))


def announced_type(text: str) -> str | None:
    """The complaint type a bare announcement of a problem names: ``website_app`` for "I have
    a problem with your website", "mam problem z aplikacją"; ``staff_behavior`` for "I want to
    complain about the courier", "хочу пожаловаться на курьера", "chcę złożyć skargę na
    kuriera"; else None."""
    if not announces_problem(text):
        return None
    if _SITE_NAMED.search(text):
        return "website_app"
    if _STAFF_NAMED.search(text):
        return "staff_behavior"
    if _QUALITY_NAMED.search(text):
        return "damaged_defective"  # "...about the quality of an item": what is wrong with it
    return None


# a question opening a part: "Ile kosztuje dostawa do paczkomatu, czy mogę zapłacić przy
# odbiorze" asks two things; the second starts after the comma with a word that opens a
# direct question (not the Polish "jak" = "if", nor "где" / "как" of a clause: "есть ли
# пункт, где можно примерить?")
_OPENS_QUESTION = re.compile(
    rf"^(?:{_QUESTION_WORDS_RU}|{_QUESTION_WORDS_EN}|{_QUESTION_WORDS_PL})\b", re.IGNORECASE
)
_SECOND_QUESTION = re.compile(
    r",\s+(?=(?:можно\s+ли|а\s+можно|есть\s+ли|сколько|can\s+(?:i|you|we)|could\s+(?:i|you)|"
    r"do\s+you|does|is\s+(?:it|there)|are\s+there|how|where|what|ile|gdzie|jaki|jaka|jakie|"
    # "czy" asks again, but not as the "or" of one question ("kartą, czy tylko gotówką?")
    r"czy(?!\s+(?:tylko|te[żz]|r[óo]wnie[żz]|tak[żz]e|raczej|mo[żz]e|jednak|nie|lub|albo|to|"
    r"w|we|na|do|po|z|ze|przez|dla|od|u)\b))\s)",
    re.IGNORECASE,
)
# "Could you tell me, how much...", "Czy wiecie, ile...", "Подскажите, сколько...": one question
_ASKS_TO_TELL = re.compile(
    r"(?:tell\s+(?:me|us)|know|wonder\w*|ask|wiesz|wiecie|wie\s+pan\w*|powiedzie[ćc]|"
    r"zapyta[ćc]|dowiedzie[ćc]\s+si[ęe]|подскаж\w*|скаж\w*|знаете|узнать|спросить|уточнить)\W*$",
    re.IGNORECASE,
)


# a short second question as it is said, not written: "чё по доставке в питер скока дней и
# промик есть?", "…и чё с возвратом?", "…a zwroty jak?", "…and promo codes?", "… + есть ли
# скидки" (not one question naming two things: "доставка и оплата при получении", "zwrot i
# wymiana", which ask nothing before the "and")
_SLANG_ASK = r"чё|чо|че|шо|скока|скоко|скок"
_FIRST_ASKS = re.compile(
    rf"^(?:{_QUESTION_WORDS_RU}|{_QUESTION_WORDS_EN}|{_QUESTION_WORDS_PL})\b"
    rf"|(?<!\w)(?:{_SLANG_ASK}|сколько|ile|how\s+(?:long|much|many))(?!\w)",
    re.IGNORECASE,
)
_JOIN = re.compile(r"\s*,?\s+(?P<join>и|а|and|plus|a|i)\s+|\s*\+\s*", re.IGNORECASE)
_ASKS_SHORT = re.compile(
    # opens asking ("чё с возвратом?", "what about returns?", "co ze zwrotem?", "есть ли скидки")
    rf"^(?:{_SLANG_ASK}|что|как|what|how|co|jak|{_QUESTION_WORDS_RU}|{_QUESTION_WORDS_PL})(?!\w)"
    # or ends with a word that asks ("промик есть?", "zwroty jak?", "a raty są?")
    r"|(?<!\w)(?:есть|будет|бывает|бывают|имеются|как|где|jak|gdzie|s[ąa]|jest|macie|"
    r"b[ęe]dzie|available)\W*$",
    re.IGNORECASE,
)
_IF = re.compile(r"(?<!\w)(?:if|если|je[śs]li|je[żz]eli|gdy)(?!\w)", re.IGNORECASE)
SHORT_SECOND = 5  # words of a second question said in short
BARE_SECOND = 3  # ... of one that only names its topic ("and promo codes?")


def _said_second(part: str) -> tuple[str, str] | None:
    """A question, then a short one joined by "and" (see ``_ASKS_SHORT``), or a topic of the
    shop it did not name ("…and promo codes?"; not "…и Германию?"): the two, else None."""
    from knowledge.index import concepts  # the knowledge package imports this module's users

    for match in reversed(list(_JOIN.finditer(part))):
        first, second = part[: match.start()].strip(" ,"), part[match.end() :].strip()
        if "," in second or words(first) < 3 or not _FIRST_ASKS.search(first):
            continue
        if words(second) <= SHORT_SECOND and _ASKS_SHORT.search(second):
            return first, second
        if (
            (match["join"] or "+").lower() in ("и", "and", "plus", "+")
            and words(first) >= 4
            and words(second) <= BARE_SECOND
            and second.endswith("?")
            and concepts(second) - concepts(first)
            and not _IF.search(first)  # "…if I order and pay today?"
        ):
            return first, second
    return None


def _questions_in(part: str) -> list[str]:
    """A part that opens with a question and asks another after a comma, or a short one after
    "and" (``_said_second``), as two parts."""
    if (said := _said_second(part)) is not None:
        return [*_questions_in(said[0]), said[1]]
    if not _OPENS_QUESTION.match(part):
        return [part]
    pieces = _SECOND_QUESTION.split(part, maxsplit=1)
    if len(pieces) < 2 or words(pieces[0]) < 3 or words(pieces[1]) < 3:
        return [part]
    if _ASKS_TO_TELL.search(pieces[0]):
        return [part]
    return [pieces[0], *_questions_in(pieces[1])]


# a hello opening the first part: "Здравствуйте, как оплатить картой?" (read as a greeting)
_HELLO = re.compile(rf"^\W*(?:{_HELLO_WORDS})(?![^\W\d_])\W*", re.IGNORECASE)
# "у меня два вопроса:", "Two quick questions:", "Mam dwa pytania:" before the first of
# several questions: no request of its own
_PREAMBLE = re.compile(
    r"^\W*(?:(?:у\s+меня\s+|есть\s+)?(?:(?:ещ[её]\s+)?(?:два|три|пара|пару|несколько|"
    r"парочка|парочку)\s+)?(?:вопрос\w*|уточнени\w*)|(?:i\s+have\s+|i'?ve\s+got\s+)?(?:(?:two|three|"
    r"a\s+few|a\s+couple\s+of|some|a)\s+)?(?:quick\s+)?questions?|(?:mam\s+)?(?:(?:dwa|trzy|kilka)\s+)?"
    r"(?:kr[óo]tkie\s+)?pyta(?:nia|nie|[ńn]))\s*[:,.\-–—]\s*",
    re.IGNORECASE,
)


def _order_only(part: str) -> bool:
    """A part that only names the order ("Nr zamówienia 3640009", "Заказ 1234567.", "order
    #5531207"): a detail of the request beside it, not a request of its own."""
    return extract_order_ref(part) is not None and without_order_ref(part) is None


# "hi, I ordered a blender last week, order 3690002", "Заказала чайник в понедельник",
# "Zamówiłam buty": what was bought, told before what went wrong with it
_ORDERED = re.compile(
    r"^\W*(?:(?:hi|hello|hey|привет|здравствуйте|добрый\s+день|dzie[ńn]\s+dobry|cze[śs][ćc]|witam)"
    r"\W+)?(?:i\s+|я\s+|(?:my|мы|we)\s+)?(?:ordered|bought|purchased|заказал[аи]?|купил[аи]?|"
    r"оформил[аи]?|zam[óo]wi[łl](?:a|e|o)?m?|kupi[łl](?:a|e|o)?m?)\b",
    re.IGNORECASE,
)
# ... and nothing said of what came: "I ordered a blue one but got red", "заказала 38, а
# пришёл 40", "I ordered two, not one" name the problem in the same words
_ORDERED_TROUBLE = re.compile(
    r"\b(?:but|got|received|came|arrived|sent|instead|not|never|without|wrong|only|"
    r"но|а|получил\w*|пришл\w*|пришёл|пришел|прислал\w*|привезл\w*|вместо|не|нет|без|"
    r"ale|dosta[łl]\w*|przysz[łl]\w*|przys[łl]al\w*|zamiast|nie|bez)\b",
    re.IGNORECASE,
)


# ... nor what it was to be like: "I ordered a blue kettle" before "the red one came" is the
# wrong item's half
_ORDERED_LIKE = re.compile(
    r"\b(?:blue|red|green|black|white|yellow|pink|gr[ae]y|brown|purple|orange|beige|silver|gold|"
    r"size|colou?r|model|version|small|large|medium|xs|xl|xxl)\b|"
    r"(?<!\w)(?:син|красн|зел[её]н|ч[её]рн|бел|ж[её]лт|розов|сер[аеоыу]|коричнев|фиолет|оранж|беж|"
    r"серебр|золот|размер|цвет|модел|верси|niebiesk|czerwon|zielon|czarn|bia[łl]|[żz][óo][łl]t|"
    r"r[óo][żz]ow|szar|br[ąa]zow|fiolet|pomara[ńn]cz|be[żz]ow|srebrn|z[łl]ot|rozmiar|kolor|"
    r"wersj)|(?<![\d.,])\d{2,3}(?![\d.,])",
    re.IGNORECASE,
)


def ordered_only(clause: str) -> bool:
    """A clause that only tells what was ordered ("I ordered a blender last week, order
    3690002"): it names no problem, though the model reads "I ordered X" as a wrong item at
    0.98 (the lid missing after it opened a missing-item case with a wrong item queued)."""
    return (
        bool(_ORDERED.match(clause))
        and not _ORDERED_TROUBLE.search(clause)
        and not _ORDERED_LIKE.search(re.sub(r"\d{4,}", "", clause))  # the order number out
    )


def _with_order_told(parts: Iterable[str]) -> list[str]:
    """``parts`` with an order-only part joined to the request before it: "Gdzie jest moja
    paczka? Nr zamówienia 3640009" read on its own, the number's part was a missing item at
    0.50 to the model and made the status question a complaint. One that opens the message
    ("Заказ 3412001. Крышка треснула.") stays a part: the whole message has the number."""
    joined: list[str] = []
    for part in parts:
        if joined and _order_only(part):
            joined[-1] = f"{joined[-1]} {part}"
        else:
            joined.append(part)
    return joined


def split_requests(text: str) -> list[str]:
    """The parts of a message that may each be a request (at most :data:`MAX_PARTS`)."""
    parts = [
        q
        for p in _SPLIT.split(text or "")
        if p and p.strip()
        for q in _questions_in(_LEADING.sub("", p.strip(" ,;:-–")))
    ]
    parts = _with_order_told(p for p in parts if words(p) >= 1)
    # "Hi!" on its own stays a part (a greeting); the first part after it asked with its hello
    # or a preamble ("Здравствуйте, у меня два вопроса: как оплатить картой", "Two questions:
    # can I...") is the question alone (read as a greeting, it was left unanswered)
    first = 1 if len(parts) > 1 and not _HELLO.sub("", parts[0], count=1).strip() else 0
    if len(parts) > first + 1:
        bare = _PREAMBLE.sub("", _HELLO.sub("", parts[first], count=1), count=1)
        parts[first] = bare if words(bare) >= 2 else parts[first]
    if len(parts) > MAX_PARTS:
        parts = [*parts[: MAX_PARTS - 1], " ".join(parts[MAX_PARTS - 1 :])]
    return parts


def split_clauses(text: str) -> list[str]:
    """The clauses of one request joined by "and" / "but" (at most :data:`MAX_PARTS`)."""
    text = re.sub(r"\s+", " ", text or "")  # long runs of spaces would make the split slow
    parts = [p.strip(" ,;:-–") for p in _CLAUSE.split(text)]
    parts = [p for p in parts if words(p) >= 2]
    return parts[:MAX_PARTS] if len(parts) > 1 else []


@dataclass(frozen=True)
class MultiPrediction(Prediction):
    """The main request's prediction, plus the other questions asked in the same message."""

    also: tuple[str, ...] = ()  # the questions (faq parts) asked, in the customer's order
    # what the knowledge base is asked instead of the whole message (a sound return's
    # "Заказ 6612399" left out: an order number keeps the search from any general answer)
    query: str | None = None
    # every complaint type named clearly in a part or clause, in the customer's order
    complaint_types: tuple[str, ...] = ()


def _confident(p: Prediction) -> bool:
    return p.intent is not None and p.intent_confidence >= MIN_CONFIDENCE


# an order-status reading of a clause this unsure, with no order, parcel or delivery word
# and no order number, does not lead the message
STATUS_CLAUSE_SURE = 0.7
_ORDER_WORDS = re.compile(
    r"заказ|посылк|доставк|курьер|трек|order|parcel|package|deliver|ship|courier|track|"
    r"zam[óo]wi|paczk|przesy[łl]k|dostaw|kurier|śledz|sledz|"
    # "when will it arrive?": where a thing of theirs is, in its verbs
    r"arriv|\bsent\b|привез|прид[её]т|пришл|отправ|дойд|dotrze|dotar|przyjdzie|przysz|wys[łl]a",
    re.IGNORECASE,
)


def unsure_status(text: str, p: Prediction) -> bool:
    """An unsure status reading (below STATUS_CLAUSE_SURE) of ``text`` that names no order,
    parcel or delivery ("Is my data safe with you?" at 0.49)."""
    return (
        p.intent == "order_status"
        and p.intent_confidence < STATUS_CLAUSE_SURE
        and not p.order_ref
        and not _ORDER_WORDS.search(text)
    )


def _rank(p: Prediction) -> tuple[int, float]:
    return PRIORITY.get(p.intent or "", 8), -p.intent_confidence


def questions(parts: list[tuple[str, Prediction]], bar: float = MIN_CONFIDENCE) -> tuple[str, ...]:
    """The parts that are general questions (``faq``) at least ``bar`` sure, in order."""
    return tuple(t for t, p in parts if p.intent == "faq" and p.intent_confidence >= bar)


def _denies_only(text: str, p: Prediction) -> bool:
    """The complaint type read in ``text`` rests on a damage word it denies ("..., но ничего не
    сломано", "nic nie jest zepsute", "No damage to the box" read as a missing item) or tells
    of the box alone ("The box was crushed"), on the
    staff it speaks well of ("The courier wasn't rude at all", "Kurier był miły"), or on money
    it says was not taken ("Деньги не списали дважды"), or on a clause that only tells the
    thing came ("Пришёл чайник", read as a broken one)."""
    if p.complaint_type == "damaged_defective" and box_damage_only(text):
        return True  # "The box was crushed and ... the remote is missing": the box, not the TV
    if p.complaint_type in ("wrong_item", "missing_item", "damaged_defective") and arrival_only(
        text
    ):
        # "Пришёл чайник, но без подставки", "Przyszedł czajnik, ale ...": the thing came, and
        # what is wrong with it is the other clause's
        return True
    if p.complaint_type in ("wrong_item", "missing_item"):
        return damage_denied(text) and not item_trouble_named(text)
    return type_denied(p.complaint_type, text)  # "Aplikacja działa, ale paczka nie dotarła"


def _damage_misread(clause: str, p: Prediction) -> bool:
    """A clause the model types a wrong or missing item that only tells of damage
    ("Zamówienie 3690511 przyszło, karton był mokry", a wrong item at 0.96): no second problem
    (the wet book's case had a wrong item queued after it)."""
    return p.complaint_type in ("wrong_item", "missing_item") and damage_named(clause)


def _names_problem(text: str, p: Prediction) -> bool:
    """A clause (or a part) the model reads as a complaint that names a problem of its own:
    not one that only denies damage ("..., но ничего не сломано", "nic nie jest zepsute"), a
    bare feeling ("Я в шоке.", "Jestem w szoku", a broken item at 0.87 to the model), what was
    ordered ("I ordered a blender") or damage misread."""
    return (
        p.intent == "complaint"
        and bool(p.complaint_type)
        and not _denies_only(text, p)
        and not bare_outburst(text)
        and not ordered_only(text)
        and not _damage_misread(text, p)
    )


def combine(
    whole: Prediction,
    parts: list[tuple[str, Prediction]],
    clauses: list[tuple[str, Prediction]] | None = None,
) -> Prediction:
    """One prediction for the message: the main request, with the other questions in ``also``
    and the complaint types named in parts or ``clauses`` in ``complaint_types``."""
    confident = [(t, p) for t, p in parts if _confident(p)]
    told = [
        p.complaint_type
        for t, p in clauses or []
        if _names_problem(t, p) and p.intent_confidence >= CLAUSE_CONFIDENCE
    ]
    misread = {
        p.complaint_type for t, p in clauses or [] if p.intent == "complaint" and _denies_only(t, p)
    }
    if staff_praised(" ".join(t for t, _ in parts)):
        # "The courier was really nice but the vase arrived smashed" read as about the courier
        misread.add("staff_behavior")
    misread -= set(told)
    # a thing that came wrong, short or broken, as a clause tells it
    item = next((t for t in told if t in ("wrong_item", "missing_item", "damaged_defective")), None)
    if not told:
        misread = set()
    elif whole.intent == "complaint" and whole.complaint_type in misread and item is not None:
        # "No damage to the box, but the wrong colour came" read as a missing item, "Чайник не
        # повреждён, но крышки нет" as a broken one, as their first clause, which only denies
        # damage: the problem is the one the other clause names
        whole = replace(whole, complaint_type=item)
    elif (
        whole.intent == "complaint"
        and whole.complaint_type == "missing_item"
        and set(told) == {"damaged_defective"}
        and damage_named(" ".join(t for t, _ in clauses or []))
    ):
        # "my order arrived but the box was wet and the book inside is ruined" (a missing item
        # at 1.0 to the model, each clause a damaged one): nothing is said to be missing, the
        # thing came ruined (it opened a missing item's case with the damage queued after it)
        whole = replace(whole, complaint_type="damaged_defective")
    named = [
        p.complaint_type
        for t, p in [*confident, *(clauses or [])]
        if _names_problem(t, p)
        # "I'll leave a 1-star review everywhere if you don't fix this." names a threat, not
        # a broken item (it made a parcel that never came a broken-item case)
        and not (
            p.threat in ("churn", "public", "legal")
            and p.complaint_type in ("damaged_defective", "wrong_item", "missing_item")
            and not item_trouble_named(t)
        )
        and p.complaint_type not in misread
        and (
            p.intent_confidence >= CLAUSE_CONFIDENCE
            # "телевизор разбит" (0.71): broken in plain words is a problem all the same
            or (p.complaint_type == "damaged_defective" and damage_named(t))
        )
    ]
    # "...i wazon był stłuczony" (off-topic to the model): a broken thing, not its box, told
    # in a clause of a complaint
    named += [
        "damaged_defective"
        for t, p in clauses or []
        if whole.intent == "complaint"
        and p.intent != "complaint"
        and damage_named(t)
        and not PACKAGING.search(t)
    ]
    types = tuple(dict.fromkeys(named))
    if len(parts) < 2 or not confident:
        if whole.intent == "complaint" and len(types) > 1:
            return MultiPrediction(**whole.__dict__, complaint_types=types)
        return whole
    # "Is my data safe with you?" (a status question to the model at 0.49, in a message it
    # reads as a question at 0.74) names no order: an unsure clause does not make the message
    # a status question that asks for an order number
    leading = [(t, p) for t, p in confident if not unsure_status(t, p)] or confident
    _, best = min(leading, key=lambda tp: _rank(tp[1]))
    main = whole if _confident(whole) and _rank(whole)[0] <= _rank(best)[0] else best
    complaint_type = main.complaint_type
    mixed = any(p.intent != "complaint" for _, p in confident)
    if main.intent == "complaint" and mixed:
        # Other requests' words blur the whole message's complaint type: use the complaint's own.
        complaint_parts = [
            p
            for t, p in confident
            if p.intent == "complaint" and p.complaint_type and not _denies_only(t, p)
        ]
        if complaint_parts:
            complaint_type = max(complaint_parts, key=lambda p: p.intent_confidence).complaint_type
    threats = (whole.threat, *(p.threat for _, p in parts))
    merged = replace(
        main,
        lang=whole.lang,
        complaint_type=complaint_type if main.intent == "complaint" else None,
        emotion=whole.emotion or main.emotion,
        threat=max(threats, key=lambda t: THREAT_ORDER.get(t, 0)),
        order_ref=whole.order_ref or main.order_ref,
        amount=whole.amount if whole.amount is not None else main.amount,
        currency=whole.currency or main.currency,
    )
    # Inside a complaint only clear general questions: "how do I get my money back?" is the
    # complaint's own business, and a policy text must not talk over the fix.
    bar = QUESTION_IN_COMPLAINT if main.intent == "complaint" else MIN_CONFIDENCE
    also = questions(confident, bar)
    return MultiPrediction(**merged.__dict__, also=also, complaint_types=types)
