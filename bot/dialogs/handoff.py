"""Hand-off triggers that are not part of another flow: asking for a person, legal threats."""

from __future__ import annotations

import re

from bot.dialogs.engine import TurnContext
from bot.dialogs.rules import Compensation, Rules, load_rules

# Asking for a person is always honoured, even when the classifier hesitates. A word for staff
# alone is no request ("the agent on the phone was rude", "менеджер нахамил" are complaints
# about staff): it takes a request form ("позовите менеджера", "I want to talk to an agent"),
# or the word on its own ("оператора!", "agent please"), also as a message's last sentence.
_STAFF = (
    r"(?:оператор|менеджер|консультант|специалист|сотрудник|человек|людей)\w*|"
    r"(?:an?\s+|the\s+|your\s+|some\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:person|human|agent|operator|manager|representative|rep|someone|somebody|supervisor)\b|"
    r"(?:konsultant|operator|cz[łl]owiek|pracownik|osob)\w*"
)
_HUMAN = re.compile(
    r"жив\w*\s+(?:человек|оператор|менеджер|сотрудник|консультант)|"
    r"\bпозовите|\bсоедините|\bпереключите|\bсвяжите\s+(?:меня\s+)?с|"
    rf"(?:дайте|дай|нужен|нужна|нужно|позвать|хочу|можно|давайте)\s+(?:мне\s+)?(?:\w+\s+)?(?:{_STAFF})|"
    rf"(?:поговорить|говорить|пообщаться|общаться|связаться)\s+с\s+(?:\w+\s+)?(?:{_STAFF})|"
    r"\breal\s+(?:person|human)|\bhuman\s+being|\bactual\s+human|"
    rf"\b(?:talk|speak|chat|connect|transfer|put|pass|escalate)\w*\s+(?:me\s+)?(?:to|with|through\s+to)\s+(?:{_STAFF})|"
    rf"\b(?:i\s+(?:want|need|would\s+like)|i'd\s+like|get\s+me|give\s+me|can\s+i\s+(?:have|get))\s+(?:{_STAFF})|"
    rf"(?:chc[ęe]|poprosz[ęe]|prosz[ęe]|potrzebuj[ęe]|dajcie|daj)\s+(?:mi\s+)?(?:\w+\s+)?(?:z\s+)?(?:{_STAFF})|"
    rf"(?:rozmawia[ćc]|porozmawia[ćc]|po[łl][ąa]cz\w*|prze[łl][ąa]cz\w*)\s+(?:mnie\s+)?(?:z|ze)\s+(?:\w+\s+)?(?:{_STAFF})|"
    rf"^\W*(?:{_STAFF})\W*(?:please|pls|пожалуйста|plz|prosz[ęe])?\W*$|"
    # ... or closing a message: "The new lid came broken too. Operator please"
    rf"[.!?…]\s*(?:{_STAFF})\W*(?:please|pls|пожалуйста|plz|prosz[ęe])\W*$",
    re.IGNORECASE,
)


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
    """An explicit request for a person anywhere in a message, however long."""
    return bool(_HUMAN.search(text))


def asks_for_person(text: str) -> bool:
    """ "A real person, please", in words (short messages only)."""
    return bool(_HUMAN.search(text)) and len(text) < 120


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
        threat = ctx.prediction.threat if ctx.prediction else None
        if threat == "legal":
            # An activist: a senior person takes the case at once, with everything so far.
            case = ctx.state.get("complaint")
            if case and case.get("stage") not in (None, "done"):
                case["kind"] = "activist"
                case["stage"] = "handed_over"
            ctx.say_text(activist_gesture(ctx, self.rules, ctx.texts("complaint_senior")))
            ctx.request_handoff("legal_threat", "high")
            return True
        if wants_person:
            ctx.request_handoff("customer_request", "normal")
            return True
        return False
