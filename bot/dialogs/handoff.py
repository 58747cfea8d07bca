"""Hand-off triggers that are not part of another flow: asking for a person, legal threats."""

from __future__ import annotations

import re
from typing import Any

from bot.dialogs.engine import ConversationEngine, TurnContext, help_asked
from bot.dialogs.rules import Compensation, Rules, load_rules
from bot.nlu.lexicon import PERSON_ASKED, asks_for_person, manager_asked

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


def with_gesture(ctx: TurnContext, gesture: Compensation | None, text: str) -> str:
    """``text`` plus a goodwill gesture from the rules (and its ``compensation_offered``)."""
    if gesture is None:
        return text
    ctx.event("compensation_offered", kind=gesture.kind, value=gesture.value, gesture=True)
    return f"{text} {ctx.texts(f'gesture_{gesture.kind}', value=f'{gesture.value:g}')}"


def gestures_given(ctx: TurnContext, since: int | None = None) -> list[dict[str, Any]]:
    """The compensations chosen and the gestures given in this chat (``since``: from that
    turn on; an event of no turn counts)."""
    return [
        t
        for t in [*ctx.state.get("trail", []), *ctx.outcome.events]
        if (
            t.get("type") == "compensation_chosen"
            or (t.get("type") == "compensation_offered" and t.get("gesture"))
        )
        and (since is None or t.get("turn") is None or int(t["turn"]) >= int(since))
    ]


def activist_gesture(ctx: TurnContext, rules: Rules, text: str) -> str:
    """``text`` plus the activist's compensation (rules: activist_gesture), once per chat.
    One gesture per case: a case given one already ("SORRY10" to an angry double charge,
    then "zgłoszę chargeback w banku" got "SORRY20" too) gets no second coupon; the senior
    who takes it decides the larger compensation, and the customer is told so."""
    if ctx.state.get("activist_gesture"):
        return text
    ctx.state["activist_gesture"] = rules.activist_gesture is not None
    case = ctx.state.get("complaint") or {}
    given = gestures_given(ctx, case.get("opened_turn")) if case else []
    if rules.activist_gesture is not None and given:
        ctx.event(
            "compensation_not_offered",
            reason="gesture_given",
            kind=given[-1].get("kind"),
            decides="senior",  # the card says who decides the larger one
        )
        return f"{text} {ctx.texts('complaint_senior_compensation')}"
    return with_gesture(ctx, rules.activist_gesture, text)


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
