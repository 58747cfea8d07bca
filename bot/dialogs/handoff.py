"""Hand-off triggers that are not part of another flow: asking for a person, legal threats."""

from __future__ import annotations

import re

from bot.dialogs.engine import ConversationEngine, TurnContext, help_asked
from bot.dialogs.rules import Compensation, Rules, load_rules
from bot.nlu.lexicon import PERSON_ASKED, manager_asked

# "Перезвоните мне", "Can you call me back?", "Zadzwońcie do mnie": a call asked for (a person,
# who sees that the customer would like a call and the number to call); not "не звоните мне",
# "can I call you?", "czy można do was zadzwonić?", "you promised to call me"
_CALLBACK = re.compile(
    r"(?<!не\s)(?<!\w)(?:по|пере)звони(?:те)?(?:\s+(?:мне|нам|пожалуйста))*(?=\W|$)|"
    r"(?<!не\s)(?<!\w)(?:можете|могли\s+бы)\s+(?:(?:вы|мне|нам|пожалуйста)\s+)*(?:по|пере)звонить"
    r"(?!\s+(?:вам|в\s+магазин|на\s+горячую|по\s+телефону\s+(?:вам|магазин)))|"
    r"(?<!\w)(?:прошу|просьба|просим)\s+(?:(?:вас|мне|нам|меня)\s+)*(?:по|пере)звонить|"
    r"(?<!\w)(?:хочу|хотел[аи]?\s+бы),?\s+чтобы\s+мне\s+(?:по|пере)звонили|"
    r"(?<!\w)наберите\s+(?:мне|меня)|(?<!\w)обратн\w+\s+звон\w+|(?<!\w)жду\s+вашего\s+звонка|"
    r"(?:^|[.!?,;:]\s*|\b(?:please|pls|plz|kindly)\s+|\b(?:can|could|would|will)\s+(?:you|someone|"
    r"somebody|anyone|one\s+of\s+you)\s+(?:please\s+)?)(?:call|phone|ring)\s+me\b|"
    r"\bgive\s+me\s+a\s+(?:call|ring)\b|\b(?:request|want|like|need)\s+a\s+call\s*-?back\b|"
    r"\bcall\s*-?back\s+(?:request|please)\b|"
    r"(?<!nie\s)\b(?:za|od)dzwo[ńn](?:cie)?(?:\s+(?:do\s+mnie|prosz[ęe]))*(?=\W|$)|"
    r"\bprosz[ęe]\s+(?:o\s+(?:kontakt\s+telefoniczny|telefon|oddzwonienie)|(?:do\s+mnie\s+)?"
    r"(?:za|od)dzwoni[ćc])|\b(?:czy\s+)?(?:mo[żz]ecie|mo[żz]e\s+kto[śs]|mo[żz]na)\s+(?:(?:prosz[ęe]|"
    r"pa[ńn]stwo)\s+)*do\s+mnie\s+(?:za|od)?dzwoni[ćc]",
    re.IGNORECASE,
)


def callback_asked(text: str) -> bool:
    """A call back asked for ("Перезвоните мне", "Can you call me?", "Zadzwońcie do mnie")."""
    return bool(_CALLBACK.search(text or ""))


# "а как тут в чате переключиться на живого сотрудника, если вдруг понадобится?", "how do I
# get this chat passed to a human if I ever need one?": how a person is reached, asked for
# later, not a person asked for now (the shop's answer on talking to a person says how)
_HOW_TO_REACH = re.compile(
    r"\bhow\s+(?:do|can|would|could|will)\s+i\s+(?:get|reach|talk|speak|contact|switch|be\s+"
    r"(?:passed|transferred|put|connected))\b|"
    r"(?<!\w)как\s+(?:(?:тут|здесь|мне|в\s+чате|можно|будет)\s+)*(?:переключиться|связаться|"
    r"позвать|поговорить|выйти\s+на|попасть|перейти)|"
    r"\bjak\s+(?:(?:tu|tutaj|w\s+tym\s+czacie|mog[ęe]|mo[żz]na|si[ęe])\s+)*(?:prze[łl][ąa]czy[ćc]|"
    r"po[łl][ąa]czy[ćc]|skontaktowa[ćc]|porozmawia[ćc]|dosta[ćc]\s+si[ęe]|przej[śs][ćc])",
    re.IGNORECASE,
)
_LATER_NEED = re.compile(
    r"(?<!\w)(?:если\s+(?:вдруг\s+)?(?:понадобится|потребуется|нужно\s+будет|будет\s+нужно)|"
    r"на\s+всякий\s+случай|в\s+случае\s+чего)|"
    r"\bif\s+(?:i\s+)?(?:ever\s+)?(?:need|needed)\b|\b(?:just\s+)?in\s+case\b|"
    r"\bgdyby(?:m|\s+co)?\b|\bw\s+razie\s+(?:potrzeby|czego)|\bjakby\s+co\b",
    re.IGNORECASE,
)
# "позвоните мне", "call me back", "zadzwońcie do mnie": a call asked for, a person's job
_CALL_ASKED = re.compile(
    r"звон|перезвон|\bcall\b|\bphone\s+me|zadzwo|oddzwo|telefon",
    re.IGNORECASE,
)
# a request for a person to the model with no word for one, this long at least, is asked of
# the knowledge base first ("Хочу сделать заказ для компании, нужен счёт": the shop's answer
# for companies)
KB_BEFORE_PERSON_WORDS = 4


def asks_how_to_reach_later(text: str) -> bool:
    """A question about how a person is reached, for later ("…if I ever need one")."""
    return bool(_HOW_TO_REACH.search(text) and _LATER_NEED.search(text))


# "А вы вообще кто, бот?", "am I talking to a bot?", "czy to bot?": who is answering
_WHO_ANSWERS = re.compile(
    r"(?<!\w)(?:ты|вы)(?:[\s,]+\w+){0,2}[\s,]+(?:бот|робот)(?!\w)|(?<!\w)это\s+(?:\w+\s+)?бот(?!\w)|"
    r"(?<!\w)кто\s+(?:\w+\s+)?(?:ты|вы)(?!\w)|(?<!\w)(?:ты|вы)\s+(?:\w+\s+)?кто(?!\w)|"
    r"\bwho\s+(?:am\s+i\s+talking\s+to|are\s+you)\b|\bare\s+you\s+(?:a\s+)?(?:real\s+)?(?:bot|robot|human|"
    r"person)\b|\b(?:talking|speaking|chatting)\s+(?:to|with)\s+(?:a\s+)?(?:bot|robot|human|real)|"
    r"\bjeste[śs](?:cie)?\s+(?:\w+\s+)?(?:botem|robotem|cz[łl]owiekiem)|\bczy\s+to\s+bot|\bkim\s+jeste|"
    # "с кем я говорю?", "z kim rozmawiam?"
    r"(?<!\w)с\s+кем\s+я\s+(?:говорю|разговариваю|общаюсь|переписываюсь)(?!\w)|"
    r"\bz\s+kim\s+(?:rozmawiam|pisz[eę])\b",
    re.IGNORECASE,
)


def asks_who_answers(text: str) -> bool:
    """The customer asks who (or what) answers them: a bot, a person."""
    return bool(_WHO_ANSWERS.search(text))


def only_asks_who_answers(text: str) -> bool:
    """Who answers, asked without asking for a person besides ("are you a real person?" is
    a question; "are you a bot? I want a real person" a request)."""
    return asks_who_answers(text) and not asks_for_person(_WHO_ANSWERS.sub(" ", text))


# "Ваш оператор не отвечает уже 2 часа!", "Nobody has answered me for hours", "Konsultant nie
# odpowiada od 2 godzin": a person the customer is waiting for has not answered (not a
# courier or a delivery service that does not pick up: "курьер не отвечает")
_WAITED_FOR_PERSON = re.compile(
    r"(?:оператор|менеджер|консультант|специалист|сотрудник|поддержк|никто|вы)\w*\s+"
    r"(?:[\w,]+\s+){0,3}?(?:не\s+(?:отвеча|ответил|ответ|пишет|написал|перезвон)|молч|игнорир)\w*|"
    r"жд[уёе]\w*\s+(?:\w+\s+){0,3}?(?:ответа|оператора|консультанта|менеджера)|"
    r"\b(?:operator|agent|representative|support|you|someone|anyone|anybody)\s+(?:[\w,]+\s+){0,2}?"
    r"(?:has\s*n[o']?t|have\s*n[o']?t|did\s*n[o']?t|does\s*n[o']?t|do\s*n[o']?t|is\s*n[o']?t|"
    r"are\s*n[o']?t|still\s+not|not|never)\s+(?:been\s+|even\s+)?(?:answer|repl|respond|got?\s+back)\w*|"
    r"\b(?:nobody|no\s*one)\s+(?:\w+\s+){0,2}?(?:answer|repl|respond|got?\s+back)\w*|"
    r"\bwaiting\s+(?:\w+\s+){0,3}?for\s+(?:an?\s+|your\s+)?(?:answer|reply|response|agent|operator)|"
    r"(?:konsultant|operator|obs[łl]ug|pracownik|nikt|wy|kto[śs])\w*\s+(?:[\w,]+\s+){0,3}?"
    r"nie\s+(?:odpowiada|odpisuje|odpisa[łl]|odpowiedzia[łl]|oddzwoni)\w*|"
    r"czekam\s+(?:\w+\s+){0,3}?na\s+(?:odpowied|konsultant|operator)\w*",
    re.IGNORECASE,
)
_NOT_SUPPORT = re.compile(r"курьер|доставк|courier|driver|delivery|kurier|dostaw", re.IGNORECASE)


def waited_for_person(text: str) -> bool:
    """The customer says the person they wait for (an operator, support) has not answered."""
    return bool(_WAITED_FOR_PERSON.search(text)) and not _NOT_SUPPORT.search(text)


def with_gesture(ctx: TurnContext, gesture: Compensation | None, text: str) -> str:
    """``text`` plus a goodwill gesture from the rules (and its ``compensation_offered``)."""
    if gesture is None:
        return text
    ctx.event("compensation_offered", kind=gesture.kind, value=gesture.value, gesture=True)
    return f"{text} {ctx.texts(f'gesture_{gesture.kind}', value=f'{gesture.value:g}')}"


def activist_gesture(ctx: TurnContext, rules: Rules, text: str) -> str:
    """``text`` plus the activist's compensation (rules: activist_gesture), once per chat."""
    if ctx.state.get("activist_gesture"):
        return text
    ctx.state["activist_gesture"] = rules.activist_gesture is not None
    return with_gesture(ctx, rules.activist_gesture, text)


def wants_person(text: str) -> bool:
    """An explicit request for a person (or a call) anywhere in a message, however long."""
    return bool(PERSON_ASKED.search(text)) or callback_asked(text)


def asks_for_person(text: str) -> bool:
    """ "A real person, please", "call me back", in words (short messages only)."""
    return wants_person(text) and len(text) < 120


class HandoffFlow:
    name = "handoff"

    def __init__(self, rules: Rules | None = None, rules_file: str | None = None) -> None:
        self.rules = rules or load_rules(rules_file)

    async def handle(self, ctx: TurnContext) -> bool:
        data = ctx.incoming.callback_data or ""
        text = ctx.incoming.text or ""
        wants_person = data == "topic:human" or ctx.intent == "request_human"
        if not wants_person and ctx.intent in (None, "complaint", "out_of_scope", "faq"):
            wants_person = bool(text) and asks_for_person(text)
        if wants_person and not data and help_asked(text) and not asks_for_person(text):
            # "Potrzebuję pomocy" (a person to the model) is "help", "помогите": the topics,
            # with a person one tap away (the engine's answer to a call for help)
            wants_person = False
        threat = ctx.prediction.threat if ctx.prediction else None
        if threat == "legal":
            # An activist: a senior person takes the case at once, with everything so far.
            case = ctx.state.get("complaint")
            said = ctx.texts("complaint_senior")
            if case and case.get("stage") not in (None, "done"):
                case["kind"] = "activist"
                case["stage"] = "handed_over"
            else:
                # "I'll sue you", "Подам в суд" with no case open got "I'm passing your case to
                # a senior manager": the playbook's thanks and apology come first, here too
                said = (
                    f"{ctx.texts('complaint_thanks')} {ctx.texts('complaint_sorry_angry')} {said}"
                )
            ctx.say_text(activist_gesture(ctx, self.rules, said))
            ctx.request_handoff("legal_threat", "high")
            return True
        if (
            threat in (None, "none")
            and not data
            and len(text.split()) <= 8
            and only_asks_who_answers(text)
        ):
            # "who am I talking to?", "jesteś botem?": a question, said plainly (not a
            # colleague called at once, nor "I only know shop matters"); a person a tap away
            ctx.say("bot_identity", buttons=ConversationEngine.topic_buttons(ctx.texts))
            ctx.event("bot_identity")
            return True
        if wants_person and not data and threat in (None, "none") and ctx.faq is not None:
            case = ctx.state.get("complaint") or {}
            idle = case.get("stage") in (None, "done") and ctx.state.get("order_status") != "asked"
            if idle and asks_how_to_reach_later(text):
                # "…переключиться на живого сотрудника, если вдруг понадобится? и быстро они
                # отвечают?": how it is done, from the KB (a person stays a tap away)
                return await ctx.faq.question(ctx, text)
            if (
                idle
                and ctx.intent == "request_human"
                and not PERSON_ASKED.search(text)
                and not _CALL_ASKED.search(text)
                and len(text.split()) >= KB_BEFORE_PERSON_WORDS
                and await ctx.faq.sure_answer(ctx, text)
            ):
                # "Хочу сделать заказ для компании, нужен счёт" (a person to the model, with
                # no word for one) was passed to a colleague at once: the KB's sure answer
                return True
        if wants_person:
            # a manager asked for comes urgently (the playbook's tier 3)
            ctx.request_handoff("customer_request", "high" if manager_asked(text) else "normal")
            return True
        return False
