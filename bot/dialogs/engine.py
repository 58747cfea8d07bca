"""The conversation engine: one customer message in, replies and events out.

It knows nothing about Telegram. Handlers, the sandbox, ``supportbot simulate`` and the
tests all call :meth:`ConversationEngine.handle` with an :class:`Incoming` and get an
:class:`Outcome`. Everything the engine remembers lives in the database (the
conversation's ``state``), so a restart mid-dialogue loses nothing. The caller owns the
transaction: it commits after ``handle`` returns, then delivers the replies (they are
already stored in the outbox).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from bot.config import Settings
from bot.db.models import (
    Classification,
    Compensation,
    Complaint,
    Conversation,
    Customer,
    Message,
    Ticket,
    as_utc,
    utcnow,
)
from bot.dialogs.guard import sanitize
from bot.dialogs.requests import (
    MAX_PARTS,
    MIN_CONFIDENCE,
    MultiPrediction,
    announced_type,
    announces_problem,
    asks_question,
    combine,
    questions,
    split_clauses,
    split_requests,
    staff_named,
)
from bot.dialogs.rules import load_rules
from bot.dialogs.slots import (
    ask_what_happened,
    claim_currency,
    contact_only,
    find_contact,
    lone_order_ref,
    no_words,
    question_stands,
    real_words,
    remember,
    said_once,
    sentences,
    words,
)
from bot.dialogs.texts import SUPPORTED, Texts, money
from bot.dialogs.types import SPOKEN_KINDS, Button, Incoming, Outcome, Reply
from bot.nlu.extract import extract, without_order_ref
from bot.nlu.lang import clearly_in, unplaced_latin
from bot.nlu.lexicon import (
    FAULT_WORDS,
    FEEDBACK_WORDS,
    PART_MISSING_RU,
    PART_WITHOUT,
    RESEND_ASKED,
    RUDE_WORDS,
    SITE_FAILURE,
    address_given,
    after_calm_opening,
    asks_for_person,
    beside_packaging,
    box_damage_only,
    callback_asked,
    cheaper_elsewhere,
    code_named,
    company_details,
    damage_denied,
    damage_named,
    deadline_question,
    discontent_only,
    discount_named,
    displeasure_said,
    document_missing_only,
    fault_named,
    flaw_denied,
    heated,
    hostile,
    hypothetical_question,
    invoice_asked,
    item_trouble_named,
    legal_threat,
    match_denied,
    missing_denied,
    money_taken_named,
    order_request_withdrawn,
    other_threat,
    others_data_sent,
    packaging_only,
    paperwork_missing,
    paperwork_named,
    praise_then,
    price_dropped,
    problem_told,
    refund_status_question,
    repeat_praised,
    sarcastic,
    shop_contact_asked,
    staff_praised,
    thanks_for_nothing,
    tired_of_waiting,
    tracking_failed,
    type_denied,
    waited_for_person,
    waited_long,
    wants_person,
    without_person_asked,
    without_tracking_failure,
)
from bot.nlu.translit import as_cyrillic
from bot.nlu.ukrainian import as_russian
from escalation.hours import answer_from, is_open, next_open, sla_minutes
from escalation.service import (
    active_ticket,
    add_event,
    open_ticket,
    render_card,
    reopen_for_customer,
)
from knowledge.flow import answered_lately, follow_up_question, just_saying, record_feedback

# "алло", "ау", "вы тут?", "есть кто?", "anyone there?", "jest tam ktoś?": is anyone there
# (after an optional "ну")
_PRESENCE = (
    r"алл?о+|ау+|эй|вы\s+(?:тут|здесь|там)|есть\s+(?:тут\s+)?кто(?:-?нибудь)?(?:\s+живой)?|"
    r"кто-?нибудь(?:\s+живой)?|(?:есть\s+)?(?:тут\s+)?живые(?:\s+есть)?|живой\s+кто(?:\s+есть)?|"
    r"hello|hey|anyone(?:\s+there)?|anybody(?:\s+there)?|are\s+you\s+there|"
    r"is\s+anyone\s+there|halo|hej|(?:czy\s+)?(?:jest\s+)?(?:tam\s+)?kto[śs]?(?:\s+tam)?"
    r"(?:\s+jest)?|jeste[śs]cie\s+tam"
)
# ... and nothing else: at the start of a chat, a hello
_ANYONE_THERE = re.compile(
    rf"^\W*(?:(?:(?:ну\s+)?(?:{_PRESENCE})|ну+)(?![^\W\d_])\W*)+$", re.IGNORECASE
)
# a caption that only points at what is attached: "zobaczcie to", "look at this", "вот,
# смотрите", "вот что пришло", "see the photo": nothing told of what happened
_POINTING_WORDS = (
    r"вот|смотрите|посмотрите|смотри|посмотри|гляньте|глянь|взгляните|полюбуйтесь|это|так|что|"
    r"мне|пришло|пришёл|пришел|пришла|прислали|фото|фотк[аиу]|снимок|на|пожалуйста|"
    r"look|at|this|that|it|see|here|check|out|take|a|the|photo|pic|picture|attached|please|"
    r"what|i|got|came|zobaczcie|zobacz|popatrzcie|patrzcie|sp[óo]jrzcie|to|oto|tu|tutaj|co|"
    r"zdj[ęe]cie|prosz[ęe]|przysz[łl]o|dosta[łl]\w*|mi"
)
_POINTING_ONLY = re.compile(rf"^\W*(?:(?:{_POINTING_WORDS})(?![^\W\d_])\W*){{1,6}}$", re.IGNORECASE)
# a hello as a caption: "hi", "здравствуйте", "dzień dobry", "добрый день, вот" (a hello and at
# most a pointing word or a "guys" after it): nothing told of what happened
_HELLO_WORDS = (
    r"hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening|day)|greetings|"
    r"здравствуйте|здрасьте|здрасте|здравствуй|привет|приветствую|добр(?:ый|ое|ого)\s+"
    r"(?:день|дня|вечер|вечера|утро|утра)|доброго\s+времени\s+суток|"
    r"dzie[ńn]\s+dobry|dobry\s+wiecz[óo]r|cze[śs][ćc]|witam|witajcie|hej|siema|halo"
)
# ... and who it is said to: "hi there", "привет, ребята", "dzień dobry państwu"
_HELLO_TO = r"there|guys|team|all|everyone|ребята|всем|pa[ńn]stwu|pa[ńn]stwa|wszystkim"
_HELLO_CAPTION = re.compile(
    rf"^\W*(?:{_HELLO_WORDS})(?![^\W\d_])\W*"
    rf"(?:(?:{_HELLO_WORDS}|{_HELLO_TO}|{_POINTING_WORDS})(?![^\W\d_])\W*){{0,5}}$",
    re.IGNORECASE,
)
# "алло", "вы тут?", "anyone there?": is anybody there? (asked while a person is awaited)
# ... also two at once: "алло, вы тут?", "hello? anyone there?", "halo, jest tam ktoś?"
_STILL_THERE = re.compile(
    rf"^\W*(?:(?:ну\s+)?(?:{_PRESENCE}|ну\s+что\s+там|ну\s+и|и\s+что|i\s+co|and|so|well|а|a|"
    # "ну где вы?", "where are you?", "ile jeszcze mam czekać?": where everyone is, how long
    r"(?:и\s+)?где\s+(?:же\s+)?(?:вы|все|оператор|коллега|консультант|ответ|человек|менеджер)"
    r"(?:\s+там)?|вы\s+где(?:\s+там)?|"
    # "а долго ждать?", "сколько ждать ответа?", "how long until someone answers?", "długo
    # mam czekać?", "ile czekać na odpowiedź?": how long the person takes
    r"(?:ну\s+)?(?:сколько|долго)(?:\s+(?:ещё|еще|мне|нам|можно|ждать|ожидать))+"
    r"(?:\s+(?:ответа|коллегу|оператора|человека))?|"
    r"how\s+long\s+(?:until|till|before)\s+(?:some|any)(?:one|body)\s+(?:answers|replies|"
    r"responds|gets\s+back(?:\s+to\s+me)?)|"
    r"(?:jak\s+)?d[łl]ugo\s+(?:jeszcze\s+)?(?:mam\s+|mamy\s+|b[ęe]d[ęe]\s+)?czeka[ćc]"
    r"(?:\s+na\s+odpowied[źz])?|"
    r"когда\s+(?:же\s+)?(?:мне\s+)?(?:ответите|ответят|ответ)|(?:почему\s+)?никто\s+не\s+"
    r"(?:отвечает|пишет)|почему\s+(?:вы\s+)?молчите|ответьте(?:\s+(?:же|мне|пожалуйста))*|"
    r"where\s+(?:are\s+you(?:\s+guys)?|is\s+everyone|is\s+everybody)|"
    r"how\s+(?:much\s+)?long(?:er)?(?:\s+(?:do|will|should|must|have)\s+(?:i|we)\s+"
    r"(?:have\s+to\s+)?wait|\s+(?:will|does|is)\s+(?:it|this)\s+(?:take|be))?|"
    r"(?:сколько\s+(?:это\s+)?(?:займёт|займет)|ile\s+to\s+(?:potrwa|jeszcze\s+potrwa))"
    r"(?:\s+времени)?|(?:why\s+(?:is\s+)?)?(?:no\s*one|nobody)\s+(?:is\s+)?"
    r"(?:answering|replying|responding)|(?:when\s+)?will\s+(?:some|any)(?:one|body)\s+"
    r"(?:answer|reply|respond)|gdzie\s+(?:jeste[śs]cie|(?:jest\s+)?konsultant)|"
    r"ile\s+(?:jeszcze\s+)?(?:mam\s+|mamy\s+)?czeka[ćc](?:\s+na\s+odpowied[źz])?|"
    r"(?:dlaczego\s+)?nikt\s+nie\s+"
    r"odpowiada|kiedy\s+(?:kto[śs]\s+)?odpowie(?:cie)?|odezwie\s+si[ęe]\s+kto[śs]|"
    # "жду", "still waiting", "nadal czekam": waiting, said to whoever is there
    # "жду уже долго", "I've been waiting for ages", "czekam już długo": and for long
    r"ну+|(?:я\s+)?(?:вс[её]\s+ещ[её]\s+|до\s+сих\s+пор\s+|уже\s+|тут\s+|давно\s+|"
    r"(?:уже\s+)?(?:так\s+)?долго\s+)?жд(?:у|[её]м)(?:\s+ответа)?(?:\s+(?:уже\s+)?(?:так\s+)?"
    r"(?:давно|долго|целую\s+вечность|полчаса|час))?|(?:i'?m\s+|i\s+am\s+|we'?re\s+|"
    r"i'?ve\s+been\s+|i\s+have\s+been\s+)?(?:still\s+)?waiting(?:\s+(?:here|"
    r"for\s+(?:an?\s+)?(?:answer|reply|response)))?(?:\s+(?:for\s+)?(?:so\s+long|ages|"
    r"forever|(?:such\s+|a\s+)?(?:long|long\s+time)|half\s+an\s+hour|an\s+hour))?|"
    r"(?:nadal\s+|wci[ąa][żz]\s+|ci[ąa]gle\s+|dalej\s+|(?:ju[żz]\s+)?(?:tak\s+)?d[łl]ugo\s+)?"
    r"czekam(?:y)?(?:\s+na\s+odpowied[źz])?(?:\s+(?:ju[żz]\s+)?(?:tak\s+)?(?:d[łl]ugo|od\s+dawna|"
    r"wieki|p[óo][łl]\s+godziny|godzin[ęe]))?)"
    r"(?![^\W\d_])\W*)*$",
    re.IGNORECASE,
)

# "help", "помогите", "pomocy", "I have a question": a call for help, nothing yet of what
# about (not thanks, nor a goodbye)
_HELP_ASKED = re.compile(
    r"^\W*(?:(?:please|pls|пожалуйста|proszę|prosze)\W+)?(?:(?:can\s+you\s+|could\s+you\s+)?"
    r"help(?:\s+me)?|(?:i\s+)?need\s+(?:some\s+)?help|sos|помогите(?:\s+мне)?|помоги(?:\s+мне)?|"
    r"(?:мне\s+)?нужна\s+помощь|помощь|pomocy|pom[oó][żz](?:cie)?(?:\s+mi)?|"
    r"potrzebuj[eę]\s+pomocy|"
    # "I have a question", "у меня вопрос", "mam pytanie": the question is still to come
    r"(?:i\s+(?:have|'ve\s+got|got)\s+|i'?ve\s+got\s+)?(?:a\s+)?(?:quick\s+|small\s+)?question|"
    r"(?:у\s+меня\s+)?(?:есть\s+)?(?:один\s+|небольшой\s+)?вопрос(?:\s+есть)?|"
    r"(?:mam\s+)?(?:jedno\s+|kr[óo]tkie\s+)?pytanie)(?:\W+(?:please|pls|пожалуйста|плиз|proszę|prosze))?\W*$",
    re.IGNORECASE,
)


# "how are you?", "как дела?", "jak się masz?" (after a greeting or not) and nothing more: small
# talk the bot answers in kind, whatever the classifier makes of it (a greeting to it in
# Russian, off-topic in English and Polish)
_HOW_ARE_YOU = re.compile(
    r"^\W*(?:(?:hi|hello|hey|привет|здравствуйте|добрый\s+(?:день|вечер)|доброе\s+утро|"
    r"cze[śs][ćc]|hej|witam|dzie[ńn]\s+dobry)(?:\s+there)?[\s,!.)]+)?"
    r"(?:how\s+are\s+(?:you|u|ya)(?:\s+doing)?(?:\s+today)?|how'?s\s+it\s+going|"
    r"how\s+are\s+things|how\s+do\s+you\s+do|how\s+is\s+your\s+day|"
    r"как\s+(?:у\s+(?:вас|тебя)\s+)?дела|как\s+(?:ты|вы)|как\s+поживаете|как\s+жизнь|"
    r"как\s+настроение|jak\s+si[ęe]\s+(?:masz|macie|pan\s+ma|pani\s+ma)|co\s+s[łl]ycha[ćc]|"
    r"jak\s+leci|jak\s+tam)"
    r"(?:\s*[,?]?\s*(?:bot|бот|ботик))?[\s?!.)]*$",
    re.IGNORECASE,
)


# feedback offered, nothing told yet: "Я хочу оставить отзыв о вашем магазине", "I'd like to
# leave some feedback", "Chcę zostawić opinię", "у меня есть предложение" (declined as a
# question, its "отзыв" read as a public review threat)
_FEEDBACK_OFFERED = re.compile(
    r"^\W*(?:(?:здравствуйте|добрый\s+(?:день|вечер)|привет|hello|hi|hey|dzie[ńn]\s+dobry|"
    r"witam|cze[śs][ćc])\W+)?(?:"
    r"(?:я\s+)?(?:хочу|хотел[аи]?\s+бы|можно|могу)\s+(?:\w+\s+)?(?:оставить|написать|дать|"
    r"высказать|передать)\s+(?:вам\s+)?(?:свой\s+|небольшой\s+)?(?:отзыв|обратную\s+связь|"
    r"пожелание|предложение|мнение)|у\s+меня\s+(?:есть\s+)?(?:отзыв|пожелание|предложение)|"
    r"(?:i(?:'d|\s+would)\s+like\s+to|i\s+want\s+to|can\s+i|could\s+i|let\s+me)\s+"
    r"(?:leave|give|share|send|write|offer)\s+(?:you\s+)?(?:a\s+|an\s+|some\s+|my\s+)?(?:little\s+)?"
    r"(?:feedback|review|suggestion|opinion|idea)s?|i\s+have\s+(?:a\s+|some\s+)?(?:feedback|"
    r"suggestion|idea)s?(?:\s+for\s+you)?|"
    r"(?:chc[eę]|chcia[łl](?:a|)bym|mog[eę])\s+(?:\w+\s+)?(?:zostawi[ćc]|wystawi[ćc]|napisa[ćc]|"
    r"przekaza[ćc]|podzieli[ćc]\s+si[eę])\s+(?:wam\s+)?(?:opini[aąeę]|uwag[aąęei]|sugesti[aąeę]|"
    r"propozycj[aąeę])|mam\s+(?:jedn[aą]\s+)?(?:uwag[eę]|sugesti[eę]|propozycj[eę])"
    r")(?:\s+(?:о|об|про|about|on|for|o|na\s+temat|dla)\s+(?:\w+\s*){1,3})?[\s.!,)]*$",
    re.IGNORECASE,
)


# what a thing is, and nothing else: "it's headphones", "это наушники", "to słuchawki"
_THING_ONLY = re.compile(
    r"^\W*(?:(?:it'?s|it\s+is|they'?re|they\s+are|these\s+are|this\s+is)\s+(?:a\s+|an\s+|the\s+|my\s+)?|"
    r"(?:это|эти)\s+|to\s+(?:s[ąa]\s+|jest\s+)?)[^\W\d_]+(?:\s+[^\W\d_]+)?\W*$",
    re.IGNORECASE,
)


def feedback_offered(text: str) -> bool:
    """Feedback offered and not told yet ("хочу оставить отзыв", "I have a suggestion")."""
    return bool(_FEEDBACK_OFFERED.match(text or ""))


def how_are_you(text: str) -> bool:
    """ "How are you?" and nothing more (a greeting before it may be)."""
    return bool(_HOW_ARE_YOU.match(text or ""))


def help_asked(text: str) -> bool:
    """A bare call for help ("help", "помогите", "Potrzebuję pomocy"): nothing yet of what
    about, and no person asked for."""
    return bool(_HELP_ASKED.match(text or ""))


# "Potrzebuję pomocy z zamówieniem", "help with a return", "помощь по оплате": help asked with
# what it is about
_HELP_WITH = re.compile(
    r"(?<!\w)(?:help|pomoc\w*|pom[oó][żz]\w*|помо[чщг]\w*|помощь)\s+(?:(?:me|mi|мне)\s+)?"
    r"(?:with|about|on|z|ze|w\s+sprawie|przy|с|со|по)\s+\w+|"
    # "I have a question about my order", "Mam pytanie dotyczące zamówienia": the same, asked
    # as a question still to come (the FAQ's missing-item answer came, or "I don't understand")
    r"(?<!\w)(?:question|вопрос|pytani\w*)\s+(?:(?:about|regarding|concerning|on|re|по|о|об|про|"
    r"насчёт|насчет|касательно|dotycz\w*|odno[śs]nie|w\s+sprawie|o|do)\s+)+\w+",
    re.IGNORECASE,
)
_ORDER_NAMED = re.compile(r"zam[óo]wieni\w*|(?<!\w)заказ\w*|\border\b", re.IGNORECASE)
# "де моє замовлення 5512345", "коли прийде моя посилка?": a Ukrainian customer asks where
# the order is (the model, trained on ru/en/pl, read it as a complaint about service)
_UK_ORDER_ASKED = re.compile(
    r"(?<!\w)(?:де|коли|як\s+там|що\s+з)\s+(?:(?:прийде|буде|приїде|доставлять|привезуть|"
    r"моє|мое|моя|мій|моїм|моєю|моєї|наше|наша|наш)\s+){0,2}"
    r"(?:замовлен\w*|посилк\w*|пакунок\w*)|(?<!\w)статус\w*\s+(?:мого\s+)?замовлен",
    re.IGNORECASE,
)
# ... unless it says something went wrong: "досі не прийшло", "пошкоджена", "не те"
_UK_TROUBLE = re.compile(
    r"(?<!\w)(?:не|досі|ще\s+не)\s+(?:прийшл|приїхал|доставил|те\b|та\b)|досі|зламан|пошкоджен|"
    r"розбит|обман|повернути\s+гроші",
    re.IGNORECASE,
)


# "у меня вопрос по доставке", "I have a question about returns", "mam pytanie odnośnie
# płatności", "хотела спросить про возврат": one of the topics named, the question still to
# come (it was "I didn't quite understand", or an answer to a question not asked)
_TOPIC_ASKED_ABOUT = re.compile(
    r"^\W*(?:(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|привет|здравствуйте|"
    r"добрый\s+(?:день|вечер)|доброе\s+утро|dzie[ńn]\s+dobry|cze[śs][ćc]|witam|hej)\W+)?"
    r"(?:(?:i\s+(?:have|'ve\s+got|got)|i'?ve\s+got|у\s+меня(?:\s+есть)?|есть|mam)\s+)?"
    r"(?:(?:a|one|quick|small|short|один|небольшой|короткий|jedno|kr[óo]tkie|ma[łl]e)\s+)?"
    r"(?:questions?|вопрос(?:ик)?|pytanie|(?:i\s+)?(?:want(?:ed)?|would\s+like|'d\s+like)\s+to\s+ask|"
    r"(?:хочу|хотел[аи]?(?:\s+бы)?)\s+(?:спросить|узнать|уточнить)|"
    r"chc(?:ę|e|ia[łl]\w*(?:\s+bym)?)\s+(?:zapyta[ćc]|si[ęe]\s+dowiedzie[ćc]))\s+"
    r"(?:about|regarding|concerning|on|re|по|о|об|про|насч[её]т|касательно|dotycz[ąa]ce|"
    r"odno[śs]nie|w\s+sprawie|o)\s+(?:(?:the|your|вашей|вашему|waszej|waszych)\s+)?"
    r"(?:(?P<delivery>доставк\w*|delivery|deliveries|shipping|dostaw\w*|wysy[łl]k\w*)|"
    r"(?P<payment>оплат\w*|payments?|paying|p[łl]atno[śs]\w*)|"
    r"(?P<returns>возврат\w*|returns?|returning|zwrot\w*))"
    r"(?:\W+(?:please|pls|пожалуйста|proszę|prosze))?\W*$",
    re.IGNORECASE,
)


def topic_asked_about(text: str) -> str | None:
    """The topic (delivery, payment, returns) of a question still to come ("у меня вопрос по
    доставке"), if the message names only that."""
    found = _TOPIC_ASKED_ABOUT.match(text or "")
    return found.lastgroup if found else None


def help_with(text: str) -> bool:
    """Help asked with a topic named ("Potrzebuję pomocy ze zwrotem", "help with my order")."""
    return bool(_HELP_WITH.search(text or ""))


# "sorry for my rude message earlier", "извините, что нагрубил", "przepraszam za wcześniejszą
# wiadomość": the customer apologising for their own words (not for a problem of ours)
_SORRY_FOR_ME = re.compile(
    r"(?:\b(?:sorry|apologi[sz]e|apologies|my\s+apologies|excuse\s+me)|(?<!\w)(?:извините|"
    r"простите|прошу\s+прощения|сорри|сори|пардон|извиняюсь)|\b(?:przepraszam|sorki|sorka|"
    r"wybacz(?:cie)?))\W+(?:(?:i\s+am|i'?m|for|about|that|if|за|что|если|я|za|[żz]e|je[śs]li|"
    r"to|my|the|being|was|a\s+bit|so|too|такой|такая|так|была?|by[łl]\w*|moj\w*|m[óo]j|"
    r"wcze[śs]niej\w*|poprzedni\w*|earlier|previous|last|мо[её]|моё|мои|свою|сво[её]|"
    r"мо[йюе]|моего|предыдущ\w*|прошл\w*|недавн\w*|тако[ей]|ten|t[ęe]|tamt\w*)\W+)*"
    r"(?:rude|harsh|angry|mean|snappy|impolite|aggressive|shouting|yelling|caps|tone|language|"
    r"swearing|outburst|rant|words|message|messages|reaction|"
    r"нагруби\w*|груб\w*|резк\w*|накрича\w*|наорал\w*|погорячи\w*|сорвал\w*|"
    r"вспыл\w*|т[оа]н\w*|сообщени\w*|слов\w*|эмоци\w*|мат\w*|выражени\w*|"
    r"niemi[łl]\w*|niegrzeczn\w*|nieuprzejm\w*|ostr\w*|ton\w*|nerw\w*|wiadomo[śs][ćc]\w*|"
    r"s[łl]ow\w*|emocj\w*|wybuch\w*|krzycz\w*|krzyk\w*|uniosłe?\w*|unios[łl]\w*)(?!\w)"
    r"|(?<!\w)(?:погорячил(?:ся|ась)|был[аи]?\s+груб\w*)(?!\w)|\bponios[łl]o\s+mnie\b|"
    r"\bi\s+(?:was|got)\s+(?:a\s+bit\s+|too\s+|so\s+)?(?:rude|harsh|angry|mean)\b",
    re.IGNORECASE,
)
# what may be said with it ("I was just upset", "нервы сдали", "emocje mnie poniosły")
_SORRY_FILLER = frozenset(
    """i i'm im was just so really very a bit little upset frustrated angry stressed nervous
    it's its been long day week and but please forgive me earlier before okay ok
    я просто был была очень немного расстроен расстроена зол зла нервы сдали день тяжёлый
    тяжелый и но пожалуйста простите меня ранее раньше ок ладно уж
    ja po prostu byłem bylem byłam bylam bardzo trochę troche zdenerwowany zdenerwowana zły
    zly zła zla zestresowany zestresowana nerwy emocje mnie poniosły poniosly i ale proszę
    prosze wybacz wcześniej wczesniej ok dobrze""".split()
)
_SORRY_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def sorry_for_own_words(text: str) -> bool:
    """The message only apologises for the customer's own words or tone ("sorry for my rude
    message earlier", "простите, погорячилась", "przepraszam za wcześniejszą wiadomość"):
    nothing asked, no problem told."""
    if not text or "?" in text or not _SORRY_FOR_ME.search(text):
        return False
    rest = _SORRY_FOR_ME.sub(" ", text)
    left = [w for w in _SORRY_WORD.findall(rest.lower()) if w not in _SORRY_FILLER]
    return len(left) <= 2 and words(text) <= 16


# "no", "нет, спасибо", "nie": nothing else (said to "Is there anything else?")
# ... also said twice over ("no, nothing else", "нет, больше ничего, спасибо", "nie, to wszystko")
_NOTHING_ELSE_WORDS = (
    r"(?:no+|nope|nah|no\s+thanks?|thanks?|thank\s+you|nothing(?:\s+(?:else|more))?|that'?s\s+(?:all|it)|"
    r"all\s+good|нет|неа|не-а|спасибо|ничего(?:\s+больше)?|больше\s+ничего|это\s+вс[её]|"
    r"вс[её]\s+хорошо|nie|dzi[ęe]kuj[ęe]|dzi[ęe]ki|nic(?:\s+wi[ęe]cej)?|to\s+wszystko|"
    r"wszystko\s+ok)"
)
_NOTHING_ELSE = re.compile(
    rf"^\W*(?:{_NOTHING_ELSE_WORDS}\W+)?"
    r"(?:nothing(?:\s+(?:else|more))?|that'?s\s+(?:all|it)|ничего(?:\s+больше)?|больше\s+ничего|"
    r"это\s+вс[её]|nic(?:\s+wi[ęe]cej)?|to\s+wszystko|no+|nope|nah|нет|неа|не-а|nie|no\s+thanks?|"
    r"no,?\s+thank\s+you|нет,?\s+спасибо|nie,?\s+dzi[ęe]kuj[ęe]|nie,?\s+dzi[ęe]ki)"
    rf"(?:\W+{_NOTHING_ELSE_WORDS})*\W*$",
    re.IGNORECASE,
)

# "где вы?" asked again this long after the bot last said a colleague has the case is
# answered again (sooner, the answer still stands on the screen)
RELAY_NUDGE_AGAIN = timedelta(minutes=15)
# a message after this long with nothing said in the chat (or the chat's first) starts a new
# talk: a "да" or "ау" is a hello there, not an answer to something said a day ago
QUIET_BEFORE = timedelta(hours=6)
# a question about the fix of a ticket resolved this recently goes back to that ticket
RESOLVED_ASKED_ABOUT = timedelta(days=14)

# "Ну и где?", "И где?", "Gdzie to jest?", "So where is it?": where, and of nothing named (at
# the start of a talk, the order: a "yes" or a hello to the model)
_BARE_WHERE = re.compile(
    r"^\W*(?:(?:ну|и|а|так|and|so|well|a|i|no|to)\W+)*(?:где|where|gdzie)"
    r"(?:\W+(?:же|он|она|оно|они|is|it|it's|are|they|to|jest|s[ąa]|ono|on|ona|one|now|"
    r"теперь|сейчас|teraz))*\W*$",
    re.IGNORECASE,
)

if TYPE_CHECKING:
    from bot.nlu import Classifier, Prediction

log = logging.getLogger(__name__)

MAX_CLASSIFY_CHARS = 2000
# a message this long, in more sentences than a message's parts are read in (MAX_PARTS), is
# read in the sentences that tell what is wrong or wished (`_condensed`)
LONG_MESSAGE_CHARS = 1000
MAX_TEXT_CHARS = 20000  # longer texts are kept in full in the transcript file, cut here
CONFIDENT_LANG = {"ru", "en", "pl"}
TOPICS = ("delivery", "payment", "returns", "problem")
FLOOD_MESSAGES = 6  # more than this many messages ...
FLOOD_SECONDS = 10  # ... within this many seconds is a flood
MAX_HELD = 20  # texts held during a flood and read with the first message after it
WORDLESS_SECONDS = 120  # photos (stickers, voice) one after another this close: answered once
TAP_AGAIN_SECONDS = 15  # a button tapped again this soon: a double tap, answered once
TRAIL_EVENTS = {
    "faq_answered",
    "faq_declined",
    "faq_not_helpful",
    "faq_promo_asked",  # the card shows the code and what the site says, asked for
    "faq_promo_checked",  # ... or told at once, and passed on
    "asked_for",
    "promised",
    "compensation_offered",
    "compensation_chosen",
    "fix_chosen",
    "fix_changed",  # the card drops the promise of the fix the customer changed their mind on
    "goodwill_approved",
    # a compensation over the bot's limit, or a larger one after a gesture: the card says a
    # senior operator decides it
    "compensation_demanded",
    "compensation_not_offered",
    "escalated",
    "resolved",
    "reopened",
    "broken_promise_reported",
    "complaint_also_recorded",
    "detail_corrected",  # the card says an order number or amount replaced an earlier one
}
SOCIAL_INTENTS = {"greeting", "thanks", "goodbye", "praise", "affirm", "deny"}
# the admins' (private chat) and operators' (their group) commands: from a customer, or a
# manager not (yet) in ADMIN_IDS, they are no words to read as a complaint or a question
STAFF_COMMANDS = frozenset(
    (
        "admin", "stats", "report", "kb", "kb_list", "kb_search", "kb_add", "kb_edit", "kb_delete",
        "kb_export", "kb_gaps", "kb_history", "kb_save", "queue", "take", "resolve", "reopen",
        "transfer", "note", "canned", "canned_add", "canned_del",
    )
)  # fmt: skip
_UPSET_EMOJI = re.compile(
    "[\U0001f621\U0001f620\U0001f92c\U0001f624\U0001f92f\U0001f4a9"
    "\U0001f622\U0001f62d\U0001f61e\U0001f614\U0001f641\u2639\U0001f44e\U0001f612\U0001f629"
    "\U0001f62b\U0001f494]"
)  # 😡😠🤬😤🤯💩 😢😭😞😔🙁☹👎😒😩😫💔


def _wordless_key(ctx: TurnContext) -> str:
    """What is said to an attachment with no words: a sticker's, a voice message's, a photo's
    or a file's text."""
    kinds = {a.kind for a in ctx.incoming.attachments}
    if kinds and kinds <= {"sticker", "animation"}:
        return "sticker_only"
    if kinds & SPOKEN_KINDS:
        return "voice_only"
    return "media_only"


def _record_compensations(
    session: AsyncSession, conversation_id: int, events: list[dict[str, Any]], now: datetime
) -> None:
    """What the turn offered or gave the customer, kept for the reports."""
    for ev in events:
        if ev["type"] == "compensation_offered":
            status = "gesture" if ev.get("gesture") else "offered"
        elif ev["type"] == "compensation_chosen":
            status = "chosen"
        else:
            continue
        value = ev.get("value")
        session.add(
            Compensation(
                conversation_id=conversation_id,
                kind=ev.get("kind") or "?",
                value=None if value is None else Decimal(str(value)),
                status=status,
                created_at=now,
            )
        )


# what a case is about, for the card: not small talk or a request for a person after it;
# the strongest threat said in the conversation stays
_NOT_A_REQUEST = SOCIAL_INTENTS | {"request_human", "out_of_scope"}
_THREAT_RANK = {"legal": 3, "public": 2, "churn": 1}
_EMOTION_RANK = {"angry": 2, "upset": 1, "calm": 0}


def _case_classification(
    case: dict[str, Any] | None, latest: dict[str, Any], *, with_person: bool = False
) -> dict[str, Any]:
    """The classification the operator's card shows: the latest message's that asks or tells
    something (``latest`` for the first message), with the strongest threat said so far.
    Once a person has the case (``with_person``) it stays what was handed over, with the
    strongest threat and emotion said since: "А курьер когда приедет?" to the operator does
    not make an angry customer's complaint a calm order-status question on the card."""
    # "заказ 3400160" after "dość tego, idę do prawnika, paczka nie doszła": the number asked
    # for, a detail of the complaint (the card said "where is my order · calm")
    detail_only = (
        case is not None
        and case.get("intent") == "complaint"
        and latest["intent"] == "order_status"
        and not latest.get("complaint_type")
    )
    new_case = latest["intent"] == "complaint" and latest.get("complaint_type") not in (
        None,
        (case or {}).get("complaint_type"),
    )
    # "chcę rozmawiać z człowiekiem", then "zamówienie 3400162 nie doszło": the person was
    # asked for with no problem told, so the one told now is the case (the card said "-")
    told_now = (
        with_person
        and case is not None
        and not case.get("complaint_type")
        and latest["intent"] == "complaint"
        and bool(latest.get("complaint_type"))
    )
    if (
        case is None
        or told_now
        or (latest["intent"] not in _NOT_A_REQUEST and not with_person and not detail_only)
    ):
        out = dict(latest)
    else:
        out = dict(case)
    if (
        case is not None
        and (with_person or not new_case)
        and _EMOTION_RANK.get(case.get("emotion"), 0) > _EMOTION_RANK.get(out.get("emotion"), 0)
    ):
        # the strongest emotion said about this case stays (a calm "заказ 3400160" after an
        # angry message is still an angry customer's case)
        out["emotion"] = case["emotion"]
    if _EMOTION_RANK.get(latest.get("emotion"), 0) > _EMOTION_RANK.get(out.get("emotion"), 0):
        out["emotion"] = latest["emotion"]
    threats = [t for t in ((case or {}).get("threat"), latest["threat"]) if t]
    if threats:
        out["threat"] = max(threats, key=lambda t: _THREAT_RANK.get(t, 0))
    return out


_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# "/start promo_winter" from a deep link (t.me/shop_bot?start=promo_winter): the link's code,
# not the customer's words (Telegram allows A-Z, a-z, 0-9, _ and - in it, up to 64)
_DEEP_LINK = re.compile(r"^/start(?:@\w+)?\s+[A-Za-z0-9_-]{1,64}$")
# "Konsultant na infolinii był bardzo niemiły" reads as praise to the model ("miły"): words for
# rudeness make it what it is, a complaint about staff
_RUDE = re.compile(
    r"niemi[łl]|niegrzeczn|nieuprzejm|chamsk|opryskliw|\brude\b|\bimpolite|\bнахам|\bхамил|\bгрубил",
    re.IGNORECASE,
)

# "The mug arrived broken, really upset" reads as praise to the model: a broken or damaged
# thing makes it a complaint about one
_BROKEN = re.compile(
    r"\b(?:broken|cracked|smashed|shattered|damaged|defective|faulty|torn|dented|chipped)\b|"
    r"сломан|разбит|треснут|поврежд|бракован|порван|порвал|сломал|помят|"
    r"zepsu|rozbit|p[eę]kni[eę]t|p[eę]k[lł]|uszkodz|podart|wadliw|porysowan",
    re.IGNORECASE,
)
# "nothing was missing", "niczego nie brakowało": no problem named
_NOTHING = re.compile(r"\b(?:nothing|niczego|nic|ничего)\b", re.IGNORECASE)
# "Thanks, arrived fine, nothing broken", "Спасибо, всё пришло целое, ничего не сломано":
# thanks, and a damage word only to deny it
_THANKS = re.compile(r"\b(?:thank|thanks)\b|спасибо|благодар|dzi[eę]kuj|dzi[eę]ki", re.IGNORECASE)


def says_thanks(text: str) -> bool:
    """``text`` thanks someone ("Спасибо за терпение!", "Thank you for waiting")."""
    return bool(_THANKS.search(text))


# a broken thing named, but with thanks for sorting it out: real praise
_SORTED_OUT = re.compile(
    r"\b(?:replaced|fixed|repaired|refunded|sorted)\b|"
    r"замени|починил|вернули|wymieni|naprawi|zwrócil|zwrocil",
    re.IGNORECASE,
)
_FIXED = re.compile(f"{_SORTED_OUT.pattern}|{_THANKS.pattern}", re.IGNORECASE)
# ... or that there is nothing to complain of ("no issues", "претензий нет", "bez zastrzeżeń")
_NO_COMPLAINT = re.compile(
    r"\bno\s+(?:issues|problems|complaints)\b|(?<!\w)(?:претензий\s+нет|нет\s+претензий|"
    r"без\s+претензий|bez\s+zastrze[żz]e[ńn]|[żz]adnych\s+(?:problem[óo]w|zastrze[żz]e[ńn]))(?!\w)",
    re.IGNORECASE,
)
# ... or that all is well ("nothing broken, all good", "не повреждено, всё отлично", "nic nie
# jest uszkodzone, wszystko gra")
_ALL_GOOD = re.compile(
    r"\ball\s+(?:good|fine|ok|okay|great|perfect|well)\b|\bnothing(?:'s|\s+is)\s+wrong\b|\b(?:arrived|came)\s+(?:\w+\s+)?"
    r"(?:fine|safe(?:ly)?|perfect)\b|\bperfect\b|"
    r"вс[её]\s+(?:хорошо|отлично|в\s+порядке|нормально|супер|ок)|"
    r"wszystko\s+(?:ok|dobrze|w\s+porz[ąa]dku|gra|super)|" + _NO_COMPLAINT.pattern,
    re.IGNORECASE,
)
# the order came in good shape, or on time ("came on time and undamaged", "пришло вовремя и
# целое", "doszło na czas i w całości")
_CAME_FINE = re.compile(
    r"\b(?:undamaged|intact|unbroken|in\s+one\s+piece|on\s+time)\b|(?<!\w)(?:вовремя|в\s+срок|"
    r"в\s+целости|цел(?:ое|ый|ая|ые|ой))(?!\w)|(?<!\w)(?:na\s+czas|w\s+terminie|w\s+ca[łl]o[śs]ci|"
    r"ca[łl](?:e|y|a))(?!\w)",
    re.IGNORECASE,
)
# ... and no "but" after it ("arrived intact, but I was charged twice")
_BUT = re.compile(
    r"\b(?:but|however|only|except)\b|(?<!\w)(?:но|а|однако|только(?!\s+что)|кроме|jednak|tylko|"
    r"opr[óo]cz|ale(?!\s+(?:super|fajn)))(?!\w)",
    re.I,
)

# something wished for ("хочу замену", "I'd like a discount", "chcę zwrot"): a claim, whatever
# else is fine
_WISH = re.compile(
    r"(?:хочу|хотел\w*|\bwant|\bwould\s+like|\bi'?d\s+like|chc[ęe]|chcia[łl]\w*)"
    # not a wish to buy: "хочу заказать у вас пуховик", "I want to order a gift"
    r"(?!\s+(?:\w+\s+)?(?:заказать|купить|оформить|приобрести|to\s+(?:order|buy|purchase)|"
    r"zam[óo]wi[ćc]|kupi[ćc]))|"
    r"верните|замен|скидк|компенсац|refund|"
    r"replace|discount|compensat|zwrot|wymian|rabat|rekompensat",
    re.IGNORECASE,
)
# "nie dostałam paczki", "paczka nie doszla", "nie działa", "brakuje jednej części", "dostałam
# zły rozmiar": a problem told in a few words, which the model reads as a "no" or as a question
# (the first type that matches is the problem's; a negated word names none: "nie jest uszkodzony")
# an order, a parcel or a set said to be incomplete ("Заказ неполный", "Пришёл неполный
# комплект", "Zamówienie przyszło niekompletne", "Incomplete order"), not a payment or a refund
# ("Заказ оплачен не полностью")
_INCOMPLETE = (
    r"(?:неполн\w*|некомплект\w*|недокомплект\w*|не\s+полностью|не\s+в\s+полном\s+комплекте|"
    r"niekomplet\w*|niepe[łl]n\w*|nie\s+w\s+komplecie|incomplete|not\s+complete)(?!\w)"
)
_ORDER_NOUN = (
    r"(?:заказ|посылк|комплект|набор|коробк|zam[óo]wieni|paczk|przesy[łl]k|zestaw|pude[łl]k|"
    r"order|parcel|package|set|shipment|box)\w*"
)
_MONEY_WORD = r"(?:оплач|списа|вернул|возвра|zap[łl]ac|op[łl]ac|zwr[óo]c|pa(?:y|id)|refund|charg)"
_INCOMPLETE_ORDER = (
    rf"(?<!\w){_ORDER_NOUN}\s+(?:(?!{_MONEY_WORD})[^\W\d_]+\s+){{0,3}}?{_INCOMPLETE}"
    rf"(?!\s+{_MONEY_WORD})|(?<!\w){_INCOMPLETE}\s+(?:[^\W\d_]+\s+)?{_ORDER_NOUN}"
)
_CAME_IN_PART = (
    r"(?<!\w)не\s+(?:вся|весь|всё|все)\s+(?:\w+\s+)?(?:посылк|заказ|товар|вещ|позици)\w*|"
    r"(?<!\w)(?:пришл\w*|пришёл|пришел|привезли|доставили|положили|получил\w*)\s+не\s+(?:вс[её]|все|"
    r"весь|вся)(?!\w)|(?<!\w)(?:только|лишь)\s+часть\s+(?:\w+\s+)?(?:заказ|посылк|товар)\w*|"
    r"\bonly\s+(?:got\s+|received\s+)?(?:part|half|some)\s+of\s+(?:my|the)\s+(?:order|parcel|"
    r"package|items)|\bnot\s+(?:all|everything)\s+(?:of\s+)?(?:my\s+|the\s+)?(?:order\s+|items\s+)?"
    r"(?:came|arrived|was\s+delivered|were\s+delivered)|"
    r"(?<!\w)nie\s+(?:ca[łl]e|ca[łl]a|ca[łl]y|wszystko|wszystkie)\s+(?:\w+\s+)?(?:zam[óo]wieni|"
    r"paczk|przesy[łl]k|produkt|towar|rzecz|dotar|przysz|przyjecha)\w*|"
    r"(?<!\w)tylko\s+cz[ęe][śs][ćc]\s+(?:\w+\s+)?(?:zam[óo]wieni|paczk|przesy[łl]k|towar)\w*|"
    # an empty parcel: "Paczka przyszła pusta" (a late one to the model, passed to the delivery
    # team), "коробка пришла пустая", "the box arrived empty", "w paczce nic nie było", "заказ
    # 5531207 пришел пустой"
    r"(?<!\w)(?:коробк|посылк|упаковк|заказ|paczk|przesy[łl]k|pude[łl]k|karton|zam[óo]wieni|box|"
    r"parcel|package|order)\w*\s+(?:№?\s*\d+\s+)?"
    r"(?:(?!(?:not|nie|не)\b)[^\W\d_]+\s+){0,2}?(?:пуст(?:ая|ой|ое|ую|ые)|pust[aey]|empty)(?!\w)|"
    r"(?<!\w)(?:пуст(?:ая|ой|ую|ое)|pust[aey]|(?:an\s+)?empty)\s+(?:коробк|посылк|упаковк|paczk|"
    r"przesy[łl]k|pude[łl]k|karton|box|parcel|package)|"
    r"(?<!\w)w\s+(?:paczce|przesy[łl]ce|pude[łl]ku|kartonie)\s+nic\s+nie\s+(?:by[łl]o|ma)|"
    r"(?<!\w)в\s+(?:коробке|посылке)\s+ничего\s+не\s+(?:было|оказалось)|"
    r"\bnothing\s+(?:was\s+)?in(?:side)?\s+(?:the\s+)?(?:box|parcel|package)"
)
_FAILURE_NAMED = (
    (
        "missing_item",
        re.compile(
            r"\bbrakuje\b|\b(?:za)?brak(?:owa)?[łl][oy]\b|"  # "brakowało", "zabrakło"
            r"\bnie\s+by[łl]o\s+(?:\w+\s+)?w\s+(?:paczce|pude[łl]ku|zestawie)|"
            r"\bpust[aey]\s+(?:paczk|przesy[łl]k|pude[łl]k)|\bis\s+missing\b|"
            # a paper that should have come with it, in any of the three languages ("пришло
            # без задержек, но без чека", "doszło bez problemów, ale bez paragonu", "but no
            # receipt"): praise or a late parcel to the model
            r"(?:(?<!\w)(?:без|нет|bez|brak|without|no)\s+(?:(?:a|the|any|żadnego|żadnej|"
            r"никакого|никакой)\s+)?(?:кассов\w*\s+|гарантийн\w*\s+)?(?:чек(?:а|ов)?|"
            r"квитанци\w*|накладн\w*|талон\w*|инструкци\w*|документ\w*|paragon\w*|faktur\w*|"
            r"rachunk\w*|(?:kart\w*\s+)?gwaranc\w*|instrukcj\w*|dokument\w*|receipts?|invoices?|warranty|"
            # ... and "пульта нет", "нет зарядки" (a "no" to the model)
            r"manual|instructions|paperwork|documents?)(?!\w))|"
            + PART_MISSING_RU
            + "|"
            # ... and a part the thing came without ("без задержек, но без пульта", "bez
            # problemów, ale bez ładowarki": a late parcel or praise to the model)
            + PART_WITHOUT
            + "|"
            # ... and the order said to be incomplete ("Заказ неполный", "Zamówienie
            # niekompletne", "My order is incomplete": a "no" or a "didn't understand")
            + _INCOMPLETE_ORDER
            + "|"
            # ... or to have come in part ("пришла не вся посылка": a late parcel to the model)
            + _CAME_IN_PART,
            re.IGNORECASE,
        ),
    ),
    (
        "wrong_item",
        re.compile(
            r"\b(?:z[łl](?:y|a|e|ego|ą)|inn(?:y|a|e))\s+(?:rozmiar|kolor|model|produkt|towar|rzecz)|"
            r"\bnie\s+t(?:en|a|o|e)\s+(?:rozmiar|kolor|model|produkt|towar|rzecz)|"
            r"\bnie\s+t(?:en|a|o|e)\s*$|\bnie\s+to,?\s+co\s+(?:zamawia|zam[óo]wi)|"
            # "Dostałam złą książkę", "przysłaliście nie tę książkę", "I got the wrong book": a
            # wrong thing got, whatever it is (it was a late delivery at 0.63)
            r"\b(?:dosta[łl]\w*|otrzyma[łl]\w*|przys[łl]ali\w*|przysz[łl]\w*|przywie[źz]li\w*)\s+"
            r"(?:mi\s+)?(?:z[łl](?:y|a|e|ego|ą)|nie\s+t(?:en|ę|a|o|e))\s+"
            r"(?!wiadomo|informacj|humor|nastr|obs[łl]ug|odpowied|ocen|opini)[^\W\d_]{3,}|"
            r"\b(?:got|received|sent\s+(?:me\s+)?|came\s+with)\s+(?:a|an|the)\s+wrong\s+[^\W\d_]{3,}|"
            # "Kolor się zgadza, ale rozmiar nie", "rozmiar się nie zgadza"
            r"\b(?:rozmiar|kolor|model)\w*\s+(?:si[ęe]\s+)?nie(?:\s+si[ęe])?(?:\s+zgadza)?\s*(?:[.,!;]|$)|"
            r"\bwrong\s+(?:size|colou?r|item|model|product)|"
            # "That's not what I ordered", "Это не то, что я заказывал"
            r"\b(?:not|isn'?t|wasn'?t|aren'?t)\s+what\s+i\s+(?:had\s+)?(?:ordered|bought|paid\s+for)|"
            r"\bне\s+то,?\s+что\s+(?:я\s+)?(?:заказыва|заказал|покупа|купил)|"
            # someone else's: "Dostałam cudzą paczkę", "Мне привезли чужой заказ"
            r"(?<!\w)(?:cudz(?:y|a|ą|e|ego)|чуж(?:ой|ую|ое|ие|ая|ого))\s+(?:\w+\s+)?(?:paczk|przesy[łl]k|"
            r"zam[óo]wieni|towar|заказ|посылк|товар)",
            re.IGNORECASE,
        ),
    ),
    (
        "damaged_defective",
        re.compile(
            r"\bnie\s+(?:chc\w*\s+(?:si[ęe]\s+)?)?(?:dzia[łl]a|w[łl][ąa]cz|[łl]adowa|[łl]aduje|grza|grzeje|"
            r"[śs]wieci|odpal)|\bprzesta[łl]\w*\s+(?:dzia[łl]a|grza|[łl]adowa|si[ęe]\s+w[łl][ąa]cza)|"
            r"zepsu|uszkodz|wadliw|\bz\s+wad[ąa]\b|"
            r"rozbit|p[ęe]kni|st[łl]uczon|zniszczon|porysowan|zarysowan|"
            r"(?:doesn|don)'?t\s+work|(?:does|do)\s+not\s+work|not\s+working|"
            r"(?:won'?t|will\s+not|doesn'?t|does\s+not|don'?t|do\s+not)\s+(?:turn|switch|power)\s+on|"
            r"\bz\s+plam|poplamion|zaplamion",
            re.IGNORECASE,
        ),
    ),
    (
        "delivery_delay",
        re.compile(
            r"\bnie\s+(?:dosz[łl]|dotar[łl]|przysz[łl]|przyjecha[łl]|dojecha[łl]|dowie[źz]l|"
            r"przywie[źz]l)|\bnie\s+(?:dosta[łl]|otrzyma[łl])\w*\s+(?:\w+\s+)?(?:paczk|przesy[łl]k|"
            r"zam[óo]wieni|towar)|\bnie\s+ma\s+(?:\w+\s+)?(?:paczki|przesy[łl]ki)|zagin[ęe][łl]|zgubi|"
            # "Paczka się spóźnia, zamówienie 5512345" (a status question to the model), not
            # "Zamówienie przyszło bez opóźnień"
            r"(?:paczk|przesy[łl]k|zam[óo]wieni|dostaw|kurier)\w*\s+(?:(?!(?:nie|bez)\b)\w+\s+){0,2}?"
            r"(?:si[ęe]\s+)?(?:sp[óo][źz]ni|op[óo][źz]ni)|\bsp[óo][źz]ni\w*\s+si[ęe]",
            re.IGNORECASE,
        ),
    ),
)
# as sure as a calm complaint must be to open a case without asking what happened
NAMED_FAILURE_CONFIDENCE = 0.75
# as sure as a hello, thanks, ok or bye must be to get no word while a colleague is awaited
SURE_SOCIAL = 0.8
# a bare acknowledgement: "great", "cool", "ok, perfect", "отлично", "класс", "świetnie"
_ACK_ONLY = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|ок|okej|oh|о|а|ну)\W+)?(?:great|cool|nice|awesome|perfect|excellent|"
    r"super|wonderful|good|got\s+it|understood|i\s+see|отлично|класс|круто|супер|хорошо|"
    r"замечательно|прекрасно|понятно|ясно|понял[аи]?|świetnie|swietnie|ekstra|super|doskonale|"
    r"rozumiem|jasne|dobrze|git)\W*$",
    re.IGNORECASE,
)
# the site or the app told failing, a statement (complaint.SURE_COMPLAINT: no FAQ answer first)
SITE_FAILING_CONFIDENCE = 0.9
# an order-status reading this unsure yields to a problem named in plain words
ORDER_UNSURE = 0.7


# "курьер опоздал, заказ 4471033", "пришла посылка мятая, заказ 4471034": read as a status
# question (an order number and few words), a problem all the same
_FAILURE_NAMED_RU = (
    (
        "missing_item",
        re.compile(
            r"не\s+хватает|недолож|не\s+положили|пуст(?:ая|ой|ую)\s+(?:коробк|посылк)", re.I
        ),
    ),
    (
        "wrong_item",
        re.compile(
            r"(?:не\s+т(?:от|у|а|о|е)|друг(?:ой|ую|ое|ие))\s+(?:размер|цвет|модел|товар|вещ)|"
            r"перепутали",
            re.I,
        ),
    ),
    (
        "damaged_defective",
        re.compile(
            r"сломан|сломал|разбит|тресну|трещин|помят|мят(?:ая|ый|ое|ую)\b|поврежд|бракован|порван|порвал|"
            r"(?<!\w)с\s+брак(?:ом)?\b|"
            r"не\s+(?:работа(?:ет|ют)|включа(?:ет|ют)ся|заряжа(?:ет|ют)ся|гре(?:ет|ют))|\bс\s+пятн(?!иц)|в\s+пятн(?!иц)|запачкан",
            re.I,
        ),
    ),
    (
        "delivery_delay",
        re.compile(
            r"опоздал|опаздыва|задержал|задержива|(?<!\w)не\s+(?:пришл|пришёл|пришел|доставил|привез|приехал)|"
            r"не\s+доставлен",
            re.I,
        ),
    ),
)
# "My parcel came damaged, order 5512323" (a status question to the model at 0.67)
_FAILURE_NAMED_EN = (
    (
        "missing_item",
        re.compile(
            r"\b(?:was|were)(?:\s+not|n't)\s+in\s+(?:it|there|the\s+(?:box|parcel|package))\b",
            re.I,
        ),
    ),
    (
        "damaged_defective",
        re.compile(
            r"\b(?:damaged|broken|smashed|shattered|cracked|crushed|dented|chipped|torn|faulty|"
            r"defective|stained)\b|\bwith\s+(?:a\s+)?stains?\b",
            re.I,
        ),
    ),
    (
        "delivery_delay",
        re.compile(
            # ... and in a sentence begun in Polish or Russian ("Mój order 3400011 jest late")
            r"\b(?:is|was|came|arrived|still|jest|by[łl][aoy]?|был[аои]?)\s+(?:\w+\s+){0,2}late\b|"
            # "it's late, a week already" (a goodbye to the model) to "what happened with it?"
            r"\b(?:it|it'?s|they'?re|they\s+are)\s+(?:(?:so|very|really|already)\s+)?late\b"
            r"(?!\s+(?:for|at\s+night|in\s+the\s+(?:evening|day)|here|now)\b)|"
            r"\b(?:days?|weeks?)\s+late\b|"
            r"\b(?:never|hasn'?t|has\s+not|didn'?t|did\s+not)\s+(?:arrived?|come|came|been\s+delivered)|"
            r"\b(?:is|was|got|been)\s+(?:\w+\s+)?lost\b|\blost\s+(?:my|the)\s+(?:parcel|package|order)",
            re.I,
        ),
    ),
)


# "а можно по-русски?", "can you answer in English?", "po polsku proszę": the language asked
# for (in any of the three)
_LANGUAGE_NAMES = {
    # ("I prefer English", "предпочитаю русский", "wolę po polsku": it was "I only know shop
    # matters")
    "ru": r"по-?\s?русски|на\s+русском|^\W*русский\b|\bin\s+russian\b|\bpo\s+rosyjsku\b|"
    r"\bprefer\s+russian\b|предпочитаю\s+русский|\bwol[ęe]\s+(?:po\s+)?rosyjsk",
    "en": r"по-?\s?английски|на\s+английском|\b(?:in|speak|write|use|switch\s+to)\s+english\b|"
    r"^\W*english\b|\benglish\s+(?:please|pls|only)\b|\bpo\s+angielsku\b|"
    r"\bprefer\s+english\b|предпочитаю\s+английский|\bwol[ęe]\s+(?:po\s+)?angielsk",
    "pl": r"по-?\s?польски|на\s+польском|\b(?:in|speak|write)\s+polish\b|\bpo\s+polsku\b|"
    r"\bprefer\s+polish\b|предпочитаю\s+польский|\bwol[ęe]\s+(?:po\s+)?polsk",
}
_LANGUAGE_ASKED = {
    lang: re.compile(names, re.IGNORECASE) for lang, names in _LANGUAGE_NAMES.items()
}
MAX_LANGUAGE_ASK_WORDS = 8
# "I don't speak Polish", "не понимаю по-английски", "nie mówię po rosyjsku": not that one
_LANGUAGE_NOT = re.compile(
    r"(?:\b(?:don'?t|do\s+not|can'?t|cannot)|(?<!\w)не|\bnie)\s+(?:\w+\s+)?(?:speak|write|read|"
    r"understand|говорю|понимаю|читаю|пишу|знаю|m[óo]wi[ęe]|rozumiem|pisz[ęe]|znam)",
    re.IGNORECASE,
)


def language_asked(text: str) -> str | None:
    """The language a short message, or a short sentence of one, asks the bot to write in
    ("можно по-английски?": en; "sorry, can we continue in English? the box was wet...")."""
    if not text:
        return None
    for sentence in sentences(text):
        if words(sentence) > MAX_LANGUAGE_ASK_WORDS:
            continue
        if _LANGUAGE_NOT.search(sentence):
            return None
        asked = [lang for lang, pattern in _LANGUAGE_ASKED.items() if pattern.search(sentence)]
        if len(asked) == 1:
            return asked[0]
    return None


def without_language_ask(text: str) -> str:
    """``text`` without its sentence asking for a language ("can we continue in English?")."""
    return " ".join(s for s in sentences(text) if language_asked(s) is None)


# "ну где вы?", "Где ответ?", "Ну и где?", "where are you?", "gdzie jesteście?"
_WHERE = re.compile(r"(?<![^\W\d_])(?:где|where|gdzie)(?![^\W\d_])", re.IGNORECASE)


# "да сколько можно", "how long?!", "ile można", "jak długo jeszcze?" alone: worn out by the wait
_HOW_LONG_NOW = re.compile(
    r"^\W*(?:(?:да|ну|и|and|so|no|a|i)\W+)?(?:сколько\s+(?:ещё\s+|еще\s+|же\s+)?можно|"
    r"how\s+(?:much\s+)?long(?:er)?(?:\s+(?:now|still|more))?|ile\s+(?:jeszcze\s+)?mo[żz]na|"
    r"jak\s+d[łl]ugo(?:\s+jeszcze)?)\W*$",
    re.IGNORECASE,
)


# "почему человек?", "why a person?", "czemu człowiek?", "почему не вы решаете?", "why can't you
# decide?", "dlaczego nie możesz sam zdecydować?" while a person is awaited: why a colleague
# decides (it was "sorry for the wait"); not "почему оператор не отвечает?" (the wait)
_WHY_ASKED = re.compile(
    r"^\W*(?:(?:а|и|но|and|but|so|a|i|ale)\W+)?(?:почему|зачем|why|czemu|dlaczego|po\s+co)(?!\w)",
    re.IGNORECASE,
)
_WHY_PERSON = re.compile(
    r"(?<!\w)(?:человек\w*|коллег\w*|оператор\w*|менеджер\w*|person|human|colleague|operator|"
    r"manager|agent|cz[łl]owiek\w*|konsultant\w*|osob\w+|pracownik\w*|не\s+(?:вы|ты|бот)|"
    r"not\s+you|nie\s+(?:ty|wy|bot)|(?:вы\s+|ты\s+)?(?:сами\s+|сам\s+)?не\s+(?:можете|можешь|"
    r"решаете|решишь|решите)|can'?t\s+you|cannot\s+you|won'?t\s+you|nie\s+mo[żz](?:esz|ecie))"
    r"(?!\w)",
    re.IGNORECASE,
)
# "а быстрее нельзя?", "можно побыстрее?", "can you do it faster?", "a szybciej się nie da?":
# whether it can go quicker (it was "question noted", or nothing at all)
_FASTER = re.compile(
    r"(?<!\w)(?:быстрее|побыстрее|ускорить|ускорьте|faster|quicker|sooner|speed\s+(?:it|this|"
    r"things)\s+up|szybciej|przyspiesz\w*|przy[śs]piesz\w*)(?!\w)",
    re.IGNORECASE,
)
# ... what the answer waits on: the wait itself ("почему оператор не отвечает?"), not the why
_ABOUT_WAIT = re.compile(
    r"(?<!\w)(?:отвеча\w*|ответ\w*|молч\w*|жд\w*|answer\w*|repl\w*|respond\w*|wait\w*|"
    r"odpowi\w*|odzyw\w*|czeka\w*)",
    re.IGNORECASE,
)


def relay_question(text: str) -> str | None:
    """What a customer waiting for a person asks about the hand-off itself: "why_person" (why a
    colleague decides), "faster" (can it go quicker), or None."""
    if len(text.split()) > 10 or any(ch.isdigit() for ch in text) or _ABOUT_WAIT.search(text):
        return None
    if _WHY_ASKED.match(text) and _WHY_PERSON.search(text):
        return "why_person"
    if _FASTER.search(text):
        return "faster"
    return None


def _impatient(ctx: TurnContext, text: str) -> bool:
    """The customer is worn out by the wait or upset ("Сколько можно ждать?!", "WHERE ARE
    YOU", an upset reading) or asks where everyone is ("Где ответ?", "Ну и где?"), not just
    checking that someone is there."""
    pred = ctx.prediction
    return (
        tired_of_waiting(text)
        or bool(_HOW_LONG_NOW.match(text))
        or heated(text)
        or bool(_WHERE.search(text))
        or (pred is not None and pred.emotion in ("upset", "angry"))
    )


def failure_named(text: str, *, unsure_status: bool = False) -> str | None:
    """The complaint type of a problem named in plain words, if one is (``unsure_status``:
    the model's unsure order-status reading, which yields to Russian and English words too)."""
    named = (
        *_FAILURE_NAMED,
        *((*_FAILURE_NAMED_RU, *_FAILURE_NAMED_EN) if unsure_status else ()),
    )
    for ctype, pattern in named:
        for m in pattern.finditer(text):
            # "nie jest uszkodzony", "ничего не сломано", "nothing broken": none named
            if not match_denied(text, m):
                return ctype
    return None


def _types_named(text: str) -> set[str]:
    """Every complaint type whose problem ``failure_named`` finds named, and not denied, in
    ``text`` (its Russian and English words too)."""
    return {
        ctype
        for ctype, pattern in (*_FAILURE_NAMED, *_FAILURE_NAMED_RU, *_FAILURE_NAMED_EN)
        if any(not match_denied(text, m) for m in pattern.finditer(text))
    }


# nothing got at all: "I got nothing at all", "dostałem w ogóle nic", "ничего не получила"
_NOTHING_GOT = (
    r"\b(?:got|received|get|receive)\s+(?:absolutely\s+)?nothing(?!\s+(?:back|from|but|else|in\s+return))|"
    r"\bnothing\s+(?:at\s+all\s+)?(?:came|arrived|was\s+delivered|turned\s+up|showed\s+up)\b|"
    r"\b(?:didn'?t|did\s+not|haven'?t|have\s+not|never)\s+(?:get|got|receive[ds]?)\s+anything\b|"
    r"\b(?:dosta[łl]\w*|otrzyma[łl]\w*)\s+(?:w\s+og[óo]le\s+|zupe[łl]nie\s+)?nic\b|"
    r"\bnic\s+(?:w\s+og[óo]le\s+)?nie\s+(?:dosta[łl]\w*|otrzyma[łl]\w*)|"
    r"(?<!\w)ничего\s+не\s+(?:получил\w*|пришло|привезли|доставили)|"
    r"(?<!\w)(?:получил\w*|пришло)\s+(?:вообще\s+|совсем\s+)?ничего"
)
# nothing came at all: "оба не пришли", "never arrived", "nie dotarła", "got lost"
_NOT_COME = re.compile(
    _NOTHING_GOT + "|"
    r"(?<!\w)не\s+(?:пришл|пришёл|пришел|доставил|привез|привёз|приехал)|(?<!\w)не\s+доставлен|"
    r"(?<!\w)потеря\w*|\bnever\s+(?:arrived|came|got\s+here)|\bhasn'?t\s+(?:arrived|come)|"
    r"\bnot\s+(?:arrived|delivered)|\blost\b|\bnie\s+(?:dotar|dosz|przysz|dojecha)|zagin|zgubi|"
    # "I ordered a dress a week ago and nothing" (a wrong item to the model), "заказала неделю
    # назад и до сих пор ничего", "zamówiłam tydzień temu i dalej nic": nothing since
    r"(?:\bago|(?<!\w)назад|\btemu)\W+(?:and|и|a|i)\W+(?:(?:still|до\s+сих\s+пор|вс[её]\s+ещ[её]|"
    r"dalej|nadal|wci[ąa][żz]|ci[ąa]gle)\W+)?(?:nothing|ничего|nic|тишина|cisza)(?!\w)"
    r"(?!\s+(?:works?|worked|fits?|работает|подош|dzia[łl]a|pasuje))",
    re.IGNORECASE,
)
# late, lost or not come: a delivery matter after all, whatever else the message says
_LATE_OR_LOST = re.compile(
    _NOTHING_GOT + "|"
    r"опозд|опаздыва|задерж|позже|поздно|долго|до\s+сих\s+пор|потерял|потеря|"
    r"(?:шл[аио]|шёл|шел|ехал[аи]?|везли)\s+(?:\S+\s+)?(?:дн|недел|месяц)|"
    r"sz(?:ed[łl]|[łl][aoy])\w*\s+(?:\S+\s+)?(?:dni|dzie|tydz|tygod|miesi)|"
    r"(?<!\w)не\s+(?:пришл|пришёл|пришел|доставил|привез|приехал|получил)|(?<!\w)не\s+доставлен|"
    r"где\s+(?:мой|моя|мои)|"
    r"\blate\b|delay|\bstill\s+(?:not|no|waiting|hasn)|\bnever\s+(?:arrived|came|got)|"
    r"\bnot\s+(?:arrived|delivered)|\bhasn'?t\s+(?:arrived|come)|\blost\b|\bwhere\s+is|"
    r"\btook\s+(?:\w+\s+){0,2}(?:days|weeks)|overdue|"
    # ... "nie przyszło", not "Zamówienie przyszło"
    r"sp[óo][źz]ni|op[óo][źz]ni|za\s+p[óo][źz]no|(?<!\w)nie\s+(?:dotar|dosz|przysz|przyjecha)|"
    r"zagin|zgubi|"
    r"(?:tydzie[ńn]|dzie[ńn]|dni|dwa|trzy|tygodnie|tygodni|miesi[ąa]c)\s+p[óo][źz]niej|"
    r"gdzie\s+jest|nadal|wci[ąa][żz]|dopiero",
    re.IGNORECASE,
)


def _refund_asked(pred: Prediction, text: str) -> Prediction:
    """``pred`` read as an order-status question when it is a calm complaint that only asks
    whether a refund has been made ("Вернули деньги за заказ 123456?", a billing complaint to
    the model): for a colleague who sees it, not a claim to thank and apologise for."""
    if (
        pred.intent != "complaint"
        or pred.emotion == "angry"
        or pred.threat not in (None, "none")
        or not refund_status_question(text)
    ):
        return pred
    return dataclasses.replace(
        pred,
        intent="order_status",
        complaint_type=None,
        intent_confidence=max(pred.intent_confidence, ORDER_UNSURE),
        **({"complaint_types": ()} if isinstance(pred, MultiPrediction) else {}),
    )


def _phone_known(state: dict[str, Any]) -> str | None:
    """The customer's contact when it is a phone number (not an e-mail): one to call back."""
    contact = str((state.get("known") or {}).get("contact") or "")
    return contact if contact and "@" not in contact else None


def _condensed(text: str) -> str:
    """A long message in the sentences that matter: each said once, and, in a long one
    (a crack, a missing lid and "верните деньги" among five thousand characters of venting,
    whose parts were read as the venting: another type opened first, a wrong one queued),
    only those that tell a problem, wish a fix or give the order; as written otherwise."""
    said = sentences(text)
    if len(said) <= MAX_PARTS:
        return text
    once = said_once(said)
    if len(once) > MAX_PARTS:
        told = [
            s
            for s in once
            if problem_in(s)
            or legal_threat(s)
            or other_threat(s) is not None
            or extract(s).order_ref is not None
        ]
        # a shorter one only when its tail, lumped into the last part, tells something (a
        # twenty-sentence rant with the cracked lid and the missing cord at its end: the cord
        # was lost); its questions are read too
        lumped = set(once[MAX_PARTS - 1 :])
        if told and len(text) <= LONG_MESSAGE_CHARS:
            told = [s for s in once if s in told or "?" in s] if lumped & set(told) else []
        if told:
            once = told
    return text if len(once) == len(said) else "\n".join(once)


def _not_come_is_late(pred: Prediction, text: str) -> Prediction:
    """A parcel that has not come read as a wrong item ("оба не пришли", "Заказ 1234567 не
    пришёл"): nothing came, so nothing wrong came ("it came 5 days late and a cup was
    missing" did come). For the whole message and for each of its parts and clauses, whose
    types the complaint also weighs."""
    if (
        pred.intent == "complaint"
        and pred.complaint_type in ("wrong_item", "missing_item")
        and _NOT_COME.search(text)
    ):
        return dataclasses.replace(pred, complaint_type="delivery_delay")
    if (
        pred.intent == "complaint"
        and pred.complaint_type in ("staff_behavior", "service_quality")
        and _NOT_COME.search(text)
        and not _BEHAVED_BADLY.search(text)
    ):
        # "Zamówienie nie przyszło, kurier napisał że doręczył" (the courier's behaviour to
        # the model: the quality manager, 48 hours): a parcel that has not come
        return dataclasses.replace(pred, complaint_type="delivery_delay")
    return pred


# someone of the shop's behaving badly: rude, shouting, insulting (a staff case, whatever
# else did not come)
_BEHAVED_BADLY = re.compile(
    _RUDE.pattern + r"|груб|хамств|крича|накрича|наор|оскорб|матер|\byell|\bshout|\bswor[en]|"
    r"\binsult|krzycz|nakrzycz|obra[żz]a|wyzywa|przeklina",
    re.IGNORECASE,
)
# the day it was due has passed: "обещали вчера", "должны были привезти вчера", "it was due
# yesterday", "miało być wczoraj"
_DUE_PASSED = re.compile(
    r"(?<!\w)(?:обещали|обещано|должн\w*\s+(?:\w+\s+)?(?:был\w*|привезти|доставить))\s+(?:\w+\s+)?"
    r"(?:вчера|позавчера|на\s+прошлой|ещё|еще|в\s+(?:понедельник|вторник|среду|четверг|пятницу|"
    r"субботу|воскресенье))|"
    r"\b(?:was|were)\s+(?:due|promised|supposed\s+to\s+(?:come|arrive|be\s+here))\s+(?:\w+\s+)?"
    r"(?:yesterday|last|on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|days?\s+ago)|"
    r"(?<!\w)(?:mia[łl][oa]?\s+(?:by[ćc]|przyj\w*|doj\w*)|obiecali\w*)\s+(?:\w+\s+)?"
    r"(?:wczoraj|przedwczoraj|w\s+zesz[łl]\w*)",
    re.IGNORECASE,
)


def _waited_is_late(pred: Prediction, text: str) -> Prediction:
    """How long the customer has waited, told: "I've been waiting for two weeks!", "I keep
    waiting and waiting" (a service complaint to the model: "you'll hear back within 24
    hours"), "Жду-жду, а толку ноль" ("I didn't quite understand"), "Где мой заказ? Жду уже
    неделю" (where the order is: passed on as a question), "жду заказ уже месяц" (the FAQ's
    late-order answer), "жду уже 3 недели" (a late order asked about, unsure) are the late
    order's case, as "Жду
    уже две недели!" and "Czekam i czekam" are read. For the whole message and its parts."""
    if (
        (
            (pred.intent == "complaint" and pred.complaint_type == "service_quality")
            or (
                pred.intent in ("order_status", "complaint")
                and pred.complaint_type in (None, "delivery_delay")
                and (waited_long(text) or _DUE_PASSED.search(text))
            )
        )
        and (waited_long(text) or tired_of_waiting(text) or _DUE_PASSED.search(text))
        # "where is my order? it's a week late": the lateness is the problem named
        and failure_named(text, unsure_status=True) in (None, "delivery_delay")
    ):
        return _as_complaint(pred, "delivery_delay", NAMED_FAILURE_CONFIDENCE)
    return pred


# an item not as the shop showed it ("Товар не соответствует описанию на сайте": a site
# problem to the model, "Produkt nie zgadza się z opisem" one of stock, "The item doesn't
# match the description" a missing item): it came other than what was ordered
_NOT_AS_DESCRIBED = re.compile(
    r"(?<!\w)не\s+(?:\w+\s+)?(?:соответству\w*|совпада\w*)\s+(?:с\s+)?(?:\w+\s+)?(?:описани\w*|фото\w*|"
    r"картинк\w*|заявленн\w*|характеристик\w*)|(?<!\w)не\s+как\s+на\s+(?:фото\w*|картинк\w*|сайте)|"
    r"(?<!\w)отлича\w*\s+от\s+(?:\w+\s+)?(?:описани|фото|картинк)|"
    r"\b(?:doesn'?t|does\s+not|don'?t|do\s+not|didn'?t|did\s+not)\s+match\s+(?:the\s+|your\s+)?"
    r"(?:description|photos?|pictures?|images?|listing|website)|\bnot\s+as\s+(?:described|pictured|"
    r"advertised|shown)|\b(?:different|differs)\s+from\s+(?:the\s+|your\s+)?(?:description|photos?|"
    r"pictures?|images?|listing|website)|"
    r"(?<!\w)nie\s+zgadza\s+si[ęe]\s+z\s+(?:opisem|zdj[ęe]ci\w*)|(?<!\w)niezgodn\w*\s+z\s+(?:opisem|"
    r"zdj[ęe]ci\w*)|(?<!\w)nie\s+(?:taki|taka|takie)\s+jak\s+na\s+zdj[ęe]ciu|(?<!\w)inn\w*\s+ni[żz]\s+na\s+"
    r"zdj[ęe]ciu",
    re.IGNORECASE,
)
# ... and one that has been used ("Прислали б/у товар, следы использования": praise to the
# model, "The item looks used": off-topic): faulty goods, not new as sold
_USED_ITEM = re.compile(
    r"(?<!\w)б/у(?!\w)|(?<!\w)(?:бывш|был)\w*\s+в\s+употреблени|(?<!\w)следы\s+(?:использовани|"
    r"эксплуатаци|носки|ношения|пользовани)|(?<!\w)(?:кто-то|уже)\s+(?:носил|пользовал)\w*|"
    r"\blooks?\s+(?:\w+\s+)?used\b|\b(?:already|previously)\s+used\b|\bsigns\s+of\s+(?:use|wear)|"
    r"\bsecond-?hand\b|\bsomeone\s+(?:else\s+)?(?:has\s+)?(?:already\s+)?(?:used|worn)\b|"
    r"(?<!\w)(?:by[łl]\w*|jest)\s+u[żz]ywan\w*|(?<!\w)u[żz]ywan\w*\s+(?:produkt|towar|rzecz)|"
    r"(?<!\w)[śs]lady\s+u[żz]ytkowania|(?<!\w)kto[śs]\s+(?:ju[żz]\s+)?(?:u[żz]ywa|nosi)",
    re.IGNORECASE,
)
# types the model gives these that they are not (a person, a late parcel, a bill are kept)
_MISREAD_ITEM = frozenset(
    {None, "other", "website_app", "availability", "missing_item", "service_quality"}
)


# the site or the app itself named ("aplikacja", "сайт", "the app"), not a parcel's tracking
_SITE_OR_APP = re.compile(
    r"сайт|приложени|\bsite\b|\bapp\b|website|\bstron(?:a|ie|y)\b|aplikacj|страниц|\bpage\b",
    re.IGNORECASE,
)


def _money_back_in_case(ctx: TurnContext) -> bool:
    """ "а как вернуть деньги и сколько ждать?", "can I just keep it and get a discount?" while
    a case waits for a detail or a choice: the fix or compensation wished for this case
    (ComplaintFlow), not two FAQ questions."""
    from bot.dialogs.complaint import wish_asked  # complaint imports this module

    stage = (ctx.state.get("complaint") or {}).get("stage")
    return stage in ("collecting", "fix_choice") and wish_asked(ctx.incoming.text or "")


def _wrong_came(text: str) -> bool:
    from bot.dialogs.complaint import products_named  # complaint imports this module

    return "wrong_item" in products_named(text)


def _not_as_sold(pred: Prediction, text: str) -> Prediction:
    """An item other than the shop showed it, or used: a wrong item, a faulty one."""
    if pred.intent == "request_human" or hypothetical_question(text):
        return pred
    asked = asks_question(text)
    if asked and pred.intent != "complaint":
        # "Can I return an item that doesn't match the description?": the rules asked about
        return pred
    if _NOT_AS_DESCRIBED.search(text):
        ctype = "wrong_item"
    elif _USED_ITEM.search(text) and not asked:
        ctype = "damaged_defective"
    elif pred.intent == "complaint" and pred.complaint_type == "availability" and _wrong_came(text):
        # "dostałem nie ten produkt" (out of stock to the model, "wait for the delivery" offered):
        # another thing came than the one ordered
        ctype = "wrong_item"
    else:
        return pred
    if pred.intent == "complaint" and pred.complaint_type not in _MISREAD_ITEM:
        # "Товар не соответствует описанию, верните деньги" (billing to the model): the money
        # wished back, not taken wrongly ("..., а деньги списали дважды" stays a bill)
        misread_bill = pred.complaint_type == "billing" and ctype == "wrong_item"
        if misread_bill and not money_taken_named(text):
            pred = dataclasses.replace(pred, complaint_type=ctype)
        elif pred.complaint_type not in ("wrong_item", "damaged_defective"):
            return pred
        # "Товар был в употреблении" (a wrong item at 0.32): no need to ask what happened
        ctype = pred.complaint_type
    if pred.intent not in (
        "complaint",
        "praise",
        "thanks",
        "deny",
        "affirm",
        "out_of_scope",
        "faq",
    ):
        return pred
    if failure_named(text, unsure_status=True) not in (None, ctype):
        return pred  # another problem told in plain words is the case
    return _as_complaint(pred, ctype, NAMED_FAILURE_CONFIDENCE)


def _retyped(pred: Prediction, ctype: str) -> Prediction:
    """``pred`` as a complaint of ``ctype``, named in plain words (so at least that sure)."""
    return dataclasses.replace(
        pred,
        complaint_type=ctype,
        intent_confidence=max(pred.intent_confidence, NAMED_FAILURE_CONFIDENCE),
        **(
            {"complaint_types": (ctype,)}
            if isinstance(pred, MultiPrediction) and len(pred.complaint_types) <= 1
            else {}
        ),
    )


_CAME_IN_PART_RX = re.compile(_CAME_IN_PART + "|" + _INCOMPLETE_ORDER, re.IGNORECASE)


# someone else's parcel came: "Dostałam cudzą paczkę" (a late one to the model), "мне пришёл
# чужой заказ", "I received someone else's order"
_SOMEONE_ELSES = re.compile(
    r"(?<!\w)(?:чуж(?:ой|ую|ая|ое|ие)|cudz(?:[aąeyi]|ą|ego|ej)|someone\s+else'?s|somebody\s+else'?s|"
    r"another\s+(?:person|customer)'?s)\s+(?:\w+\s+)?(?:заказ|посылк|товар|коробк|paczk|"
    r"przesy[łl]k|zam[óo]wieni|order|parcel|package|item|box)",
    re.IGNORECASE,
)


def _someone_elses(pred: Prediction, text: str) -> Prediction:
    """Someone else's parcel or order came: a wrong item (its photo, then it is swapped), not a
    late parcel for the delivery team."""
    if (
        pred.intent != "complaint"
        or pred.complaint_type not in ("delivery_delay", "missing_item", "service_quality", "other")
        or not _SOMEONE_ELSES.search(text)
    ):
        return pred
    return _retyped(pred, "wrong_item")


def _came_in_part(pred: Prediction, text: str) -> Prediction:
    """An order said to have come in part ("пришла не вся посылка, заказ 6800002": a late
    parcel to the model, passed to the delivery team; "Пришёл не весь заказ" a wrong item):
    something missing from it."""
    if (
        pred.intent != "complaint"
        or pred.complaint_type not in ("delivery_delay", "wrong_item", "service_quality", "other")
        or not any(not match_denied(text, m) for m in _CAME_IN_PART_RX.finditer(text))
    ):
        return pred
    return _retyped(pred, "missing_item")


# one size ordered, another come: "заказывал кроссовки 43, пришли 41", "ordered size M, got L",
# "zamówiłam 38, przyszły 40"
_SIZE = r"(\d{2}(?:[.,]5)?|xxs|xs|s|m|l|xl|xxl|xxxl)"
_OTHER_SIZE = re.compile(
    r"(?<!\w)(?:заказыва\w*|заказал\w*|брал\w*|ordered|bought|zamawia\w*|zam[óo]wi\w*)\s+"
    r"(?:[^\W\d_]+\s+){0,3}?(?:размер\w*\s+|size\s+|rozmiar\w*\s+)?"
    + _SIZE
    + r"(?!\w)[\s,;:—–-]*(?:(?:а|но|but|and|a|ale|i)\s+)?(?:(?:мне|me|mi|i)\s+)?"
    r"(?:пришл\w*|пришёл|пришел|прислали|привезли|got|received|came|sent|dosta[łl]\w*|przysz\w*|"
    r"przys[łl]ali)\s+(?:[^\W\d_]+\s+){0,2}?(?:размер\w*\s+|size\s+|rozmiar\w*\s+)?"
    + _SIZE
    + r"(?!\w)(?!\s+(?!размер|size|rozmiar)[^\W\d_]{3,})",
    re.IGNORECASE,
)


# a thing that does not charge ("The headphones I got don't charge at all", "Słuchawki się nie
# ładują": a billing case to the model, a refund filed at once): faulty, unless money is named
_NOT_CHARGING = re.compile(
    r"\b(?:doesn'?t|does\s+not|don'?t|do\s+not|won'?t|will\s+not|isn'?t|is\s+not|aren'?t|are\s+not|"
    r"not|stopped|never)\s+(?:\w+\s+)?charg(?:e|es|ing)\b(?!\s+(?:me|my|us|twice|the\s+card|"
    r"the\s+right))|(?<!\w)(?:si[ęe]\s+)?nie\s+(?:[łl]aduj\w*|[łl]aduje\s+si[ęe])|"
    r"(?<!\w)не\s+заряжа\w*",
    re.IGNORECASE,
)
_MONEY_NAMED = re.compile(
    r"\bcharged\s+(?:me|twice|my|us)|\bcard\b|\bpayment|\brefund|\bmoney|\bbill|[$€£₽]|"
    r"\bzł\b|\bpln\b|\busd\b|\brub|\bkart[aęy]|p[łl]atno|pieni[ąę]|обман|списал|деньг|карт",
    re.IGNORECASE,
)


# a part that powers the thing: without it, "it doesn't work" is no defect
_POWER_PART = re.compile(
    r"зарядк|зарядн|кабел|шнур|провод|батаре|батарейк|аккумулятор|адаптер|блок\w*\s+питани|"
    r"\b(?:chargers?|cables?|cords?|wires?|batter(?:y|ies)|adapters?|plugs?|power\s+(?:supply|"
    r"cord|adapter))\b|[łl]adowar|zasilacz|kabl|kabel|przew[óo]d|bateri|akumulator|adapter",
    re.IGNORECASE,
)


def _paper_or_power(pred: Prediction, text: str) -> Prediction:
    """A paper that did not come with the thing ("не пришла инструкция на русском к
    кофеварке": a late parcel, passed to the delivery team) is something missing; a thing
    that does not charge (a bill to the model) a faulty one, and so is a broken thing with no
    person named ("Ekspres przyszedł zepsuty": the staff's behaviour to the model; a person
    asked for names none)."""
    if pred.intent != "complaint":
        return pred
    if pred.complaint_type in (
        "delivery_delay",
        "wrong_item",
        "service_quality",
        "other",
    ) and document_missing_only(text):
        ctype = "missing_item"
    elif (
        pred.complaint_type == "missing_item"
        and problem_told(FAULT_WORDS, text)
        and not _POWER_PART.search(text)
    ):
        # "kettle came without the lid and it leaks", "czajnik przyszedł bez pokrywki i
        # cieknie": a part missing and a failure named, the defect wins (not "came without
        # the charger, so it won't turn on")
        ctype = "damaged_defective"
    elif (
        pred.complaint_type == "billing"
        and _NOT_CHARGING.search(text)
        and not _MONEY_NAMED.search(text)
    ):
        ctype = "damaged_defective"
    elif (
        pred.complaint_type == "staff_behavior"
        and fault_named(text)
        # "Дайте мне руководителя, заказ пришёл разбитый": the manager asked for is no staff
        and not FEEDBACK_WORDS["staff_behavior"].search(without_person_asked(text))
    ):
        ctype = "damaged_defective"
    elif (
        pred.complaint_type in ("website_app", "delivery_delay", "billing")
        and fault_named(text)
        and not FEEDBACK_WORDS["website_app"].search(text)
        and not code_named(text)
        and not (pred.complaint_type == "delivery_delay" and problem_told(_LATE_OR_LOST, text))
        and not (
            pred.complaint_type == "billing" and (_MONEY_NAMED.search(text) or discount_named(text))
        )
    ):
        # "toster nie działa, zamówienie 3400008", "мой тостер не работает" (the site's
        # problem to the model, a phone or an e-mail asked for), "zegarek nie chce działać,
        # zamówienie 3400121" (a late parcel), "Nie działa mi telefon, który kupiłam u was"
        # (a bill, "bought" read as money): a thing that does not work, with no site, app,
        # payment, money, discount or code named and nothing late, is a faulty thing
        ctype = "damaged_defective"
    elif (
        pred.complaint_type == "damaged_defective"
        and FEEDBACK_WORDS["website_app"].search(text)
        and not damage_told(text)
    ):
        # "płatność nie działa", "strona się nie włącza" (a faulty thing, a photo asked for):
        # the site, the app or the payment that does not work is the site's problem
        ctype = "website_app"
    else:
        return pred
    return _retyped(pred, ctype)


def _other_size(pred: Prediction, text: str) -> Prediction:
    """One size ordered and another come ("заказывал кроссовки 43, пришли 41. 6500003": a
    missing item to the model, "Довезти недостающее"): a wrong item."""
    m = _OTHER_SIZE.search(text)
    if (
        pred.intent != "complaint"
        or pred.complaint_type not in ("missing_item", "delivery_delay", "service_quality", "other")
        or m is None
        or m.group(1).lower().replace(",", ".") == m.group(2).lower().replace(",", ".")
    ):
        return pred
    return _retyped(pred, "wrong_item")


def _came_damaged(pred: Prediction, text: str) -> Prediction:
    """A parcel that came damaged read as a delivery matter ("Посылка пришла повреждённая",
    "Parcel arrived broken", "The parcel arrived crushed, what do I do?") or as one for the
    quality team ("Посылка пришла помятая, что делать?"): it came, and damaged, a damage case
    (the photo and the details asked for). For the whole message and for each of its parts,
    whose type a complaint with a question beside it takes."""
    if (
        pred.intent != "complaint"
        or pred.complaint_type not in ("delivery_delay", "service_quality")
        or _LATE_OR_LOST.search(text)
    ):
        return pred
    if pred.complaint_type == "delivery_delay" and damage_named(text):
        # the model's parcel, and damage named: its confidence is the damage's too
        return dataclasses.replace(
            pred,
            complaint_type="damaged_defective",
            intent_confidence=max(pred.intent_confidence, NAMED_FAILURE_CONFIDENCE),
        )
    if pred.complaint_type == "service_quality" and damage_told(text) and not _RUDE.search(text):
        return dataclasses.replace(pred, complaint_type="damaged_defective")
    return pred


def nothing_came(text: str) -> bool:
    """The message says the order (or a part of it) has not come at all."""
    return bool(_NOT_COME.search(text))


def late_or_lost(text: str) -> bool:
    """The message says something is late, lost or has not come."""
    return bool(_LATE_OR_LOST.search(text))


# weeks of waiting told ("три недели ждала", "waited three weeks", "czekałam trzy tygodnie",
# "всего три недели"): in sarcasm, a late parcel
# a product's stock asked about: "будет в наличии", "появится в продаже", "back in stock",
# "be available", "będzie dostępny", "na stanie"
_STOCK_ASKED = re.compile(
    r"в\s+наличи|в\s+продаж|поступлени|\bin\s+stock\b|\brestock|\bbe\s+available\b|"
    r"\bavailable\s+again\b|dost[ęe]pn|na\s+stan(?:ie|ach)|w\s+sprzeda[żz]y",
    re.IGNORECASE,
)
# how long a delivery takes, in general: "сколько идёт посылка?", "how long does a parcel
# take?", "ile idzie paczka?", "ile trwa dostawa?" (with "my", an order number or "where" it
# is the customer's order)
_TRANSIT_ASKED = re.compile(
    r"(?<!\w)(?:сколько|как\s+долго)\s+(?:\w+\s+){0,2}?(?:ид[её]т|идут|ед[её]т|едут|везут|"
    r"доставля\w*)|\bhow\s+long\s+(?:\w+\s+){0,4}?(?:parcel|package|deliver\w*|shipping)|"
    r"\bile\s+(?:\w+\s+){0,2}?(?:idzie|id[ąa]|jedzie|jad[ąa]|trwa)\b",
    re.IGNORECASE,
)


def _about_placed_order(text: str) -> bool:
    from knowledge.flow import about_placed_order  # knowledge.flow imports this module

    return about_placed_order(text)


_WAITED = re.compile(
    r"(?:ждал\w*|ожидал\w*|\bwait(?:ed|ing)|czeka[łl]\w*)\s+(?:\S+\s+){0,2}?(?:недел|месяц|weeks|"
    r"months|tydz|tygod|miesi)|(?:недел\w*|месяц\w*|weeks|months|tygodni\w*|miesi[ęe]c\w*)\s+"
    r"(?:\S+\s+)?(?:ждал|ожидал|waiting|czeka)|(?<!\w)(?:всего|лишь|целых|just|only|tylko|a[żz])\s+"
    r"\S+\s+(?:недел|месяц|weeks|months|tygod|miesi)",
    re.IGNORECASE,
)


# money that did not come back ("I never got my refund", "возврат так и не пришёл", "zwrotu
# nadal nie dostałam", "Где мой возврат?", "where is my refund?") or is still awaited ("уже
# месяц жду возврат", "I've been waiting a month for my refund", "czekam na zwrot pieniędzy"):
# a billing matter, not a late parcel
_REFUND_NOT_COME = re.compile(
    r"(?<!\w)(?:жд[уёе]\w*|ожида\w*)\s+(?:уже\s+)?(?:мой\s+|мои\s+|свой\s+|свои\s+)?"
    r"(?:возврат\w*|деньг\w*|денег)(?!\w)|"
    r"\b(?:wait(?:ing|ed)?|await(?:ing|ed)?)\s+(?:\w+\s+){0,4}?(?:for\s+)?(?:my\s+|the\s+|a\s+)?"
    r"(?:refund|money\s+back)\b|"
    r"\bczeka\w*\s+(?:\w+\s+){0,2}?na\s+(?:m[óo]j\s+|moje\s+|sw[óo]j\s+|swoje\s+)?"
    r"(?:zwrot\w*|pieni[ąa]dz\w*)|"
    r"(?<!\w)где\s+(?:же\s+)?(?:мой\s+|мои\s+)?(?:возврат|деньг)|"
    r"\bwhere(?:'s|\s+is|\s+are)\s+(?:my\s+|the\s+)?(?:refund|money)|"
    r"\bgdzie\s+(?:jest\s+|s[ąa]\s+)?(?:m[óo]j\s+|moje\s+)?(?:zwrot|pieni[ąa]dze)|"
    r"\b(?:never|not|n'?t|still\s+(?:no|not|haven'?t|hasn'?t))\s+(?:\w+\s+)?(?:got|get|gotten|"
    r"received?|seen|come|arrived)\s+(?:my\s+|the\s+|a\s+|any\s+)?(?:refund|money)|"
    r"\b(?:refund|money)\s+(?:\w+\s+){0,2}(?:never|not|n'?t)\s+(?:\w+\s+)?(?:come|came|arrived|"
    r"been\s+(?:paid|sent|made))|"
    r"(?<!\w)не\s+(?:получил\w*|получу|вернули|вернёте|вернете|пришл\w*|пришёл|пришел|"
    r"поступ\w*)\s+(?:мой\s+|мои\s+)?(?:возврат|деньг)|(?<!\w)(?:возврат|деньг\w*)\s+(?:\w+\s+){0,2}?(?:так\s+и\s+|ещё\s+|еще\s+|"
    r"до\s+сих\s+пор\s+)?не\s+(?:получил\w*|пришл\w*|пришёл|пришел|вернули|поступил\w*)|"
    r"\bnie\s+(?:dosta[łl]\w*|dostan[ęe]|otrzyma[łl]\w*|otrzymam)\s+(?:jeszcze\s+|nadal\s+)?"
    r"(?:zwrot\w*|pieni[ęe]dzy)|"
    r"\b(?:zwrot\w*|pieni[ąa]dz\w*)\s+(?:\w+\s+){0,2}?(?:jeszcze\s+|nadal\s+|wci[ąa][żz]\s+)?nie\s+"
    r"(?:dosta[łl]\w*|otrzyma[łl]\w*|przysz\w*|przyszed\w*|dotar\w*|wp[łl]yn\w*|wr[óo]ci\w*)",
    re.IGNORECASE,
)


# the item sent back by the customer ("Zwróciłam towar", "Сдала куртку в пункт выдачи", "I
# returned the item") ...
_SENT_BACK = re.compile(
    r"(?<!\w)zwr[óo]ci[łl](?:am|em|y[śs]my|i[śs]my)(?!\w)|(?<!\w)odes[łl]a[łl](?:am|em)(?!\w)|"
    r"(?<!\w)(?:вернул|вернула|сдал|сдала)(?!\w)|(?<!\w)отправил[аи]?\s+(?:\w+\s+)?обратно|"
    r"\bI\s+(?:have\s+|'ve\s+)?(?:returned|sent\s+(?:\w+\s+){0,2}back)\b",
    re.IGNORECASE,
)
# ... and nothing since ("i nadal nic", "и до сих пор ничего", "and still nothing", "денег нет")
_NOTHING_SINCE = re.compile(
    r"(?<!\w)(?:nadal|wci[ąa][żz]|dalej|ci[ąa]gle)\s+(?:nic|brak|nie\s+ma)(?!\w)|(?<!\w)i\s+nic(?!\w)|"
    r"(?<!\w)(?:до\s+сих\s+пор|вс[её]\s+ещ[её]|по-прежнему|так\s+и)\s+(?:ничего|нет)(?!\w)|"
    r"(?<!\w)и\s+ничего(?!\w)|(?<!\w)денег\s+(?:\w+\s+){0,3}?нет(?!\w)|"
    r"\bstill\s+(?:nothing|no\s+(?:refund|money))\b|\band\s+nothing\b|"
    r"(?<!\w)pieni[ęe]dzy\s+(?:\w+\s+){0,2}?(?:brak|nie\s+ma)(?!\w)|"
    # ... or when it comes: "kiedy dostanę zwrot pieniędzy?", "когда вернут деньги?", "when
    # will I get my refund?"
    r"(?<!\w)kiedy\s+(?:\w+\s+)?(?:dostan[ęe]|otrzymam|b[ęe]dzie|wr[óo]c[ąa]|przyjdzie|"
    r"odda(?:cie|dz[ąa]))\s+(?:m[óo]j\s+|moje\s+)?(?:zwrot|pieni[ąa]dze)|"
    r"(?<!\w)когда\s+(?:же\s+)?(?:мне\s+)?(?:вернут|вернёте|вернете|получу|будут|придут|придёт|"
    r"придет|будет)\s+(?:мне\s+)?(?:мои\s+|мой\s+)?(?:деньги|возврат)|"
    r"\bwhen\s+(?:will|do|can|shall)\s+(?:i|we)\s+(?:get|receive|see)\s+(?:my\s+|the\s+|a\s+)?"
    r"(?:refund|money)|\bwhen(?:'?s|\s+is|\s+will)\s+(?:my\s+|the\s+)?(?:refund|money)\b|"
    # ... or where the money is: "where's my refund?", "где мои деньги?", "gdzie mój zwrot?"
    r"\bwhere(?:'?s|\s+is)\s+(?:my\s+)?(?:refund|money)\b|(?<!\w)где\s+(?:мои\s+|мой\s+)?"
    r"(?:деньги|возврат)(?!\w)|(?<!\w)gdzie\s+(?:jest\s+|s[ąa]\s+)?(?:m[óo]j\s+|moje\s+)?"
    r"(?:zwrot|pieni[ąa]dze)(?!\w)",
    re.IGNORECASE,
)


# money turned down ("Не надо возврат", "No refund needed", "Nie chcę zwrotu")
_REFUND_DECLINED = re.compile(
    r"(?<!\w)(?:не\s+(?:надо|нужно|нужен|нужны|хочу)|без)\s+(?:\w+\s+)?(?:возврат\w*|деньг\w*)|"
    r"(?<!\w)(?:возврат\w*|деньг\w*)\s+не\s+(?:надо|нужн\w*)|"
    r"\bno\s+(?:need\s+(?:for\s+)?(?:a\s+)?)?(?:refund|money\s+back)|"
    r"\b(?:don'?t|do\s+not)\s+(?:want|need)\s+(?:a\s+|my\s+|the\s+)?(?:refund|money)|"
    r"(?<!\w)nie\s+(?:chc[ęe]|potrzebuj[ęe]|trzeba)\s+(?:\w+\s+)?(?:zwrot\w*|pieni[ęe]dzy)",
    re.IGNORECASE,
)


def sent_back_no_money(text: str) -> bool:
    """The customer sent the item back and nothing has come since ("Zwróciłam towar dwa
    tygodnie temu i nadal nic"): the refund has not come."""
    return bool(_SENT_BACK.search(text) and _NOTHING_SINCE.search(text))


def _as_billing(pred: Prediction) -> Prediction:
    """``pred`` as a billing complaint (the other types its parts named dropped)."""
    return dataclasses.replace(
        pred,
        complaint_type="billing",
        **(
            {"complaint_types": tuple(t for t in pred.complaint_types if t == "billing")}
            if isinstance(pred, MultiPrediction)
            else {}
        ),
    )


def _sent_back_is_billing(pred: Prediction, text: str) -> Prediction:
    """An item sent back and nothing since: "Zwróciłam towar dwa tygodnie temu i nadal nic"
    (the service to the model), "Сдала куртку в пункт выдачи 10 дней назад и до сих пор
    ничего" (a late parcel), "where's my refund? I returned the shoes 3 weeks ago" (its parts
    a late parcel): the item went back and its money has not come, a refund not received.
    So is a refund said not to have come ("I wasn't overcharged, but I never got my refund",
    "Где мой возврат? Прошло 10 дней": its second part a late parcel, "Where is my refund?
    It has been 2 weeks": the service's 24 hours). For the whole message and for what its
    parts make of it."""
    if (
        pred.intent != "complaint"
        or pred.complaint_type not in ("service_quality", "delivery_delay", "other", None)
        or not (sent_back_no_money(text) or refund_not_come(text))
    ):
        return pred
    # told in plain words: not asked what happened ("Gdzie jest mój zwrot? Minęło 10 dni", 0.46)
    return dataclasses.replace(
        _as_billing(pred), intent_confidence=max(pred.intent_confidence, NAMED_FAILURE_CONFIDENCE)
    )


# the price of the thing told: "стоил 890 рублей", "заплатила 890", "it cost $20", "kosztował
# 50 zł"
_PRICE_TOLD = re.compile(
    r"(?<!\w)(?:стоил\w*|стоит|заплатил\w*|cost|costs|paid|kosztowa\w*|kosztuje|"
    r"zap[łl]aci[łl]\w*)\W+(?:\w+\W+){0,2}?\d",
    re.IGNORECASE,
)


def _faulty_refund_is_defect(pred: Prediction, text: str) -> Prediction:
    """The money asked back for a thing told faulty: "Наушники не работают, как вернуть
    деньги?", "Słuchawki nie działają, jak odzyskać pieniądze?" (a billing one to the model) is
    a defect case, as "Kettle arrived broken, how do I get a refund?" is: the details asked
    once, then replace / refund / repair (not money taken, a refund not come, or a thing
    already sent back); so is a faulty thing with its price ("Товар пришёл с браком, заказ
    3620005, стоил 890 рублей": the report counted it under billing)."""
    if (
        pred.intent != "complaint"
        or pred.complaint_type != "billing"
        # "Посылка пришла сломанная, верните деньги" (a refund filed with finance, no photo
        # asked, no damage case): the money asked back plainly is a wish for it too
        or not (return_wished(text) or _MONEY_BACK.search(text) or _PRICE_TOLD.search(text))
        or (
            failure_named(text, unsure_status=True) != "damaged_defective" and not damage_told(text)
        )
        or money_taken_named(text)
        or refund_not_come(text)
        or _SENT_BACK.search(text)
    ):
        return pred
    return dataclasses.replace(
        pred,
        complaint_type="damaged_defective",
        # "Чайник не работает, как вернуть деньги?" at 0.53 is not asked what happened
        intent_confidence=max(pred.intent_confidence, NAMED_FAILURE_CONFIDENCE),
        **(
            {"complaint_types": tuple(t for t in pred.complaint_types if t != "billing")}
            if isinstance(pred, MultiPrediction)
            else {}
        ),
    )


# the money of an order asked back, plainly: "верните деньги", "I want my money back", "I want
# a refund", "chcę zwrot pieniędzy" (not "где мой возврат?", not "если не привезёте, ...")
# ("верните бабки": money in slang)
_RU_MONEY = r"(?:деньги|бабки|бабло)"
_MONEY_BACK = re.compile(
    rf"(?<!\w)(?:верните|вернуть|верни)\s+(?:мне\s+)?(?:мои\s+|свои\s+)?{_RU_MONEY}|"
    rf"(?<!\w)(?:хочу|требую)\s+(?:вернуть\s+)?(?:мои\s+|свои\s+)?(?:{_RU_MONEY}|возврат)|"
    rf"(?<!\w){_RU_MONEY}\s+(?:назад|обратно)|"
    r"\b(?:want|need|demand)\s+(?:my\s+|the\s+|a\s+)?(?:money\s+back|refund)|\bmoney\s+back\b|"
    r"\b(?:a\s+)?refund\s+(?:now|please|asap|immediately)|\bgive\s+me\s+(?:a\s+)?refund|"
    r"(?<!\w)(?:chc[ęe]|ż[ąa]dam|zadam|prosz[ęe]\s+o)\s+zwrot\w*|(?<!\w)oddajcie\s+(?:mi\s+)?pieni",
    re.IGNORECASE,
)
_IF = re.compile(r"(?<!\w)(?:если|if|je[śs]li|je[żz]eli|gdyby|unless)(?!\w)", re.IGNORECASE)


def _late_refund_wished(pred: Prediction, text: str) -> Prediction:
    """A late order whose money is asked back, plainly and now ("I've been waiting 3 weeks
    for order 5512371. I want my money back NOW", a late parcel to the model, as "Заказ ...
    опаздывает, верните деньги" is a billing one): the refund is filed (the lateness is in
    what they wrote, on the case). Not when it is a condition ("if it is not here by Friday,
    I want my money back")."""
    if (
        pred.intent != "complaint"
        or pred.complaint_type != "delivery_delay"
        or not (match := _MONEY_BACK.search(text))
        or _IF.search(text[: match.start()])
    ):
        return pred
    return _as_billing(pred)


# "прошло 10 дней" is time gone by ("шло 10 дней" in it is a parcel on its way)
_TIME_PASSED = re.compile(r"(?<!\w)прош(?:ло|ла|ёл|ел|ли)(?!\w)", re.IGNORECASE)


def problem_told_too(text: str) -> bool:
    """A message that says "just letting you know" tells a problem of its own, or asks
    something ("just so you know, the kettle is cracked too")."""
    return bool(
        failure_named(text, unsure_status=True) is not None
        or item_trouble_named(text)
        or late_or_lost(text)
        or heated(text)
        or asks_question(text)
    )


def invoice_details(state: dict[str, Any], now: datetime, text: str) -> bool:
    """A company's details given for an invoice: with the invoice asked in the same message,
    or just asked of the knowledge base ("нужен счёт-фактура на фирму", then "ООО Ромашка,
    ИНН 7701234567, заказ 3470101"), while no complaint is being told."""
    if not company_details(text):
        return False
    stage = (state.get("complaint") or {}).get("stage")
    if stage not in (None, "done", "handed_over"):
        return False
    asked = str((state.get("faq") or {}).get("query") or "")
    return invoice_asked(text) or (answered_lately(state, now) and invoice_asked(asked))


def refund_not_come(text: str) -> bool:
    """What the message says did not come is a refund, and nothing else is late or lost
    ("Где мой возврат? Прошло 10 дней": the days gone by are the refund's)."""
    return bool(_REFUND_NOT_COME.search(text)) and not problem_told(
        _LATE_OR_LOST, _TIME_PASSED.sub(" ", _REFUND_NOT_COME.sub(" ", text))
    )


def damage_told(text: str) -> bool:
    """A broken thing, not its box, told in plain words, and nothing else wrong with what
    came, late or lost ("the mug has a small chip", "на кружке скол")."""
    return (
        damage_named(beside_packaging(text))
        and failure_named(text, unsure_status=True) in (None, "damaged_defective")
        and not problem_told(_LATE_OR_LOST, text)
    )


# a compensation asked for, with the words that ask it ("хочу скидку", "а скидку дадите?",
# "can I get a discount?", "chcę rabat", "poproszę o rekompensatę")
_COMPENSATION_ASK = re.compile(
    r"(?:(?<!\w)(?:хочу|хотел\w*(?:\s+бы)?|можно|дайте|прошу|нужн\w*|"
    r"i\s+want|(?:i\s+)?(?:don'?t|do\s+not)\s+(?:want|need)|i'?d\s+like|i\s+would\s+like|can\s+i\s+(?:have|get)|could\s+i\s+(?:have|get)|"
    r"do\s+i\s+get|give\s+me|chc[ęe]|chcia[łl]\w*|prosz[ęe](?:\s+o)?|poprosz[ęe](?:\s+o)?|"
    r"mog[ęe]\s+dosta[ćc]|dostan[ęe])\s+(?:[^\W\d_]+\s+){0,2}?)?"
    r"(?:скидк\w*|компенсаци\w*|промокод\w*|купон\w*|discount|compensation|coupon|voucher|"
    r"promo\s*code|rabat\w*|zni[żz]k\w*|rekompensat\w*|kupon\w*)"
    r"(?:\s+(?:[^\W\d_]+\s+)?(?:дадите|будет|положена|можно|please|пожалуйста|prosz[ęe]|"
    r"dostan[ęe]|b[ęe]dzie))?\s*\??",
    re.IGNORECASE,
)


def _box_only(text: str) -> bool:
    return (
        "?" not in text
        and packaging_only(text)
        and failure_named(beside_packaging(text), unsure_status=True) is None
        and not problem_told(_LATE_OR_LOST, text)
        and not _WISH.search(text)
    )


# ... or said not to be wanted ("скидка не нужна", "I don't want a discount", "nie chcę rabatu")
_COMPENSATION_DECLINED = re.compile(
    r"(?<!\w)не\s+(?:нужн|надо|хочу|прошу|требую)|(?<!\w)(?:нужн\w*|надо)\s+не\b|"
    r"\b(?:don'?t|do\s+not)\s+(?:need|want)|\bno\s+need\b|\bnot\s+(?:asking|looking)\s+for|"
    r"\bnot\s+(?:after|needed)|(?<!\w)nie\s+(?:chc[ęe]|potrzebuj|trzeba|prosz[ęe]|oczekuj)",
    re.IGNORECASE,
)


def box_only(text: str) -> bool:
    """Only the box came damaged, the thing in it is fine, and nothing else is wrong, wished
    for or asked ("The box was a bit dented but the TV is fine, thanks"), but a compensation
    ("Коробка помята, товар вроде цел, но хочу скидку": :func:`box_compensation_asked`; "...,
    скидка не нужна" the same)."""
    return _box_only(text) or (
        bool(_COMPENSATION_ASK.search(text)) and _box_only(_COMPENSATION_ASK.sub(" ", text))
    )


def box_compensation_asked(text: str) -> bool:
    """Only the box came damaged, the thing in it is fine, and a compensation is asked for
    ("Коробка помята, товар вроде цел, но хочу скидку", "the box is dented, can I get a
    discount?"), not turned down ("скидка не нужна")."""
    return (
        bool(_COMPENSATION_ASK.search(text))
        and not _box_only(text)
        and box_only(text)
        and not _COMPENSATION_DECLINED.search(text)
    )


# a thing that keeps breaking: "третий раз ломается", "keeps breaking", "znowu się psuje"
_BREAKS_DOWN = re.compile(
    r"(?<!\w)лома(?:ется|ются|ет|ют)(?!\w)|\b(?:keeps\s+)?break(?:s|ing)\b|"
    r"(?<!\w)(?:psuj[eą]\s+si[ęe]|si[ęe]\s+psuj[eą])(?!\w)",
    re.IGNORECASE,
)


def _sarcasm_about(text: str) -> str | None:
    """The failure praise or thanks is said about, in sarcasm: its complaint type."""
    named = failure_named(text, unsure_status=True)
    if named is None and (problem_told(_LATE_OR_LOST, text) or _WAITED.search(text)):
        named = "delivery_delay"
    if named is None and (damage_told(text) or _BREAKS_DOWN.search(text)):
        named = "damaged_defective"  # "great packaging, the plate is in three pieces"
    return named


def _type_denied(ctype: str | None, text: str) -> bool:
    """The message names the problem of the complaint type ``ctype`` only to deny it
    ("ничего не сломано", "без задержек", "no delay at all")."""
    if ctype == "delivery_delay":
        return late_or_lost(text) and not problem_told(_LATE_OR_LOST, text)
    if ctype == "missing_item":
        return missing_denied(text)
    if ctype == "billing" and refund_not_come(text):
        return False  # "I wasn't overcharged, but I never got my refund" is still about money
    # "The courier was lovely, but the mug is chipped", "The app works fine, the problem is
    # my order never came"
    return type_denied(ctype, text)


_ITEM_OR_LATE = frozenset({"damaged_defective", "wrong_item", "missing_item", "delivery_delay"})
_ALL_TYPES = _ITEM_OR_LATE | {"billing", "website_app", "staff_behavior", "service_quality"}


def _nothing_wrong(pred: Prediction, text: str) -> bool:
    """Thanks, or all is well, with a problem named only to deny it ("nothing broken, all
    good", "no delay at all, thanks", "the courier wasn't rude at all, thank you", "претензий
    нет"), and none told; for a complaint, the type the model read is one the denial explains
    ("Спасибо, всё хорошо, а деньги так и не вернули" is still a billing complaint)."""
    if pred.intent not in ("complaint", "praise", "thanks", "deny") or "?" in text:
        return False
    # ... or "Заказ пришёл без задержек" alone (a late parcel to the model): came without a
    # delay or a flaw, it says all is well
    if not (_THANKS.search(text) or _ALL_GOOD.search(text) or flaw_denied(text)):
        return False
    if (
        item_trouble_named(text)
        or problem_told(_LATE_OR_LOST, text)
        or failure_named(text, unsure_status=True) is not None
        or _BUT.search(text)
        or problem_told(_RUDE, text)
        or problem_told(SITE_FAILURE, text)
        or announces_problem(text)
        or sarcastic(text)  # "Perfect, thanks for nothing", "👏👏"
    ):
        return False
    # what says all is well, and the complaint types the model may have read in it: an intact
    # parcel explains any but a money or a site problem
    parcel = _ALL_TYPES - {"billing", "website_app"}
    said_fine = (
        (damage_denied(text) or _CAME_FINE.search(text), parcel),
        (_LATE_OR_LOST.search(text), parcel),  # none told, so all denied
        (_THANKS.search(text) and _ALL_GOOD.search(text), _ITEM_OR_LATE),
        (staff_praised(text), {"staff_behavior", "service_quality"}),
        (SITE_FAILURE.search(text), {"website_app"}),  # none told
        (_NO_COMPLAINT.search(text), _ALL_TYPES),
    )
    return any(
        fine and (pred.intent != "complaint" or pred.complaint_type in (None, "other", *types))
        for fine, types in said_fine
    )


def _late_beside_praise(text: str) -> str | None:
    """``delivery_delay`` when the staff are praised and the parcel told late besides ("Курьер
    вежливый, но привёз на неделю позже", "The courier was lovely but came a week late")."""
    late = staff_praised(text) and problem_told(_LATE_OR_LOST, text)
    return "delivery_delay" if late else None


def _staff_praise_only(text: str) -> bool:
    """All is well, and the staff are spoken well of ("С заказом всё в порядке, просто хочу
    похвалить курьера", "nothing's wrong with the order, your courier Ivan was amazing"), with
    no problem told: praise, whatever "just" or "tylko" says."""
    return (
        "?" not in text
        and bool(_ALL_GOOD.search(text))
        and staff_praised(text)
        and not (
            item_trouble_named(text)
            or problem_told(_LATE_OR_LOST, text)
            or failure_named(text, unsure_status=True) is not None
            or problem_told(_RUDE, text)
            or problem_told(SITE_FAILURE, text)
            or sarcastic(text)
        )
    )


# "I would like to know", "could you tell me", "подскажите", "chciałabym zapytać": a question
# asked politely (its "would like" / "хотел" / "chciał" is no wish for a refund or a swap)
_POLITE_ASK = re.compile(
    r"\b(?:i\s+would|i'?d)\s+like\s+to\s+(?:know|ask|check|find\s+out|clarify|confirm)\b|"
    r"\b(?:i'?m|i\s+am)\s+writing\s+to\s+ask\b|\bi\s+want(?:ed)?\s+to\s+(?:ask|know|check|"
    r"be\s+sure|make\s+sure)\b|\b(?:could|can|would)\s+you\s+(?:please\s+)?(?:tell|let\s+me\s+know|"
    r"confirm|advise|check)\b|\bplease\s+(?:tell|let)\s+me\b|\bi\s+wonder(?:ed)?\b|"
    r"(?<!\w)(?:хотел\w*|хочу)\s+(?:бы\s+)?(?:узнать|уточнить|спросить|поинтересоваться|убедиться|"
    r"быть\s+уверен\w*)(?!\w)|"
    r"(?<!\w)(?:подскажите|скажите|уточните|сообщите)(?!\w)|"
    r"\b(?:chcia[łl]\w*|chc[ęe])\s+(?:si[ęe]\s+)?(?:zapyta[ćc]|dowiedzie[ćc]|upewni[ćc])|"
    r"\b(?:prosz[ęe]\s+o\s+informacj|czy\s+mo[żz]ecie\s+(?:mi\s+)?powiedzie[ćc]|"
    r"czy\s+mog[ęe]\s+zapyta[ćc])",
    re.IGNORECASE,
)
# "Why is my parcel taking so long?", "почему так долго?": a delay, or a why, is displeasure
_WHY_OR_TOO_LONG = re.compile(
    r"\b(?:taking|takes|took|take)\s+(?:so\s+|too\s+|this\s+)?long\b|\b(?:so|too)\s+long\b|"
    r"(?<!\w)(?:так|слишком|очень)\s+долго(?!\w)|\b(?:tak|za|zbyt|bardzo)\s+d[łl]ugo\b|"
    r"(?:^|[.!?,]\s*)(?:and\s+|а\s+|i\s+)?(?:why|how\s+come|почему|зачем|отчего|dlaczego|czemu)\b",
    re.IGNORECASE,
)
_ONE_EXCLAMATION = re.compile(r"(?<!!)!(?!\s*!)")
# a complaint the model reads as one of these may be a question (not money nor the site)
_QUESTION_TYPES = frozenset(
    {"wrong_item", "missing_item", "damaged_defective", "delivery_delay", "staff_behavior",
     "service_quality", "other", None}
)  # fmt: skip


# thanks said first, for something ("Спасибо за быструю доставку!", "Thanks for the quick
# delivery!", "Dziękuję za szybką dostawę!")
_THANKS_FIRST = re.compile(
    r"^\W*(?:(?:большое|огромное|many|bardzo)\s+)?(?:спасибо|благодарю|thanks?(?:\s+you)?|"
    r"dzi[eę]kuj[eę]|dzi[eę]ki)\b",
    re.IGNORECASE,
)


# a thing that does not fit ("Rozmiar nie pasuje", "buty są za małe", "размер не подошёл",
# "куртка мала", "it doesn't fit") ...
_FIT_RETURN = re.compile(
    r"(?<!\w)nie\s+pasuj|(?<!\w)za\s+(?:ma[łl]|du[żz])|(?<!\w)не\s+подо(?:ш[её]л|шл|ход)|"
    r"(?<!\w)(?:мал|велик)[аиоы]?(?!\w)|\b(?:doesn'?t|does\s+not|don'?t|do\s+not|didn'?t)\s+fit\b|"
    r"\btoo\s+(?:small|big|large|tight|loose)\b",
    re.IGNORECASE,
)
# ... or is not liked, or no longer wanted ("не понравилось", "I don't like the dress",
# "nie podoba mi się", "передумала", "changed my mind"), or said sound ("надлежащего качества",
# "an unused item", "неиспользованный", "nieużywany", "still with tags")
_UNWANTED = re.compile(
    r"(?<!\w)не\s+понрави|(?<!\w)не\s+нрави|передумал|надлежащего\s+качества|"
    r"\b(?:don'?t|do\s+not|didn'?t|did\s+not)\s+(?:really\s+)?like\b|changed\s+my\s+mind|"
    r"(?<!\w)nie\s+(?:bardzo\s+)?podoba|(?<!\w)nie\s+spodoba|rozmy[śs]li[łl]|"
    r"(?<!\w)(?:неиспользованн|неношен|не\s+(?:использовал|пользовал|носил|надевал)|с\s+бирк|"
    r"nieu[żz]ywan|nie\s+u[żz]ywan|nienoszon|z\s+metk)|\b(?:unused|unworn|unopened|never\s+"
    r"(?:been\s+)?(?:used|worn|opened)|(?:still\s+)?with\s+(?:the\s+|its\s+)?tags)\b",
    re.IGNORECASE,
)
# ... and wished sent back or swapped ("chcę zwrócić", "хочу вернуть", "I want to return it")
_RETURN_WISH = re.compile(
    r"(?<!\w)zwr[óo]ci[ćc]|(?<!\w)odda[ćc]|(?<!\w)odes[łl]a[ćc]|(?<!\w)wymieni[ćc]|"
    r"(?<!\w)(?:вернуть|сдать|обменять|поменять)(?!\w)|\b(?:return|exchange|swap)\b|"
    r"\bsend\s+(?:it|them)\s+back\b",
    re.IGNORECASE,
)


# ... or its money wished back ("how do I get a refund?", "chcę zwrot pieniędzy"; "вернуть
# деньги" is a return already)
_REFUND_WISH = re.compile(
    r"\brefund\b|\bmoney\s+back\b|(?<!\w)zwrot\w*\s+(?:\w+\s+)?pieni[ęe]dz|"
    r"(?<!\w)odzyska[ćc]\s+(?:\w+\s+)?pieni[ąa]dze|"
    r"(?<!\w)(?:oddajcie|zwr[óo][ćc]cie)\s+(?:mi\s+)?pieni[ąa]dze",
    re.IGNORECASE,
)


def return_wished(text: str) -> bool:
    """The thing wished sent back or swapped, or its money back ("как его вернуть?", "how do
    I return it?", "jak go zwrócić?", "how do I get a refund?")."""
    return bool(_RETURN_WISH.search(text) or _REFUND_WISH.search(text))


# what to do about it asked ("что делать?", "what should I do?", "co robić?"): after a thing
# told damaged, the fix wished for, which the case gives
_WHAT_TO_DO = re.compile(
    r"(?<!\w)(?:и\s+)?что\s+(?:мне\s+|теперь\s+|же\s+)*делать|(?<!\w)как\s+(?:мне\s+)?быть(?!\w)|"
    r"\bwhat\s+(?:should|do|can|shall)\s+(?:i|we)\s+do\b|\bwhat\s+(?:now|are\s+my\s+options)\b|"
    r"(?<!\w)co\s+(?:mam|mog[ęe]|powinienem|powinnam)?\s*(?:teraz\s+)?(?:z\s+tym\s+)?zrobi[ćc]|"
    r"(?<!\w)co\s+(?:teraz\s+)?robi[ćc]|(?<!\w)co\s+teraz(?!\w)",
    re.IGNORECASE,
)


def fix_asked(text: str) -> bool:
    """The thing wished sent back, swapped or refunded, or what to do about it asked ("как его
    вернуть?", "how do I get a refund?", "что делать?", "co robić?")."""
    return return_wished(text) or bool(_WHAT_TO_DO.search(text))


# ... sent back, not swapped ("как вернуть?", "how do I return them?", "jak je zwrócić?")
_RETURN_ONLY = re.compile(
    r"(?<!\w)zwr[óo]ci[ćc]|(?<!\w)odda[ćc]|(?<!\w)odes[łl]a[ćc]|(?<!\w)(?:вернуть|сдать)(?!\w)|"
    r"\breturn\b|\bsend\s+(?:it|them)\s+back\b",
    re.IGNORECASE,
)
_WHICH = re.compile(r"(?:котор|which\b|that\b|któr)", re.IGNORECASE)  # a relative clause
_RETURN_CLAUSE = re.compile(
    r"[,.;:!]+\s*|\s(?:и|а|но|and|but|so|(?-i:i)|ale|wi[ęe]c)\s",
    re.IGNORECASE,  # not "how do I"
)


def _return_asked(text: str) -> str | None:
    """The clause asking how or whether to send a thing back, or wishing it, when the message
    says it beside why ("Куртка не подошла по размеру, как вернуть?" -> "как вернуть?",
    "Хочу вернуть платье, не подошло по размеру" -> "Хочу вернуть платье"), or None: the
    return, not the size, is asked about ("The shoes are too small" drew the size exchange's
    answer, the Russian one none the search was sure of; the wish, the exchange's "Да —")."""
    if not (asks_question(text) or _WISH.search(text)) or not _RETURN_ONLY.search(text):
        return None
    if _RETURN_WISH.search(_RETURN_ONLY.sub(" ", text)):
        return None  # "вернуть или обменять?": both asked, the whole message searched
    clauses = [c.strip() for c in _RETURN_CLAUSE.split(text) if c and c.strip()]
    asked = [c for c in clauses if _RETURN_ONLY.search(c)]
    if len(clauses) < 2 or len(asked) != 1 or not re.search(r"[^\W\d_]", asked[0]):
        return None
    after = clauses[clauses.index(asked[0]) + 1 :]
    if after and _WHICH.match(after[0]):
        return None  # "Как вернуть товар, который не подошёл?": one question, searched whole
    # "czy mogę ją oddać?", "можно его сдать?": asked in the knowledge base's own word for a
    # return ("czy mogę ją zwrócić?": the return procedure; "czy mogę ją oddać?" had no
    # answer the knowledge base was sure of)
    return _RETURN_SAID.sub(lambda m: _RETURN_WORD[m.group(1)[:2].lower()], asked[0])


# another word for sending a thing back, and the one the knowledge base asks with
_RETURN_SAID = re.compile(r"(?<!\w)(odda[ćc]|odes[łl]a[ćc]|сдать)(?!\w)", re.IGNORECASE)
_RETURN_WORD = {"od": "zwrócić", "сд": "вернуть"}


def disliked_only(text: str) -> bool:
    """A thing that does not please told ("Не понравился цвет", "I don't like the color"),
    with no wish to send it back or swap it and no damage, wrong or missing thing."""
    if _RETURN_WISH.search(text) or item_trouble_named(text):
        return False
    return bool(_UNWANTED.search(text))


def _sound_return(pred: Prediction, text: str) -> bool:
    """A sound thing the customer wants to send back or swap because it does not fit or
    please them (a "no", a complaint or a question to the model): no damage, wrong or missing
    thing told, no threat, no anger."""
    from bot.dialogs.complaint import products_named  # complaint imports this module

    if pred.intent not in ("deny", "complaint", "faq", "order_status") or not return_wished(text):
        # "chcę zwrot pieniędzy za kurtkę, nie pasuje mi": the money of a return wished back
        return False
    if not (_FIT_RETURN.search(text) or _UNWANTED.search(text)):
        return False
    if pred.intent == "deny":
        return True
    return (
        pred.threat in (None, "none")
        and pred.emotion != "angry"
        and (
            # ("I want to return an unused item, order 3501238" is out of stock to the model,
            # with 3510011 the service's quality)
            pred.complaint_type
            in ("damaged_defective", "wrong_item", "availability", "service_quality", "other", None)
            # "хочу вернуть деньги, товар не подошёл": the money of a return, none overcharged
            or (pred.complaint_type == "billing" and not money_taken_named(text))
        )
        and not item_trouble_named(text)
        and not products_named(text)  # "you sent the wrong size, it doesn't fit": the shop's
    )


def _as_complaint(
    pred: Prediction, ctype: str | None, sure: float | None = None, **changes: Any
) -> Prediction:
    """``pred`` as a complaint of ``ctype``, at least ``sure`` sure (None: as sure as it was),
    with ``changes`` besides (its emotion)."""
    if sure is not None:
        changes["intent_confidence"] = max(pred.intent_confidence, sure)
    return dataclasses.replace(pred, intent="complaint", complaint_type=ctype, **changes)


def _as_question(pred: Prediction) -> Prediction:
    """``pred`` as a question for the knowledge base (no complaint, sure enough to act on)."""
    return dataclasses.replace(
        pred,
        intent="faq",
        complaint_type=None,
        intent_confidence=max(pred.intent_confidence, MIN_CONFIDENCE),
    )


def _as_return_question(pred: Prediction, text: str) -> Prediction:
    """``pred`` as a question for the shop's return answer when ``text`` is a sound return
    (calm, unless a word of displeasure says otherwise: "chcę zwrócić nieużywany towar,
    zamówienie 3510013" is upset to the model, and got "sorry for the trouble")."""
    if not _sound_return(pred, text):
        return pred
    if pred.emotion == "upset" and not displeasure_said(text):
        pred = dataclasses.replace(pred, emotion="calm")
    return _as_question(pred)


def _follow_up_not_goodbye(pred: Prediction, text: str) -> Prediction:
    """``pred`` read as a question when the model calls a short follow-up question a goodbye
    ("а на выходных?" after "а в Москву?" got "До свидания!": "на выходных" is near "хороших
    выходных"): a message opening like "а ...", "and ...", "a ..." and asking is no
    farewell."""
    if pred.intent != "goodbye" or not follow_up_question(text):
        return pred
    return _as_question(pred)


def _thanks_not_anger(pred: Prediction, text: str) -> Prediction:
    """``pred`` calm when a complaint the model read as angry opens with sincere thanks and
    shows no other sign of anger than one exclamation mark ("Спасибо за быструю доставку!
    Правда, одна тарелка разбита"): a kind customer telling of a problem, owed the script,
    not the angry customer's goodwill gesture."""
    if (
        pred.intent != "complaint"
        or pred.emotion != "angry"
        or pred.threat not in (None, "none")
        or not _THANKS_FIRST.search(text)
        or sarcastic(text)
        or thanks_for_nothing(text)
        or hostile(text)
        or heated(_ONE_EXCLAMATION.sub(".", text))
    ):
        return pred
    return dataclasses.replace(pred, emotion="calm")


# whether a thing is under warranty, or for how long: "Is my vacuum from order 2298910 still
# covered by warranty?", "Действует ли ещё гарантия на пылесос?", "Czy to jest na gwarancji?"
_WARRANTY_ASKED = re.compile(
    r"\b(?:under|covered\s+by|still\s+(?:on|under|in))\s+(?:the\s+|a\s+)?warranty|"
    r"\bwarranty\s+(?:still\s+)?(?:valid|cover\w*|period|last\w*|apply|applies|run\w*)|"
    r"\bhow\s+long\s+is\s+(?:the\s+)?warranty|(?<!\w)на\s+гаранти\w*|"
    r"(?<!\w)гаранти\w*\s+(?:ещё\s+|еще\s+)?(?:действует|распространя\w*|покрывает|закончил\w*)|"
    r"(?<!\w)(?:действует|распространяется)\s+ли\s+(?:ещё\s+|еще\s+)?(?:на\s+\w+\s+)?гаранти|"
    r"(?<!\w)сколько\s+(?:длится\s+|действует\s+)?гаранти|(?<!\w)срок\w*\s+гаранти|"
    r"(?<!\w)na\s+gwarancji|(?<!\w)gwarancj\w*\s+(?:jeszcze\s+)?(?:obowi[ąa]zuje|obejmuje|trwa)|"
    r"(?<!\w)ile\s+trwa\s+gwarancj|(?<!\w)okres\w*\s+gwarancj",
    re.IGNORECASE,
)


def _warranty_question(pred: Prediction, text: str) -> Prediction:
    """Whether a thing is still under warranty, asked with no fault told ("Is my vacuum from
    order 2298910 still covered by warranty? I bought it in March" filed a refund with the
    finance team, a billing case to the model): a question, for the knowledge base."""
    if (
        pred.intent not in ("complaint", "order_status")
        or pred.threat not in (None, "none")
        or not _WARRANTY_ASKED.search(text)
        or not asks_question(text)
    ):
        return pred
    if (
        failure_named(text, unsure_status=True) is not None
        or item_trouble_named(text)
        or fault_named(text)
        or problem_told(_LATE_OR_LOST, text)
        or wants_person(text)
        or heated(text)
    ):
        return pred  # "it broke, is it still under warranty?": the fault is the case
    return dataclasses.replace(
        pred,
        intent="faq",
        complaint_type=None,
        intent_confidence=max(pred.intent_confidence, MIN_CONFIDENCE),
        **({"complaint_types": ()} if isinstance(pred, MultiPrediction) else {}),
    )


def _question_not_complaint(pred: Prediction, text: str) -> Prediction:
    """``pred`` read as a question when it is a calm complaint that asks something in so many
    words ("I would like to know", "подскажите", "chciałabym zapytać") and tells no problem ("Good afternoon, I ordered a jacket last week and I would like to know how
    long shipping to Warsaw usually takes. Thank you very much in advance!" was a wrong item
    to the model, "Your consultant told me 3 days but I want to be sure" one about staff): a
    question about the customer's placed order is its status, any other a general one."""
    if (
        pred.intent != "complaint"
        or pred.emotion not in (None, "calm")
        or pred.threat not in (None, "none")
        or pred.complaint_type not in _QUESTION_TYPES
        or isinstance(pred, MultiPrediction)
        and any(t not in _QUESTION_TYPES for t in pred.complaint_types)
    ):
        return pred
    if not _POLITE_ASK.search(text):
        return pred  # a bare question the complaint flow weighs against the knowledge base
    if problem_in(text, _POLITE_ASK.sub(" ", text)):
        return pred
    intent = "order_status" if _about_placed_order(text) else "faq"
    return dataclasses.replace(
        pred,
        intent=intent,
        complaint_type=None,
        intent_confidence=max(pred.intent_confidence, MIN_CONFIDENCE),
        **({"complaint_types": ()} if isinstance(pred, MultiPrediction) else {}),
    )


def problem_in(text: str, told: str | None = None) -> bool:
    """The message tells of something wrong, wishes a fix or a person, or is heated (``told``:
    the text the wish is looked for in, when a polite ask's words are to be left out)."""
    told = text if told is None else told
    return bool(
        failure_named(text, unsure_status=True) is not None
        or problem_told(_LATE_OR_LOST, text)
        or item_trouble_named(text)
        or _BROKEN.search(text)
        or problem_told(_RUDE, text)
        or problem_told(SITE_FAILURE, text)
        or announces_problem(text)
        or sarcastic(text)
        or displeasure_said(text)
        or _WISH.search(told)
        or wants_person(text)
        or refund_not_come(text)
        or _UPSET_EMOJI.search(text)
        or _WHY_OR_TOO_LONG.search(text)
        or _WAITED.search(text)
        or heated(_ONE_EXCLAMATION.sub(".", text))  # "Thank you in advance!" is no anger
    )


# texts that already say a colleague takes over: the hand-off then adds only when they answer
# ("I'm passing your case to a colleague…" was followed by "I'm connecting you with a colleague…")
PERSON_SAID = frozenset(
    {
        "fallback_again",
        "order_status_pass",
        "order_status_pass_upset",
        "order_status_pass_no_number",
        "order_status_pass_no_number_upset",
        "order_status_pass_media",
        "complaint_not_satisfied",
        "complaint_too_slow",
        "complaint_to_person",
        "comp_demand_to_person",
        "survey_sorry_reopen",
        "reply_reopen",
        "resolved_case_question",
        "callback_noted",
        "callback_noted_ask",
        "callback_noted_short",
        "callback_noted_ask_short",
    }
)


def staff_command(text: str) -> str | None:
    """``report`` for "/report 7" or "/report@shop_bot": an admin's or operator's command."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if len(text) > 1 else ""
    return name if name in STAFF_COMMANDS else None


@dataclass
class TurnContext:
    """Everything a flow needs for one customer turn."""

    session: AsyncSession
    settings: Settings
    customer: Customer
    conversation: Conversation
    state: dict[str, Any]
    incoming: Incoming
    prediction: Prediction | None
    texts: Texts
    outcome: Outcome
    now: datetime
    message: Message
    replies: list[Reply] = field(default_factory=list)
    handoff: dict[str, Any] | None = None
    new_slots: list[str] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)  # slot -> the value it replaced
    # the order number a finished case had, when this message named another ("и ещё, по
    # заказу 7711111 не вернули деньги"): the message is about that other order
    left_order: str | None = None
    # the order number of a message that is that number alone, nothing asked (``lone_order_ref``,
    # read once per turn: the engine reads it as an order named, the order flow notes it)
    lone_order: str | None = None
    person_said: bool = False  # a reply already says a colleague takes over (``PERSON_SAID``)
    # nothing said in the chat for :data:`QUIET_BEFORE` before this message (or the chat's
    # first): it starts a new talk
    quiet_before: bool = False
    # the FAQ flow (knowledge/flow.py) when a knowledge base is installed: other flows ask
    # it whether the knowledge base is sure about a message they are unsure of
    faq: Any = None

    def request_handoff(self, reason: str, priority: str = "normal", **details: Any) -> None:
        """Ask for a person; the engine escalates after the flow returns (keeps the higher priority)."""
        if self.handoff is not None and self.handoff.get("priority") == "high":
            return
        self.handoff = {"reason": reason, "priority": priority, **details}

    @property
    def lang(self) -> str:
        return self.texts.lang

    @property
    def intent(self) -> str | None:
        """The intent, or None when the classifier is not sure enough to act on it."""
        if self.command in ("start", "help"):
            return "greeting"
        if self.prediction is None or self.prediction.intent_confidence < MIN_CONFIDENCE:
            return None
        return self.prediction.intent

    @property
    def command(self) -> str | None:
        """``start`` for "/start", etc.; None for ordinary text."""
        text = (self.incoming.text or "").strip()
        if not text.startswith("/") or len(text) < 2:
            return None
        return text[1:].split()[0].split("@")[0].lower()

    def say(self, key: str, buttons: Sequence[Sequence[Button]] = (), **kwargs: Any) -> Reply:
        if key in PERSON_SAID:
            self.person_said = True
        return self.say_text(self.texts(key, **kwargs), buttons)

    def say_text(self, text: str, buttons: Sequence[Sequence[Button]] = ()) -> Reply:
        reply = Reply(text=text, buttons=[list(row) for row in buttons])
        self.replies.append(reply)
        return reply

    def event(self, type_: str, **data: Any) -> dict[str, Any]:
        ev = {"type": type_, **data}
        self.outcome.events.append(ev)
        return ev


class Flow(Protocol):
    """A piece of conversation logic (FAQ, complaint playbook, hand-off...)."""

    name: str

    async def handle(self, ctx: TurnContext) -> bool:
        """Handle the turn and return True, or return False to let the next flow try."""
        ...


class ConversationEngine:
    def __init__(
        self,
        classifier: Classifier,
        settings: Settings,
        *,
        flows: Sequence[Flow] = (),
        clock: Callable[[], datetime] = utcnow,
        seed: int | None = None,
    ) -> None:
        self.classifier = classifier
        self.settings = settings
        self.flows = list(flows)
        self.clock = clock
        self.seed = seed

    # ------------------------------------------------------------------ entry point
    async def classify(self, incoming: Incoming) -> Prediction | None:
        """Classify the message's text (CPU only, no database): callers may do it before
        opening a transaction and pass the result to :meth:`handle`."""
        text = (incoming.text or "").strip()
        bare = text.startswith("/") and " " not in text
        if incoming.edited or not text or bare or _DEEP_LINK.match(text) or staff_command(text):
            # no text, a bare command such as /start, a deep link's code, or a staff command
            return None
        read = _condensed(text[:MAX_TEXT_CHARS])
        prediction = await asyncio.to_thread(self.understand, read[:MAX_CLASSIFY_CHARS])
        if len(text) > MAX_CLASSIFY_CHARS and (
            prediction.order_ref is None or prediction.amount is None
        ):
            # a long story gives the order number (the amount) at its end: the details are
            # read in all of it, the rest from its beginning
            found = extract(text[:MAX_TEXT_CHARS])
            prediction = dataclasses.replace(
                prediction,
                order_ref=prediction.order_ref or found.order_ref,
                **(
                    {"amount": found.amount, "currency": found.currency}
                    if prediction.amount is None
                    else {}
                ),
            )
        return prediction

    def understand(self, text: str) -> Prediction:
        """The message's prediction; a message with several requests is split and each part
        classified too (:mod:`bot.dialogs.requests`). Russian typed in Latin letters is read
        in Cyrillic ("zakaz ne prishel" was a wrong item, "gde moj zakaz" unsure), its order
        number and amount as typed ("A-9902" stays Latin). Ukrainian is read in Russian
        ("Замовлення 3420102 досі не прийшло" was a bill's refund: the late parcel's case)."""
        if (read := as_cyrillic(text) or as_russian(text)) is not None:
            reading = self._understand(read)
            found = extract(text)
            return dataclasses.replace(
                reading, order_ref=found.order_ref, amount=found.amount, currency=found.currency
            )
        return self._understand(text)

    def _understand(self, text: str) -> Prediction:
        if language_asked(text) is not None and (rest := without_language_ask(text)):
            # "sorry, can we continue in English? the box was wet and the book inside is
            # ruined": the language is the engine's to switch; the rest is what is said (the
            # language's sentence was a question for the knowledge base, declined)
            text = rest
        if (asked := after_calm_opening(text)) is not None:
            # "I'm not angry, just asking: where is my order 3710001? it's a week late" (a
            # missing item to the model, upset), "я не злюсь, просто спрашиваю: где мой заказ?
            # опаздывает на неделю" (upset): what is asked after it is read, calm unless the
            # words show otherwise
            read = self._understand(asked)
            return read if heated(text) else dataclasses.replace(read, emotion="calm")
        read = _warranty_question(self._read(text), text)
        return _follow_up_not_goodbye(
            _thanks_not_anger(_question_not_complaint(read, text), text), text
        )

    def _read(self, text: str) -> Prediction:
        whole = self.classifier.predict_one(text)
        if sorry_for_own_words(text):
            # "sorry for my rude message earlier" (a complaint about staff to the model),
            # "przepraszam za wcześniejszą wiadomość": courtesy, no new request; the engine
            # accepts it and the conversation goes on
            return dataclasses.replace(
                whole,
                intent="thanks",
                complaint_type=None,
                emotion="calm",
                threat="none",
                intent_confidence=max(whole.intent_confidence, MIN_CONFIDENCE),
            )
        if (
            whole.intent in (None, "out_of_scope", "deny")
            and whole.threat in (None, "none")
            and shop_contact_asked(text)
        ):
            # "what's your phone number?" (off-topic to the model: "Take your time" while the
            # bot waited for the customer's contact): the shop's contacts asked for, the
            # knowledge base's question
            return dataclasses.replace(
                whole,
                intent="faq",
                complaint_type=None,
                intent_confidence=max(whole.intent_confidence, MIN_CONFIDENCE),
            )
        if whole.intent not in ("complaint", "order_status", "request_human") and tired_of_waiting(
            text
        ):
            # "Надоело ждать!", "I'm tired of waiting", "Mam dość czekania" (goodbyes to the
            # model: "Bye! Write any time"), "Не хочу больше ждать" (a "no": "I didn't quite
            # understand"), "Сколько можно ждать?" (the delivery times): a wait that has worn
            # the customer out, the late order's case (thanks, an apology, the order number)
            whole = _as_complaint(
                whole,
                "delivery_delay",
                NAMED_FAILURE_CONFIDENCE,
                emotion="upset" if whole.emotion in (None, "calm") else whole.emotion,
            )
        else:
            whole = _waited_is_late(whole, text)
        if _ACK_ONLY.match(text) and (
            whole.intent not in ("affirm", "thanks", "praise")
            or whole.intent_confidence < MIN_CONFIDENCE
        ):
            # "great", "cool", "отлично", "świetnie" alone after an answer (an unsure "ok": "I'm
            # not sure I understood", or a greeting sent the answer again as a follow-up): an
            # acknowledgement
            return dataclasses.replace(
                whole,
                intent="affirm",
                complaint_type=None,
                threat="none",
                intent_confidence=max(whole.intent_confidence, NAMED_FAILURE_CONFIDENCE),
            )
        if (
            whole.intent != "order_status"
            and whole.threat in (None, "none")
            and _UK_ORDER_ASKED.search(text)
            and not _UK_TROUBLE.search(text)
        ):
            # "де моє замовлення 5512345" (a complaint about service to the model, "what
            # happened?"), "де моє замовлення?" (off-topic): where the order is, as "где мой
            # заказ?" is read
            return dataclasses.replace(
                whole,
                intent="order_status",
                complaint_type=None,
                intent_confidence=max(whole.intent_confidence, MIN_CONFIDENCE),
            )
        if (
            whole.intent not in ("order_status", "request_human")
            and whole.threat in (None, "none")
            and tracking_failed(text)
            and not _types_named(without_tracking_failure(text))
        ):
            # "не работает отслеживание посылки, заказ 3410012" (a late parcel to the model, a
            # photo asked for), "the tracking link doesn't work for order 3410011" (the site's
            # problem, a phone asked for): where the parcel is, is what the customer wants to
            # know; the order's status, and the tracking that fails them said (OrderStatusFlow)
            return dataclasses.replace(
                whole,
                intent="order_status",
                complaint_type=None,
                intent_confidence=max(whole.intent_confidence, NAMED_FAILURE_CONFIDENCE),
            )
        if others_data_sent(text):
            # "в посылке был чек на чужое имя", "w paczce był paragon innej osoby" (a missing
            # paper to the model: a copy offered), "the receipt was for a different person" (a
            # refund filed): someone else's data in the parcel, a matter of privacy (labels.md:
            # `other`) for a person, with the playbook's thanks and apology
            return _as_complaint(whole, "other", NAMED_FAILURE_CONFIDENCE)
        if (
            whole.intent in ("faq", "out_of_scope")
            and "?" not in text
            and whole.threat in (None, "none")
            and _SITE_OR_APP.search(text)
            and problem_told(SITE_FAILURE, text)
            and not item_trouble_named(text)
        ):
            # "aplikacja się wiesza przy płatności", "aplikacja ciągle się zawiesza" (the FAQ's
            # topics, then its answer on where to download the app): the app failing, the
            # site's case (thanks, an apology, what it needs), sure: no FAQ answer fixes it
            whole = _as_complaint(whole, "website_app", SITE_FAILING_CONFIDENCE)
        if whole.threat in (None, "none") and paperwork_missing(text):
            # "Товар пришёл, но чек не положили", "The receipt wasn't in the parcel" (a missing
            # item to the model: the order number asked, then the item sent again or refunded),
            # "I didn't get an invoice with my order 5531207" (a refund filed), "Nie dostałem
            # paragonu do zamówienia" (a "no"): a receipt is no thing in the parcel; the shop's
            # answer on receipts says where to get it (the knowledge base is asked about the
            # receipt named: "not in the parcel" drew its missing-item answer)
            whole = _as_question(whole)
            return MultiPrediction(**whole.__dict__, query=paperwork_named(text))
        elsewhere = cheaper_elsewhere(text)
        if (
            (whole.threat in (None, "none") or (elsewhere and whole.threat == "churn"))
            and (elsewhere or price_dropped(text))
            and not item_trouble_named(text)
        ):
            # "Купил вчера, а сегодня цена упала на 500 ₽" (a billing complaint to the model)
            # got "Я сразу одобрил возврат 500 ₽ ... Деньги придут на карту", where the shop
            # gives the difference back in points: the shop's answer on price changes says
            # what it gives and how (the order number left out of the search); so does
            # "Нашла дешевле в другом магазине" (a churn threat to the model: "Жаль, что что-то
            # пошло не так. Что случилось?", or a refund filed with an order number)
            whole = _as_question(whole)
            query = without_order_ref(text, whole.order_ref)
            return MultiPrediction(**whole.__dict__, query=query) if query else whole
        order = bool(_ORDER_NAMED.search(text))
        if (
            (whole.intent == "request_human" or (whole.intent == "order_status" and order))
            and help_with(text)
            and not wants_person(text)
        ):
            # "Potrzebuję pomocy z zamówieniem", "Proszę o pomoc ze zwrotem" (a person to the
            # model), "Мне нужна помощь с заказом" (an unsure status question): help with a
            # topic, as "I need help with my order" and "Нужна помощь с возвратом" are read:
            # the order's question, or the topic's answer; a person stays one tap away
            whole = dataclasses.replace(
                whole,
                intent="order_status" if order else "faq",
                intent_confidence=max(
                    whole.intent_confidence, ORDER_UNSURE if order else MIN_CONFIDENCE
                ),
            )
        if _nothing_wrong(whole, text) or (
            whole.intent not in ("request_human", "faq") and _staff_praise_only(text)
        ):
            # "Спасибо, всё пришло целое, ничего не сломано" reads as a complaint to the model
            # (its clauses too), "no damage, thanks" as a "no", "came on time and undamaged,
            # thanks a lot" and "no delay at all, thanks" as a late parcel, "Возврат пришёл,
            # спасибо, претензий нет" as a billing one, "The courier wasn't rude at all, very
            # polite, thank you" as one about staff, "Приложение больше не вылетает, оплата
            # прошла, спасибо" as one about the app: nothing is wrong, it is thanks
            return dataclasses.replace(
                whole,
                intent="praise",
                complaint_type=None,
                intent_confidence=max(whole.intent_confidence, MIN_CONFIDENCE),
            )
        if (
            whole.intent in ("complaint", "praise", "thanks")
            or (whole.intent in ("faq", "deny", "out_of_scope") and box_compensation_asked(text))
        ) and box_only(text):
            # "The box was a bit dented but the TV is fine, thanks" (a damaged item to the
            # model): nothing to repair; a word on the packing (labels.md: `other`), thanked
            # for and noted (the complaint flow's packaging note), and a compensation asked
            # for with it ("Коробка помята, товар вроде цел, но хочу скидку", a question to
            # the model) is answered there
            return _as_complaint(whole, "other", MIN_CONFIDENCE)
        if (
            whole.intent in ("praise", "thanks", "complaint")
            and whole.threat in (None, "none")
            and (rest := praise_then(text)) is not None
            and not _SORTED_OUT.search(rest)
            and (named := _sarcasm_about(rest)) is not None
        ):
            # "Great service as always, but the mug came chipped" (sarcasm: an angry customer,
            # a coupon), "Отличный сервис как всегда, но кружка пришла со сколом" (praise, the
            # chip lost): the shop praised, and a problem after the "but", sincerely; its case,
            # with no anger the words do not show
            whole = _as_complaint(
                whole,
                named,
                NAMED_FAILURE_CONFIDENCE,
                emotion="upset"
                if whole.emotion == "angry" and not hostile(text)
                else whole.emotion,
            )
        elif (
            (
                (whole.intent in ("praise", "thanks") and sarcastic(text))
                or (whole.intent in ("praise", "thanks", "complaint") and repeat_praised(text))
            )
            # "Thank you so much, you replaced my broken mug in two days, great service!"
            and not _SORTED_OUT.search(text)
            and (named := _sarcasm_about(text)) is not None
        ):
            # "Ну спасибо, очень быстро, всего три недели ждала" (unsure thanks), "Спасибо,
            # очень удобно, курьер так и не приехал" (praise): thanks said in sarcasm about a
            # failure, an angry customer's complaint; so is "отлично, просто супер, третий раз
            # ломается" (an unsure complaint, it was asked "what happened?")
            whole = _as_complaint(whole, named, NAMED_FAILURE_CONFIDENCE, emotion="angry")
        if whole.intent == "praise" and _RUDE.search(text):
            whole = _as_complaint(whole, "staff_behavior")
        elif (
            whole.intent == "praise"
            and _BROKEN.search(text)
            and not _FIXED.search(text)
            and not damage_denied(text)
        ):
            whole = _as_complaint(whole, "damaged_defective")
        elif (
            (
                whole.intent in ("praise", "greeting", "goodbye")
                and not _FIXED.search(text)
                and not _NOTHING.search(text)
            )
            or (whole.intent == "request_human" and wants_person(text))
        ) and (named := failure_named(text, unsure_status=True) or _late_beside_praise(text)):
            # "Dzień dobry, brakowało ładowarki" (a greeting to the model), "w paczce zabrakło
            # ładowarki", "Great job guys, my parcel is lost again" (praise): a problem named
            # in plain words; "Czajnik przyszedł rozbity, chcę rozmawiać z człowiekiem" (a
            # request for a person): the playbook's thanks and apology, the problem on the
            # operators' card, then the person
            whole = _as_complaint(whole, named, NAMED_FAILURE_CONFIDENCE)
        if (
            whole.intent == "order_status"
            and whole.order_ref is None
            and (_STOCK_ASKED.search(text) or _TRANSIT_ASKED.search(text))
            and not _about_placed_order(text)
        ):
            # "Когда будет в наличии iPhone 16?", "Kiedy będzie dostępny iPhone 16?" (a status
            # question to the model) were asked for an order number: when a product comes
            # into stock is a question for the knowledge base, no order of theirs; so is how
            # long a parcel takes ("сколько идёт посылка?")
            whole = dataclasses.replace(whole, intent="faq")
        # "курьер опоздал, заказ 4471033" read as a status question at 0.54
        # ... and "my parcel is lost again. Order 5512445", however sure: no question asked
        unsure_order = whole.intent == "order_status" and (
            whole.intent_confidence < ORDER_UNSURE or not asks_question(text)
        )
        unsure_complaint = (
            whole.intent == "complaint" and whole.intent_confidence < NAMED_FAILURE_CONFIDENCE
        )
        if (
            (
                whole.intent in ("deny", "faq", "out_of_scope")
                or whole.intent_confidence < MIN_CONFIDENCE
                or unsure_order
                or unsure_complaint  # "this isn't what I ordered" at 0.5: no need to ask
            )
            and (whole.intent != "complaint" or unsure_complaint)
            and not asks_question(text)
            and (named := failure_named(text, unsure_status=unsure_order)) is not None
        ):
            # "nie dostałam paczki" is no "no", and "dostałam zły rozmiar" asks nothing (an
            # unsure complaint keeps the type the model gave it, if any)
            kept = unsure_complaint and whole.complaint_type not in (None, "other")
            if kept and whole.complaint_type == "delivery_delay" and not late_or_lost(text):
                # "Dostałam złą książkę, zamówienie 3690208" (a late parcel at 0.63): what came
                # is named, nothing said of a wait
                kept = named not in ("wrong_item", "missing_item", "damaged_defective")
            whole = _as_complaint(
                whole, whole.complaint_type if kept else named, NAMED_FAILURE_CONFIDENCE
            )
        elif (
            whole.intent in ("faq", "deny", "out_of_scope")
            and whole.threat in (None, "none")
            and fix_asked(text)
            and damage_told(text)
        ):
            # "Куртка пришла с дыркой, как её вернуть?" (a question the knowledge base was
            # unsure of: topic buttons), "The jacket came with a hole, how do I return it?"
            # (the return procedure, as for a thing that does not fit), "Paczka przyszła
            # zgnieciona, co robić?" (the FAQ on damaged parcels): a thing that came faulty,
            # whose return or what to do is asked about, is a defect; the playbook's thanks
            # and apology, then its fixes, the money back among them
            whole = _as_complaint(whole, "damaged_defective", NAMED_FAILURE_CONFIDENCE)
        if (
            (
                whole.intent == "complaint"
                and (
                    whole.complaint_type in (None, "other")
                    # "the vase arrived in pieces" at 0.53: asked what happened
                    or (
                        whole.complaint_type == "damaged_defective"
                        and whole.intent_confidence < NAMED_FAILURE_CONFIDENCE
                    )
                )
            )
            or (
                whole.intent in ("deny", "faq", "out_of_scope")
                or whole.intent_confidence < MIN_CONFIDENCE
                or unsure_order  # "The parcel came soaked" at 0.50
            )
            and not asks_question(text)
        ) and damage_told(text):
            # "Not a big deal but the mug has a small chip" (a complaint of no type, for a
            # person), "на кружке скол" (off-topic), "kubek jest wyszczerbiony" (the FAQ's
            # damaged-parcel answer): a broken thing told in plain words is damage
            whole = _as_complaint(whole, "damaged_defective", NAMED_FAILURE_CONFIDENCE)
        if (
            whole.intent == "complaint"
            and whole.complaint_type == "damaged_defective"
            and box_damage_only(text)
            and (named := failure_named(beside_packaging(text), unsure_status=True))
            in ("wrong_item", "missing_item")
        ):
            # "Коробка помята, а пульта нет": the box is dented, and the remote is the case
            whole = dataclasses.replace(whole, complaint_type=named)
        whole = _not_as_sold(
            _paper_or_power(
                _other_size(
                    _came_in_part(
                        _came_damaged(_not_come_is_late(_someone_elses(whole, text), text), text),
                        text,
                    ),
                    text,
                ),
                text,
            ),
            text,
        )
        if (
            whole.intent == "complaint"
            and whole.complaint_type == "billing"
            and _REFUND_DECLINED.search(text)
            and RESEND_ASKED.search(text)
        ):
            # "Не надо возврат, просто дошлите крышку" (a billing one to the model): no money
            # wanted, the missing part sent
            whole = dataclasses.replace(whole, complaint_type="missing_item")
        whole = _sent_back_is_billing(whole, text)
        whole = _faulty_refund_is_defect(whole, text)
        if (
            whole.intent == "complaint"
            and whole.complaint_type
            in ("wrong_item", "service_quality", "other", "damaged_defective")
            and _types_named(text) == {"missing_item"}
            and not (whole.complaint_type == "damaged_defective" and fault_named(text))
        ):
            # "Czajnik przyszedł bez instrukcji", "...bez pokrywki" (a wrong item to the model),
            # "...bez karty gwarancyjnej" (one for the quality team), "чайник пришёл без крышки"
            # (a broken one, a photo asked for): a paper or a part it came without, and nothing
            # wrong or broken named, is a missing item (a paper alone: a copy of it)
            whole = dataclasses.replace(whole, complaint_type="missing_item")
        elif (
            whole.intent == "complaint"
            and whole.complaint_type == "wrong_item"
            and whole.intent_confidence < NAMED_FAILURE_CONFIDENCE
            and _types_named(text) == {"damaged_defective"}
            and not box_damage_only(text)
        ):
            # "Пришёл бракованный товар, хочу обменять" (a wrong item to the model, unsure: the
            # exchange wished): a faulty thing, and nothing wrong named, is a defect
            whole = dataclasses.replace(whole, complaint_type="damaged_defective")
        if whole.intent == "complaint" and _type_denied(whole.complaint_type, text):
            # "It's late, but nothing is broken", "Spóźnia się, ale nic nie jest uszkodzone"
            # read as a broken item, "Заказ пришёл без задержек, но без чека" as a late one:
            # the problem is the one told besides ("Телефон не разбит, но не заряжается" is
            # still a defect)
            named = failure_named(text, unsure_status=True)
            if named is None and problem_told(_LATE_OR_LOST, text):
                named = "delivery_delay"
            if named is None and damage_told(text):
                # "Kurier był miły, ale kubek jest wyszczerbiony": a chip, in any words
                named = "damaged_defective"
            if named is None and whole.complaint_type == "delivery_delay":
                # "Заказ пришёл без задержек, но я недоволен" names none: no late parcel, a
                # problem of no known type (the courier who never showed up is still the
                # complaint flow's late parcel)
                named = "other"
            if named is not None:
                whole = dataclasses.replace(whole, complaint_type=named)
        if whole.intent == "complaint" and discontent_only(text):
            # "Ничего не сломано, но я недоволен" (a broken item to the model), "Nothing is
            # damaged, but I'm disappointed", "Ничего не разбито, но я недоволен заказом" (a
            # missing one): unhappy, and no problem named but one denied; what went wrong is
            # asked (the complaint flow), no damage's details
            whole = dataclasses.replace(whole, complaint_type="other")
        if (
            whole.intent in ("request_human", "faq")
            and staff_named(text)
            and problem_told(RUDE_WORDS, text)
            and not asks_for_person(text)
            and not asks_question(text)
        ):
            # "оператор мне нагрубил в чате" (a request for a person to the model, the FAQ's
            # answer on reaching one): one of the shop's people was rude, the staff case
            whole = _as_complaint(whole, "staff_behavior", NAMED_FAILURE_CONFIDENCE)
        if (
            whole.intent != "complaint" or whole.intent_confidence < MIN_CONFIDENCE
        ) and announces_problem(text):
            # "Hi, I have a problem with my order" is no praise or goodbye: the complaint flow
            # asks what happened
            # "I have a problem with your website" is no praise: a site problem
            # ... and "I want to complain about the courier" is about the courier
            whole = _as_complaint(whole, announced_type(text) or "other", MIN_CONFIDENCE)
        parts = split_requests(text)
        if _sound_return(whole, text):
            # "Rozmiar nie pasuje, chcę zwrócić" is no "no", and "хочу вернуть товар
            # надлежащего качества, не подошёл по размеру. Заказ 6612399" no defect: a sound
            # thing that does not fit or please, to send back or swap, which the shop's return
            # and size-exchange answers are for (its parts, "Платье не понравилось,", are
            # not read as complaints; a general question asked as well is still answered)
            whole = _as_return_question(whole, text)
            preds = self.classifier.predict(parts) if len(parts) > 1 else []
            also = questions(list(zip(parts, preds, strict=True))) if preds else ()
            also = tuple(q for q in also if not _RETURN_WISH.search(q))
            query = without_order_ref(text, whole.order_ref)
            if (asked_return := _return_asked(query or text)) is not None:
                query = asked_return
            if also or query:
                return MultiPrediction(**whole.__dict__, also=also, query=query)
            return whole
        asked = _refund_asked(whole, text)
        refund_asked = asked is not whole
        whole = asked
        if whole.intent == "order_status" and (refund_asked or deadline_question(text)):
            # "к субботе успеете? у дочки день рождения", "вернули деньги?": one question, not
            # a complaint; a general question asked as well is still answered
            preds = self.classifier.predict(parts) if len(parts) > 1 else []
            also = questions(list(zip(parts, preds, strict=True))) if preds else ()
            return MultiPrediction(**whole.__dict__, also=also) if also else whole
        preds = (
            [
                # "Куртка не подошла по размеру, хочу вернуть. И сколько стоит доставка?":
                # the return is a question too
                _as_return_question(
                    _came_damaged(_not_come_is_late(_waited_is_late(p, t), t), t), t
                )
                for t, p in zip(parts, self.classifier.predict(parts), strict=True)
            ]
            if len(parts) > 1
            else [whole] * len(parts)
        )
        # a complaint may name several problems in one sentence: its clauses are read too
        clauses = [
            c
            for part, pred in zip(parts, preds, strict=True)
            if pred.intent == "complaint" or whole.intent == "complaint"
            for c in split_clauses(part)
        ]
        clause_preds = [
            (c, _not_come_is_late(p, c))
            for c, p in zip(clauses, self.classifier.predict(clauses), strict=True)
        ]
        if len(parts) < 2 and not clause_preds:
            return _late_refund_wished(whole, text)
        # "Здравствуйте! Деньги за заказ 4471206 вернули? И сколько стоит доставка?": its
        # parts read as a complaint
        read = _late_refund_wished(
            _refund_asked(
                _faulty_refund_is_defect(
                    _sent_back_is_billing(
                        combine(whole, list(zip(parts, preds, strict=True)), clause_preds),
                        text,
                    ),
                    text,
                ),
                text,
            ),
            text,
        )
        if (
            whole.intent == "faq"
            and whole.intent_confidence >= MIN_CONFIDENCE
            and read.intent == "complaint"
            and read.threat in (None, "none")
            and asks_question(text)
            and not problem_in(text)
        ):
            # "My sister gave me a gift card for Christmas. How do I use it when I order?",
            # "я живу во Владивостоке, хочу заказать пуховик, но боюсь что будет идти месяц.
            # Сколько реально по времени?": a question told with its story (a part of which
            # the model reads as a complaint, the message as a question) tells nothing wrong
            return dataclasses.replace(
                read,
                intent="faq",
                complaint_type=None,
                **({"complaint_types": ()} if isinstance(read, MultiPrediction) else {}),
            )
        return read

    async def handle(
        self,
        session: AsyncSession,
        incoming: Incoming,
        *,
        prediction: Prediction | None = None,
        now: datetime | None = None,
        replay: Message | None = None,
    ) -> Outcome:
        """One customer turn (``now``: when it happened, the engine's clock by default;
        ``replay``: the stored message this turn is about, already in the transcript)."""
        now = now or self.clock()
        customer = await self.customer_for(session, incoming)
        conversation = await self.conversation_for(session, customer, now)
        outcome = Outcome(
            conversation_id=conversation.id,
            customer_id=customer.id,
            media_group_id=incoming.media_group_id,
        )

        if incoming.edited:
            edited, corrected, described = await self._apply_edit(
                session, conversation, incoming, outcome, now
            )
            if edited is None:
                await self._say_corrected(
                    session, conversation, customer, outcome, now, corrected, described
                )
                return outcome
            # "Where is my order?" edited into "Where is my order 5531207?" after the bot
            # asked for the number: read again, as if sent now (it is in the transcript)
            turn = await self.handle(
                session,
                dataclasses.replace(incoming, edited=False, text=edited.text),
                now=now,
                replay=edited,
            )
            turn.events[:0] = outcome.events
            turn.details_changed = turn.details_changed or outcome.details_changed
            return turn

        if replay is not None:
            message = replay
        else:
            message = Message(
                conversation_id=conversation.id,
                direction="in",
                text=(incoming.text or "")[:MAX_TEXT_CHARS] or None,
                attachments=[a.to_dict() for a in incoming.attachments]
                + (
                    [{"kind": "forwarded", "name": incoming.forwarded_from}]
                    if incoming.forwarded_from
                    else []
                ),
                tg_chat_id=incoming.chat_id,
                tg_message_id=incoming.message_id,
                delivered_at=now,
                created_at=now,  # the turn's time, as the replies and the records have
            )
            if incoming.callback_data:
                message.text = None
                message.attachments = [{"kind": "button", "name": incoming.callback_data}]
            session.add(message)
            await session.flush()
        outcome.incoming_message_id = message.id

        state = copy.deepcopy(conversation.state or {})
        state["turns"] = int(state.get("turns", 0)) + 1
        quiet = state["turns"] == 1 or (
            conversation.updated_at is not None
            and now - as_utc(conversation.updated_at) >= QUIET_BEFORE
        )

        if prediction is None:
            prediction = await self.classify(incoming)
        lone = lone_order_ref(state, incoming) if prediction is not None else None
        stage = (state.get("complaint") or {}).get("stage")
        satisfaction = stage == "satisfaction" and not incoming.callback_data  # "is that OK?"
        if prediction is not None and (ref := lone) is not None:
            # "5512377" alone, nothing asked: an order named, not a complaint (the model
            # reads a lone number as one, and finds no order number in it)
            prediction = dataclasses.replace(
                prediction,
                intent="order_status",
                complaint_type=None,
                emotion="calm",
                threat="none",
                order_ref=ref,
                intent_confidence=max(prediction.intent_confidence, MIN_CONFIDENCE),
            )
        elif (
            prediction is not None
            and _BARE_WHERE.match(incoming.text or "")
            and (not question_stands(state) or satisfaction)
        ):
            # "Ну и где?", "Gdzie to jest?" to start a talk, or after a "thank you" with
            # nothing asked ("Хорошо. Что-нибудь ещё?" when the model read a "yes"): the
            # order, asked after as "Where is it?" is; right after an FAQ answer, a question
            # about it ("Самовывоз есть." - "А где?"). At "Такое решение вам подходит?" (a
            # "yes" closed the case as solved, a rating asked for; "so where is it?" a status
            # question): the thing is still not here, a "no"
            intent = "order_status"
            if satisfaction:
                intent = "deny"
            elif not quiet and answered_lately(state, now):
                intent = "faq"
            prediction = dataclasses.replace(
                prediction,
                intent=intent,
                complaint_type=None,
                intent_confidence=max(prediction.intent_confidence, MIN_CONFIDENCE),
            )
        if (
            prediction is not None
            and prediction.intent == "complaint"
            and prediction.emotion in (None, "calm")
            and not quiet
            and not question_stands(state)
            and answered_lately(state, now)
            and _THING_ONLY.match(incoming.text or "")
            and not problem_told_too(incoming.text or "")
        ):
            # "it's headphones" after "can I return an opened item?" (a broken item to the
            # model: the photo and the order number asked): the thing the question was about,
            # for the knowledge base to answer with it
            prediction = dataclasses.replace(
                prediction,
                intent="faq",
                complaint_type=None,
                emotion="calm",
                intent_confidence=max(prediction.intent_confidence, MIN_CONFIDENCE),
            )
        if (
            prediction is not None
            and conversation.status != "operator"
            and invoice_details(state, now, incoming.text or "")
        ):
            # "ООО Ромашка, ИНН 7701234567, заказ 3470101" after the FAQ's invoice answer (a
            # wrong item or a late parcel to the model: a complaint with an apology): the
            # details the invoice is made out with, for a colleague to issue it
            prediction = dataclasses.replace(
                prediction,
                intent="request_human",
                complaint_type=None,
                emotion="calm",
                threat="none",
                intent_confidence=max(prediction.intent_confidence, MIN_CONFIDENCE),
            )
        if replay is None:  # a replayed message was classified when it came
            self._record(session, message, prediction)
        lang = self._language(state, customer, prediction, incoming)
        state["lang"] = lang
        conversation.language = lang
        customer.language = lang
        texts = Texts(lang, state.setdefault("variants", {}), seed=self.seed)
        ctx = TurnContext(
            session=session,
            settings=self.settings,
            customer=customer,
            conversation=conversation,
            state=state,
            incoming=incoming,
            prediction=prediction,
            texts=texts,
            outcome=outcome,
            now=now,
            message=message,
            faq=self._faq_flow(),
            lone_order=lone,
            quiet_before=quiet,
        )
        if prediction is not None:
            ctx.event(
                "classified",
                intent=prediction.intent,
                complaint_type=prediction.complaint_type,
                emotion=prediction.emotion,
                threat=prediction.threat,
                confidence=round(float(prediction.intent_confidence), 4),
                lang=prediction.lang,
                order_ref=prediction.order_ref,
                amount=prediction.amount,
                **(
                    {"also": list(prediction.also)}
                    if isinstance(prediction, MultiPrediction)
                    else {}
                ),
            )

        ctx.new_slots = remember(ctx)
        if conversation.status != "operator" and callback_asked(incoming.text or ""):
            # "Перезвоните мне по поводу заказа": kept until a person is called (the order
            # number asked for first), then said and put on the card
            state["callback_wanted"] = now.isoformat()
        outcome.details_changed = bool(ctx.new_slots)  # an open ticket's card shows them
        if prediction is not None:
            state["last_classification"] = latest = {
                "intent": prediction.intent,
                "complaint_type": prediction.complaint_type,
                "emotion": prediction.emotion,
                "threat": prediction.threat,
                "confidence": round(float(prediction.intent_confidence), 4),
            }
            state["case_classification"] = _case_classification(
                state.get("case_classification"),
                latest,
                with_person=conversation.status == "operator",
            )

        if conversation.status == "operator":
            outcome.relay_to_operator = True
            await self._while_with_operator(ctx)
            for slot, was in ctx.corrected.items():
                # not said back (the person answers), but the card says what it replaced
                ctx.event("detail_corrected", slot=slot, was=was)
        elif self._tapped_again(ctx):
            pass  # the first tap of this button is answered; a second needs no answer
        elif self._rest_of_album(ctx):
            pass  # its photos are kept with the rest (and on the card); one answer is enough
        elif (
            not ctx.incoming.callback_data  # a button answers the bot: never part of a burst
            and self._flooding(ctx)
            and not self._urgent(ctx)
        ):
            self._hold(ctx)  # stored and classified; acted on once the customer slows down
        else:
            if not self._urgent(ctx):
                await self._release_held(ctx)
            questions = await self._dispatch(ctx)
            if self._guard(ctx, drop=True) and ctx.handoff is None:
                # a reply the bot must not send (an FAQ answer with "не можем помочь"): the
                # customer was promised a colleague, so one is called, with the question
                self._blocked_handoff(ctx)
            if ctx.handoff is not None:
                await self._escalate(ctx)
                ctx.state.pop("held", None)  # a person reads the whole transcript
            if questions:
                await self._answer_also(ctx, questions)
                if self._guard(ctx, drop=True) and ctx.handoff is None:
                    self._blocked_handoff(ctx)  # an extra question's answer
                    await self._escalate(ctx)
            self._acknowledge_correction(ctx)

        self._guard(ctx)
        trail = state.setdefault("trail", [])
        turn = state["turns"] - 1
        trail.extend({"turn": turn, **ev} for ev in outcome.events if ev["type"] in TRAIL_EVENTS)
        _record_compensations(session, conversation.id, outcome.events, now)
        conversation.state = state
        # a hand-off wrote this same dict mid-turn (its card is made from it), and SQLAlchemy
        # sees no change in an object it has written: what the turn did since would be lost
        flag_modified(conversation, "state")
        conversation.updated_at = now
        await self._store_replies(session, conversation, customer, ctx.replies, now)
        for event in outcome.events:
            if event["type"] == "escalated":
                # made now, not when the hand-off was decided: its transcript ends with what
                # the bot told the customer when it handed over (the Telegram card is
                # refreshed after the turn the same way)
                ticket = await session.get(Ticket, event["ticket_id"])
                if ticket is not None:
                    event["card"] = (await render_card(session, self.settings, ticket)).full
        outcome.replies = ctx.replies
        return outcome

    @staticmethod
    def _tapped_again(ctx: TurnContext) -> bool:
        """The same button tapped again within seconds (a double tap, a slow connection where
        the first seemed to do nothing): not told it is 'no longer active' right under what
        the first tap did."""
        data = ctx.incoming.callback_data
        if not data:
            return False
        last = ctx.state.get("last_press") or {}
        at = ctx.now.timestamp()
        ctx.state["last_press"] = {"data": data, "at": at}
        return last.get("data") == data and at - float(last.get("at", 0)) < TAP_AGAIN_SECONDS

    @staticmethod
    def _rest_of_album(ctx: TurnContext) -> bool:
        """The second and later photos of an album (one media group): Telegram delivers
        each as a message, but the customer did one thing, answered once, at its first."""
        group = ctx.incoming.media_group_id
        if not group:
            return False
        rest = ctx.state.get("media_group") == group and not (ctx.incoming.text or "").strip()
        ctx.state["media_group"] = group
        return rest

    # ------------------------------------------------------------------ dispatch
    def _faq_flow(self) -> Any:
        return next((f for f in self.flows if getattr(f, "name", None) == "faq"), None)

    async def _dispatch(self, ctx: TurnContext) -> tuple[str, ...]:
        """Handle the main request; return the other questions still to answer."""
        if not ctx.incoming.callback_data and staff_command(ctx.incoming.text or ""):
            # "/report 7" from someone who is not an admin: a word that it is the team's
            ctx.say("staff_command")
            ctx.event("staff_command", command=staff_command(ctx.incoming.text or ""))
            return ()
        if await self._back_to_resolved_ticket(ctx):
            return ()  # its colleague answers all of it
        pred = ctx.prediction
        also = pred.also if isinstance(pred, MultiPrediction) else ()
        faq = self._faq_flow()
        if not also or faq is None or ctx.incoming.callback_data:
            await self._dispatch_main(ctx)
            return ()
        if ctx.intent == "faq" and len(also) >= 2 and not _money_back_in_case(ctx):
            # Several questions: answer each one the knowledge base is sure about.
            answered = await faq.answer_parts(ctx, also, whole=ctx.incoming.text or "")
            if any(answered):
                ctx.state["misunderstood"] = 0
                unknown = [q for q, ok in zip(also, answered, strict=True) if not ok]
                if unknown:  # said, not dropped
                    await faq.not_known_also(ctx, unknown)
                return ()
        await self._dispatch_main(ctx)
        # a question searched in its own words (a sound return's "как вернуть?") leaves the
        # other one asked ("И сколько стоит доставка?") to be answered after it
        return also if ctx.intent != "faq" or pred.query else ()

    @staticmethod
    async def _back_to_resolved_ticket(ctx: TurnContext) -> bool:
        """ "А на какую карту придёт возврат?" after an operator arranged the refund and
        resolved the ticket: a question about what they arranged, not a new complaint (it
        booked a second refund "within 10 working days" against the operator's "3-5", and
        asked "is that OK?"). The ticket is reopened for whoever handled it, and the customer
        told that they answer here. Not an answer to the survey (its comment, a "no")."""
        from bot.dialogs.complaint import _other_order, remedy_named  # it imports this module

        resolved = ctx.state.get("after_ticket")
        text = ctx.incoming.text or ""
        survey = ctx.state.get("survey") or {}
        if (
            resolved is None
            or ctx.incoming.callback_data
            or ctx.state.get("complaint") is not None  # the bot's own case since
            or (survey and (survey.get("step") == "why" or "?" not in text))
            or not remedy_named(text)
            or _other_order(ctx, text)
            or (ctx.prediction is not None and ctx.prediction.threat == "legal")
            # a Telegram reply to that ticket's message: reopened as asked in a reply
            or await ConversationEngine._ticket_replied_in(ctx) is not None
        ):
            return False
        ticket = await ctx.session.get(Ticket, int(resolved))
        if (
            ticket is None
            or ticket.status != "resolved"
            or ticket.assignee_id is None
            or ticket.resolved_at is None
            or ctx.now - as_utc(ticket.resolved_at) > RESOLVED_ASKED_ABOUT
        ):
            return False
        ctx.state.pop("survey", None)
        ctx.say("resolved_case_question")
        ctx.request_handoff("customer_request", reopen=ticket.id)
        return True

    async def _answer_also(self, ctx: TurnContext, questions: tuple[str, ...]) -> None:
        """The other questions asked with the main request, answered after it."""
        faq = self._faq_flow()
        handed = [e.get("reason") for e in ctx.outcome.events if e["type"] == "escalated"]
        exclude: frozenset[str] = frozenset()
        if "order_change" in handed and (main := await faq.entry_for(ctx, ctx.incoming.text or "")):
            # "Хочу изменить адрес доставки в заказе 1234567. Как поменять адрес?": the colleague
            # just called makes the change; the FAQ's "change it yourself in My orders" under
            # "I'm connecting you" said the opposite
            exclude = frozenset({main})
        passed: list[str] = []
        if "order_change" in handed:
            from bot.dialogs.complaint import wants_refund  # complaint imports this module

            # "Хочу отменить заказ 1234567. И как вернуть деньги?": the money of the order
            # the colleague is changing is theirs to settle too (the FAQ's returns procedure
            # is for an order received)
            passed = [q for q in questions if wants_refund(q)]
        unknown = passed + [
            q
            for q in questions
            if q not in passed and not await faq.answer_also(ctx, q, exclude=exclude)
        ]
        if unknown and handed:
            # a colleague is coming this turn: they answer these too (not "press the button
            # below for a colleague")
            await faq.passed_also(ctx, unknown)
        elif unknown:
            # "...doesn't turn on. Also, do you have a store in Warsaw?": said honestly and
            # kept for the admins, not dropped without a word
            await faq.not_known_also(ctx, unknown)

    async def _dispatch_main(self, ctx: TurnContext) -> None:
        asked = ctx.state.pop("anything_else", None)
        text = ctx.incoming.text or ""
        if asked == ctx.state.get("turns", 0) - 1 and _NOTHING_ELSE.match(text):
            # "no" to "Is there anything else?": nothing else (not "that answer didn't help")
            ctx.state["misunderstood"] = 0
            ctx.say("nothing_else")
            return
        if sorry_for_own_words(text):
            # "извините, что нагрубил": accepted warmly; a question the bot asked still stands
            ctx.state["misunderstood"] = 0
            if question_stands(ctx.state):
                ctx.say("apology_accepted_go_on")
            else:
                ctx.say("apology_accepted")
                ctx.state["anything_else"] = ctx.state.get("turns", 0)
            return
        hello = bool(_HELLO_CAPTION.match(text)) and _wordless_key(ctx) == "media_only"
        if (
            ctx.incoming.attachments
            and (_POINTING_ONLY.match(text) or hello)
            and (ctx.state.get("complaint") or {}).get("stage") in (None, "done")
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
        ):
            # "zobaczcie to", "look at this", "вот, смотрите" under a photo that opens the chat
            # (a goodbye to the model: "Do widzenia!", or the FAQ's tracking answer): the
            # photo with nothing told, as one sent alone (what happened asked); "hi",
            # "dzień dobry" under it got only the hello: greeted back, the photo kept
            ctx.state["misunderstood"] = 0
            greeted = ctx.state.get("greeted", False)
            if hello:
                ctx.state["greeted"] = True
            self._wordless(ctx, hello=hello and not greeted)
            return
        if (
            _ANYONE_THERE.match(text)
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
            and not ctx.incoming.attachments
        ):
            # "ау", "есть кто?", "вы тут?" with nothing asked (a case, an order number, "was it
            # solved?") and nobody awaited: the bot is here ("Хорошо. Что-нибудь ещё?" or how
            # to reach a person, to the model)
            ctx.state["misunderstood"] = 0
            self._greet(ctx, again=not ctx.quiet_before)
            return
        invited = ctx.state.pop("feedback_asked", None)
        if (
            feedback_offered(text)
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
            and not ctx.incoming.attachments
        ):
            # "Я хочу оставить отзыв о вашем магазине" (declined as a question, with the FAQ's
            # topics): asked to tell it here, for the team
            ctx.state["misunderstood"] = 0
            ctx.state["feedback_asked"] = int(ctx.state.get("turns", 0))
            ctx.say("feedback_prompt")
            ctx.event("feedback_invited")
            return
        if (
            invited is not None
            and int(invited) == int(ctx.state.get("turns", 0)) - 1
            and ctx.intent not in ("complaint", "request_human", "order_status")
            and "?" not in text
            and words(text) >= 2
            and not question_stands(ctx.state)
        ):
            # what they wanted to tell, after "write it here": kept for the admins' reports as
            # feedback and thanked for (a complaint, a question or a person go their own way)
            ctx.state["misunderstood"] = 0
            await record_feedback(ctx, text)
            return
        if how_are_you(text) and not question_stands(ctx.state):
            # "how are you?" got "I only know shop matters", "как дела?" a greeting: small
            # talk answered in kind in every language, and what the bot can do
            ctx.state["misunderstood"] = 0
            ctx.state["greeted"] = True
            ctx.say("how_are_you", buttons=self.topic_buttons(ctx.texts))
            return
        if (
            (
                (ctx.state.get("complaint") or {}).get("stage") == "done"
                or ctx.state.get("box_noted") is not None
            )
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
            and just_saying(text)
            and not problem_told_too(text)
        ):
            # "no need to do anything, just letting you know" after the box was noted (it
            # opened a service case, "within 24 hours"; in Russian the FAQ's topics): thanks
            ctx.state["misunderstood"] = 0
            ctx.say("just_telling_noted")
            return
        faq = self._faq_flow()
        if faq is not None and await faq.takes_promo_code(ctx):
            ctx.state["misunderstood"] = 0
            return
        if faq is not None and await faq.takes_reaction(ctx):
            ctx.state["misunderstood"] = 0
            return
        if faq is not None and await faq.takes_follow_up(ctx):
            ctx.state["misunderstood"] = 0
            return
        if (
            ctx.intent in (None, "out_of_scope")
            and help_asked(text)
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
        ):
            # "Мне нужна помощь" (off-topic to the model) got the shop's contacts, the knowledge
            # base sure of it: a call for help, asked what with, the topics offered
            ctx.state["misunderstood"] = 0
            ctx.say("help_prompt", buttons=self.topic_buttons(ctx.texts))
            return
        clarified = ctx.state.get("complaint_clarified")
        if (
            (contact := contact_only(text))
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
            and not ctx.incoming.attachments
            # ("my email is …" to "what happened?": the case's details, and the story asked
            # once more, by the complaint flow)
            and (clarified is None or int(ctx.state.get("turns", 0)) - int(clarified) != 1)
        ):
            # "+48 601 234 567", "anna@example.pl" with nothing asked (a complaint "about
            # service" opened, or "I'm not sure I understood"): the contact is kept (for a case
            # or a colleague later) and what it is about asked
            # (the one given now: an earlier contact is not said back, nor kept over it)
            ctx.state["misunderstood"] = 0
            ctx.state.setdefault("known", {})["contact"] = contact
            ctx.say("contact_noted", contact=contact, buttons=self.topic_buttons(ctx.texts))
            return
        if (
            (topic := topic_asked_about(text))
            and not question_stands(ctx.state)
            and not ctx.state.get("survey")
        ):
            # "у меня вопрос по доставке" (an unsure status question: "I didn't quite
            # understand"), "mam pytanie odnośnie płatności" (cash on delivery answered): what
            # about the topic is asked, its closest entries and a person offered as buttons
            ctx.state["misunderstood"] = 0
            buttons = (
                await faq.closest_topics(ctx, text)
                if faq is not None
                else self.topic_buttons(ctx.texts)
            )
            ctx.say(f"topic_prompt_{topic}", buttons=buttons)
            ctx.event("topic_asked", topic=topic)
            return
        for flow in self.flows:
            if await flow.handle(ctx):
                if ctx.intent is not None and ctx.intent not in ("out_of_scope",):
                    ctx.state["misunderstood"] = 0
                return
        await self._basic(ctx)

    @staticmethod
    def _wordless(ctx: TurnContext, *, hello: bool = False) -> None:
        """A photo, a file, a sticker or a voice message with no words to read: what happened
        is asked (once for photos sent one by one; ``hello``: captioned with a hello, said
        back)."""
        key = _wordless_key(ctx)
        turn, at = int(ctx.state.get("turns", 0)), ctx.now.timestamp()
        asked = ctx.state.get("wordless") or {}
        ctx.state["wordless"] = {"turn": turn, "key": key, "at": at}
        if (
            asked.get("key") == key
            and asked.get("turn") == turn - 1
            and at - float(asked.get("at", 0)) < WORDLESS_SECONDS
        ):
            return  # photos sent one by one: asked once, the rest kept with the first
        if hello:
            name = f", {ctx.customer.first_name}" if ctx.customer.first_name else ""
            ctx.say("media_hello", name=name)
            return
        ctx.say(key)

    async def _basic(self, ctx: TurnContext) -> None:
        """Greeting, thanks, goodbye, small talk, media without text, and the fallback."""
        incoming = ctx.incoming
        if incoming.callback_data:
            topic = incoming.callback_data.removeprefix("topic:")
            if incoming.callback_data.startswith("topic:") and topic in TOPICS:
                ctx.say(f"topic_prompt_{topic}")
            else:
                ctx.say("button_expired")
            return
        if not (incoming.text or "").strip():
            self._wordless(ctx)
            return
        intent = ctx.intent
        if _UPSET_EMOJI.search(incoming.text) and no_words(incoming.text):
            # "😡😡😡", "😢", "👎": the complaint flow's answer when the model reads one
            ctx.state["misunderstood"] = 0
            ask_what_happened(ctx, intent)
            return
        if language_asked(incoming.text) is not None:
            # "Can you answer in English please?": yes, in it (not "I only know shop matters")
            ctx.state["misunderstood"] = 0
            ctx.say("language_ok", buttons=self.topic_buttons(ctx.texts))
            return
        if help_asked(incoming.text):
            ctx.state["misunderstood"] = 0
            ctx.say("help_prompt", buttons=self.topic_buttons(ctx.texts))
            return
        if ctx.command is not None and ctx.command not in ("start", "help"):
            # "/close", "/menu" tapped or typed by a customer (it was "I didn't quite
            # understand"): no such command, and what they can do instead
            ctx.state["misunderstood"] = 0
            ctx.say("command_unknown", buttons=self.topic_buttons(ctx.texts))
            return
        if (
            "?" in incoming.text
            and intent in (*SOCIAL_INTENTS, "out_of_scope", None)
            and (ticket_id := await self._ticket_replied_in(ctx)) is not None
        ):
            # "is that for sure?" replied to the colleague's answer on a resolved ticket
            # ("Хорошо. Что-нибудь ещё?" before): a question on it, for whoever had it
            ctx.state["misunderstood"] = 0
            ctx.say("reply_reopen")
            ctx.request_handoff("customer_request", reopen=ticket_id, replied=True)
            return
        if intent in SOCIAL_INTENTS:
            ctx.state["misunderstood"] = 0
            if intent == "greeting" or (intent == "affirm" and ctx.quiet_before):
                # "Да", "ok" to start a talk: nothing to say yes to, a hello
                self._greet(ctx)
            else:
                ctx.say(f"{intent}_reply" if intent != "goodbye" else "goodbye")
                if intent in ("affirm", "thanks"):
                    # "Is there anything else?" (or "Write any time"): a "no" next ends kindly
                    ctx.state["anything_else"] = ctx.state.get("turns", 0)
            return
        if intent == "out_of_scope":
            self._fallback(ctx, key="out_of_scope")
            return
        if intent is None or intent not in {"faq", "order_status", "complaint", "request_human"}:
            self._fallback(ctx)
            return
        # No flow could handle it (e.g. no knowledge base installed): a person will.
        ctx.event("unhandled", intent=intent)
        ctx.request_handoff("needs_person")

    @staticmethod
    def _greet(ctx: TurnContext, *, again: bool = False) -> None:
        """Hello, and what the bot can do (hello again, once the customer was greeted, or
        ``again``: mid-talk)."""
        greeted = ctx.state.get("greeted", False)
        ctx.state["greeted"] = True
        # "How can I help?": a "no" next has nothing to ask, and is answered kindly
        ctx.state["anything_else"] = ctx.state.get("turns", 0)
        if greeted or again:
            ctx.say("greeting_again")
        else:
            name = f", {ctx.customer.first_name}" if ctx.customer.first_name else ""
            ctx.say("greeting", name=name)

    async def _escalate(self, ctx: TurnContext) -> None:
        """Open (or join) a ticket: the chat passes to people with the full context card."""
        request = ctx.handoff or {}
        reason = str(request.get("reason", "customer_request"))
        priority = str(request.get("priority", "normal"))
        if ctx.customer.is_vip and load_rules(ctx.settings.rules_file).escalate.vip:
            priority = "high"  # a VIP who asks for a person waits no longer than a complaint
        reopened = None
        if request.get("reopen") is None:
            # "and where is my refund?" replied to the colleague's answer on a resolved
            # ticket: that ticket, back to who had it, not a new one without its case
            replied = await self._ticket_replied_in(ctx)
            request = {**request, "reopen": replied, "replied": replied is not None}
        if request.get("reopen") is not None:  # "not solved" after a resolution
            ctx.conversation.state = ctx.state
            reopened = await reopen_for_customer(
                ctx.session,
                ctx.conversation,
                int(request["reopen"]),
                now=ctx.now,
                settings=ctx.settings,
            )
            if reopened is not None:  # the case the ticket was worked with is back
                restored = dict(ctx.conversation.state or {})
                ctx.state.clear()
                ctx.state.update(restored)
        ticket, created = await open_ticket(
            ctx.session,
            ctx.settings,
            customer=ctx.customer,
            conversation=ctx.conversation,
            reason=reason,
            priority=priority,
            now=ctx.now,
        )
        ctx.conversation.state = ctx.state
        wanted = ctx.state.pop("callback_wanted", None)
        if created and wanted and ctx.now - datetime.fromisoformat(wanted) < QUIET_BEFORE:
            self._callback_noted(ctx, ticket.id)
        if created or reopened is not None:
            # the time promised is the one the ticket's deadline counts from
            starts = answer_from(ctx.now, ctx.settings, priority)
            if starts <= ctx.now:
                minutes = sla_minutes(ctx.settings, priority)
                if (reason in ("legal_threat", "safety") and ctx.replies) or ctx.person_said:
                    ctx.say("handoff_eta", minutes=minutes)  # who takes over is said already
                else:
                    ctx.say("handoff_notice", minutes=minutes)
            elif is_open(ctx.now, ctx.settings):  # closing before the usual time is up
                ctx.say("handoff_notice_closing", when=self._when_open(ctx, starts))
            else:
                ctx.say("handoff_notice_closed", when=self._when_open(ctx, starts))
        elif not ctx.replies:
            ctx.say("handoff_already")
        ctx.outcome.ticket_id = ticket.id
        # its "card" is made at the end of the turn, once the turn's replies are stored
        ctx.event(
            "escalated",
            priority=ticket.priority,
            reason=reason,
            ticket_id=ticket.id,
            created=created,
            reopened=reopened is not None,
            # the topic is told the customer replied to its message (not "not solved")
            **({"replied": True} if reopened is not None and request.get("replied") else {}),
        )

    @staticmethod
    async def _ticket_replied_in(ctx: TurnContext) -> int | None:
        """The resolved ticket the message the customer replied to (Telegram's reply) was
        said in: a colleague's answer, or the bot's while the ticket was open; or None."""
        if ctx.incoming.reply_to_id is None:
            return None
        said = await ctx.session.scalar(
            select(Message).where(
                Message.conversation_id == ctx.conversation.id,
                Message.direction != "in",
                Message.tg_chat_id == ctx.incoming.chat_id,
                Message.tg_message_id == ctx.incoming.reply_to_id,
            )
        )
        if said is None or said.created_at is None:
            return None
        return await ctx.session.scalar(
            select(Ticket.id)
            .where(
                Ticket.conversation_id == ctx.conversation.id,
                Ticket.status == "resolved",
                Ticket.created_at <= said.created_at,
                Ticket.resolved_at >= said.created_at,
            )
            .order_by(Ticket.id.desc())
            .limit(1)
        )

    @staticmethod
    def _callback_noted(ctx: TurnContext, ticket_id: int) -> None:
        """A call back asked for ("Перезвоните мне"): the colleague's card says so, and the
        customer hears it is passed on, with the number to call, or is asked for one (not
        only "a reply will be here")."""
        ctx.state["callback"] = ticket_id
        number = _phone_known(ctx.state)
        # "Передаю заказ … коллеге" said already: the call asked of them, not the case again
        short = "_short" if ctx.person_said else ""
        if number:
            ctx.say(f"callback_noted{short}", contact=number)
        else:
            ctx.say(f"callback_noted_ask{short}")
            ctx.event("asked_for", slot="contact")

    def _when_open(self, ctx: TurnContext, opens: datetime) -> str:
        opens = opens.astimezone(ctx.settings.tz)
        local_now = ctx.now.astimezone(ctx.settings.tz)
        clock = opens.strftime("%H:%M")
        if opens.date() == local_now.date():
            return ctx.texts.plain("today_at", time=clock)
        if (opens.date() - local_now.date()).days == 1:
            return ctx.texts.plain("tomorrow_at", time=clock)
        day = format_date(opens.date(), "d MMMM", locale=ctx.texts.lang)  # 9 марта, 9 March
        return ctx.texts.plain("on_date_at", date=day, time=clock)

    async def _while_with_operator(self, ctx: TurnContext) -> None:
        """A person owns the chat: the bot stays silent, except to raise a legal threat or
        someone hurt (a fire, a shock: the safety advice is said), and to say once, while
        nobody has taken the ticket yet, that new messages reach them."""
        threat = ctx.prediction.threat if ctx.prediction else None
        ticket = await active_ticket(ctx.session, ctx.conversation.id)
        if ticket is None:
            return
        if (ctx.incoming.callback_data or "").startswith("sv:"):
            # a survey button pressed under a question asked before a person had the chat
            # (again): a ticket reopened, a hand-off after the bot's own survey. The press
            # reaches the colleague; the customer hears, once per ticket, that the question
            # is closed and comes again when the request is done (then it is recorded). A
            # "not solved" needs no word: a person has the chat, and reads the press
            ctx.state.pop("survey", None)
            if ctx.incoming.callback_data == "sv:solved:no":
                return
            if ctx.state.get("survey_closed") != ticket.id:
                ctx.state["survey_closed"] = ticket.id
                ctx.say("survey_closed_with_operator")
            return
        text = ctx.incoming.text or ""
        hurt = bool(text) and load_rules(ctx.settings.rules_file).escalate.is_safety(text)
        if hurt and ticket.reason != "safety" and ctx.state.get("safety") != ticket.id:
            # said once per ticket (a safety hand-off said it already)
            ctx.state["safety"] = ticket.id
            await self._raise(ctx, ticket, "safety")
            ctx.say_text(
                f"{ctx.texts('complaint_thanks')} {ctx.texts('complaint_sorry')} "
                f"{ctx.texts('complaint_safety')}"
            )
            return
        if threat != "legal":
            if (
                ticket.status == "open"
                and threat in ("public", "churn")
                and ctx.state.get("threatened") != ticket.id
            ):
                # "если завтра не будет, напишу отзыв везде", "I'll never order again" while
                # nobody has taken the ticket (no reply at all once "passed this on" was
                # said): the colleagues are hurried, the customer hears it once per ticket
                ctx.state["threatened"] = ctx.state["relay_noted"] = ticket.id
                await self._raise(ctx, ticket, "angry_threat")
                ctx.say("threat_relay")
                return
            if (
                ticket.reason == "order_change"
                and (asked := ctx.state.get("order_asked")) in ("cancel", "change")
                and ctx.state.get("order_withdrawn") != ticket.id
                # (a bare "не надо" only while nobody has taken it: to a colleague it may
                # answer their question)
                and order_request_withdrawn(text, bare=ticket.status == "open")
            ):
                # "ой, передумал, не отменяйте", "передумал, пусть остаётся как есть" after the
                # cancellation or change went to a colleague (it was the FAQ's cancellation
                # steps, or "passed this on as well"): the request taken back, on the ticket's
                # card for the colleague, and the customer told
                ctx.state["order_withdrawn"] = ticket.id
                ctx.outcome.details_changed = True
                await add_event(ctx.session, ticket, "request_withdrawn", now=ctx.now)
                ctx.event("request_withdrawn", ticket_id=ticket.id, request=asked)
                if ticket.status == "open":
                    ctx.state["relay_noted"] = ticket.id
                    ctx.say(f"order_{asked}_withdrawn")
                return
            asked = relay_question(text) if not ctx.incoming.attachments else None
            explained = ctx.state.get("relay_explained") or {}
            if (
                asked
                and ticket.status in ("open", "taken")
                and asked not in (explained.get(str(ticket.id)) or [])
            ):
                # "почему человек?" (it was "sorry for the wait"), "can you do it faster?"
                # (it was "question noted", or nothing): why a colleague decides, or that it
                # cannot go quicker than the colleague, and what they do and when; once per
                # question and ticket. A colleague who has just written answers it themselves
                if ticket.status == "taken" and await self._operator_spoke(ctx):
                    return
                ctx.state["relay_explained"] = {
                    str(ticket.id): [*(explained.get(str(ticket.id)) or []), asked]
                }
                amount = asked == "why_person" and ticket.reason == "amount_over_limit"
                said = ctx.texts(f"relay_{asked}_amount" if amount else f"relay_{asked}")
                if ticket.status == "taken" and is_open(ctx.now, ctx.settings):
                    when = ctx.texts("relay_when_taken")
                elif (minutes := self._minutes_left(ctx, ticket)) is not None:
                    when = ctx.texts("relay_when_eta", minutes=minutes)
                elif is_open(ctx.now, ctx.settings):
                    when = ctx.texts("relay_when")
                else:
                    opens = self._when_open(ctx, next_open(ctx.now, ctx.settings))
                    when = ctx.texts("relay_when_closed", when=opens)
                ctx.say_text(f"{said} {when}")
                return
            # "где человек? позовите оператора", "хочу поговорить с живым человеком" (no reply
            # at all once "passed this on" was said): a person asked for again is a nudge
            person_again = (
                (ctx.intent == "request_human" or asks_for_person(text))
                and (
                    ctx.state.get("relay_noted") == ticket.id  # "passed this on" said already
                    # "позовите человека" right after the hand-off, nothing else told (it was
                    # "passed this on as well", nothing to pass on): a colleague is on the way
                    or (
                        ctx.intent == "request_human"
                        and not ctx.new_slots
                        and failure_named(text, unsure_status=True) is None
                        and not item_trouble_named(text)
                    )
                )
                and not callback_asked(text)
                and not waited_for_person(text)
            )
            if (
                ticket.status in ("open", "taken")
                and text.strip()
                and (
                    _STILL_THERE.match(text)
                    or _BARE_WHERE.match(text)
                    or _HOW_LONG_NOW.match(text)
                    or person_again
                    or ctx.command is not None  # "/start", "/close": where it stands
                )
                and not ctx.incoming.attachments
            ):
                # "алло", "ну где вы?": not small talk, a question whether anyone is there
                # (answered once, and again when asked a while later; nothing to pass on);
                # "Ну и где?" (a "yes" to the model: no reply at all) asks the same.
                # A colleague who has taken the chat and just wrote answers it themselves.
                if ticket.status == "taken" and await self._operator_spoke(ctx):
                    return
                said = ctx.state.get("relay_nudged_at")
                if (
                    ctx.state.get("relay_nudged") != ticket.id
                    or (said and ctx.now - datetime.fromisoformat(said) >= RELAY_NUDGE_AGAIN)
                    or ctx.command is not None  # "/start" got no word at all
                ):
                    ctx.state["relay_nudged"] = ticket.id
                    ctx.state["relay_nudged_at"] = ctx.now.isoformat()
                    # "Сколько можно ждать?!", "WHERE ARE YOU": sorry for the wait, not a
                    # smiling "I'm here 🙂" (that is for "алло?", "anyone there?")
                    sorry = "_sorry" if _impatient(ctx, text) or person_again else ""
                    if ticket.status == "taken" and is_open(ctx.now, ctx.settings):
                        ctx.say(f"relay_still_there_taken{sorry}")
                    elif (minutes := self._minutes_left(ctx, ticket)) is not None:
                        # when, in the same sentence (it was "...will answer right here.
                        # They'll answer here within about 30 minutes.")
                        ctx.say(f"relay_still_there{sorry}_eta", minutes=minutes)
                    else:
                        await self._say_waiting(ctx, f"relay_still_there{sorry}")
                return
            if (
                ticket.status == "open"
                and waited_for_person(text)
                and ctx.state.get("hurried") != ticket.id
            ):
                # "Ваш оператор не отвечает уже 2 часа!" while nobody has taken the ticket: the
                # colleagues reminded (urgent, seniors alerted), said so once per ticket; not a
                # case for the quality manager nor "passed this on as well"
                ctx.state["hurried"] = ctx.state["relay_noted"] = ticket.id
                await self._raise(ctx, ticket, "needs_person")
                ctx.say("waited_for_person_relay")
                return
            if ctx.state.get("callback") != ticket.id and callback_asked(text):
                # "Перезвоните мне" while a person is awaited or at work: the card says so;
                # while nobody has taken the ticket, the number is asked for (or said noted)
                ctx.outcome.details_changed = True
                if ticket.status == "open":
                    ctx.state["relay_noted"] = ticket.id
                    self._callback_noted(ctx, ticket.id)
                else:
                    ctx.state["callback"] = ticket.id
                return
            number = _phone_known(ctx.state)
            if ctx.state.get("callback") == ticket.id and "contact" in ctx.new_slots and number:
                # the number asked for a call back: said to be passed on (the card shows it)
                ctx.state["relay_noted"] = ticket.id
                ctx.say("callback_number_noted", contact=number)
                return
            if (
                ticket.status == "open"
                and ctx.intent == "faq"
                and ctx.faq is not None
                and text.strip()
                and not ctx.incoming.attachments
                and not ctx.new_slots
                and await ctx.faq.sure_answer(ctx, text)
            ):
                # "also do you ship to Germany?" while nobody has taken the ticket yet (it was
                # "passed this on as well", the answer left for a colleague, hours away after
                # closing time): the knowledge base's sure answer now; the colleague still
                # comes, and sees the question and the answer in the chat
                ctx.state["relay_noted"] = ticket.id
                await self._say_waiting(ctx, "relay_answered_meanwhile")
                return
            thanked = ctx.state.get("relay_thanked") or {}
            if (
                ticket.status == "open"
                and ctx.intent == "thanks"
                and not ctx.incoming.attachments
                and (
                    thanked.get("ticket") != ticket.id
                    or ctx.now - datetime.fromisoformat(thanked["at"]) >= RELAY_NUDGE_AGAIN
                )
            ):
                # "dzięki" right after the hand-off got no word at all: a short warm one,
                # that the colleague writes here (not on every thanks; nothing passed on)
                ctx.state["relay_thanked"] = {"ticket": ticket.id, "at": ctx.now.isoformat()}
                await self._say_waiting(ctx, "relay_thanks")
                return
            # "from M to L" (a goodbye to the model at 0.71) after a size change went to a
            # colleague got no word at all: only a sure hello, thanks, ok or bye is small talk
            social = (
                ctx.intent in ("thanks", "goodbye", "affirm", "greeting")
                and ctx.prediction is not None
                and ctx.prediction.intent_confidence >= SURE_SOCIAL
            )
            if ticket.status == "open" and not social and ctx.state.get("relay_noted") != ticket.id:
                ctx.state["relay_noted"] = ticket.id
                # "zamówienie 3400162 nie doszło" after a person was asked for: the problem
                # told is thanked for and apologised for (it was "sorry for the wait" only)
                # "новый адрес: …" after a change of the order was asked for: no apology
                told = (
                    ctx.intent == "complaint"
                    and ctx.prediction is not None
                    and not address_given(text)
                )
                await self._say_waiting(ctx, "relay_noted_problem" if told else "relay_noted")
            return
        if ticket.reason == "legal_threat" or ctx.state.get("legal") == ticket.id:
            return  # the senior knows already (said once per ticket)
        ctx.state["legal"] = ticket.id
        if ticket.priority != "high":
            await self._raise(ctx, ticket, "legal_threat")
        else:
            # urgent already (a VIP, someone hurt): the threat is still news for the seniors
            await add_event(
                ctx.session, ticket, "priority", now=ctx.now, priority="high", reason="legal_threat"
            )
            ctx.event(
                "priority_raised", ticket_id=ticket.id, priority="high", reason="legal_threat"
            )
        # The one time the bot speaks while a person owns the chat: say who takes over.
        ctx.say_text(
            f"{ctx.texts('complaint_thanks')} {ctx.texts('complaint_sorry_angry')} "
            f"{ctx.texts('complaint_senior')}"
        )

    @staticmethod
    async def _operator_spoke(ctx: TurnContext) -> bool:
        """A colleague wrote to the customer within :data:`RELAY_NUDGE_AGAIN`."""
        last = await ctx.session.scalar(
            select(func.max(Message.created_at)).where(
                Message.conversation_id == ctx.conversation.id, Message.direction == "operator"
            )
        )
        return last is not None and ctx.now - as_utc(last) < RELAY_NUDGE_AGAIN

    @staticmethod
    def _minutes_left(ctx: TurnContext, ticket: Any) -> int | None:
        """How long the answer still takes ("Kiedy ktoś mi odpowie?" heard that a colleague
        answers here, not when, though "about 30 minutes" was promised): the minutes left of
        the promise, while the team is at work and the promise is not yet past."""
        if ticket.due_at is None or not is_open(ctx.now, ctx.settings):
            return None
        left = (as_utc(ticket.due_at) - ctx.now).total_seconds()
        return math.ceil(left / 60) if left >= 60 else None

    async def _say_waiting(self, ctx: TurnContext, key: str) -> None:
        """``key`` to a customer waiting for a person; when the team is off, the variant that
        says when a person answers (not "right here", as if someone were about to), unless a
        colleague has just written to them (it was "the team is off, 09:00" a minute after
        the colleague's answer)."""
        if is_open(ctx.now, ctx.settings) or await self._operator_spoke(ctx):
            ctx.say(key)
        else:
            opens = next_open(ctx.now, ctx.settings)
            ctx.say(f"{key}_closed", when=self._when_open(ctx, opens))

    @staticmethod
    async def _raise(ctx: TurnContext, ticket: Any, reason: str) -> None:
        """The waiting ticket becomes high priority (seniors are alerted), for ``reason``."""
        if ticket.priority == "high":
            return
        await open_ticket(
            ctx.session,
            ctx.settings,
            customer=ctx.customer,
            conversation=ctx.conversation,
            reason=reason,
            priority="high",
            now=ctx.now,
        )
        ctx.event("priority_raised", ticket_id=ticket.id, priority="high", reason=reason)

    @staticmethod
    def _acknowledge_correction(ctx: TurnContext) -> None:
        """A corrected order number or amount is said back, unless a reply already names it."""
        known = ctx.state.get("known", {})
        if "amount" in ctx.corrected and known.get("amount") is not None:
            currency = claim_currency(known, ctx.lang, ctx.settings.shop_currency_set)
            said = money(float(known["amount"]), currency, ctx.lang)
            if not any(said in reply.text for reply in ctx.replies):
                ctx.replies.insert(0, Reply(ctx.texts("amount_corrected", amount=said)))
            ctx.event("detail_corrected", slot="amount", was=ctx.corrected["amount"], now=said)
        if "order_ref" not in ctx.corrected:
            return
        order = str(ctx.state.get("known", {}).get("order_ref"))
        if not any(order in reply.text for reply in ctx.replies):
            ctx.replies.insert(0, Reply(ctx.texts("order_corrected", order=order)))
        ctx.event("detail_corrected", slot="order_ref", was=ctx.corrected["order_ref"], now=order)

    def _flooding(self, ctx: TurnContext) -> bool:
        """More than FLOOD_MESSAGES in FLOOD_SECONDS."""
        now = ctx.now.timestamp()
        recent = [t for t in ctx.state.get("recent", []) if now - t < FLOOD_SECONDS] + [now]
        ctx.state["recent"] = recent[-FLOOD_MESSAGES * 2 :]
        if len(recent) <= FLOOD_MESSAGES:
            ctx.state.pop("flood_noted", None)
            return False
        ctx.event("flood", messages=len(recent), seconds=FLOOD_SECONDS)
        return True

    @staticmethod
    def _urgent(ctx: TurnContext) -> bool:
        """A request for a person or a threat: acted on at once, even in a flood."""
        pred = ctx.prediction
        if ctx.incoming.callback_data == "topic:human" or ctx.intent == "request_human":
            return True
        if pred is not None and pred.threat not in (None, "none"):
            return True
        return bool(ctx.incoming.text) and wants_person(ctx.incoming.text or "")

    def _hold(self, ctx: TurnContext) -> None:
        """A flood: say once that we're reading; the text waits for the burst to end."""
        text = (ctx.incoming.text or "").strip()
        if text and not ctx.incoming.callback_data:
            held = ctx.state.setdefault("held", [])
            held.append(text[:MAX_CLASSIFY_CHARS])
            del held[:-MAX_HELD]  # all of it is in the transcript; the latest are read
        if text and not ctx.state.get("flood_noted"):
            # said for words to read; photos (stickers) sent one by one are only kept
            ctx.state["flood_noted"] = True
            ctx.say("flood_notice")

    async def _release_held(self, ctx: TurnContext) -> None:
        """The first message after a flood: the texts held during it are read with it, as
        one turn (their order numbers and photos are already remembered)."""
        held = ctx.state.get("held")
        if not held or ctx.incoming.callback_data:
            return  # a button answers the bot's question; the held texts wait for text
        ctx.state.pop("held")
        text = "\n".join([*held, (ctx.incoming.text or "").strip()]).strip()
        ctx.incoming = dataclasses.replace(ctx.incoming, text=text)
        ctx.prediction = await self.classify(ctx.incoming)
        ctx.lone_order = lone_order_ref(ctx.state, ctx.incoming)
        ctx.event("held_released", messages=len(held))

    def _fallback(self, ctx: TurnContext, key: str = "fallback_first") -> None:
        """Not understood (or off-topic): offer topics; the second time in a row, a person."""
        count = int(ctx.state.get("misunderstood", 0)) + 1
        ctx.state["misunderstood"] = count
        ctx.event("fallback", count=count)
        if count >= 2:
            ctx.say("fallback_again")
            ctx.state["misunderstood"] = 0
            ctx.request_handoff("not_understood")
        else:
            ctx.say(key, buttons=self.topic_buttons(ctx.texts))

    @staticmethod
    def topic_buttons(texts: Texts) -> list[list[Button]]:
        return [
            [
                Button(texts.plain("topic_delivery"), "topic:delivery"),
                Button(texts.plain("topic_payment"), "topic:payment"),
            ],
            [
                Button(texts.plain("topic_returns"), "topic:returns"),
                Button(texts.plain("topic_problem"), "topic:problem"),
            ],
            [Button(texts.plain("topic_human"), "topic:human")],
        ]

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _guard(ctx: TurnContext, *, drop: bool = False) -> bool:
        """No reply may contain a forbidden phrase: offending ones become an offer of a person
        (``drop``: are left out, for a hand-off that says so). True if one was blocked."""
        blocked = False
        for reply in list(ctx.replies):
            safe, violations = sanitize(reply.text, ctx.lang)
            if violations:
                blocked = True
                log.error("forbidden phrase blocked: %s", violations[0].fragment)
                ctx.event("guard_blocked", fragment=violations[0].fragment)
                if drop:
                    ctx.replies.remove(reply)
                else:
                    reply.text = safe
        return blocked

    @staticmethod
    def _blocked_handoff(ctx: TurnContext) -> None:
        """A person for a reply the guard blocked; the card names the FAQ entry it was and
        the phrase ("Reason: the bot's answer had a phrase it must never say (check the FAQ
        entry)" left the operator to find which)."""
        events = ctx.outcome.events
        phrase = next((e["fragment"] for e in reversed(events) if e["type"] == "guard_blocked"), "")
        entry = next((e["answer_id"] for e in reversed(events) if e["type"] == "faq_answered"), "")
        ctx.state["blocked_reply"] = {"entry": entry, "phrase": phrase}
        ctx.request_handoff("reply_blocked")

    async def customer_for(self, session: AsyncSession, incoming: Incoming) -> Customer:
        """The customer who wrote ``incoming`` (created on first contact), profile refreshed.

        The customer's row stays locked until the turn commits (PostgreSQL; SQLite takes
        its write lock up front): quick messages arrive as concurrent updates, and each turn
        must read the conversation as the one before it left it."""
        query = (
            select(Customer)
            .where(
                Customer.channel == incoming.channel,
                Customer.external_id == incoming.external_user_id,
            )
            .with_for_update()
        )
        customer = await session.scalar(query)
        if customer is None:
            try:
                async with session.begin_nested():
                    customer = Customer(
                        channel=incoming.channel,
                        external_id=incoming.external_user_id,
                        is_vip=False,
                    )
                    session.add(customer)
            except IntegrityError:  # a concurrent first message created it: wait for that turn
                customer = await session.scalar(query)
                assert customer is not None
        for attr in ("first_name", "last_name", "username"):
            value = getattr(incoming, attr)
            if value:
                setattr(customer, attr, value)
        if incoming.chat_id is not None:
            customer.chat_id = incoming.chat_id
        customer.blocked_bot = False
        await session.flush()
        return customer

    async def answer_held(
        self, session: AsyncSession, conversation: Conversation, now: datetime | None = None
    ) -> Outcome | None:
        """A flood is over and the customer wrote nothing since: what was held during it
        is read now, as one turn about their last message (None: nothing to read yet)."""
        now = now or self.clock()
        state = conversation.state or {}
        held = [t for t in state.get("held") or [] if t]
        recent = state.get("recent") or []
        if not held or conversation.status == "operator":
            return None
        if recent and now.timestamp() - max(recent) < FLOOD_SECONDS:
            return None  # the burst may go on
        last = await session.scalar(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.direction == "in")
            .order_by(Message.id.desc())
            .limit(1)
        )
        customer = await session.get(Customer, conversation.customer_id)
        if last is None or customer is None:
            return None
        # the last held text is this turn's; the others are read with it (``_release_held``)
        conversation.state = {**state, "held": held[:-1]}
        incoming = Incoming(
            external_user_id=customer.external_id,
            channel=customer.channel,
            text=held[-1],
            chat_id=customer.chat_id,
            message_id=last.tg_message_id,
            first_name=customer.first_name,
            language_code=customer.language,
        )
        return await self.handle(session, incoming, now=now, replay=last)

    async def conversation_for(
        self, session: AsyncSession, customer: Customer, now: datetime
    ) -> Conversation:
        """The customer's open conversation, or a new one."""
        conversation = await session.scalar(
            select(Conversation)
            .where(Conversation.customer_id == customer.id, Conversation.status != "closed")
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        if conversation is None:
            conversation = Conversation(
                customer_id=customer.id, status="bot", state={}, created_at=now, updated_at=now
            )
            session.add(conversation)
            await session.flush()
        return conversation

    async def _apply_edit(
        self,
        session: AsyncSession,
        conversation: Conversation,
        incoming: Incoming,
        outcome: Outcome,
        now: datetime,
    ) -> tuple[Message | None, tuple[str, str] | None, bool]:
        """Store the edit; return the message when it is to be read again as a turn: with
        the bot (not a person), one of the customer's latest, now giving a detail (the
        order number, the amount, the contact) not known before; the order number it
        corrected, (was, now), if it did; whether it corrected the problem's description."""
        original = await session.scalar(
            select(Message).where(
                Message.conversation_id == conversation.id,
                Message.direction == "in",
                Message.tg_chat_id == incoming.chat_id,
                Message.tg_message_id == incoming.message_id,
            )
        )
        if original is None:
            log.info("edit of an unknown message %s ignored", incoming.message_id)
            return None, None, False
        old = original.text
        if old == ((incoming.text or "")[:MAX_TEXT_CHARS] or None):
            # the words are the same: a live location moving (Telegram sends each move as
            # an edit), a message Telegram re-sent; nothing for the transcript or the topic
            return None, None, False
        original.text = (incoming.text or "")[:MAX_TEXT_CHARS] or None
        original.edited_at = now
        added, corrected, described = False, None, False
        if old and old != original.text:
            # the transcript keeps what was first written ("edited; was: ...")
            original.attachments = [*(original.attachments or []), {"kind": "edit", "name": old}]
            outcome.details_changed, added, corrected, described = await self._edit_details(
                conversation, old, original.text or ""
            )
        outcome.incoming_message_id = original.id
        outcome.events.append({"type": "edited", "message_id": original.id, "old_text": old})
        outcome.relay_to_operator = conversation.status == "operator"
        if not added or conversation.status != "bot":
            return None, corrected, described
        latest = (
            await session.scalars(
                select(Message.id)
                .where(Message.conversation_id == conversation.id, Message.direction == "in")
                .order_by(Message.id.desc())
                .limit(3)
            )
        ).all()
        if original.id in latest:
            return original, None, False
        return None, corrected, described

    async def _edit_details(
        self, conversation: Conversation, old: str, new: str
    ) -> tuple[bool, bool, tuple[str, str] | None, bool]:
        """An edit that corrects a detail taken from the message (the order number, the
        amount, the contact, the problem's description) corrects the detail too. (changed,
        added, corrected, described): ``added`` when the edit gives one not known before,
        ``corrected`` the order number it corrected, (was, now), ``described`` whether the
        problem's description was the message's words (a complaint still collecting its
        details takes the type the new words name: "не того цвета" edited to "разбитый")."""
        state = dict(conversation.state or {})
        known = dict(state.get("known") or {})
        if not new.strip():
            return False, False, None, False
        pred = await asyncio.to_thread(self.understand, new[:MAX_CLASSIFY_CHARS])
        fresh: dict[str, Any] = {
            "order_ref": pred.order_ref,
            "amount": float(pred.amount) if pred.amount is not None else None,
            "contact": find_contact(new),
        }
        changed = added = False
        corrected = None
        for slot, value in fresh.items():
            was = known.get(slot)
            if value is None or value == was:
                continue
            if was is None:
                shown = f"{value:g}" if isinstance(value, float) else str(value)
                added = added or shown not in old  # new in this message (read as a turn)
                continue
            shown = f"{was:g}" if isinstance(was, float) else str(was)
            if shown in old and shown not in new:  # it came from this message, now changed
                known[slot] = value
                if slot == "amount" and pred.currency:
                    known["currency"] = pred.currency
                changed = True
                if slot == "order_ref":
                    corrected = (str(was), str(value))
                if slot in ("order_ref", "amount"):
                    # the card says what it replaced, and its promises name the new number
                    turn = int(state.get("turns", 1)) - 1
                    fix = {"type": "detail_corrected", "slot": slot, "was": was, "now": value}
                    state["trail"] = [*state.get("trail", []), {"turn": turn, **fix}]
        described = old in str(known.get("description") or "")
        if described:
            known["description"] = str(known["description"]).replace(old, new)
            changed = True
            case = dict(state.get("complaint") or {})
            named = pred.complaint_type if pred.intent == "complaint" else None
            if case.get("stage") == "collecting" and named and named != case.get("type"):
                state["complaint"] = {**case, "type": named}
        if changed:
            state["known"] = known
            conversation.state = state
        return changed, added, corrected, described

    async def _say_corrected(
        self,
        session: AsyncSession,
        conversation: Conversation,
        customer: Customer,
        outcome: Outcome,
        now: datetime,
        corrected: tuple[str, str] | None,
        described: bool = False,
    ) -> None:
        """An order number corrected by editing the message ("заказ 1234567 не пришёл" edited
        to 1234568; it was taken in silence, the case and its promise keeping the old one;
        ``corrected``: (was, now)): the case's record takes the new number (while a person
        has the chat too), and the customer hears it is corrected (from the bot). The
        problem's words corrected (``described``) are the case's description and type now,
        said in a word."""
        if not (corrected or described):
            return
        state = copy.deepcopy(conversation.state or {})  # a new value: the JSON is saved
        case = state.get("complaint") or {}
        record = await session.get(Complaint, case["id"]) if case.get("id") else None
        if corrected and record is not None and record.resolved_at is None:
            # the team's case takes the new number (while a person has the chat too)
            was, value = corrected
            record.details = {**(record.details or {}), "order_ref": value}
            if isinstance(case.get("promise"), str):
                case["promise"] = case["promise"].replace(was, value)
                if (case.get("promise_said") or {}).get("order") == was:
                    case["promise_said"]["order"] = value  # said again in another language
        conversation.state = state
        if conversation.status != "bot":
            return  # a person has the chat: the topic shows the edit
        texts = Texts(state.get("lang") or "en", state.setdefault("variants", {}), seed=self.seed)
        if not corrected:
            if record is not None and record.resolved_at is None:
                known = state.get("known") or {}
                record.details = {**(record.details or {}), "description": known.get("description")}
                record.complaint_type = case.get("type") or record.complaint_type
            reply = Reply(texts("problem_corrected"))
            outcome.replies.append(reply)
            await self._store_replies(session, conversation, customer, [reply], now)
            outcome.events.append({"type": "problem_corrected", "complaint_type": case.get("type")})
            return
        was, value = corrected
        reply = Reply(texts("order_corrected", order=value))
        outcome.replies.append(reply)
        await self._store_replies(session, conversation, customer, [reply], now)
        outcome.events.append({"type": "order_corrected", "was": was, "order_ref": value})

    @staticmethod
    def _record(session: AsyncSession, message: Message, prediction: Prediction | None) -> None:
        if prediction is None:
            return
        session.add(
            Classification(
                message_id=message.id,
                lang=prediction.lang,
                intent=prediction.intent,
                confidence=float(prediction.intent_confidence),
                complaint_type=prediction.complaint_type,
                emotion=prediction.emotion,
                threat=prediction.threat,
                order_ref=prediction.order_ref,
                amount=_decimal(prediction.amount),
            )
        )

    def _language(
        self,
        state: dict[str, Any],
        customer: Customer,
        prediction: Prediction | None,
        incoming: Incoming,
    ) -> str:
        text = (incoming.text or "").strip()
        current = state.get("lang") if state.get("lang") in SUPPORTED else None
        n_words = words(text)
        cyrillic = bool(_CYRILLIC.search(text))
        if prediction is not None and prediction.lang == "ru" and not cyrillic and n_words >= 2:
            state["translit"] = True  # "zdravstvuyte, mne prishla ne ta kurtka"
        if cyrillic or (prediction is not None and prediction.lang == "ru" and n_words >= 2):
            state["wrote_ru"] = True  # the customer writes Russian (not only Telegram's setting)
        if current is not None and text and not real_words(text):
            return current  # "AB-77812", "kirill@mail.ru": an answer, in no language
        if (asked := language_asked(text)) is not None:
            return asked  # "а можно по-английски?": in English from now on
        code = (incoming.language_code or "").split("-")[0].lower()
        usual = next((c for c in (customer.language, code) if c in SUPPORTED), None)
        if incoming.forwarded_from and (current or usual):
            return str(current or usual)  # someone else's words (a courier's notice)
        if prediction is not None and prediction.lang in CONFIDENT_LANG and len(text) >= 4:
            if (
                prediction.lang != "ru"
                and (cyrillic or (current == "ru" and state.get("wrote_ru")))
                and current in ("ru", None)
                and not clearly_in(text, prediction.lang)
            ):
                # "order 5512345", "ok, thanks", "Samsung Galaxy Buds 2 Pro" in a Russian
                # dialogue, "Мой заказ Samsung Galaxy Buds Pro Graphite не пришёл" (more Latin
                # letters than Cyrillic): brand names and a few Latin-script words are no
                # switch to English; a sentence in it is
                return "ru"
            if (
                current is None
                and prediction.lang == "en"
                and usual == "pl"
                and n_words < 3
                and unplaced_latin(text)
            ):
                # "en" is the detector's guess for Latin letters it cannot place ("zwroty?",
                # "blik"): a word or two in the customer's usual Latin-script language
                return usual
            if current is None or prediction.lang == current:
                return prediction.lang
            if current == "ru" and state.get("translit") and not cyrillic and n_words < 8:
                return current  # "vot foto birki" is transliterated Russian, not Polish
            # Short texts ("ok", "I'll wait", "да") say little about the language: keep the
            # dialogue's, unless the alphabet itself changed (Cyrillic <-> Latin).
            if current == "ru" and cyrillic:
                return current  # "тг @kirill_v или почта kirill.v@mail.ru" is still Russian
            if (
                current in ("en", "pl")
                and prediction.lang in ("en", "pl")
                and not clearly_in(text, prediction.lang)
            ):
                # "Aha, i brakuje pilota" in a Polish dialogue: "en" is the detector's guess for
                # words it cannot place, no switch; a sentence plainly in English is
                return current
            if n_words >= 3 or cyrillic != (current == "ru"):
                return prediction.lang
        for candidate in (state.get("lang"), customer.language):
            if candidate in SUPPORTED:
                return str(candidate)
        if code in SUPPORTED:
            return code
        if prediction is not None and prediction.lang in CONFIDENT_LANG:
            return prediction.lang
        if (
            prediction is not None
            and prediction.lang == "other"
            and not cyrillic
            and n_words >= 2
            and "en" in SUPPORTED
        ):
            # "Wo ist meine Bestellung 5512345?", "Bonjour, où est ma commande": a Latin-script
            # language the bot does not write; English is read far more widely than Russian
            return "en"
        return self.settings.default_language

    async def _store_replies(
        self,
        session: AsyncSession,
        conversation: Conversation,
        customer: Customer,
        replies: list[Reply],
        now: datetime,
    ) -> None:
        rows = []
        for reply in replies:
            row = Message.outgoing(
                conversation.id, customer.chat_id, reply.text, reply.buttons_json(), now
            )
            session.add(row)
            rows.append(row)
        if rows:
            await session.flush()
        for reply, row in zip(replies, rows, strict=True):
            reply.message_id = row.id


def _decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
