"""The FAQ flow: answers general questions from the knowledge base inside the engine.

- intent ``faq``: search; a confident match is answered (``faq_answered``), in the
  customer's language when the entry has it (else en, ru, any). Below the threshold the
  bot does not guess: it asks to rephrase, offers the two closest topics as buttons
  (``kb:<id>``) and a person (``topic:human``), records the question for the admins
  (``/kb_gaps``) and emits ``faq_declined``.
- intents ``out_of_scope`` and small talk with a real question in it: answered only when
  the knowledge base is very sure; otherwise the next flow (or the engine) handles it.
- after an answer, "it didn't help" (the ``deny`` intent, a small ru/en/pl lexicon or the
  button) gives the next candidate, and a second one a person (``faq_not_helpful``).
- after an answer, a short elliptical follow-up ("а в Польшу?", "and for electronics?",
  "a blikiem?") is searched together with the question it follows; a clear new question
  alone keeps its own answer (``via: follow_up``).

The flow knows nothing about Telegram; its memory lives in ``ctx.state["faq"]``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.db.models import as_utc
from bot.dialogs.slots import contact_only, question_stands, sentences
from bot.dialogs.texts import register_domain, variants
from bot.dialogs.types import FAQ_BUTTON_PREFIX, Button
from bot.nlu.extract import without_order_ref
from bot.nlu.lexicon import changed_mind, not_coming
from bot.nlu.translit import as_cyrillic
from knowledge.countries import (
    countries,
    country_of_city,
    other_country_asked,
    speaks_of_other_countries,
)
from knowledge.formats import Entry
from knowledge.index import Candidate, SearchResult
from knowledge.rerank import content_words as _content_words
from knowledge.service import asked_stems

if TYPE_CHECKING:
    from bot.dialogs.engine import TurnContext
    from knowledge.service import KnowledgeService

log = logging.getLogger(__name__)

LOCALES = Path(__file__).parent / "locales"
HIGH_CONFIDENCE = 0.85  # for questions the classifier did not call "faq"
# Confidence floors. The confidence center rises for small KBs (index.SIZE_SLOPE), so a
# far-off question in a 6-entry KB gets ~0.0005: the buttons' floor only drops nonsense.
NEXT_CANDIDATE_MIN = 0.02  # a "didn't help" follow-up offers the next candidate above this
# ... and pasted as the answer when the search is sure of it (the index's threshold) or it
# stands this many times above the next untried candidate (the search singles it out: the
# return period after the returns in a six-entry FAQ, 0.283 against 0.0); a weaker one is a
# topic button ("Сколько стоит доставка?", "не помогло": cash on delivery 0.25 beside the
# delivery times 0.24; "Какая гарантия на технику?": the return period 0.025 beside 0.007)
NEXT_APART = 10
# answers tried before a second "didn't help" brings a person: a customer who says it twice
# wants someone, not the fourth-best guess
MAX_TRIED = 2
BUTTON_MIN = 0.0003  # closest topics shown as buttons when declining
FOLLOW_UP_TURNS = 2  # "didn't help" and follow-ups count this many turns after an answer
FOLLOW_UP_MINUTES = 30  # ... and this long: a message the next day starts afresh
BUTTON_PREFIX = FAQ_BUTTON_PREFIX
NOT_HELPFUL_DATA = "faq:nothelp"  # + ":<entry id>": the answer the button is under
RECENT_ANSWERS = 4  # answers whose "Didn't help" button still knows their question
MAX_BUTTON_TEXT = 60
MAX_QUOTED = 120  # the question quoted back when an answer is said again, more clearly
SOCIAL = {"greeting", "thanks", "goodbye", "praise", "affirm"}
# Follow-ups: a short message opening like "а ...", "and ...", "what about ...", "a jeśli ..."
# (or of at most FOLLOW_UP_BARE words) within FOLLOW_UP_TURNS turns of an answer is searched
# together with the question that answer was for.
FOLLOW_UP_WORDS = 8
FOLLOW_UP_BARE = 3
FOLLOW_UP_INTENTS = {"faq", "out_of_scope", None}
# the classifier's guess, even unsure, that a message is not a question: no follow-up ("а,
# спасибо", "а курьер нахамил", "а оператора позвать?")
# (not "greeting": unsure, it is the classifier's guess for bare words like "a blikiem?")
NOT_QUESTIONS = (SOCIAL - {"greeting"}) | {"deny", "complaint", "request_human"}
# a message about the customer's own order is the order-status flow's ("а мой заказ где?")
_OWN_ORDER = re.compile(
    r"\b(?:мо[йяеё]\w*|my|moj\w*|mój|moim)\s+(?:\w+\s+)?(?:заказ\w*|посылк\w*|order|parcel|"
    r"package|zam[oó]wieni\w*|paczk\w*|przesy[lł]k\w*)",
    re.IGNORECASE,
)
# ... or one already placed: "is my stuff out for delivery?", "zamówiłam wczoraj", "has it
# shipped yet?", "заказ от 12 марта", "zam. 7712" (a general question names none: "через
# сколько дней приедет посылка в Самару?", "the item is sold out, when will it be back?")
# whose: "моя посылка", "our order", "moje zamówienie"
_WHOSE = re.compile(
    r"\b(?:мой|моя|моё|мое|мои|моего|моей|моему|моим|моих|моими|мою|наш\w*|my|mine|our|"
    r"m[oó]j|moja|moje|mojego|mojej|moj[aą]|moim|moich|moimi|nasz\w*)\b",
    re.IGNORECASE,
)
_PLACED_ORDER = re.compile(
    # placed, paid, bought, sent, received: "заказала", "сделал заказ", "zamówiliśmy", "you sent"
    r"\b(?:заказ(?:ал|ыва)\w*|оформ(?:ил|лял)\w*|оплатил\w*|купил\w*|сделал\w*|"
    r"отправил\w*|получил\w*|ordered|placed|paid|bought|purchased|made an order|you sent|"
    r"zam[oó]wi[lł]\w*|zamawia[lł]\w*|z[lł]o[zż]y[lł]\w*|op[lł]aci[lł]\w*|kupi[lł]\w*|"
    r"wys[lł]a[lł]\w*|wys[lł]an[aeoy]|nadan[aeoy]|dosta[lł]\w*)\b"
    r"|\b(?:прибыл\w*|отправлен\w*|отгружен\w*|передан\w*|shipped|dispatched|sent out|"
    r"dotar[lł]\w*|dosz[lł]\w*)\b"
    # still waiting: "уже", "ещё не", "до сих пор", "yet", "nadal", "jeszcze nie"
    r"|\b(?:уже|ещё|еще|до сих пор|жду|ждём|already|yet|still|waiting|any (?:update|news)|"
    r"ju[zż]|jeszcze|nadal|wci[aą][zż]|czekam|статус|status)\b"
    # its number or date: "zam. 7712", "№ 5531207", "заказ от 12 марта" (not "от 3000 рублей")
    r"|(?:№|#|\bnr\b|\bno\.|\bзам\.|\bzam\.)\s*\w*\d"
    r"|(?<![£$€\d])\d{4,}(?!\s*(?:руб|р\b|₽|тыс|zł|zl\b|pln|eur|usd|\$|€|£|k\b)|\d)"
    r"|\b(?:заказ\w*|orders?|zam[oó]wieni\w*)\s+(?:от|from|of|z)\s+\d{1,2}(?!\d)",
    re.IGNORECASE,
)


# ... unless it says it is not placed yet: "when will my parcel arrive if I order today?"
_NOT_PLACED_YET = re.compile(
    r"\b(?:если|когда)\s+(?:я\s+|мы\s+)?(?:закаж|оформл|куплю|оплач)\w*"
    r"|\bif\s+(?:i|we)\s+(?:order|buy|place|pay)\b"
    r"|\b(?:je[sś]li|je[zż]eli|gdy)\s+(?:dzi[sś]\s+)?(?:zam[oó]wi[eę]|kupi[eę]|z[lł]o[zż][eę]|"
    r"zamówimy|kupimy)\w*|\bgdyby(?:m|[sś]my)\s+(?:zam[oó]wi|kupi)\w*"
    # "заказываю впервые", "хочу заказать пуховик", "first time ordering", "chcę zamówić"
    r"|(?<!\w)(?:заказыва\w*|покупа\w*)\s+(?:у\s+вас\s+)?(?:впервые|в\s+первый\s+раз)"
    r"|(?<!\w)(?:впервые|в\s+первый\s+раз)\s+(?:заказыва|покупа|оформля)\w*"
    r"|(?<!\w)(?:хочу|хотел[аи]?\s+бы|планирую|собираюсь)\s+(?:\w+\s+)?(?:заказать|купить|оформить)"
    r"|(?<!\w)ещ[её]\s+не\s+(?:заказ|оформ|купил)\w*"
    r"|\b(?:first\s+time\s+(?:ordering|buying|order)|my\s+first\s+order|haven'?t\s+ordered\s+yet|"
    r"(?:want|plan|going|would\s+like|i'?d\s+like)\s+to\s+(?:order|buy|purchase))\b"
    r"|(?<!\w)(?:pierwszy\s+raz\s+(?:zamawiam|kupuj\w*)|pierwsze\s+zam[óo]wienie|"
    r"(?:chc[ęe]|planuj[ęe]|chcia[łl]\w*\s+bym)\s+(?:\w+\s+)?(?:zam[óo]wi[ćc]|kupi[ćc])|"
    r"jeszcze\s+nie\s+zam[óo]wi\w*)",
    re.IGNORECASE,
)


# "Здравствуйте,", "Good morning!", "Dzień dobry," before the question: politeness, not
# what is asked (the search weighs every word)
_HELLO = (
    r"good\s+(?:morning|afternoon|evening|day)|hello|hi|hey|hiya|greetings|"
    r"здравствуйте|здравствуй|добрый\s+(?:день|вечер)|доброе\s+утро|доброй\s+ночи|"
    r"привет(?:ствую)?|dzie[ńn]\s+dobry|dobry\s+wiecz[oó]r|cze[śs][ćc]|witam|witajcie|hej"
)
_GREETING = re.compile(
    rf"^\W*(?:(?:{_HELLO})"
    r"(?:\s+(?:there|all|everyone|team))?(?:[\s!.,:;)]+|$))+",
    re.IGNORECASE,
)

# an operator's reply saved to the FAQ (/kb_save) is said to every customer: "Hi Mike!",
# "Здравствуйте, Анна!", "Dzień dobry Pani Katarzyno,", "Анна, добрый день." before the answer
# and "Have a nice day, Mike!", "Хорошего дня!", "Pozdrawiam, Tomasz" after it were said to one
_NAME = (
    r"(?:(?i:pani|panie|pan|pa[ńn]stwo|mr|mrs|ms|miss|sir|madam)\.?\s+)?"
    r"(?!(?i:yes|no|yeah|sure|unfortunately|да|нет|к\s+сожалению|tak|nie|niestety)\b)"
    r"[A-ZА-ЯЁĄĆĘŁŃÓŚŹŻ][a-zа-яёąćęłńóśźż'’-]*(?:\s+[A-ZА-ЯЁĄĆĘŁŃÓŚŹŻ][a-zа-яёąćęłńóśźż'’-]*)?"
)
_ADDRESS = re.compile(
    rf"^\W*(?:(?i:(?:{_HELLO}|dear|уважаем\w+|szanown\w+))(?:[\s,]+{_NAME})?"
    rf"|{_NAME}\s*,\s*(?i:{_HELLO}))(?:\s*[!.,:;)]+\s*|\s*\n\s*)"
)
_SIGN_OFF = re.compile(
    r"(?:^|(?<=[.!?)\n]))\s*(?:(?i:(?:have|enjoy)\s+an?\s+(?:nice|good|great|lovely)\s+"
    r"(?:day|evening|weekend)|(?:best|kind|warm)\s+regards|regards|all\s+the\s+best|"
    r"(?:хорошего|доброго|отличного|удачного|приятного)\s+(?:вам\s+)?(?:дня|вечера)|"
    r"всего\s+(?:доброго|хорошего)|с\s+уважением|(?:serdecznie\s+)?pozdrawiam(?:\s+serdecznie)?|"
    r"z\s+pozdrowieniami|(?:mi[łl]ego|udanego|dobrego)\s+(?:dnia|wieczoru|weekendu))"
    rf"(?:[\s,]+{_NAME})?|(?:--|[—–])\s*{_NAME})[\s!.)]*$"
)


def without_address(reply: str) -> str:
    """An operator's reply as a FAQ answer: without the greeting to the customer it opens
    with and the personal sign-off it closes with (``reply`` when there are none, or no
    answer of three words or more is left)."""
    rest = _ADDRESS.sub("", reply.strip(), count=1)
    while (shorter := _SIGN_OFF.sub("", rest, count=1)) != rest:
        rest = shorter
    rest = rest.strip()
    if rest == reply.strip() or len(rest.split()) < 3:
        return reply.strip()
    return rest[0].upper() + rest[1:]


# "..., thank you very much in advance", "Заранее спасибо!", "Z góry dziękuję": thanks that
# close the question, not what is asked
_THANKS_CLOSING = re.compile(
    r"[\s,.;:!-]*(?:(?:thank\s+you|thanks)(?:\s+(?:so|very)\s+much)?(?:\s+in\s+advance)?"
    r"(?:\s+for\s+(?:your|the)\s+(?:help|answer|reply|time))?|(?:заранее\s+)?(?:большое\s+)?"
    r"спасибо(?:\s+заранее)?|z\s+g[óo]ry\s+(?:bardzo\s+)?dzi[ęe]kuj[ęe]|dzi[ęe]kuj[ęe]\s+z\s+g[óo]ry|"
    r"(?:best|kind)\s+regards|с\s+уважением|pozdrawiam)[\s!.)]*$",
    re.IGNORECASE,
)


# "dzięki, a zwroty?", "спасибо, а сколько идёт доставка?", "thanks, and what about returns?":
# thanks for the answer, and the next question after it
_THANKS_OPENING = re.compile(
    r"^\W*(?:(?:большое|огромное)\s+)?(?:спасибо|спс|благодарю|thanks|thank\s+you|thx|ty|cheers|"
    r"dzi[eę]ki|dzi[eę]kuj[eę]|dziena)(?:\s+(?:большое|огромное|a\s+lot|so\s+much|very\s+much|"
    r"bardzo|wielkie|serdeczne))?\s*[,.!;:)\-—–]+\s*(?P<rest>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)


def after_thanks(text: str) -> str | None:
    """The question after opening thanks ("dzięki, a zwroty?" -> "a zwroty?"), or None when
    there is none (thanks alone, or thanks and a remark that asks nothing)."""
    found = _THANKS_OPENING.match(text or "")
    if found is None:
        return None
    rest = found.group("rest").strip()
    if not _CONTENT_WORD.search(rest) or _THANKS_OPENING.match(rest) or all_done(rest):
        return None
    return rest if _asks(rest) else None


def without_greeting(text: str) -> str:
    """The question without the greeting it opens with and the thanks it closes with
    (``text`` when there are none, or no question of two words or more is left: "Hi! I have
    a question about returns" says only what about)."""
    greeted = _GREETING.sub("", text, count=1).strip()
    rest = _THANKS_CLOSING.sub("", greeted).strip()
    asked = (rest.endswith("?") or rest != greeted) and len(rest.split()) >= 2
    return rest if rest != text.strip() and asked else text


# where an order is or when it comes: a question about the order itself, for a colleague
_STATUS_ASKED = re.compile(
    r"(?<!\w)(?:где|когда|статус\w*|отслед\w*|трек\w*|отправлен\w*|отправили|доставлен\w*|"
    r"доставили|привез\w*|приед\w*|придёт|придет|пришл\w*|отмен\w*|измен\w*)|"
    r"\b(?:where|when|status|track\w*|shipped|delivered|arriv\w*|cancel\w*|chang\w*|sent|"
    r"dispatched)\b|(?<!\w)(?:gdzie|kiedy|status\w*|śledz\w*|wysłan\w*|wysłali|dostarczon\w*|"
    r"dotrze\w*|dotar\w*|anul\w*|zmie\w*)",
    re.IGNORECASE,
)


def about_placed_order(text: str, *, whose: bool = True) -> bool:
    """The message is about the customer's own, placed order (not a general question);
    ``whose=False``: "my", "nasz" alone do not make it one ("Is my data safe with you?")."""
    if _NOT_PLACED_YET.search(text):
        return False
    if whose and _WHOSE.search(text):
        return True
    return bool(_OWN_ORDER.search(text) or _PLACED_ORDER.search(text))


# A follow-up's candidates: joint confidence + FOLLOW_UP_ALONE x the follow-up's own
# confidence (see FaqFlow._follow_up). Chosen on benchmarks/followup_check.py's demo + eval2
# rows, offline (KB only): the alone answer when it is >= 0.85 / 0.95 sure, else the joint
# one: 0.79 / 0.84 answered right; joint + 0.3 / 0.5 / 1 / 2 x alone: 0.85 / 0.87 / 0.84 /
# 0.81. Held-out eval3 + eval4 rows, once: 0.69 (>= 0.95 rule) -> 0.81 (joint + 0.5 x alone).
FOLLOW_UP_ALONE = 0.5
FOLLOW_UP_K = 10
# a follow-up the off-topic list matches gets no context only when the classifier is this
# sure it is chatter too ("a ile trzeba czekać?" is off-topic alone, at 0.75)
CHATTER = 0.9
_FOLLOW_UP = re.compile(
    r"^\W*(?:а|и|ну\s+а|а\s+вот|and|what\s+about|how\s+about|and\s+if|what\s+if|also|plus|"
    r"a|oraz|a\s+co|a\s+jeśli|a\s+jesli|a\s+gdy|to)\b",
    re.IGNORECASE,
)


# "а если заказ больше 3000?", "and if I order two?", "a jeśli zamówię dwie?": a follow-up
# about what happens if; a condition asks about the topic, never a placed order's status
_IF_FOLLOW_UP = re.compile(
    r"^\W*(?:(?:а|и|ну\s+а|and|but|a|oraz)\s+)?(?:если|коли|and\s+if|what\s+if|if|"
    r"je[sś]li|je[zż]eli|gdyby|a\s+gdy)\b",
    re.IGNORECASE,
)


# "how much does it cost?", "сколько по времени это займёт?", "jak długo to trwa?": a short
# question about "it" - the thing the previous question named (gift wrapping, shipping to
# Gdańsk), not the delivery price the words alone are closest to. ("co to jest BLIK?" names
# its own thing.)
ANAPHORA_WORDS = 6
ANAPHORA_ALONE = 0.3  # what FOLLOW_UP_ALONE is for a follow-up about "it"
_ANAPHORA = re.compile(
    r"\b(?:it|this|that|these|those|they|them|"
    r"это|этого|этому|этим|эту|эти|этих|он|она|оно|они|его|её|ее|их|ему|ей|"
    r"tego|temu|tym|tej|ten|ta|te|ją|je|ich|ona|ono)\b"
    r"|(?<!\bco\s)\bto\b",
    re.IGNORECASE,
)


def about_it(text: str) -> bool:
    """A short question about "it": what the question before it named."""
    return len((text or "").split()) <= ANAPHORA_WORDS and bool(_ANAPHORA.search(text or ""))


def _ranked_with_own(
    candidates: Iterable[Candidate], own: dict[str, float], weight: float
) -> list[Candidate]:
    """The joint question's candidates, best first by their joint confidence plus ``weight``
    times their confidence for the question's own words (``own``, by entry id)."""
    return sorted(
        candidates, key=lambda c: c.score + weight * own.get(c.entry_id, 0.0), reverse=True
    )


# "а работают в воскресенье?", "are they open at night?", "a w niedzielę są czynne?": when
# the thing the answer before was about is open, no other thing named (not "а поддержка
# работает в воскресенье?", nor "вы работаете?", which asks the shop)
# what a follow-up asks of the topic before it, naming no topic of its own: its time, its
# price ("а сроки?" after the delivery price is the delivery times, not the return period
# that "сроки" alone is closest to)
_ASPECT = re.compile(
    r"(?<!\w)(?:сроки|срок|срока|сроков|когда|долго|сколько|стоит|стоимость|цена|цены|"
    r"how\s+long|how\s+much|when|time|times|long|price|prices|cost|costs|"
    r"ile|kiedy|d[łl]ugo|czas|termin|terminy|koszt|koszty|kosztuje|cena|ceny)(?!\w)",
    re.IGNORECASE,
)


_OPEN = re.compile(
    r"работа(?:ют|ет)|открыт\w*|open|closed|czynn\w*|dział(?:a|ają)|otwart\w*|pracuj[eą]",
    re.IGNORECASE,
)
_WHEN = re.compile(
    r"понедельник\w*|вторник\w*|сред[ауы]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*|"
    r"выходн\w*|праздник\w*|праздничн\w*|ноч\w*|вечер\w*|утр\w*|круглосуточно|часы|часов|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?|weekends?|holidays?|nights?|evenings?|"
    r"mornings?|late|early|hours|poniedział\w*|wtor\w*|środ\w*|czwart\w*|piąt\w*|sobot\w*|"
    r"niedziel\w*|weekend\w*|święt\w*|swiet\w*|noc\w*|wieczor\w*|rano|godzin\w*",
    re.IGNORECASE,
)


# "а для студентов?", "and for seniors?", "a dla emerytów?": who the thing asked about is
# for, and how the bot names them back in ru, en, pl (not in the customer's word form: "а
# пенсионерам?" read back "отдельной информации пенсионерам")
_GROUPS = (
    (r"студент\w*|students?|studen\w*", ("для студентов", "for students", "dla studentów")),
    (
        r"пенсионер\w*|pensioners?|retirees?|emeryt\w*",
        ("для пенсионеров", "for pensioners", "dla emerytów"),
    ),
    (r"seniors?|senior\w*", ("для пенсионеров", "for seniors", "dla seniorów")),
    (
        r"школьник\w*|pupils?|ucz(?:ni[oó]w|niom|eń)",
        ("для школьников", "for pupils", "dla uczniów"),
    ),
    (r"учител\w*|teachers?|nauczyciel\w*", ("для учителей", "for teachers", "dla nauczycieli")),
    (
        r"многодетн\w*|large\s+families|rodzin\s+wielodzietnych",
        ("для многодетных семей", "for large families", "dla rodzin wielodzietnych"),
    ),
    (
        r"инвалид\w*|disabled|niepe[lł]nosprawn\w*",
        ("для людей с инвалидностью", "for disabled customers", "dla osób z niepełnosprawnością"),
    ),
    (r"ветеран\w*|veterans?|weteran\w*", ("для ветеранов", "for veterans", "dla weteranów")),
    (
        r"военнослужащ\w*|military|żo[lł]nierz\w*",
        ("для военнослужащих", "for military personnel", "dla żołnierzy"),
    ),
)
_GROUP_LANGS = ("ru", "en", "pl")
_GROUP = re.compile(
    r"(?:\b(?:для|for|dla)\s+)?(?<!\w)(?:"
    + "|".join(f"(?P<g{i}>{words})" for i, (words, _) in enumerate(_GROUPS))
    + r")(?!\w)",
    re.IGNORECASE,
)


def group_asked(text: str) -> str | None:
    """The customers a follow-up asks about ("для студентов" of "а для студентов?"), or None."""
    found = _GROUP.search(text or "")
    return found.group().lower() if found else None


def group_named(text: str, lang: str) -> str | None:
    """The customers a follow-up asks about as the bot names them in ``lang`` ("для
    пенсионеров" of "а пенсионерам?"), or None."""
    found = _GROUP.search(text or "")
    if found is None:
        return None
    names = _GROUPS[int(str(found.lastgroup)[1:])][1]
    return names[_GROUP_LANGS.index(lang) if lang in _GROUP_LANGS else 1]


def hours_asked(text: str) -> list[str] | None:
    """The time words of a follow-up asking only when the thing before is open ("воскресенье"
    of "а работают в воскресенье?"), else None."""
    words = _content_words(_FOLLOW_UP.sub("", text, count=1))
    if not any(_OPEN.fullmatch(w) for w in words):
        return None
    if not all(_OPEN.fullmatch(w) or _WHEN.fullmatch(w) for w in words):
        return None
    return [w for w in words if _WHEN.fullmatch(w)]


def is_follow_up(text: str) -> bool:
    """A short message that only makes sense with the previous question."""
    words = (text or "").split()
    if not words or len(words) > FOLLOW_UP_WORDS:
        return False
    if about_it(text):
        return True
    return len(words) <= FOLLOW_UP_BARE or bool(_FOLLOW_UP.match(text))


def follow_up_question(text: str) -> bool:
    """A short question opening like a follow-up ("а на выходных?", "and on weekends?", "a w
    weekend?"): it asks about what came before, never a farewell."""
    return "?" in (text or "") and is_follow_up(text) and bool(_FOLLOW_UP.match(text))


_NOT_HELPFUL = re.compile(
    r"(не\s+помогл|не\s+помог|не\s+помогает|не\s+то\b|не\s+об\s+этом|не\s+про\s+то|"
    r"не\s+подходит|не\s+ответил|не\s+ответ\b|не\s+отвечает\s+на\s+(?:мой\s+)?вопрос|"
    r"бесполезн|"
    r"did\s*n[o']?t\s+help|does\s*n[o']?t\s+help|not\s+help|no\s+help|not\s+what\s+i|"
    r"that'?s\s+not\s+it|\bstill\s+not\s+it\b|\bnot\s+(?:it|that)\s+either\b|wrong\s+answer|"
    r"useless|not\s+an\s+answer|"
    r"(?:did|does|do)\s*n[o']?t\s+answer\s+(?:my|the)\s+question|"
    r"nie\s+pomog|nie\s+pomaga|to\s+nie\s+to|nie\s+o\s+to|"
    # "nadal nie to", "wciąż nie to", "znowu nie to" (not "nie to samo")
    r"(?:nadal|wci[ąa][żz]|dalej|znowu|znów|zn[oó]w|te[żz]|ci[ąa]gle)\s+nie\s+to\b(?!\s+sam)|nie\s+to\s+pytanie|bezu[zż]yteczn|"
    # "nie, nie to", "nie to." alone (not "nie to zamawiałem": a wrong item)
    r"^\W*(?:nie\W+)?nie\s+to\W*$|"
    r"nie\s+(?:jest\s+)?odpowied[zź]\b|nie\s+odpowiedzia[łl]|"
    r"nie\s+odpowiada\s+na\s+(?:moje\s+)?pytanie)",
    re.IGNORECASE,
)


# "it doesn't work", "пишет, что срок действия истёк", "nie działa, pisze że wygasł" right
# after an answer (the promo code's): what the answer said to do failed; a few words naming
# no broken thing (it opened a broken-item case asking for a photo, or "I didn't understand")
_ADVICE_FAILED = re.compile(
    r"\b(?:it|this|that|code)?\s*(?:does\s*n[o']?t|did\s*n[o']?t|won'?t|is\s*n[o']?t|'s\s+not)\s+"
    r"(?:work|working|go\s+through|apply|accepted)|\bnot\s+working\b|"
    r"\b(?:it|the\s+site|the\s+app)\s+says\b|\b(?:invalid|expired|rejected|not\s+valid)\b|"
    r"(?<!\w)не\s+(?:работает|сработал\w*|срабатывает|принимает\w*|применяется|проходит|действует)|"
    r"(?<!\w)(?:пишет|выдаёт|выдает|показывает)\b|(?<!\w)ист[её]к\w*|недействител\w*|"
    r"(?<!\w)nie\s+(?:dzia[łl]a|zadzia[łl]a\w*|przechodzi|przyjmuje|jest\s+wa[żz]ny)|"
    r"(?<!\w)(?:pisze|wyskakuje|pokazuje)\b|(?<!\w)wygas\w*|niewa[żz]n\w*",
    re.IGNORECASE,
)
ADVICE_FAILED_WORDS = 8
# ... what an error message says, after "it says", "пишет", "pisze" (left out of the check)
_ERROR_SAID = re.compile(
    r"(?:\bsays|(?<!\w)(?:пишет|выда[её]т|показывает|pisze|wyskakuje|pokazuje))\b.*$",
    re.IGNORECASE | re.DOTALL,
)
# ... and the other words it may have: the code, "still", "but" (a thing named is no advice:
# "the kettle doesn't work" is a broken kettle, whatever was answered before)
_ADVICE_WORDS = frozenset(
    """it this that the code promo coupon discount still just but and so now again hmm ok
    nope no sorry me for
    а но он она оно код промокод купон скидка всё все равно ещё еще нет ну так и у меня
    опять снова теперь
    kod rabatowy promocyjny kupon rabat ale nadal wciąż wciaz dalej to on ona i a no mi
    znowu teraz""".split()
)


def advice_failed(text: str) -> bool:
    """A few words saying what the last answer said to do did not work ("it says invalid",
    "не срабатывает", "kod nie działa"), no thing of the order named."""
    text = text or ""
    if len(text.split()) > ADVICE_FAILED_WORDS or not _ADVICE_FAILED.search(text):
        return False
    if _ABOUT_ORDER.search(text):
        return False
    rest = _ADVICE_FAILED.sub(" ", _ERROR_SAID.sub(" ", text))
    return all(w in _ADVICE_WORDS for w in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", rest.lower()))


_ABOUT_ORDER = re.compile(
    r"заказ|прислал|прислан|пришл|привезл|доставил|order|sent\s+me|received|delivered|"
    r"zam[oó]w|przysła|przysla|dostałe|dostalem|dostałam|dostalam",
    re.IGNORECASE,
)


# "нет, просто хотел сказать", "no, I just wanted to let you know": an opinion told, not a
# question the answer missed
_JUST_SAYING = re.compile(
    r"просто\s+(?:хотел\w*\s+)?(?:сказать|поделиться|сообщить|сообщаю|говорю|делюсь)|"
    r"просто\s+к\s+сведению|just\s+(?:wanted\s+to\s+)?(?:say|saying|tell|letting\s+you\s+know|"
    r"sharing|share|so\s+you\s+know|fyi)|\bfyi\b|"
    r"(?:chcia[łl]\w*|chc[eę])\s+tylko\s+(?:powiedzie[ćc]|da[ćc]\s+zna[ćc]|napisa[ćc])|"
    r"tylko\s+(?:m[óo]wi[eę]|informuj[eę])|tak\s+tylko\s+(?:m[óo]wi[eę]|pisz[eę])|"
    # "просто чтобы вы знали", "just so you know", "tylko żebyście wiedzieli"
    r"просто\s+чтобы\s+вы\s+знали|just\s+so\s+you\s+know|"
    r"(?:tylko|po\s+prostu)\s+(?:[żz]eby|aby)(?:[śs]cie|s)?\s+wiedzie",
    re.IGNORECASE,
)


# "no thanks, that's all", "nie, dzięki", "нет, спасибо, это всё": the customer is done, the
# answer did not fail them
_ALL_DONE = re.compile(
    r"\b(?:thanks|thank\s+you|thx|cheers)\b|that'?s\s+all|that\s+is\s+all|nothing\s+else|"
    r"\ball\s+good\b|\bi'?m\s+(?:good|fine|ok)\b|"
    r"спасибо|\bспс\b|благодарю|это\s+вс[её]|больше\s+ничего|"
    r"dzi[eę]k|to\s+wszystko|nic\s+wi[eę]cej|ju[zż]\s+nic",
    re.IGNORECASE,
)


def all_done(text: str) -> bool:
    """ "No thanks, that's all": a polite no that closes the answer, not "it didn't help"."""
    return bool(_ALL_DONE.search(text or "")) and not _NOT_HELPFUL.search(text or "")


def _mind_changed(text: str) -> bool:
    """A few words that only say the customer no longer wants it ("передумал, не надо", "never
    mind", "jednak nie, rozmyśliłam się"), no question, no "it didn't help"."""
    return (
        changed_mind(text)
        and "?" not in text
        and len(text.split()) <= FOLLOW_UP_WORDS
        and not _NOT_HELPFUL.search(text)
    )


def just_saying(text: str) -> bool:
    """The customer only wanted to tell us something (feedback, no question)."""
    return bool(_JUST_SAYING.search(text or ""))


# how a thing fits ("it's too small", "маловат", "za duże"): a reason told, not the answer
# refused
_FIT_TOLD = re.compile(
    r"\btoo\s+(?:small|big|large|tight|loose|short|long|narrow|wide)\b|"
    r"\b(?:doesn'?t|does\s+not|didn'?t|did\s+not)\s+fit\b|"
    r"(?<!\w)(?:мал|велик|маловат|великоват|тесн|узк|широк|коротк|длинн)(?:[аоы]|ат[аоы]?)?(?!\w)|"
    r"не\s+подо(?:ш[её]л|шла|шли|шло|йд[её]т)\s+по\s+размеру|"
    r"\bza\s+(?:ma[łl]\w*|du[żz]\w*|ciasn\w*|kr[óo]tk\w*|d[łl]ug\w*|szerok\w*|w[ąa]sk\w*)",
    re.IGNORECASE,
)

# ... searched in the words shop FAQs use for it ("она мала" alone is near nothing)
FIT_SAID = {"ru": "Не подошёл размер", "en": "The size doesn't fit", "pl": "Rozmiar nie pasuje"}


def is_not_helpful(text: str, intent: str | None) -> bool:
    """A follow-up saying the last answer did not help (not "мне прислали не то, что я
    заказывал": that is about the order, a complaint; not "просто хотел сказать")."""
    if _ABOUT_ORDER.search(text or "") or just_saying(text) or all_done(text):
        return False
    if _FIT_TOLD.search(text or ""):
        return False  # "it's too small" after the returns answer: why, not "no"
    if _NOT_HELPFUL.search(text or "") or advice_failed(text):
        return True
    return intent == "deny" and len((text or "").split()) <= 6


# "это не ответ на мой вопрос", "you didn't answer my question": about the answer by its
# own words, however many
_MISSED_QUESTION = re.compile(
    r"не\s+(?:ответ\w*|отвечает)\s+на\s+(?:мой\s+|мои\s+|моё\s+|мое\s+)?вопрос|"
    r"not\s+(?:an\s+)?answer\w*\s+(?:to\s+)?(?:my|the)\s+question|"
    r"(?:did|does|do)\s*n[o']?t\s+answer\s+(?:my|the)\s+question|"
    r"nie\s+(?:jest\s+)?odpowied\w*\s+na\s+(?:moje\s+)?pytani|"
    r"nie\s+odpowiada\w*\s+na\s+(?:moje\s+)?pytani",
    re.IGNORECASE,
)


# what says the question is said again, left out of it: "я спрашивал", "I want to know", "я про"
_ASKED_AGAIN = re.compile(
    r"(?<!\w)(?:я\s+)?(?:спрашивал[аи]?|спросил[аи]?|имел[аи]?\s+в\s+виду|хочу\s+узнать|"
    r"хотел[аи]?\s+(?:бы\s+)?узнать|мне\s+нужно\s+знать|я\s+про|вопрос\s+(?:был\s+)?(?:про|о))|"
    r"\bi\s+(?:asked|was\s+asking|meant|want(?:ed)?\s+to\s+know|need\s+to\s+know)(?:\s+(?:about|if|"
    r"whether))?|\bmy\s+question\s+(?:is|was)(?:\s+about)?|"
    r"(?<!\w)(?:pyta[łl]\w*|chodzi\s+mi\s+o|chc[ęe]\s+wiedzie[ćc]|chcia[łl]\w*\s+wiedzie[ćc]|"
    r"moje\s+pytanie\s+(?:jest|by[łl]o)(?:\s+o)?)",
    re.IGNORECASE,
)


_NOT_HELPFUL_WORDS = re.compile(rf"(?:{_NOT_HELPFUL.pattern})\w*", re.IGNORECASE)


def restated(text: str) -> str | None:
    """The question a "didn't help" says again ("не то, я про часы работы вашего магазина"
    -> "часы работы вашего магазина"), or None when it only says the answer missed."""
    rest = _NOT_HELPFUL_WORDS.sub(" ", text or "")
    rest = _ASKED_AGAIN.sub(" ", re.sub(r"^\W*(?:asked|meant)\b", " ", rest.strip()))
    rest = re.sub(r"^[\W\s]*(?:(?:это|that'?s|it'?s|to|but|а|но|ale|i|и|and|,)\W+)*", "", rest)
    rest = re.sub(r"\s{2,}", " ", rest).strip(" ,.;:-–—!")
    return rest if len(re.findall(r"[^\W\d_]{4,}", rest)) >= 3 else None


def only_not_helpful(text: str) -> bool:
    """A few words that only say the answer missed ("to nie to", "that's not it", "не то",
    "это не ответ на мой вопрос"): about the answer, whatever a classifier makes of them."""
    words = len((text or "").split())
    if not is_not_helpful(text, None):
        return False
    return (
        words <= 4
        or advice_failed(text)
        or (words <= 9 and bool(_MISSED_QUESTION.search(text or "")))
    )


# "what?", "не понял", "możesz prościej?" right after an answer: the answer was not clear (not
# the wrong topic): said again, with the question it answers
_UNCLEAR = re.compile(
    r"^\W*(?:(?:sorry|so|but|umm?|hmm+|eh|ok|а|ну|и|так|no|ale|ee+|yyy?)\W+)?(?:"
    r"what|wha+t|huh|eh|pardon|come\s+again|what\s+do\s+you\s+mean|what\s+does\s+(?:that|it)\s+"
    r"mean|what\s+is\s+that\s+supposed\s+to\s+mean|i\s+(?:don'?t|do\s+not)\s+(?:understand|"
    r"get\s+it)|i'?m\s+confused|confused|(?:can|could)\s+you\s+(?:explain|clarify)(?:\s+(?:that|"
    r"it|this))?(?:\s+(?:more\s+)?simply)?|explain(?:\s+(?:that|it))?|(?:say|put)\s+(?:it|that)\s+"
    r"(?:again\s+)?(?:more\s+)?simpl(?:y|er)|(?:in\s+)?simpler(?:\s+words)?|"
    r"что|чего|шо|в\s+смысле|(?:я\s+)?(?:ничего\s+)?не\s+понял[аи]?|(?:мне\s+)?(?:не|ничего\s+не)"
    r"\s*понятно|как\s+это|это\s+как|что\s+это\s+значит|(?:можно|а\s+можно|скажите|объясните)"
    r"\s+(?:по\s*)?проще|объясните|поясните|(?:не\s+понял[аи]?|непонятно)\W+(?:можно\s+)?"
    r"(?:по\s*)?проще|"
    r"co|[żz]e\s+co|jak\s+to|nie\s+rozumiem|nic\s+nie\s+rozumiem|nie\s+(?:kumam|[łl]api[ęe])|"
    r"co\s+to\s+znaczy|(?:mo[żz]esz|mo[żz]na|prosz[ęe])\s+pro[śs]ciej|pro[śs]ciej|wyt[łl]umacz"
    r"(?:cie)?|(?:nie\s+rozumiem)\W+(?:mo[żz]esz\s+|mo[żz]na\s+)?pro[śs]ciej)"
    r"(?:\W+(?:please|pls|пожалуйста|plz|prosz[ęe]))?[\W]*$",
    re.IGNORECASE,
)
# "wtf is this shit", "что за фигня", "co to za bzdura" right after an answer: displeasure with
# it, nothing told of a problem: as "didn't help"
_SCORN = re.compile(
    r"\bwtf\b|what\s+the\s+(?:hell|heck|fuck|f)\b|\b(?:nonsense|bullshit|bs|crap|rubbish|"
    r"garbage|shit|pointless|joke)\b|(?<!\w)(?:что\s+за|шо\s+за|это\s+что\s+за)\s+(?:\w+\s+)?"
    r"(?:фигн|хрен|чушь|чуш|бред|ерунд|дичь|муть|ахинея|ересь)\w*|(?<!\w)(?:бред|чушь|ерунда|"
    r"фигня|хрень|дичь|ахинея|бессмыслица)(?!\w)|(?<!\w)co\s+(?:to\s+)?za\s+(?:\w+\s+)?"
    r"(?:bzdur|g[óo]wn|g[łl]upot|brednie|bzdet|bełkot|belkot)\w*|\b(?:bzdura|bzdury|bez\s+sensu|"
    r"g[łl]upoty|brednie|bełkot|belkot)\b",
    re.IGNORECASE,
)
MAX_REACTION_WORDS = 7


def unclear_to_them(text: str) -> bool:
    """ "what?", "не понял", "możesz prościej?": the answer was not clear to the customer."""
    return len((text or "").split()) <= MAX_REACTION_WORDS and bool(_UNCLEAR.match(text or ""))


# "не приходит письмо", "the email never arrives", "nie przychodzi SMS" right after an answer
# that sends one (a password reset, a tracking number): its steps did not work for them
_SENT_THING = re.compile(
    r"письм|почт|e-?mail|\bmail|смс|\bsms|\bкод|ссылк|\blink|\bcode|\bkod|wiadomo|esemes|maila",
    re.IGNORECASE,
)
NOT_ARRIVING_WORDS = 8


def sent_thing_missing(text: str) -> bool:
    """A few words saying an email, SMS, code or link has not come."""
    text = text or ""
    return (
        len(text.split()) <= NOT_ARRIVING_WORDS
        and bool(_SENT_THING.search(text))
        and not_coming(text)
    )


def scorns_answer(text: str) -> bool:
    """ "wtf is this shit", "что за бред", "co to za bzdura": a few words of scorn, nothing
    told of what went wrong."""
    # (they import this module's users)
    from bot.dialogs.complaint import bare_outburst
    from bot.dialogs.engine import failure_named, late_or_lost

    text = text or ""
    if len(text.split()) > MAX_REACTION_WORDS or any(ch.isdigit() for ch in text):
        return False
    if failure_named(text, unsure_status=True) is not None or late_or_lost(text):
        return False  # "wtf, the parcel is late": a problem told, the complaint's
    return bool(_SCORN.search(text)) or bare_outburst(text)


def _asks(text: str) -> bool:
    from bot.dialogs.requests import asks_question  # the engine imports this module's users

    return asks_question(text)


def _chatter(ctx: TurnContext) -> bool:
    """The classifier is sure the message is off-topic chatter ("а погода завтра?")."""
    pred = ctx.prediction
    return bool(
        pred is not None and pred.intent == "out_of_scope" and pred.intent_confidence >= CHATTER
    )


def recent_answer(ctx: TurnContext) -> bool:
    """An FAQ answer was given within the last FOLLOW_UP_TURNS turns and FOLLOW_UP_MINUTES."""
    return answered_lately(ctx.state, ctx.now)


def answered_lately(state: dict[str, Any], now: datetime) -> bool:
    """``recent_answer`` of a chat's state at ``now`` (the engine asks it before a turn's
    context exists)."""
    memory = state.get("faq") or {}
    if not memory.get("last"):
        return False
    turns = int(state.get("turns", 0))
    if turns - int(memory.get("turn", -100)) > FOLLOW_UP_TURNS:
        return False
    at = memory.get("at")
    if not at:
        return True  # state saved before the time was kept
    elapsed = as_utc(now) - as_utc(datetime.fromisoformat(at))
    return elapsed <= timedelta(minutes=FOLLOW_UP_MINUTES)


def recent_decline(ctx: TurnContext) -> bool:
    """The bot said it had no sure answer (topics and a person offered), no answer given
    since, within the last FOLLOW_UP_TURNS turns and FOLLOW_UP_MINUTES."""
    memory = ctx.state.get("faq") or {}
    declined = memory.get("declined")
    if memory.get("last") or not declined:
        return False
    turns = int(ctx.state.get("turns", 0))
    if turns - int(declined.get("turn", -100)) > FOLLOW_UP_TURNS:
        return False
    elapsed = as_utc(ctx.now) - as_utc(datetime.fromisoformat(declined["at"]))
    return elapsed <= timedelta(minutes=FOLLOW_UP_MINUTES)


# "да", "yes please", "tak, poproszę": a plain yes, nothing asked or said besides
_PLAIN_YES = re.compile(
    r"^\W*(?:да|ага|угу|конечно|давайте|давай|yes|yeah|yep|sure|tak|jasne|poproszę)"
    r"(?:[\s,]+(?:да|давайте|пожалуйста|please|tak|poproszę|proszę))*[\s.!)]*$",
    re.IGNORECASE,
)


def yes_to_colleague(ctx: TurnContext, text: str) -> bool:
    """A plain "да" right after the decline's "...или я позову коллегу": a yes to the
    colleague offered (it ends the bot's reply), not a "yes" to answer "Anything else?" to."""
    declined = (ctx.state.get("faq") or {}).get("declined")
    if not declined or not recent_decline(ctx):
        return False
    turns = int(ctx.state.get("turns", 0))
    return turns - int(declined.get("turn", -100)) == 1 and bool(_PLAIN_YES.match(text))


# words a bare "no" is made of ("нет, спасибо, не надо", "no, not really", "nie, już nie
# trzeba"): a message of these alone says no to something, and names nothing it needs
_BARE_NO_WORDS = frozenset(
    "нет неа не-а не надо нужно спасибо пожалуйста уже ничего пока всё все нормально хорошо "
    "ок ладно и а так вообще совсем точно наверное это мне я ну "
    "no nope nah not don't dont do need needed thanks thank you please it that nothing "
    "really i i'm im ok okay fine sorry now yet all good it's that's well "
    "nie nic trzeba potrzeba dziękuję dziekuje dzięki dzieki już juz raczej to dobrze "
    "w porządku porzadku na razie teraz jednak no cóż".split()
)
_NO_TOKEN = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)?")


def told_not_refused(text: str) -> bool:
    """A message the model reads as "no" that tells something of its own ("Nie pamiętam
    hasła", "Не подошёл размер", "I don't remember my password": a calm message opening
    with a negation), not a bare "no" ("нет, спасибо", "no, not really")."""
    if all_done(text):
        return False
    words = [w.lower() for w in _NO_TOKEN.findall(text or "")]
    return len(words) >= 2 and any(w not in _BARE_NO_WORDS for w in words)


# ... searched with the wish a thing that does not please comes with ("Не понравился цвет"
# drew the missing-item answer, "I don't like the color" only topics)
RETURN_SAID = {"ru": "хочу вернуть", "en": "I want to return it", "pl": "chcę zwrócić"}


def _with_return_wish(text: str, lang: str) -> str:
    """``text`` with "I want to return it" when it says a thing does not please and wishes
    nothing itself ("Не понравился цвет"), for the search."""
    from bot.dialogs.engine import disliked_only  # the engine imports this module

    if not disliked_only(text):
        return text
    return f"{text.rstrip(' .!')}, {RETURN_SAID.get(lang, RETURN_SAID['en'])}"


def _not_these(text: str, intent: str | None) -> bool:
    """ "Didn't help", "nie pomogło" or a bare "no" to the topics offered (not "no, I mean
    ...": that is the question in other words, as the bot asked)."""
    if not is_not_helpful(text, intent):
        return False
    return bool(_NOT_HELPFUL.search(text)) or len(text.split()) <= 3


_CONTENT_WORD = re.compile(r"[^\W\d_]{3,}")


def _same_question(message: str, asked: str | None) -> bool:
    """The question asked before, again in (nearly) its own words ("а сколько стоит
    доставка?" after "Сколько стоит доставка курьером?"), not a follow-up asking something
    more ("а в пункт выдачи?", "a Google Pay?")."""
    said = {w.lower() for w in _CONTENT_WORD.findall(message)}
    before = {w.lower() for w in _CONTENT_WORD.findall(asked or "")}
    return len(said) >= 2 and len(said & before) >= 0.8 * len(said)


def _asks_it_again(
    message: str, alone: SearchResult, entry_id: str, asked_before: str | None
) -> bool:
    """A follow-up that is the question answered, asked again in other words: alone the
    KB is sure of that same entry, it says more than one thing ("а бесплатно?" asks
    about a line of it), names again a word of the question before ("цена доставки" of
    "Сколько стоит доставка?"; "a Google Pay?" after the payment methods names a thing of
    its own) and sets no condition ("а если заказ больше 3000?" asks what that answer
    holds)."""
    best = alone.best
    said = _CONTENT_WORD.findall(_FOLLOW_UP.sub("", message, count=1))
    return (
        best is not None
        and alone.confident
        and best.entry_id == entry_id
        and len(said) >= 2
        and any(_names_all(asked_before or "", [w]) for w in _asked_words(message))
        and not _IF_FOLLOW_UP.match(message)
    )


# a word of a follow-up this long at least says what it asks about ("Польшу", "Poland"), and
# matches a word of an answer by its first letters ("Polski" - "Polsce": "Pols")
COVERED_MIN_LETTERS = 4


def _stem(word: str) -> str:
    return word[: max(COVERED_MIN_LETTERS, len(word) - 3)]


def _asked_words(message: str) -> list[str]:
    """What a follow-up asks about: its content words ("Польшу" of "а в Польшу?")."""
    asked = [w.lower() for w in _CONTENT_WORD.findall(_FOLLOW_UP.sub("", message, count=1))]
    return [w for w in asked if len(w) >= COVERED_MIN_LETTERS]


def _names_all(text: str, asked: list[str]) -> bool:
    """Every asked word is in ``text``, by its first letters ("Moskwy" - "Moskwa")."""
    said = {w.lower() for w in _CONTENT_WORD.findall(text)}
    return all(any(w.startswith(_stem(a)) for w in said) for a in asked)


# an answer's lines: its sentences, and the parts of one a semicolon sets apart
_LINE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


# "how do I ...?", "как отправить?", "jak odesłać?": the customer asks what they are to do
_HOW_I = re.compile(
    r"\bhow\s+(?:do|can|should|shall|would)\s+(?:i|we)\b|\bhow\s+to\b|(?<!\w)как(?!\w)|\bjak\b",
    re.IGNORECASE,
)
# "где взять?", "where do I get it?", "skąd wziąć?": where to find what an answer tells
_WHERE = re.compile(r"(?<!\w)(?:где|откуда|куда)(?!\w)|\b(?:where|gdzie|sk[aą]d)\b", re.IGNORECASE)
# ... which a line naming it only as the shop's own doing does not tell: "мы сразу отправим
# вам деньги", "we send your refund", "zwrócimy pieniądze" (the verb after "we"; a Russian or
# Polish verb in the "we" form)
_SHOP_DOES = re.compile(
    r"\bwe(?:'ll|\s+will|\s+can)?\s+(?:then\s+|also\s+)?[a-z]+"
    r"|(?<!\w)[а-яё]{3,}(?:им|ем|ём)(?!\w)"
    r"|(?<!\w)[a-ząćęłńóśźż]{3,}(?:emy|imy|ymy|amy)(?!\w)",
    re.IGNORECASE,
)


def lines_about(answer: str, message: str) -> str | None:
    """The lines of an answer that name what a follow-up asks about, when they are not the
    whole answer: "a do Moskwy?" after the delivery times gets the line on Moscow, not every
    region again; None when no line (or every line) names it. A follow-up asking how to do
    something ("как отправить?" after the returns) is not told by a line where the shop does
    it ("...мы сразу отправим вам деньги")."""
    asked = _asked_words(message)
    lines = [line.strip() for line in _LINE_END.split(answer) if line.strip()]
    how = bool(_HOW_I.search(message))
    picked = [
        line
        for line in lines
        if asked and _names_all(_SHOP_DOES.sub(" ", line) if how else line, asked)
    ]
    if not picked or len(picked) == len(lines):
        return None
    said = " ".join(re.sub(r"[;,:]$", ".", line) for line in picked)
    return said[:1].upper() + said[1:]


def lines_of_country(answer: str, message: str) -> str | None:
    """The lines of an answer on the country of the big city a follow-up names ("a do
    Krakowa?" after the delivery price: its lines on Poland, from the first naming it to the
    next naming another country), when they are not the whole answer; else None."""
    country = country_of_city(message)
    asked = _asked_words(message)
    if country is None or not all(country_of_city(w) == country for w in asked):
        return None  # (not "а в Варшаве есть пункты выдачи?": more than the city)
    lines = [line.strip() for line in _LINE_END.split(answer) if line.strip()]
    picked: list[str] = []
    for line in lines:
        named = countries(line)
        if picked and named and country not in named:
            break
        if picked or country in named:
            picked.append(line)
    if not picked or len(picked) == len(lines):
        return None
    said = " ".join([*picked[:-1], re.sub(r"[;,:]$", ".", picked[-1])])
    return said[:1].upper() + said[1:]


def name_not_in(entry: Entry, lang: str, message: str) -> str | None:
    """The name a follow-up asks about that the entry's answer in ``lang`` does not name: its
    words written with a capital letter, past its first ("а в Казань?", "and to Reykjavik?",
    "a do Zakopanego?" after the delivery regions), none of them in the answer; None when it
    names none, or only ones the answer does ("a do Moskwy?"), or a country the entry names
    in any language ("a w Rosji mogę nimi zapłacić?" after an answer saying "В России"), or
    one an answer on the other countries covers ("and to Kazakhstan?": "other countries
    aren't available yet")."""
    answer = entry.answer_for(lang)[1]
    found = [
        m.group()
        for m in _CONTENT_WORD.finditer(message)
        if m.group()[0].isupper()
        and re.search(r"[^\W\d_]", message[: m.start()])  # not the first word ("And ...")
        and len(m.group()) >= COVERED_MIN_LETTERS
    ]
    if not found or _names_all(answer, [w.lower() for w in found]):
        return None
    asked = countries(message)
    if asked and (
        speaks_of_other_countries(answer) or asked & countries(" ".join(entry.answers.values()))
    ):
        return None
    return " ".join(w for w in found if not _names_all(answer, [w.lower()]))


async def record_feedback(ctx: TurnContext, said: str) -> None:
    """An opinion told with nothing asked for: recorded for the admins' reports as feedback
    (a complaint record with the ``feedback`` outcome), and thanked for."""
    from bot.db.models import Complaint

    record = Complaint(
        conversation_id=ctx.conversation.id,
        complaint_type="other",
        customer_kind="claimant",
        details={"description": said} if said else {},
        outcome="feedback",
        created_at=ctx.now,
        resolved_at=ctx.now,
    )
    ctx.session.add(record)
    await ctx.session.flush()
    ctx.event("feedback_recorded", complaint_id=record.id)
    ctx.say_text(text("faq_feedback_thanks", ctx.lang, ctx.texts.memory))


def _candidate_rows(candidates: Iterable[Candidate]) -> list[list[Any]]:
    """The candidates as kept in the flow's memory: ``[[entry id, score], ...]``."""
    return [[c.entry_id, round(c.score, 4)] for c in candidates]


def _new_thread(memory: dict[str, Any], question: str, result: SearchResult, entry: Entry) -> None:
    """Memory for a question answered on its own: it starts a thread that follow-ups join."""
    memory.update(
        query=question[:500],
        topic=question[:300],
        repeated=None,
        candidates=_candidate_rows(result.candidates),
        shown=[entry.id],
    )


# the memory of one answered question: what "didn't help" continues from
_THREAD_KEYS = ("query", "topic", "candidates", "shown", "repeated")


def _digest(entry: Entry, lang: str) -> str:
    """The answer given in ``lang`` as its language and a short fingerprint of its text
    (kept in the chat's state): 'ru:1a2b3c4d5e6f'."""
    used, answer = entry.answer_for(lang)
    return f"{used}:{hashlib.sha1(answer.encode(), usedforsecurity=False).hexdigest()[:12]}"


def _back_to_answer(memory: dict[str, Any], entry_id: str) -> None:
    """A "Didn't help" pressed under an earlier answer (another one given after it, in the
    same message or later): the thread goes back to that answer's question. An answer too
    old to remember has nothing left to try: a person."""
    if not entry_id or entry_id == memory.get("last"):
        return
    kept = (memory.get("answers") or {}).get(entry_id)
    unknown = {"query": None, "topic": None, "candidates": [], "shown": [entry_id]}
    memory.update(kept or unknown, last=entry_id)


register_domain(LOCALES, "knowledge")


def text(key: str, lang: str, memory: dict[str, Any] | None = None) -> str:
    """A knowledge text in ``lang`` (fallback English), rotating variants via ``memory``."""
    try:
        options = variants(key, lang)
    except KeyError:
        options = [key]
    if memory is None or len(options) == 1:
        return options[0]
    slot = f"kb:{key}"
    index = (int(memory.get(slot, -1)) + 1) % len(options)
    memory[slot] = index
    return options[index]


# the yes or no an answer opens with: not part of a topic's name ("Да, гравируем имя...")
_YES_NO_LEAD = re.compile(r"^(?:да|нет|yes|no|tak|nie)\b[\s,!.:;—–-]*", re.IGNORECASE)


def _answer_label(answer: str) -> str:
    """A topic's name from its answer: the first sentence up to a colon, without the yes or
    no it opens with ("Да, гравируем имя на кружке." -> "Гравируем имя на кружке")."""
    first = (sentences(answer) or [answer])[0].split(": ")[0]
    label = _YES_NO_LEAD.sub("", first).strip().rstrip(".!;…") or first.strip()
    return label[:1].upper() + label[1:]


def entry_title(entry: Entry, lang: str) -> str:
    """A button caption in the customer's language: the entry's first question in ``lang``,
    else its answer in ``lang`` made a label (an admin's entry from an English gap has its
    question in English only, its answers in all three); with neither, the first question
    in English, then Russian (the order its answer falls back in), else its first one."""
    by_lang: dict[str, str] = {}
    for question, said_in in zip(entry.questions, entry.langs_for_questions(), strict=True):
        by_lang.setdefault(said_in, " ".join(question.split()))
    if lang not in by_lang and lang in entry.answers:
        by_lang[lang] = _answer_label(entry.answers[lang])
    title = next((by_lang[x] for x in (lang, "en", "ru") if x in by_lang), entry.title)
    if len(title) <= MAX_BUTTON_TEXT:
        return title
    return title[: MAX_BUTTON_TEXT - 1].rsplit(" ", 1)[0].rstrip(",;:—–- ") + "…"


# "Промокод не работает", "My promo code doesn't work", "Kod rabatowy nie działa": at the
# checkout, with no order yet; what helps is the KB's answer and, if it still fails, the code
# and what the site says, for a colleague to check (not an order number, not a site case)
_PROMO = re.compile(
    r"промо-?код|промик|промк\w*|купон|скидочн\w*\s+код|код\w*\s+(?:на\s+)?скидк|promo\s*-?code|"
    # ... in slang and in Latin letters: "promka nie dziala", "promokod ne rabotaet"
    r"promk\w*|promik|promokod\w*|promocode|coupon|discount\s+code|voucher|kod\w*\s+(?:rabatow|promocyjn)\w*|kupon|"
    r"rabatow\w*\s+kod|"
    # a gift card's code too, whose team needs the code (or the card's number) the same way
    r"(?<!\w)(?:gift\s*-?card|gift\s+certificate|сертификат|подарочн\w*\s+карт|podarunkow|prezentow)",
    re.IGNORECASE,
)
# ... of those, a gift card's ("код подарочного сертификата не работает"): its code or number
_GIFT_CARD = re.compile(
    r"\bgift\s*-?card|\bgift\s+(?:certificate|voucher)|подарочн\w*\s+(?:карт|сертификат)|"
    r"сертификат|kart\w*\s+(?:podarunkow|prezentow)|(?:bon|voucher)\w*\s+podarunkow",
    re.IGNORECASE,
)
# a gift card's number as printed: 8 digits or more, in groups or not ("1234 5678 9012")
_CARD_NUMBER = re.compile(r"(?<![\w-])\d(?:[ -]?\d){7,}(?![\w-])")
_PROMO_FAILS = re.compile(
    r"не\s+(?:работает|работают|срабатывает|сработал\w*|принима\w*|применя\w*|применил\w*|"
    r"действует|проходит|прош[её]л|активир\w*)|недействител|ошибк|"
    r"does\s*n[o']?t\s+work|is\s*n[o']?t\s+working|not\s+working|won'?t\s+(?:work|apply|accept)|"
    r"did\s*n[o']?t\s+(?:work|apply|go\s+through)|can'?t\s+(?:use|apply)|invalid|"
    r"not\s+(?:valid|accepted|applied|applying)|was\s*n[o']?t\s+applied|does\s*n[o']?t\s+apply|"
    r"expired|не\s+уч[её]л\w*|не\s+засчита\w*|ист[её]к|просроч\w*|wygas\w*|nie\s+nalicz\w*|"
    r"nie\s+(?:dzia[łl]a|zadzia[łl]a[łl]\w*|przechodzi|jest\s+akceptowany|wchodzi|mog[ęe]\s+u[żz]y[ćc])|"
    r"niewa[żz]n|nieprawid[łl]ow|b[łl][ąa]d",
    re.IGNORECASE,
)
PROMO_WORDS = 20  # a longer message tells more than a code that does not go through
PROMO_KB_MIN = 0.85


# the code itself, as typed: "SALE15", "WINTER20", "skidka10" (letters and digits, or
# capitals), not a word of the message
_PROMO_CODE = re.compile(
    r"(?<![\w-])(?:[A-Za-z]+\d+[A-Za-z\d]*|\d+[A-Za-z]+[A-Za-z\d]*|[A-Z]{4,15}|"
    r"[A-Z][A-Z\d]*(?:-[A-Z\d]+)+)(?![\w-])"
)
# what the site says: a quote, or its words ("пишет", "says", "error", "истёк", "expired")
_PROMO_SITE_SAYS = re.compile(
    r"(?:^|(?<=\s))[\"'«„“]\w|пишет|выдаёт|выдает|говорит|ошибк|ист[её]к|просроч|недействител|не\s+найден|"
    r"\bsays\b|\bshows\b|\berror\b|\bexpired\b|\binvalid\b|not\s+found|pisze|wy[śs]wietla|"
    r"b[łl][ąa]d|wygas|niewa[żz]n|nie\s+istnieje",
    re.IGNORECASE,
)


def promo_code_given(text: str, *, card: bool = False) -> bool:
    """The message holds a code as typed ("SALE15", "WINTER20"), or (``card``) a gift card's
    number ("1234 5678 9012 3456")."""
    if card and _CARD_NUMBER.search(text or ""):
        return True
    return any(
        not m.group(0).isdigit() and m.group(0).upper() not in ("SMS", "PLN", "USD", "EUR", "RUB")
        for m in _PROMO_CODE.finditer(text or "")
    )


# a message that is only a code as typed: letters and digits, 4-20 of them ("WINTER15",
# "skidka10", "SALE-2026")
_BARE_CODE = re.compile(r"\W*(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[^\W_][\w-]{2,18}[^\W_]\W*")


def bare_code(text: str) -> bool:
    """The message is a promo code alone ("WINTER15")."""
    return bool(_BARE_CODE.fullmatch(text.strip()))


def promo_fails(text: str) -> bool:
    """A promo code that does not go through, in a few words (Russian typed in Latin letters
    too: "promokod ne rabotaet")."""
    read = as_cyrillic(text) or text
    return (
        len(text.split()) <= PROMO_WORDS
        and bool(_PROMO.search(read) or _PROMO.search(text))
        and bool(_PROMO_FAILS.search(read))
    )


# Typos in a question the KB declined ("скока стоит доствка?"): a word the KB's questions do
# not have, one letter away from one they have (two for long words), is read as that word,
# and a few spoken forms as their written ones; the question is searched again so spelled.
# The conversation's reading only: the KB, its scores and thresholds are unchanged.
# ("u" is no "you" here: it is a Polish word, "odbiór u kuriera")
_SPOKEN = {
    "скока": "сколько",
    "скоко": "сколько",
    "скоку": "сколько",
    "сколко": "сколько",
    "чё": "что",
    "че": "что",
    "шо": "что",
    "щас": "сейчас",
    "ща": "сейчас",
    "плиз": "пожалуйста",
    "пжл": "пожалуйста",
    "pls": "please",
    "plz": "please",
    "wanna": "want to",
}
_TYPO_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
TYPO_MIN_LETTERS = 5  # shorter words are too alike to correct ("cars", "card"); 4: swaps only
TYPO_LONG = 7  # from this length a word may have two slips


def _sorry_first(ctx: TurnContext) -> None:
    """Before the first answer of a turn to a message told upset or angry (the model's
    emotion; no thanks or praise): thanks and a word of regret, as in a complaint. "Опять не
    положили чек!!! Сколько можно" got the receipts answer alone."""
    pred = ctx.prediction
    if (
        pred is not None
        and pred.emotion in ("upset", "angry")
        and ctx.intent not in ("thanks", "praise", "greeting", "goodbye")
        and not ctx.replies
    ):
        ctx.say_text(text("faq_sorry_intro", ctx.lang, ctx.texts.memory))


def _topic_word(message: str) -> bool:
    """One word of 4+ letters, nothing else but punctuation ("zwroty?", "доставка"): a
    topic named alone."""
    words = _TYPO_WORD.findall(message)
    return len(words) == 1 and len(words[0]) >= 4 and not any(c.isdigit() for c in message)


def _missing_or_swapped(typo: str, word: str) -> bool:
    """``typo`` is ``word`` with one letter left out ("доствка") or two neighbours swapped
    ("mcuh"): the slips a short word can have and still be safely read as ``word``."""
    if len(word) == len(typo) + 1:
        return any(word[:i] + word[i + 1 :] == typo for i in range(len(word)))
    if len(word) == len(typo):
        diff = [i for i in range(len(word)) if word[i] != typo[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == typo[diff[1]]
            and word[diff[1]] == typo[diff[0]]
        )
    return False


def _within(a: str, b: str, limit: int) -> bool:
    """``a`` and ``b`` are at most ``limit`` edits apart (insert, delete, replace)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def _other_ending(a: str, b: str) -> bool:
    """``a`` and ``b`` differ only in their last two letters or fewer (an inflection)."""
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return len(a) - k <= 2 and len(b) - k <= 2


def spelled(text: str, vocabulary: set[str]) -> str:
    """``text`` with its typos read as the KB's words (see _SPOKEN); the same when none. A
    word of 4 letters only with two neighbours swapped ("mcuh"), of 5-6 letters only with a
    letter left out or two swapped ("cars" is no "cards",
    "доствка" is "доставка"); from 7 letters, up to two slips."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low in _SPOKEN:
            return _SPOKEN[low]
        if low in vocabulary or len(low) < TYPO_MIN_LETTERS - 1:
            return word
        if len(low) < TYPO_MIN_LETTERS:  # 4 letters: two neighbours swapped only ("mcuh")
            near = [v for v in vocabulary if len(v) == len(low) and _missing_or_swapped(low, v)]
        elif len(low) < TYPO_LONG:
            near = [v for v in vocabulary if _missing_or_swapped(low, v)]
        else:
            near = [v for v in vocabulary if v[:1] == low[:1] and _within(low, v, 2)]
        # another ending of the same word ("returns", "return") is no typo: its question is
        # as vague or as clear as it was
        near = [v for v in near if not _other_ending(low, v)]
        return min(near, key=lambda v: (abs(len(v) - len(low)), v)) if near else word

    return _TYPO_WORD.sub(fix, text)


class FaqFlow:
    name = "faq"

    def __init__(self, knowledge: KnowledgeService, *, high_confidence: float = HIGH_CONFIDENCE):
        self.knowledge = knowledge
        self.high_confidence = high_confidence

    async def handle(self, ctx: TurnContext) -> bool:
        memory: dict[str, Any] = ctx.state.setdefault("faq", {})
        data = ctx.incoming.callback_data
        if data:
            if data.startswith(BUTTON_PREFIX):
                return await self._answer_button(ctx, memory, data[len(BUTTON_PREFIX) :])
            if data == NOT_HELPFUL_DATA or data.startswith(NOT_HELPFUL_DATA + ":"):
                _back_to_answer(memory, data[len(NOT_HELPFUL_DATA) + 1 :])
                return await self._not_helpful(ctx, memory)
            return False
        message = (ctx.incoming.text or "").strip()
        if not message or ctx.command is not None:
            return False
        intent = ctx.intent
        if recent_answer(ctx) and just_saying(message):
            await self._feedback(ctx, memory)
            return True
        if recent_answer(ctx) and (
            (intent in ("deny", None) and all_done(message)) or _mind_changed(message)
        ):
            # "no thanks, that's all", "передумал, не надо" (not "didn't help": the change-order
            # answer was the next guess): nothing more to try, and nobody to call
            memory["last"] = None
            ctx.say_text(text("faq_all_done", ctx.lang, ctx.texts.memory))
            return True
        if (
            recent_answer(ctx)
            and memory.get("query")
            and len(message.split()) <= FOLLOW_UP_WORDS
            and _FIT_TOLD.search(message)
            and await self._follow_up(
                ctx,
                memory,
                FIT_SAID.get(ctx.lang, FIT_SAID["en"]),
                strict=True,
                new_entry_only=True,
            )
        ):
            # "it's too small" after the returns answer ("no" to the model, which made it
            # "didn't help"): the entry the question and its reason find together, when it
            # is another one (the size exchange)
            return True
        if recent_answer(ctx) and is_not_helpful(message, intent):
            if (asked := restated(message)) is not None and not advice_failed(message):
                return await self._restated(ctx, memory, asked)
            if await self._other_need(ctx, memory, message, intent):
                return True
            return await self._not_helpful(ctx, memory)
        if recent_decline(ctx) and _not_these(message, intent):
            # none of the topics offered is it: the colleague the decline promised (not
            # one of those topics again as "perhaps this is what you need")
            ctx.event("faq_not_helpful", answer_id=None)
            self._to_person(ctx, memory)
            return True
        if yes_to_colleague(ctx, message):
            # "да" to "...или я позову коллегу": the colleague, with the question (it got
            # "Хорошо. Что-нибудь ещё?")
            self._to_person(ctx, memory)
            return True
        if (intent in SOCIAL or intent is None) and (asked := after_thanks(message)):
            # "dzięki, a zwroty?" (thanks to the model): the question after the thanks, with
            # the one it follows when it is a follow-up; it got only "Glad I could help!"
            if (
                (recent_answer(ctx) or recent_decline(ctx))
                and memory.get("query")
                and is_follow_up(asked)
                and await self._follow_up(ctx, memory, asked, strict=True)
            ):
                return True
            found = await self.knowledge.search(ctx.session, asked, top_k=5)
            if found.reason not in ("off_topic", "order_ref"):
                return await self._question(ctx, memory, asked, strict=False)
        if intent in FOLLOW_UP_INTENTS and self._follows(ctx, memory, message):
            # "a ile to potrwa?" right after an answer (off-topic to the model at 0.53, not
            # sure chatter): a question about it, so the topics and a person when the KB is
            # not sure (it got "I only know shop matters")
            asked = "?" in message and not _chatter(ctx)
            if await self._follow_up(ctx, memory, message, strict=intent != "faq" and not asked):
                return True
        if intent == "faq":
            # (a sound return's "Заказ 6612399" is left out of the search: the engine's query)
            asked = getattr(ctx.prediction, "query", None) or message
            return await self._question(ctx, memory, asked, strict=False)
        if intent is None and ctx.prediction is not None and len(message.split()) >= 2:
            # the classifier is unsure: its best guess "faq" still gets the knowledge base
            # (which declines with the closest topics), anything else only a sure answer,
            # before the engine's "I did not understand"
            strict = ctx.prediction.intent != "faq"
            return await self._question(ctx, memory, message, strict=strict)
        if intent is None and ctx.prediction is not None and _topic_word(message):
            # one word the classifier is unsure of ("zwroty?", "raty?"): a sure answer when
            # the KB has one, else the engine's "I did not understand" as before
            return await self._question(ctx, memory, message, strict=True)
        if intent == "greeting" and (asked := without_greeting(message)) != message:
            # "Здравствуйте, как вернуть куртку?" (a greeting to the model): the question after
            # the greeting is searched, not only "Hello! How can I help?"
            return await self._question(ctx, memory, asked, strict=False)
        if intent == "deny" and not question_stands(ctx.state) and told_not_refused(message):
            # "Nie pamiętam hasła", "Не подошёл размер", "I don't remember my password" (a
            # "no" to the model, a calm message opening with a negation) got "Understood.
            # What would you like to do instead?", with nothing of ours to say no to: what
            # the customer needs, answered from the KB or its closest topics offered
            return await self._question(
                ctx, memory, _with_return_wish(message, ctx.lang), strict=False
            )
        if intent == "out_of_scope" or (
            intent in SOCIAL and len(message.split()) >= 4 and _asks(message)
        ):
            # small talk with a question in it; thanks or a name ("спасибо большое, вы мне
            # очень помогли!", "hello, my name is Anna") asks nothing (it got the contacts)
            return await self._question(ctx, memory, message, strict=True)
        return False

    # ------------------------------------------------------------------ steps
    async def _other_need(
        self, ctx: TurnContext, memory: dict[str, Any], message: str, intent: str | None
    ) -> bool:
        """A "no" to the model after an answer that tells a need of its own ("Не помню пароль"
        after the returns answer got "Sorry that didn't help" and the return period): the
        KB's sure answer to it, when that is another entry than the one just given."""
        if intent != "deny" or _NOT_HELPFUL.search(message) or not told_not_refused(message):
            return False
        found = await self._found(ctx, message)
        best = found[0].best
        if best is None or not found[0].confident or best.score < self.high_confidence:
            return False
        if best.entry_id == memory.get("last") or best.entry_id in (memory.get("shown") or []):
            return False  # about the answer given: it did not help after all
        return await self._question(ctx, memory, message, strict=True, found=found)

    async def _found(self, ctx: TurnContext, message: str) -> tuple[SearchResult, str]:
        """The KB's search for a question, and the question it was sure of: as typed, else
        spelled right, read from Latin letters, without its order number, or without the
        greeting or thanks around it."""
        result = await self.knowledge.search(ctx.session, message, top_k=5)
        if result.reason == "low_confidence" and (fixed := self._spelled(message)) != message:
            # "скока стоит доствка?": declined as typed, answered as meant
            again = await self.knowledge.search(ctx.session, fixed, top_k=5)
            if again.confident and again.best is not None:
                result = again
        if not result.confident and (read := as_cyrillic(message)) is not None:
            # "kak otmenit zakaz", "mozhno oplatit pri poluchenii?": Russian typed in Latin
            # letters, searched as the Cyrillic it stands for
            again = await self.knowledge.search(ctx.session, read, top_k=5)
            if again.confident and again.best is not None:
                result = again
        if result.reason == "order_ref" and not _STATUS_ASKED.search(message):
            # "Is my vacuum from order 2298910 still under warranty?": a rule asked about the
            # order, not where it is; the rule's answer (the order's number kept it from one)
            general = without_order_ref(message, named=True)
            if general is not None:
                again = await self.knowledge.search(ctx.session, general, top_k=5)
                if again.confident and again.best is not None:
                    result = again
        question = without_greeting(after_thanks(message) or message)
        if question != message and not (result.confident and result.best is not None):
            # "Good morning! Do you have gift cards?", "thanks, and what about returns?": the
            # question alone, when the greeting or the thanks kept the search from being sure
            alone = await self.knowledge.search(ctx.session, question, top_k=5)
            if alone.confident and alone.best is not None:
                result, message = alone, question
        return result, message

    async def _question(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        message: str,
        *,
        strict: bool,
        found: tuple[SearchResult, str] | None = None,
    ) -> bool:
        """Answers ``message`` from the KB (``found``: its search, when the caller made it);
        else declines it, or (``strict``) leaves it to the caller."""
        result, message = found or await self._found(ctx, message)
        best = result.best
        if best is not None and result.confident:
            if strict and best.score < self.high_confidence:
                return False
            entry = await self._entry(ctx, best.entry_id)
            if entry is not None and other_country_asked(
                message, list(entry.answers.values()), self._kb_countries()
            ):
                # "How much is shipping to Germany?": the tariff of the countries served is no
                # answer; the entry about the other countries is, if one is among the closest
                best, entry = await self._other_countries(ctx, result)
                if best is None and strict:
                    return False
            if best is not None and entry is not None:
                # the same question asked again (the answer is a few messages up)
                again = entry.id == memory.get("last") or entry.id in (memory.get("answers") or {})
                repeated = memory.get("repeated")
                _new_thread(memory, message, result, entry)
                if again:
                    memory["repeated"] = repeated
                    self._say_again(ctx, memory, entry, best.score, via="search")
                else:
                    _sorry_first(ctx)
                    self._say_answer(ctx, memory, entry, best.score, via="search")
                return True
        if strict:
            return False
        memory["topic"] = message[:300]  # what a follow-up to the topics offered is about
        await self._decline(ctx, memory, message, result)
        return True

    async def _other_countries(
        self, ctx: TurnContext, result: SearchResult
    ) -> tuple[Candidate | None, Entry | None]:
        """The closest candidate whose answer speaks of the countries not served (None, None:
        there is none, and the question is declined)."""
        for candidate in result.candidates[1:]:
            entry = await self._entry(ctx, candidate.entry_id)
            if entry is not None and speaks_of_other_countries(" ".join(entry.answers.values())):
                return candidate, entry
        return None, None

    def _kb_countries(self) -> set[str]:
        """The countries the knowledge base's answers name (the ones the shop speaks of)."""
        index = self.knowledge.loaded_index
        if index is None:
            return set()
        if getattr(self, "_countries_of", None) is not index.by_id:  # rebuilt after an edit
            said = (a for entry in index.by_id.values() for a in entry.answers.values())
            self._countries_of, self._countries = index.by_id, countries(" ".join(said))
        return self._countries

    def _spelled(self, message: str) -> str:
        """``message`` with its typos read as words of the KB's questions."""
        index = self.knowledge.loaded_index
        if index is None:
            return message
        if getattr(self, "_vocab_of", None) is not index.by_id:  # rebuilt after an edit
            words: set[str] = set()
            for entry in index.by_id.values():
                for question in entry.questions:
                    words.update(w.lower() for w in _TYPO_WORD.findall(question))
            self._vocab_of, self._vocab = index.by_id, words
        return spelled(message, self._vocab)

    async def takes_promo_code(self, ctx: TurnContext) -> bool:
        """Before the other flows: a promo code that does not work ("Промокод не работает", a
        billing complaint to the model, was asked for an order number; "My promo code doesn't
        work" a site case asking for a phone or email). Thanks and a word of regret, the KB's
        answer when it is sure (what usually fixes it), and one question: the code and what
        the site says. The next message, whatever it holds, goes to a colleague with them.
        Not while a question of the bot's stands, nor angry, with a threat or an order."""
        if ctx.incoming.callback_data or ctx.command is not None:
            return False
        text_in = (ctx.incoming.text or "").strip()
        memory: dict[str, Any] = ctx.state.setdefault("faq", {})
        turns = int(ctx.state.get("turns", 0))
        asked = memory.pop("promo_asked", None)
        pred = ctx.prediction
        calm = pred is None or (pred.emotion != "angry" and pred.threat in (None, "none"))
        if asked is not None and turns - int(asked) == 1 and text_in and calm:
            # "WINTER15" alone (a greeting to the model: "Hi! How can I help today?") is the code
            social = not bare_code(text_in) and (
                ctx.intent in SOCIAL or all_done(text_in) or just_saying(text_in)
            )
            if not social and not question_stands(ctx.state):
                # the code and what the site says (or "не помогло"): a colleague checks it
                # ("я всё ввела правильно, всё равно не работает" gave no code: not said to be)
                card = bool(_GIFT_CARD.search(memory.get("promo_question") or ""))
                coded = promo_code_given(text_in, card=card) or promo_code_given(
                    memory.get("promo_question") or "", card=card
                )
                # what they sent is on the card with the question, not only in the transcript
                said = " — ".join(filter(None, (memory.get("promo_question"), text_in)))
                memory["promo_question"] = said[:500]
                kind = "card" if card else "promo"
                self._promo_passed(
                    ctx, memory, "faq_promo_passed" if coded else f"faq_{kind}_passed_no_code"
                )
                return True
        if not text_in or not calm or not promo_fails(text_in) or question_stands(ctx.state):
            return False
        if pred is not None and (pred.order_ref or pred.amount):
            return False
        card = bool(_GIFT_CARD.search(as_cyrillic(text_in) or text_in))
        if promo_code_given(text_in, card=card) and _PROMO_SITE_SAYS.search(text_in):
            # "промокод SALE15 не работает, пишет 'срок действия истёк'": the code and what the
            # site says are here (they were asked for): a colleague checks them now
            memory["promo_question"] = text_in[:300]
            # (the card's summary: what does not work; nothing was asked for)
            ctx.event("faq_promo_checked", card=card)
            self._promo_passed(ctx, memory, "faq_promo_passed_now")
            if pred is not None and pred.intent == "complaint":
                ctx.event(
                    "complaint_not_opened", reason="promo_code", complaint_type=pred.complaint_type
                )
            return True
        result = await self.knowledge.search(ctx.session, text_in, top_k=5)
        best = result.best
        entry = None
        if best is not None and result.confident and best.score >= PROMO_KB_MIN:
            entry = await self._entry(ctx, best.entry_id)
        if card and entry is not None and not _GIFT_CARD.search(entry.answer_for(ctx.lang)[1]):
            entry = None  # the promo code's field is no help with a gift card
        # "my promo code SAVE20 doesn't work": the code is here, only what the site says is
        # asked for (it was "send me the code", asked again)
        # a gift card's: its code or number, and the error, if the site shows one
        coded = "_site" if promo_code_given(text_in, card=card) else ""
        kind = "card" if card and not coded else "promo"
        if entry is not None:
            ctx.say_text(text("faq_promo_intro", ctx.lang, ctx.texts.memory))
            _new_thread(memory, text_in, result, entry)
            self._say_answer(ctx, memory, entry, best.score if best else None, via="promo_code")
            ctx.say_text(text(f"faq_{kind}_ask{coded}", ctx.lang, ctx.texts.memory))
        else:
            ctx.say_text(text(f"faq_{kind}_ask_only{coded}", ctx.lang, ctx.texts.memory))
        memory["promo_asked"] = turns
        memory["promo_question"] = text_in[:300]
        ctx.event("faq_promo_asked", card=card)
        if pred is not None and pred.intent == "complaint":
            ctx.event(
                "complaint_not_opened", reason="promo_code", complaint_type=pred.complaint_type
            )
        return True

    @staticmethod
    def _promo_passed(ctx: TurnContext, memory: dict[str, Any], key: str) -> None:
        """The promo code's question goes to a colleague (said with ``key``), the card's
        question what was said of the code."""
        memory["last"] = None
        memory["query"] = memory.get("promo_question")
        ctx.say_text(text(key, ctx.lang, ctx.texts.memory))
        ctx.person_said = True
        ctx.request_handoff(
            "faq_not_helpful",
            question=memory.get("promo_question"),
            tried=sorted(memory.get("shown") or []),
        )

    async def takes_reaction(self, ctx: TurnContext) -> bool:
        """Before the other flows: a few words right after an answer that only react to it.
        "what?", "не понял" (not clear): the answer again, with the question it answers and
        a colleague a tap away; "wtf is this shit", "что за бред" (scorn, an outburst or an
        unsure complaint to the model): as "didn't help", the next answer or a colleague.
        Not while a complaint case or an order-number question is open, nor with a threat."""
        if ctx.incoming.callback_data or ctx.command is not None or not recent_answer(ctx):
            return False
        pred = ctx.prediction
        if pred is not None and (pred.order_ref or pred.threat not in (None, "none")):
            return False
        if question_stands(ctx.state):
            return False
        message = (ctx.incoming.text or "").strip()
        memory: dict[str, Any] = ctx.state.setdefault("faq", {})
        if unclear_to_them(message):
            entry = await self._entry(ctx, str(memory.get("last")))
            if entry is None:
                return False
            if memory.get("repeated") == entry.id:
                self._say_again(ctx, memory, entry, 1.0, via="unclear")  # a pointer, a person
                return True
            memory["repeated"] = entry.id
            asked = " ".join(str(memory.get("topic") or memory.get("query") or "").split())
            if len(asked) > MAX_QUOTED:
                asked = asked[: MAX_QUOTED - 1] + "…"
            if asked:
                ctx.say_text(text("faq_unclear", ctx.lang, ctx.texts.memory).format(question=asked))
            else:
                ctx.say_text(text("faq_unclear_bare", ctx.lang, ctx.texts.memory))
            human = [Button(ctx.texts.plain("topic_human"), "topic:human")]
            self._say_answer(ctx, memory, entry, None, via="unclear", extra=human)
            return True
        contact = contact_only(message)
        if contact is not None:
            # "anna.k@example.pl" right after "the reset e-mail doesn't come" was answered ("if
            # it still doesn't work, a colleague will help"; it was "I don't quite
            # understand"): the contact (on the card) and the question go to a colleague
            ctx.state.setdefault("known", {})["contact"] = contact
            self._to_person(ctx, memory, "faq_contact_handoff", contact=contact)
            return True
        if scorns_answer(message):
            return await self._not_helpful(ctx, memory)
        if sent_thing_missing(message):
            # "не приходит письмо" after the password reset (an unsure complaint to the model,
            # asked "what happened?"): about that answer's steps, which it says again, a
            # colleague a tap away; once more, a pointer to it and the colleague
            entry = await self._entry(ctx, str(memory.get("last")))
            if entry is None or not _SENT_THING.search(entry.answer_for(ctx.lang)[1]):
                return False
            human = [Button(ctx.texts.plain("topic_human"), "topic:human")]
            if memory.get("repeated") == entry.id:
                self._say_again(ctx, memory, entry, 1.0, via="not_arrived")
                return True
            memory["repeated"] = entry.id
            ctx.say_text(text("faq_not_arrived", ctx.lang, ctx.texts.memory))
            self._say_answer(ctx, memory, entry, None, via="not_arrived", extra=human)
            return True
        return False

    async def takes_follow_up(self, ctx: TurnContext) -> bool:
        """Before the other flows: a follow-up to an answer just given that the classifier
        read as an order-status question ("а деньги когда придут?", "a kiedy dostanę kasę?")
        is answered when the KB is sure of it with the question it follows. A message with
        an order number, or while a complaint case or an order-number question is open,
        is left to its flow."""
        if ctx.incoming.callback_data or ctx.command is not None or ctx.intent != "order_status":
            return False
        pred = ctx.prediction
        if pred is not None and (pred.order_ref or pred.threat not in (None, "none")):
            return False
        if question_stands(ctx.state):
            return False
        memory: dict[str, Any] = ctx.state.setdefault("faq", {})
        message = (ctx.incoming.text or "").strip()
        conditional = bool(_IF_FOLLOW_UP.match(message))
        if not message or not self._follows(ctx, memory, message):
            return False
        if _OWN_ORDER.search(message) and not conditional:
            return False  # "а мой заказ где?" (not "what if my order is over 3000?")
        # an order-status reading gives way only to another entry the message itself asks
        # for ("а деньги когда придут?" is refund timing alone, 0.9998); "а когда привезут?"
        # after the delivery price is the order's status, not that answer again. A condition
        # ("а если заказ больше 3000?") asks about the topic, so that answer may hold it
        new_entry_only = not conditional
        return await self._follow_up(
            ctx, memory, message, strict=True, new_entry_only=new_entry_only
        )

    async def _follow_up(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        message: str,
        *,
        strict: bool,
        new_entry_only: bool = False,
    ) -> bool:
        """Answer an elliptical follow-up with the question it follows as context.

        Each candidate of the joint question ("Как оформить возврат? а деньги когда
        придут?") is scored by its joint confidence plus FOLLOW_UP_ALONE times its
        confidence for the follow-up alone, so the joint question finds the topic and the
        follow-up's own words pick the entry within it ("refund timing", not the returns
        procedure asked before); the joint confidence decides whether to answer. Off-topic
        chatter is never given context. When the KB is not sure and the classifier called
        the message a question, the decline offers the joint question's topics. Returns
        False to let the usual path handle the message.
        """
        # the follow-up alone, re-ranked: the re-ranker's first candidate has its confidence,
        # the others their fused scores. "a faktura na osobę prywatną?" alone is privacy in
        # fused scores (0.68: "prywatną"), which the re-ranker is not sure of (0.03);
        # "a za pobraniem?" is cash on delivery at 0.03 fused, 1.0 re-ranked
        # (followup_check.py: 0.824 -> 0.831, unanswerable follow-ups declined 0.25 -> 0.25)
        alone = await self.knowledge.search(ctx.session, message, top_k=FOLLOW_UP_K)
        covered = await self._covered_by_last(ctx, memory, message)
        if alone.reason == "order_ref" or (
            alone.reason == "off_topic" and _chatter(ctx) and not covered
        ):
            # (not "a do Moskwy?" after the delivery times, which name Moscow)
            return False
        # joined to the question the thread started with, not to the previous follow-ups
        # ("а в Германию?" after "а в Польшу?" is about the delivery price asked first)
        joint_text = f"{memory.get('topic') or memory.get('query', '')} {message}".strip()
        if await self._not_in_answer(ctx, memory, message, alone, joint_text):
            return True
        if self._asks_other_question(memory, message, alone):
            # "а как вернуть товар?" after the return period is the returns' own question
            # (it got the return period's first line again)
            return await self._question(ctx, memory, message, strict=strict)
        last_entry = await self._entry(ctx, memory["last"]) if memory.get("last") else None
        if last_entry is not None and recent_answer(ctx):
            lines = lines_of_country(last_entry.answer_for(ctx.lang)[1], message)
            if lines is not None:
                # "a do Krakowa?" after the delivery price: its lines on Poland (it got the
                # delivery regions, or "no exact answer for Krakowa")
                self._say_answer(ctx, memory, last_entry, None, via="follow_up", answer=lines)
                return True
        joint = await self.knowledge.search(
            ctx.session, joint_text, top_k=FOLLOW_UP_K, rerank=False
        )
        if not joint.candidates or joint.reason == "off_topic":
            return False
        # the re-ranker's pick, when it declines the follow-up alone, keeps its own lower
        # confidence and the others are capped just under the threshold (``_reranked``): its
        # pick would count for less than the candidates it put after it ("а в Польше ими можно
        # оплатить?" alone: the payment methods 0.45, cash on delivery 0.4995, which won)
        pick = alone.candidates[0].score if alone.candidates else 0.0
        own = {c.entry_id: min(c.score, pick) for c in alone.candidates[1:]}
        own.update({c.entry_id: c.score for c in alone.candidates[:1]})
        # "сколько это стоит?" alone is the delivery price; about "it" (the gift wrapping
        # asked before) its own words do not pick the entry, the joint question does
        weight = ANAPHORA_ALONE if about_it(message) else FOLLOW_UP_ALONE
        ranked = _ranked_with_own(joint.candidates, own, weight)
        specific = alone.best if alone.confident else None
        if (
            covered
            and specific is not None
            and specific.entry_id != memory.get("last")
            and joint.candidates[0].entry_id == specific.entry_id
        ):
            # "а при получении?" after the payment methods, which name paying on delivery in
            # passing: the entry about it, which the follow-up alone and the joint question
            # are both sure of, not the list again (the delivery price's line on Poland
            # still answers "а в Польшу?": the joint question is sure of the price)
            covered = False
        if covered:
            # "а в Польшу?" after the delivery price, whose answer has the price to Poland: the
            # same topic for a place (or a thing) the answer names, not the delivery regions
            # the word alone is closest to
            ranked.sort(key=lambda c: c.entry_id != memory.get("last"))
        top = ranked[0]
        if (
            not covered
            and alone.best is not None
            and top.entry_id != alone.best.entry_id
            and await self._names_other_topic(ctx, memory, message, alone)
        ):
            # "and returns are free?" after the delivery answers: it names another topic,
            # searched as that topic (it got the delivery price again, or was declined)
            return await self._question(ctx, memory, message, strict=strict)
        if top.entry_id != memory.get("last") and await self._leaves_thread(
            ctx, memory, message, top.entry_id
        ):
            # "а если я уже выбросила коробку?" after the returns answer: the damaged parcel
            # (a box crushed in delivery) speaks of the box, not of throwing it away; the FAQ
            # has no answer to the return asked about: said so, with the thread's other
            # topics and a person (it got the damaged-parcel answer as if it were one)
            if strict:
                return False
            await self._not_said(ctx, memory, message, joint_text, joint)
            return True
        if new_entry_only and (
            top.entry_id == memory.get("last") or own.get(top.entry_id, 0.0) < alone.threshold
        ):
            return False
        if top.score < joint.threshold:
            if strict:
                return False
            await self._decline(ctx, memory, joint_text, joint, asked=message)
            return True
        index = self.knowledge.loaded_index
        if (
            top.entry_id == memory.get("last")
            and not covered
            and index is not None
            and index.reranker
        ):
            # the answer just given, again: only when the re-ranker, reading the joint
            # question, is sure that entry answers it ("а в пункт выдачи?" after the
            # delivery price). Else the follow-up asks what that answer does not hold ("and
            # are they open at night?" after the pickup points), and a question sure of
            # another entry is left to the decline too (its text is mostly the question
            # already answered): the decline offers the other topics and a person and
            # records the gap, without the entry just given (benchmarks/followup_check.py:
            # those left unanswered 0.25 -> 0.42, same-answer follow-ups 0.736 -> 0.722).
            # When the classifier did not call it a question, the message goes its usual way.
            checked = await self.knowledge.search(ctx.session, joint_text, top_k=3)
            best = checked.best
            if best is None or best.entry_id != top.entry_id or not checked.confident:
                if strict:
                    return False
                others = [c for c in ranked if c.entry_id != top.entry_id]
                result = replace(joint, candidates=others, reason="low_confidence")
                await self._decline(ctx, memory, joint_text, result, asked=message)
                return True
        entry = await self._entry(ctx, top.entry_id)
        if entry is None:
            return False
        memory.update(
            query=joint_text[:500],
            candidates=_candidate_rows(ranked),
            shown=[entry.id],
        )
        if entry.id == memory.get("last") and _same_question(message, memory.get("topic")):
            # not a follow-up to the answer but its question again, on its own ("Сколько
            # стоит доставка?" twice): said so, not sent again as if for the first time
            self._say_again(ctx, memory, entry, top.score, via="follow_up")
            return True
        lines = lines_about(entry.answer_for(ctx.lang)[1], message)
        if entry.id == memory.get("last") and lines is not None:
            # "a do Moskwy?" after the delivery times: the line on Moscow, not the whole
            # answer again ("Here's everything I have on that:")
            self._say_answer(ctx, memory, entry, top.score, via="follow_up", answer=lines)
            return True
        name = name_not_in(entry, ctx.lang, message)
        if entry.id == memory.get("last") and name is not None:
            # "а в Казань?", "and to Reykjavik?" after the delivery regions (they got the whole
            # answer again, as if it answered): no exact answer for that place, said so, with
            # the general rule in one line and a colleague; the gap is kept with its context
            await self._no_exact_answer(ctx, memory, entry, name, joint_text, joint)
            return True
        if entry.id == memory.get("last") and _asks_it_again(
            message, alone, entry.id, memory.get("topic")
        ):
            # "А какая цена доставки?" right after the delivery price: the same question in
            # other words (its words alone are sure of that answer), so the answer did not
            # land: said so with a colleague one tap away (it got "Here's everything I have
            # on that:" and the whole answer again, no person)
            self._say_again(ctx, memory, entry, top.score, via="follow_up")
            return True
        if (
            entry.id == memory.get("last")
            and not covered
            and not strict
            and await self._asks_beyond(ctx, entry.id, message)
        ):
            # "а без коробки можно вернуть?" after the return period, which says nothing of a
            # box: the FAQ does not say, said so with the thread's other topics and a person
            # (it got "Вот всё, что у меня есть об этом:" and the same answer again)
            await self._not_said(ctx, memory, message, joint_text, joint)
            return True
        if entry.id == memory.get("last") or entry.id in (memory.get("answers") or {}):
            # the answer just given, or one a few messages up ("a na raty?" after the
            # payment methods and cash on delivery): not sent again as if new
            if memory.get("repeated") == entry.id:
                # asked about once more: the answer above is all there is; no third copy
                memory["turn"] = int(ctx.state.get("turns", 0))
                memory["at"] = ctx.now.isoformat()
                ctx.say_text(
                    text("faq_same_again", ctx.lang, ctx.texts.memory),
                    [[Button(ctx.texts.plain("topic_human"), "topic:human")]],
                )
                ctx.event("faq_repeated", answer_id=entry.id, score=round(top.score, 4))
                return True
            # the answer just given again: said so, since it may not hold what they asked
            # ("а на выходных?"), and "Didn't help" then brings the next answer or a person
            memory["repeated"] = entry.id
            ctx.say_text(text("faq_same", ctx.lang, ctx.texts.memory))
        self._say_answer(ctx, memory, entry, top.score, via="follow_up")
        return True

    async def _not_in_answer(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        message: str,
        alone: SearchResult,
        question: str,
    ) -> bool:
        """ "а работают в воскресенье?" after the pickup points names no other thing: it asks
        when the pickup points are open (it got the operators' hours, which its words alone
        are closest to); "а для студентов?" after the discounts or the delivery price asks
        about them for students (it got the topics, or the same answer again). An answer
        that does not name the time (or the customers) asked is said honestly not to have
        it, with a colleague one tap away, and ``question`` kept for the admins' gaps; False
        when the answer names it, or when the follow-up alone is surely about that same
        answer (the support hours' "а в воскресенье работают?") or about an entry that names
        those customers (it is answered as a follow-up)."""
        asked = hours_asked(message)
        group = None if asked is not None else group_asked(message)
        last = memory.get("last")
        sure = alone.best if alone.best is not None and alone.confident else None
        if (asked is None and group is None) or (sure and last and sure.entry_id == last):
            return False
        if not last and group is None:
            return False
        if group is not None:
            asked = _asked_words(group)
            named = await self._entry(ctx, sure.entry_id) if sure else None
            if named is not None and _names_all(named.answer_for(ctx.lang)[1], asked):
                return False
        entry = await self._entry(ctx, last) if last else None
        if last and (
            entry is None or not asked or _names_all(entry.answer_for(ctx.lang)[1], asked)
        ):
            return False
        if group is not None:
            # after the topics offered (no answer before it to follow: "Do you have any
            # discounts?" declined, "and for students?" got the price change's answer) the
            # same, without "the answer above"
            key = "faq_no_group" if last else "faq_no_group_declined"
            named_as = group_named(message, ctx.lang) or group
            said = text(key, ctx.lang, ctx.texts.memory).format(group=named_as)
        else:
            topic = entry_title(entry, ctx.lang)
            said = text("faq_no_hours", ctx.lang, ctx.texts.memory).format(topic=topic)
        ctx.say_text(said, [[Button(ctx.texts.plain("topic_human"), "topic:human")]])
        result = replace(alone, reason="low_confidence")
        # "а студентам скидки делаете?" is its own question for the gaps (the gift card asked
        # before, answered, is not); "а в воскресенье?" needs the pickup points with it
        gap = message if group is not None else question
        gap_id = await self._record_gap(ctx, gap, result)
        memory.update(gap_id=gap_id, turn=int(ctx.state.get("turns", 0)), at=ctx.now.isoformat())
        ctx.event("faq_declined", candidates=[], reason="no_group" if group else "no_hours")
        return True

    async def _names_other_topic(
        self, ctx: TurnContext, memory: dict[str, Any], message: str, alone: SearchResult
    ) -> bool:
        """A follow-up that names a topic of its own ("and returns?", "a zwroty są darmowe?"
        after the delivery price): alone the KB is sure of an entry of another topic family
        than the answer given, which speaks of a word the answer given says nothing of
        (not a condition on the thread's topic: "а если я выбросила коробку?")."""
        last, best = memory.get("last"), alone.best
        if not last or best is None or not alone.confident or best.entry_id == last:
            return False
        if _IF_FOLLOW_UP.match(message) or about_it(message):
            return False
        named = _ASPECT.sub(" ", message)
        if not _content_words(_FOLLOW_UP.sub("", named, count=1)):
            return False  # "а сроки?", "and how much?": of the topic before
        entry = await self._entry(ctx, best.entry_id)
        if entry is None or await self._same_family(ctx, memory, entry):
            return False
        lacking = await self.knowledge.words_lacking(ctx.session, named, [last, entry.id])
        return bool(lacking.get(last, frozenset()) - lacking.get(entry.id, frozenset()))

    def _asks_other_question(
        self, memory: dict[str, Any], message: str, alone: SearchResult
    ) -> bool:
        """The follow-up is, but for its "а" / "and", a question of another entry than the
        answer given, in (nearly) its words ("а как вернуть товар?" after the return period:
        "Как вернуть товар?" of the returns), and alone the KB is sure of that entry."""
        index, best = self.knowledge.loaded_index, alone.best
        if index is None or best is None or not alone.confident:
            return False
        if best.entry_id == memory.get("last"):
            return False
        entry = index.by_id.get(best.entry_id)
        asked = _FOLLOW_UP.sub("", message, count=1)
        return entry is not None and any(_same_question(asked, q) for q in entry.questions)

    def _family(self, entry_id: str | None) -> str | None:
        """The entry's topic family (its first tag) in the loaded index, or None."""
        index = self.knowledge.loaded_index
        entry = index.by_id.get(entry_id) if index is not None and entry_id else None
        return entry.tags[0] if entry is not None and entry.tags else None

    async def _leaves_thread(
        self, ctx: TurnContext, memory: dict[str, Any], message: str, entry_id: str
    ) -> bool:
        """The follow-up's pick is of another topic family than the answer it follows and
        says nothing of a word the follow-up asks ("выбросила" of "а если я уже выбросила
        коробку?": the damaged parcel only has the box): a guess from one word, not an
        answer."""
        if not memory.get("last"):
            return False
        entry = await self._entry(ctx, entry_id)
        if entry is None or await self._same_family(ctx, memory, entry):
            return False
        lacking = await self.knowledge.words_lacking(ctx.session, message, [entry_id])
        return bool(lacking.get(entry_id))

    async def _asks_beyond(self, ctx: TurnContext, entry_id: str, message: str) -> bool:
        """The follow-up asks about a word the entry says nothing of ("коробки" of "а без
        коробки можно вернуть?" after the return period), and sets no condition on what it
        says ("а если заказ больше 5000?" after the delivery price: its free delivery) nor
        asks how or where to do what it tells in its own words ("a jak wysłać?" after the
        returns: "nadanie w Paczkomacie"; "а трек где взять?" after the tracking: "мы
        присылаем в SMS")."""
        asks = _HOW_I.search(message) or _WHERE.search(message)
        if asks or _IF_FOLLOW_UP.match(message) or about_it(message):
            return False
        entry = await self._entry(ctx, entry_id)
        if entry is None or countries(message) & countries(" ".join(entry.answers.values())):
            return False  # "a w Rosji mogę nimi zapłacić?": a country its answers speak of
        lacking = await self.knowledge.words_lacking(ctx.session, message, [entry_id])
        return bool(lacking.get(entry_id))

    async def _not_said(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        message: str,
        joint_text: str,
        joint: SearchResult,
    ) -> None:
        """The FAQ does not say what the follow-up asks: said so, with the joint question's
        other topics, the thread's own first (the return period, not the damaged parcel),
        and a person; the follow-up kept for the admins' gaps."""
        others = [c for c in joint.candidates if c.entry_id != memory.get("last")]
        family = self._family(memory.get("last"))
        others.sort(key=lambda c: family is None or self._family(c.entry_id) != family)
        result = replace(joint, candidates=others, reason="low_confidence")
        await self._decline(ctx, memory, joint_text, result, asked=message, key="faq_not_said")

    async def _no_exact_answer(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        entry: Entry,
        name: str,
        question: str,
        result: SearchResult,
    ) -> None:
        """No exact answer for ``name``: the answer's first line as the general rule, a
        colleague one tap away, and ``question`` (the follow-up with the question it follows:
        "Which countries do you deliver to? and to Reykjavik?") kept for the admins' gaps."""
        lines = [line.strip() for line in _LINE_END.split(entry.answer_for(ctx.lang)[1])]
        general = next((line for line in lines if line), "")
        ctx.say_text(
            text("faq_no_exact", ctx.lang, ctx.texts.memory).format(name=name, line=general),
            [[Button(ctx.texts.plain("topic_human"), "topic:human")]],
        )
        gap_id = await self._record_gap(ctx, question, replace(result, reason=None))
        memory.update(gap_id=gap_id, turn=int(ctx.state.get("turns", 0)), at=ctx.now.isoformat())
        ctx.event("faq_no_exact", answer_id=entry.id, name=name, gap_id=gap_id)

    async def _covered_by_last(
        self, ctx: TurnContext, memory: dict[str, Any], message: str
    ) -> bool:
        """Every word the follow-up asks about is in the answer just given ("а в Польшу?",
        "a do paczkomatu?" after the delivery price, which names both): it asks about what
        that answer holds."""
        last = memory.get("last")
        if not last or not recent_answer(ctx):
            return False
        asked = _asked_words(message)
        if not asked:
            return False
        entry = await self._entry(ctx, str(last))
        if entry is None:
            return False
        return _names_all(entry.answer_for(ctx.lang)[1], asked)

    async def answer_also(
        self,
        ctx: TurnContext,
        question: str,
        *,
        min_score: float | None = None,
        via: str = "also",
        extra: list[Button] | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> bool:
        """Answer one more question asked in the same message (``bot/dialogs/requests.py``).

        Only a confident answer is given (at least ``min_score`` when set); an entry already
        answered in this turn is not repeated. Returns whether the question is answered.
        """
        result = await self.knowledge.search(ctx.session, question, top_k=5)
        if not result.confident and (bare := without_greeting(question)) != question:
            # "how much it costs, thank you very much in advance": the question alone
            alone = await self.knowledge.search(ctx.session, bare, top_k=5)
            if alone.confident:
                result, question = alone, bare
        best = result.best
        if best is None or not result.confident:
            return False
        if min_score is not None and best.score < min_score:
            return False
        if best.entry_id in exclude:
            return False
        answered = {e.get("answer_id") for e in ctx.outcome.events if e["type"] == "faq_answered"}
        if best.entry_id in answered:
            return True
        entry = await self._entry(ctx, best.entry_id)
        if entry is None:
            return False
        memory: dict[str, Any] = ctx.state.setdefault("faq", {})
        _new_thread(memory, question, result, entry)
        _sorry_first(ctx)
        self._say_answer(ctx, memory, entry, best.score, via=via, extra=extra)
        return True

    async def answer_parts(
        self, ctx: TurnContext, questions: Sequence[str], *, whole: str
    ) -> list[bool]:
        """Answer each question of a message that asks several, in the order asked.

        A question the KB is not sure of alone is read in the whole message, as a follow-up
        is read with the question it follows ("как вернуть куртку? и сколько дней на
        возврат?": "как вернуть куртку?" alone is unsure between the returns procedure and
        the return period): the whole message finds the topic, its own words pick the entry,
        and an entry another question of the message is sure of is left to that question.
        Returns, per question, whether it is answered."""
        results = [await self.knowledge.search(ctx.session, q, top_k=5) for q in questions]
        claimed = {r.best.entry_id for r in results if r.confident and r.best is not None}
        answered = []
        for question in questions:
            ok = await self.answer_also(ctx, question) or await self._answer_in_message(
                ctx, question, whole, claimed
            )
            answered.append(ok)
        return answered

    async def _answer_in_message(
        self, ctx: TurnContext, question: str, whole: str, claimed: set[str]
    ) -> bool:
        """One question of a message, with the whole message as its context: the joint
        confidence plus FOLLOW_UP_ALONE times its own (fused scores, as for follow-ups),
        among the entries no other question of the message is sure of; answered only when
        the whole message is sure of the entry and the question's own words point to it."""
        if not whole.strip() or whole.strip() == question.strip():
            return False
        alone = await self.knowledge.search(ctx.session, question, top_k=FOLLOW_UP_K, rerank=False)
        if alone.reason in ("order_ref", "off_topic"):
            return False
        joint = await self.knowledge.search(ctx.session, whole, top_k=FOLLOW_UP_K, rerank=False)
        if joint.reason == "off_topic":
            return False
        given = {e.get("answer_id") for e in ctx.outcome.events if e["type"] == "faq_answered"}
        own = {c.entry_id: c.score for c in alone.candidates}
        if about_it(question) and joint.candidates:
            # "Sprzedajecie je komuś?" after "Czy moje dane są bezpieczne?" (the shop's answer
            # on data says it never sells it): about what the message's question before it
            # named; when the whole message is sure of the entry just given for that, its
            # answer is the answer, not "I don't have a ready answer to this"
            first = _ranked_with_own(joint.candidates, own, ANAPHORA_ALONE)[0]
            if first.entry_id in given and first.score >= joint.threshold:
                return True
        ranked = _ranked_with_own(
            [c for c in joint.candidates if c.entry_id not in claimed | given], own, FOLLOW_UP_ALONE
        )
        if not ranked:
            return False
        top = ranked[0]
        if top.score < joint.threshold or own.get(top.entry_id, 0.0) < alone.threshold:
            return False
        entry = await self._entry(ctx, top.entry_id)
        if entry is None:
            return False
        memory: dict[str, Any] = ctx.state.setdefault("faq", {})
        _new_thread(memory, question, replace(joint, candidates=ranked), entry)
        self._say_answer(ctx, memory, entry, top.score, via="in_message")
        return True

    async def question(self, ctx: TurnContext, message: str) -> bool:
        """``message`` asked of the KB for another flow: the answer, or the closest topics."""
        return await self._question(ctx, ctx.state.setdefault("faq", {}), message, strict=False)

    async def sure_answer(self, ctx: TurnContext, message: str) -> bool:
        """``message`` answered from the KB for another flow when the KB is sure of it (at
        least ``high_confidence``); False, with nothing said, otherwise."""
        return await self._question(ctx, ctx.state.setdefault("faq", {}), message, strict=True)

    async def entry_for(self, ctx: TurnContext, message: str) -> str | None:
        """The entry the KB is sure answers ``message`` (or would, but for the order number it
        names: a request about that order), or None."""
        result = await self.knowledge.search(ctx.session, message, top_k=3)
        if result.confident and result.best is not None:
            return result.best.entry_id
        if result.reason == "order_ref" and result.candidates:
            return result.candidates[0].entry_id
        return None

    async def passed_also(self, ctx: TurnContext, questions: Sequence[str]) -> None:
        """The other questions of a message whose request went to a colleague this turn: the
        colleague answers them too (said, with no "Talk to a person" button: one is coming);
        those the KB could not answer are kept for the admins."""
        for question in questions:
            result = await self.knowledge.search(ctx.session, question, top_k=5)
            if not result.confident:
                await self._record_gap(ctx, question, result)
        listed = "\n".join(f"— {q}" for q in questions)
        ctx.say("faq_passed_also", questions=listed)
        ctx.event("faq_passed_also", questions=list(questions))

    async def not_known_also(self, ctx: TurnContext, questions: Sequence[str]) -> None:
        """The questions of a message the KB is not sure of, while it answered the others in
        it: said honestly, with a person offered, and recorded for the admins (``/kb_gaps``).
        The thread stays with the answer given, so "didn't help" still means that answer."""
        for question in questions:
            result = await self.knowledge.search(ctx.session, question, top_k=5)
            await self._record_gap(ctx, question, result)
            ctx.event(
                "faq_declined",
                candidates=[c.to_dict() for c in result.candidates[:3]],
                reason=result.reason,
            )
        listed = "\n".join(f"— {q}" for q in questions)
        ctx.say(
            "faq_unknown_also",
            [[Button(ctx.texts.plain("topic_human"), "topic:human")]],
            questions=listed,
        )

    async def _record_gap(
        self, ctx: TurnContext, question: str, result: SearchResult
    ) -> int | None:
        """A question the KB could not answer confidently, kept for the admins' gaps (not an
        off-topic one); its id, or None."""
        if result.reason not in (None, "low_confidence", "empty_kb"):
            return None
        return await self.knowledge.record_unanswered(
            ctx.session,
            question,
            lang=ctx.lang,
            result=result,
            conversation_id=ctx.conversation.id,
            message_id=ctx.message.id,
            now=ctx.now,
        )

    async def _decline(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        message: str,
        result: SearchResult,
        asked: str | None = None,
        key: str = "faq_clarify",
    ) -> None:
        """The closest topics and a person offered for ``message`` (said with ``key``); the
        gap kept for the admins is ``asked``, what the customer wrote (a follow-up read with
        the question it follows, "Можно купить сертификат? а студентам скидки делаете?", is
        only its own words: the certificate was answered)."""
        closest = [] if result.reason == "off_topic" else result.candidates
        rows = self._topics(ctx, [(c.entry_id, c.score) for c in closest], BUTTON_MIN)
        key = key if len(rows) > 1 else "faq_clarify_nothing"
        ctx.say_text(text(key, ctx.lang, ctx.texts.memory), rows)
        gap_id = await self._record_gap(ctx, asked or message, result)
        memory.update(
            query=message[:500],
            candidates=_candidate_rows(result.candidates),
            shown=[],
            last=None,
            gap_id=gap_id,
            declined={"turn": int(ctx.state.get("turns", 0)), "at": ctx.now.isoformat()},
        )
        ctx.event(
            "faq_declined",
            candidates=[c.to_dict() for c in result.candidates[:3]],
            reason=result.reason,
        )

    async def closest_topics(self, ctx: TurnContext, message: str) -> list[list[Button]]:
        """The two entries closest to ``message`` ("a question about delivery") as buttons,
        and a person: nothing answered, nothing kept as a gap (no question was asked yet)."""
        result = await self.knowledge.search(ctx.session, message, top_k=5)
        return self._topics(ctx, [(c.entry_id, c.score) for c in result.candidates], BUTTON_MIN)

    def _topics(
        self, ctx: TurnContext, candidates: Iterable[tuple[str, float]], floor: float
    ) -> list[list[Button]]:
        """The two closest topics above ``floor`` as buttons (each its question in the
        customer's language), and a person."""
        index = self.knowledge.loaded_index
        offer: list[Entry] = []
        for entry_id, score in candidates if index is not None else ():
            entry = index.by_id.get(entry_id)
            if entry is None or float(score) < floor or len(BUTTON_PREFIX + entry.id) > 64:
                continue
            offer.append(entry)
            if len(offer) == 2:
                break
        rows = [[Button(entry_title(e, ctx.lang), BUTTON_PREFIX + e.id)] for e in offer]
        rows.append([Button(ctx.texts.plain("topic_human"), "topic:human")])
        return rows

    async def _answer_button(self, ctx: TurnContext, memory: dict[str, Any], entry_id: str) -> bool:
        entry = await self._entry(ctx, entry_id)
        if entry is None:
            ctx.say("button_expired")
            return True
        score = None
        for cand_id, cand_score in memory.get("candidates") or []:
            if cand_id == entry_id:
                score = float(cand_score)
        shown = list(memory.get("shown") or [])
        if entry.id not in shown:
            shown.append(entry.id)
        memory["shown"] = shown
        memory["topic"] = memory.get("query")  # the question the picked topic answers
        if memory.get("gap_id"):
            await self.knowledge.note_gap_choice(ctx.session, int(memory["gap_id"]), entry.id)
            memory["gap_id"] = None
        self._say_answer(ctx, memory, entry, score, via="button")
        return True

    async def _feedback(self, ctx: TurnContext, memory: dict[str, Any]) -> None:
        """An opinion the answer was given to ("упаковка из пластика", then "нет, просто хотел
        сказать"): thanks, and it is recorded for the admins' reports as feedback."""
        memory["last"] = None
        await record_feedback(ctx, memory.get("query") or "")

    async def _restated(self, ctx: TurnContext, memory: dict[str, Any], asked: str) -> bool:
        """ "not what I asked, I want to know if you have a student discount": the question
        said again is searched; the KB's sure answer when it is another entry, a colleague
        when the KB is not sure (the next candidate of the first question was some other
        topic: the gift cards), the next candidate when it finds the answer given again."""
        found = await self._found(ctx, asked)
        result, best = found[0], found[0].best
        tried = {memory.get("last"), *(memory.get("shown") or [])}
        if best is not None and result.confident and best.entry_id in tried:
            return await self._not_helpful(ctx, memory)
        ctx.event("faq_not_helpful", answer_id=memory.get("last"))
        if (
            best is not None
            and result.confident
            and await self._question(ctx, memory, asked, strict=True, found=found)
        ):
            return True
        memory["query"] = asked[:500]
        self._to_person(ctx, memory)
        return True

    async def _not_helpful(self, ctx: TurnContext, memory: dict[str, Any]) -> bool:
        if memory.get("last") and advice_failed(ctx.incoming.text or ""):
            # "it says invalid" after the promo code's answer: the answer was the right one
            # and what it said to do failed; not another topic ("gift cards") but a
            # colleague who can check it
            ctx.event("faq_not_helpful", answer_id=memory.get("last"))
            self._to_person(ctx, memory, key="faq_advice_failed_handoff")
            return True
        shown = set(memory.get("shown") or [])
        # nor an answer the customer has just read for the question before (a follow-up's
        # next guess is often the first answer of its thread)
        read = shown | set(memory.get("answers") or {})
        ctx.event("faq_not_helpful", answer_id=memory.get("last"))
        rows = memory.get("candidates") or []
        gap_id = None
        # the topics offered for this question already (``_not_covered``): a person now
        offered = bool(memory.get("query")) and memory.get("offered") == memory.get("query")
        if memory.get("query") and len(shown) <= 1 and not offered:
            # the FAQ missed the question: kept for the admins' /kb_gaps (it was lost)
            index = self.knowledge.loaded_index
            missed = SearchResult(
                memory["query"],
                [Candidate(cand_id, float(score)) for cand_id, score in rows],
                index.threshold if index is not None else 0.0,
                reason="low_confidence",
            )
            gap_id = await self._record_gap(ctx, memory["query"], missed)
        untried = [
            (cand_id, float(score))
            for cand_id, score in rows
            if cand_id not in read and float(score) >= NEXT_CANDIDATE_MIN
        ]
        for cand_id, score in untried if len(shown) < MAX_TRIED and not offered else ():
            entry = await self._entry(ctx, cand_id)
            if entry is None:
                continue
            if not await self._speaks_of(ctx, memory, entry.id):
                return self._not_covered(ctx, memory, untried, gap_id)
            if self._far_guess(cand_id, score, untried):
                # not sure enough to paste as the answer: offered, the customer chooses
                return self._not_covered(ctx, memory, untried, gap_id, reason="far_guess")
            if not await self._same_family(ctx, memory, entry):
                # "How much is delivery?", "that didn't help": cash on delivery (0.77, a
                # payment topic) is no other answer to the delivery price; the FAQ has no
                # ready answer, said so, its topics offered and a person
                return self._not_covered(ctx, memory, untried, gap_id, reason="other_topic")
            memory["shown"] = [*shown, entry.id]
            ctx.say_text(text("faq_next", ctx.lang, ctx.texts.memory))
            self._say_answer(ctx, memory, entry, score, via="next_candidate")
            return True
        self._to_person(ctx, memory)
        return True

    async def _speaks_of(self, ctx: TurnContext, memory: dict[str, Any], entry_id: str) -> bool:
        """The next guess after "didn't help" speaks of what the answers given left out of
        the question: one of its content words none of them has ("криптовалютой" of "Вы
        принимаете оплату криптовалютой?" after the payment methods), or the answers had
        every word (then the customer meant something else in the same words, and the next
        guess may be it). The cash-on-delivery answer, "Да, наличными или картой курьеру…",
        has no word on crypto: pasted as the next guess it read as "yes" to it."""
        question = memory.get("query")
        if not question:
            return True
        given = [e for e in memory.get("shown") or [] if e != entry_id]
        lacking = await self.knowledge.words_lacking(ctx.session, question, [*given, entry_id])
        if entry_id not in lacking:
            return True
        # what none of the answers given has (none given: every word of the question)
        missed = asked_stems(question)
        for entry in given:
            missed &= lacking.get(entry, missed)
        return not missed or bool(missed - lacking[entry_id])

    async def _same_family(self, ctx: TurnContext, memory: dict[str, Any], entry: Entry) -> bool:
        """The next guess is of the topic family (the first tag) of the answer that did not
        help: another answer to the same question, not the next topic its words are near
        (True when either has no tags)."""
        tried = memory.get("last") or next(iter(memory.get("shown") or []), None)
        given = await self._entry(ctx, tried) if tried else None
        if given is None or not given.tags or not entry.tags:
            return True
        return given.tags[0] == entry.tags[0]

    def _far_guess(self, entry_id: str, score: float, untried: list[tuple[str, float]]) -> bool:
        """The next guess is below the search's confidence and does not stand apart from the
        other untried candidates (``NEXT_APART``): a guess to offer, not an answer."""
        index = self.knowledge.loaded_index
        if index is None or score >= index.threshold:
            return False
        rival = max((s for i, s in untried if i != entry_id), default=0.0)
        return score < NEXT_APART * rival

    def _not_covered(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        untried: list[tuple[str, float]],
        gap_id: int | None,
        reason: str = "not_covered",
    ) -> bool:
        """No next guess speaks of what the question asks: said honestly (the FAQ has no ready
        answer), the next topics offered as buttons with their questions, for the customer to
        choose, and a person. (``reason`` "far_guess": the next guess is too unsure to paste:
        "did you mean" with the same buttons.)"""
        rows = self._topics(ctx, untried, NEXT_CANDIDATE_MIN)
        if len(rows) == 1:  # no topic to offer (the index is not loaded): the colleague
            self._to_person(ctx, memory)
            return True
        key = "faq_not_covered"
        if reason == "far_guess":
            key = "faq_next_offered" if len(rows) == 2 else "faq_next_offered_many"
        ctx.say_text(text(key, ctx.lang, ctx.texts.memory), rows)
        memory.update(
            last=None,
            offered=memory.get("query"),
            gap_id=gap_id if gap_id is not None else memory.get("gap_id"),
            declined={"turn": int(ctx.state.get("turns", 0)), "at": ctx.now.isoformat()},
        )
        ctx.event(
            "faq_declined",
            candidates=[{"answer_id": i, "score": round(s, 4)} for i, s in untried[:3]],
            reason=reason,
        )
        return True

    @staticmethod
    def _to_person(
        ctx: TurnContext, memory: dict[str, Any], key: str = "faq_handoff", **values: str
    ) -> None:
        """Nothing (more) to try: the question goes to a colleague."""
        memory["last"] = None
        memory["declined"] = None
        ctx.say_text(text(key, ctx.lang, ctx.texts.memory).format(**values))
        ctx.person_said = True  # the hand-off adds only when they will answer
        tried = sorted(memory.get("shown") or [])
        ctx.request_handoff("faq_not_helpful", question=memory.get("query"), tried=tried)

    # ------------------------------------------------------------------ helpers
    def _say_again(
        self, ctx: TurnContext, memory: dict[str, Any], entry: Entry, score: float, *, via: str
    ) -> None:
        """A question answered a moment ago, asked again: the answer "as I wrote above", with a
        colleague one tap away (it may not have answered what they meant); a third time, a
        pointer to it and the colleague, not a third copy."""
        human = [Button(ctx.texts.plain("topic_human"), "topic:human")]
        shown = (memory.get("said") or {}).get(entry.id)
        now = _digest(entry, ctx.lang)
        lead, lang = "faq_asked_again", None
        if shown is not None and shown != now:
            shown_lang = shown.split(":")[0]
            if now.split(":")[0] != ctx.lang and _digest(entry, shown_lang) == shown:
                # what they got is still the entry's answer in its language (here another
                # language was added since, not theirs): that same text "as I wrote above",
                # not a text in a third language "above" (a Polish customer told in Russian)
                lang = shown_lang
            elif shown_lang == now.split(":")[0]:
                # an admin changed the answer since it was shown: not "as I wrote above"
                # before a text that says otherwise, but the new one as an update
                lead = "faq_answer_updated"
            else:
                # now in their own language (or theirs changed): a new answer, said as one
                lead = None
        if lead == "faq_asked_again" and memory.get("repeated") == entry.id:
            memory["turn"] = int(ctx.state.get("turns", 0))
            memory["at"] = ctx.now.isoformat()
            ctx.say_text(text("faq_same_again", ctx.lang, ctx.texts.memory), [human])
            ctx.event("faq_repeated", answer_id=entry.id, score=round(score, 4))
            return
        memory["repeated"] = entry.id
        marker = text(lead, ctx.lang, ctx.texts.memory) if lead else None
        self._say_answer(ctx, memory, entry, score, via=via, extra=human, lead=marker, lang=lang)

    def _say_answer(
        self,
        ctx: TurnContext,
        memory: dict[str, Any],
        entry: Entry,
        score: float | None,
        *,
        via: str,
        extra: list[Button] | None = None,
        answer: str | None = None,
        lead: str | None = None,
        lang: str | None = None,
    ) -> None:
        """The entry's answer (or ``answer``, the lines of it that matter; in ``lang`` when
        given) with its "Didn't help" button, remembered as the answer just given; ``lead``
        ("As I wrote above:") opens the same message, not a bubble of its own."""
        lang, whole = entry.answer_for(lang or ctx.lang)
        answer = answer or whole
        said = memory.setdefault("said", {})
        again = bool(lead) and said.get(entry.id) == _digest(entry, lang)
        if lang != ctx.lang and lang in ("en", "ru", "pl") and not again:
            # the entry has no answer in the customer's language: said (not again with the
            # same text "as I wrote above"), so the other language does not look like the
            # bot switching
            answer = f"{text(f'faq_only_in_{lang}', ctx.lang)}\n{answer}"
        if lead:
            answer = f"{lead}\n{answer}"
        data = f"{NOT_HELPFUL_DATA}:{entry.id}"
        if len(data.encode()) > 64:  # Telegram's limit for callback data
            data = NOT_HELPFUL_DATA
        button = Button(text("faq_not_helpful_button", ctx.lang), data)
        ctx.say_text(answer, [[button], extra] if extra else [[button]])
        # the answer as shown, to tell an admin's change from it when it is asked again
        said.pop(entry.id, None)
        said[entry.id] = _digest(entry, lang)
        for old_id in list(said)[:-RECENT_ANSWERS]:
            del said[old_id]
        # what its "Didn't help" needs, for when other answers come after it
        answers = memory.setdefault("answers", {})
        answers.pop(entry.id, None)
        answers[entry.id] = {key: memory.get(key) for key in _THREAD_KEYS}
        for old_id in list(answers)[:-RECENT_ANSWERS]:
            del answers[old_id]
        memory["last"] = entry.id
        memory["turn"] = int(ctx.state.get("turns", 0))
        memory["at"] = ctx.now.isoformat()
        ctx.event(
            "faq_answered",
            answer_id=entry.id,
            score=round(score, 4) if score is not None else None,
            lang=lang,
            via=via,
        )

    def _follows(self, ctx: TurnContext, memory: dict[str, Any], message: str) -> bool:
        """A follow-up to a recent answer, unless the classifier's guess, however unsure,
        says it is not a question (thanks, a complaint, a person) or it is told upset."""
        pred = ctx.prediction
        if pred is not None and (
            pred.intent in NOT_QUESTIONS or pred.emotion not in (None, "calm")
        ):
            return False
        # after an answer, or after the topics offered ("and how long do I have?" after "I
        # have a question about returns")
        recent = recent_answer(ctx) or recent_decline(ctx)
        return bool(memory.get("query")) and recent and is_follow_up(message)

    async def _entry(self, ctx: TurnContext, entry_id: str) -> Entry | None:
        """The entry as it is now (the database, not the index in memory, which another
        process's edit or delete reaches only at the next search): a button of a deleted
        entry expires, an edited one gives the new answer."""
        return await self.knowledge.get(ctx.session, entry_id)
