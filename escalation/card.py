"""The context card operators receive: everything known, so the customer repeats nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db.models import Conversation, Customer, Message, Ticket
from bot.dialogs.texts import money, number
from bot.reports import TYPE_WORDS

CARD_LIMIT = 3500  # the card message itself; the full transcript goes as a file when longer
DESCRIPTION_SHOWN = 1000  # letters of what happened on the card (the transcript has it all)

REASONS = {
    "customer_request": "customer asked for a person",
    "legal_threat": "legal threat",
    "safety": "safety incident (injury, fire, electric shock...)",
    "not_understood": "the bot did not understand twice",
    "fix_not_helped": "the fix did not help",
    "fix_unclear": "no fix agreed after two offers",
    "promise_broken": "the promised time passed and the customer wrote again",
    "faq_not_helpful": "the FAQ answers did not help",
    "amount_over_limit": "claim amount over the limit",
    "vip": "VIP customer",
    "needs_person": "the complaint needs a person",
    "operator_reopened": "reopened by an operator",
    "order_status": "order status: needs a look in the order system",
    "order_change": "cancel or change an order: needs the order system",
    "reply_blocked": "the bot's answer had a phrase it must never say (check the FAQ entry)",
}

# the classifier's labels (../shared/spec/labels.md) and the details asked for, as an
# operator reads them
INTENT_WORDS = {
    "complaint": "complaint",
    "request_human": "asks for a person",
    "faq": "a question (FAQ)",
    "order_status": "where is my order",
    "greeting": "greeting",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "affirm": "agrees",
    "deny": "disagrees",
    "praise": "praise",
    "out_of_scope": "off-topic",
}
THREAT_WORDS = {
    "none": "none",
    "churn": "to stop buying here",
    "public": "a public review or post",
    "legal": "legal action",
}
SLOT_WORDS = {
    "order_ref": "order number",
    "photo": "photo",
    "description": "what happened",
    "contact": "phone or email",
}


FIX_WORDS = {"refund": "a refund", "replacement": "a replacement", "repair": "a repair"}


# why a person was asked for that makes a new request, not the case the bot closed before
NEW_REQUESTS = frozenset(
    {
        "customer_request",
        "order_status",
        "order_change",
        "faq_not_helpful",
        "not_understood",
        "reply_blocked",
        "vip",
    }
)


def closed_case(state: dict[str, Any], ticket: Ticket) -> dict[str, Any] | None:
    """The complaint the bot solved (the customer said it was fine) before this ticket was
    asked for something else ('где мой заказ 7781420? соедините с оператором'): the ticket is
    not about it, so its card and topic are not named after it. None: no such case."""
    case: dict[str, Any] = state.get("complaint") or {}
    if case.get("stage") != "done" or case.get("satisfied") is not True:
        return None
    if ticket.reason not in NEW_REQUESTS:
        return None  # "the fix did not help", a threat, a claim over the limit: about it
    trail: list[dict[str, Any]] = state.get("trail") or []
    solved = [
        int(t.get("turn", 0)) for t in trail if t.get("type") == "resolved" and t.get("by") == "bot"
    ]
    asked = [
        int(t.get("turn", 0))
        for t in trail
        if t.get("type") == "escalated" and t.get("ticket_id") == ticket.id
    ]
    if not solved or not asked or min(asked) <= max(solved):
        return None
    return case


def ticket_case_type(state: dict[str, Any], ticket: Ticket) -> str | None:
    """The complaint type a ticket's topic is named after (none for a new request made
    after the bot closed a case)."""
    if closed_case(state, ticket) is not None:
        return None
    return (state.get("complaint") or {}).get("type")


def labelled(words: dict[str, str], code: str | None, empty: str = "-") -> str:
    """A label in words with its code ('late or lost delivery (delivery_delay)'): the words
    for the operator, the code as the classifier and the reports name it."""
    said = in_words(words, code, empty)
    return f"{said} ({code})" if code and code not in ("-", "none") and said != code else said


def in_words(words: dict[str, str], code: str | None, empty: str = "-") -> str:
    """A label in words ('delivery_delay' -> 'late or lost delivery'); unknown: as it is."""
    if not code:
        return empty
    return words.get(code, code.replace("_", " "))


@dataclass
class Card:
    text: str  # the card without the transcript (fits in one Telegram message)
    transcript: str
    summary: str

    @property
    def full(self) -> str:
        return f"{self.text}\n\nTranscript:\n{self.transcript}"

    @property
    def needs_file(self) -> bool:
        return len(self.full) > CARD_LIMIT


SHARED = ("contact", "location", "poll", "dice")


def customer_kind(emotion: str | None, threat: str | None, is_complaint: bool) -> str | None:
    if threat == "legal":
        return "activist"
    if emotion == "angry" or threat in ("churn", "public"):
        return "angry"
    return "claimant" if is_complaint else None


def transcript_lines(messages: list[Message], tz: Any) -> list[str]:
    who = {"in": "Customer", "out": "Bot", "operator": "Operator", "note": "Note"}
    lines = []
    labels: dict[str, str] = {}  # a button's code -> its text, as the customer last saw it
    for m in messages:
        for row in m.buttons or []:
            labels.update({b["data"]: b["text"] for b in row if b.get("data") and b.get("text")})
        stamp = _fmt_time(m.created_at, tz)
        body = m.text or ""
        media = [
            # a shared contact, location, poll or dice says what it is: the phone, the
            # coordinates, the question, the throw
            f"forwarded from {a['name']}"
            if a.get("kind") == "forwarded"
            else f"{a['kind']} {a['name']}"
            if a.get("kind") in SHARED and a.get("name")
            else a.get("kind", "?")
            for a in (m.attachments or [])
            if a.get("kind") not in ("button", "edit")
        ]
        first = next(
            (a.get("name") for a in (m.attachments or []) if a.get("kind") == "edit"), None
        )
        buttons = [
            labels.get(a.get("name") or "", a.get("name"))
            for a in (m.attachments or [])
            if a.get("kind") == "button"
        ]
        if media:
            body = f"[{', '.join(media)}] {body}".strip()
        if buttons:
            body = f"[pressed {buttons[0]}] {body}".strip()
        if first is not None:
            body += f" (edited; was: {first})"
        elif m.edited_at is not None:
            body += " (edited)"
        lines.append(f"[{stamp}] {who.get(m.direction, m.direction)}: {body}")
    return lines


def _fmt_time(value: datetime | None, tz: Any) -> str:
    if value is None:
        return "--:--"
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz).strftime("%d.%m %H:%M")


def build_card(
    *,
    ticket: Ticket,
    customer: Customer,
    conversation: Conversation,
    state: dict[str, Any],
    messages: list[Message],
    previous_tickets: list[Ticket],
    tz: Any,
    classification: dict[str, Any] | None = None,
    assignee: str | None = None,
    raised: list[str] | None = None,
    promised: datetime | None = None,
    case_details: dict[str, Any] | None = None,
) -> Card:
    """The card (``raised``: the reasons the ticket was raised to high priority for later,
    such as a legal threat told while it waited; ``promised``: the opening time the customer
    was told a person replies at, after hours; ``case_details``: the details recorded with
    the state's complaint)."""
    known: dict[str, Any] = state.get("known", {})
    complaint: dict[str, Any] = state.get("complaint", {})
    earlier = closed_case(state, ticket)
    cls = (
        classification
        or state.get("case_classification")
        or state.get("last_classification", {})
        or {}
    )
    if earlier is not None:
        # a new request after a case the bot closed: the card is the request's; that case's
        # story and photos are not this ticket's details
        complaint = {}
        cls = classification or state.get("last_classification") or {}
        was = case_details or {}
        known = {
            k: v
            for k, v in known.items()
            if not (k in ("description", "amount", "currency") and v == was.get(k))
        }
        photos = [p for p in known.get("photos") or [] if p not in (was.get("photos") or [])]
        known["photos"] = photos
    trail: list[dict[str, Any]] = state.get("trail", [])

    prio = "HIGH" if ticket.priority == "high" else "normal"
    status = {"open": "waiting", "taken": "in progress", "resolved": "resolved"}.get(
        ticket.status, ticket.status
    )
    later = [r for r in dict.fromkeys(raised or []) if r not in (ticket.reason, "safety")]
    if state.get("safety") == ticket.id:
        later.append("safety")  # told while waiting for a person
    reason = "; then: ".join(REASONS.get(r, r) for r in [ticket.reason, *later])
    lines = [f"🎫 Ticket #{ticket.id} · {prio} priority · {status}", f"Reason: {reason}"]
    if assignee:
        lines.append(f"Operator: {assignee}")
    if promised is not None:
        lines.append(
            f"Reply promised: {_fmt_time(promised, tz)} (the team was off or closing: the "
            "customer was told a colleague answers then)"
        )

    # what each was about and when, so the operator need not hunt for its topic
    prev = (
        ", ".join(
            f"#{t.id} ({t.status}, {_fmt_time(t.created_at, tz)[:5]}, "
            f"{REASONS.get(t.reason, t.reason)})"
            for t in previous_tickets[-3:]
        )
        or "none"
    )
    lines.append(
        f"Customer: {customer.display_name} · id {customer.external_id} · "
        f"language {conversation.language or customer.language or '?'} · "
        f"VIP {'yes' if customer.is_vip else 'no'} · previous tickets: {prev}"
    )
    if customer.blocked_bot:
        lines.append("⚠️ The customer has blocked the bot: replies will not reach them.")

    intent = cls.get("intent") or "?"
    ctype = complaint.get("type") or cls.get("complaint_type") or "-"
    kind = complaint.get("kind") or customer_kind(
        cls.get("emotion"), cls.get("threat"), intent == "complaint"
    )
    lines.append(
        f"Intent: {labelled(INTENT_WORDS, intent, '?')} · "
        f"complaint type: {labelled(TYPE_WORDS, ctype)} · "
        f"emotion: {cls.get('emotion') or '?'} · "
        f"threat: {labelled(THREAT_WORDS, cls.get('threat'), 'none')} · "
        f"customer kind: {kind or '-'}"
    )

    details = []
    if known.get("order_ref"):
        details.append(f"order {known['order_ref']}{_was(trail, 'order_ref', known['order_ref'])}")
    if known.get("amount") is not None:
        currency = known.get("currency")
        amount = float(known["amount"])
        said = (
            money(amount, currency, "en")
            if currency
            else f"{number(amount, 'en')} (no currency said)"
        )
        details.append(f"amount {said}{_was(trail, 'amount', f'{amount:g}')}")
    if known.get("photos"):
        details.append(f"photos/files: {len(known['photos'])}")
    if known.get("contact"):
        details.append(f"contact {known['contact']}")
    if known.get("location"):
        details.append(f"location {known['location']}")
    lines.append("Details: " + ("; ".join(details) if details else "none collected"))
    if known.get("description"):
        said = str(known["description"])
        if len(said) > DESCRIPTION_SHOWN:
            # a long story would push the summary off a card Telegram cuts at its limit
            said = said[:DESCRIPTION_SHOWN].rstrip() + "… (all of it in the transcript)"
        lines.append(f"Description: {said}")

    if complaint.get("wanted"):
        asked = FIX_WORDS.get(complaint["wanted"], complaint["wanted"])
        if complaint.get("arranged"):
            instead = complaint["arranged"]  # "the compensation offered"
        else:
            done = complaint.get("choice") or complaint.get("outcome") or "-"
            instead = f"what the bot arranged ({done.replace('_', ' ')})"
        lines.append(f"⚠️ The customer asks for {asked} instead of {instead}.")
    elif complaint.get("wished") and not complaint.get("choice"):
        # "może być wymiana" said before the details were in, then a person took over
        lines.append(
            f"The customer would like {FIX_WORDS.get(complaint['wished'], complaint['wished'])}"
            " (said before the fix was offered)."
        )
    if state.get("safety") == ticket.id:  # told while waiting for a person
        lines.append("⚠️ The customer reports someone hurt or in danger (safety incident): urgent.")
    if complaint.get("overdue"):
        lines.append("⚠️ The customer says an earlier promise was not kept: handled as urgent.")
    if earlier is not None:
        what = in_words(TYPE_WORDS, earlier.get("type"))
        order = (case_details or {}).get("order_ref")
        outcome = earlier.get("outcome")
        lines.append(
            f"Earlier in this chat, closed by the bot (the customer was satisfied): {what}"
            + (f", order {order}" if order else "")
            + (f", {FIX_WORDS.get(outcome, str(outcome).replace('_', ' '))}" if outcome else "")
            + "."
        )
    also = [t.get("complaint_type") for t in trail if t.get("type") == "complaint_also_recorded"]
    if also:
        lines.append(
            "Also in the message, recorded and passed on: "
            + ", ".join(in_words(TYPE_WORDS, str(t)) for t in also)
        )

    waiting = (complaint.get("next") or {}).get("type")
    if waiting:  # "...cracked and the lid is missing": the second, taken up after this one
        lines.append(
            "Also in the message, recorded and not yet sorted out: "
            + in_words(TYPE_WORDS, str(waiting))
        )

    tried = [t for t in trail if t.get("type") in ("faq_answered", "faq_declined")]
    unhelpful = _not_helpful_answers(trail)
    faq = state.get("faq") or {}
    question = faq.get("query")
    # the FAQ's hand-offs: "didn't help", or a person asked for after "that's all I have"
    if tried and question and (ticket.reason == "faq_not_helpful" or faq.get("repeated")):
        lines.append(f"Question: {question}")
    if tried:
        parts = []
        for t in tried[-4:]:
            if t["type"] == "faq_answered":
                score = t.get("score")  # none for a topic the customer picked from old buttons
                how = "picked by the customer" if score is None else f"score {score:.2f}"
                if id(t) in unhelpful:
                    how += ", the customer said it did not help"
                parts.append(f"answered with '{t.get('answer_id')}' ({how})")
            else:
                cands = t.get("candidates") or []
                shown = ", ".join(
                    f"{c.get('answer_id')} {float(c.get('score', 0)):.2f}" for c in cands[:3]
                )
                parts.append(f"no confident answer (closest: {shown or 'none'})")
        lines.append("Bot tried: " + "; ".join(parts))
    promises = _promises(trail)
    if promises:
        lines.append("Bot promised: " + "; ".join(promises))
    closed_at = max(
        (int(t.get("turn", 0)) for t in trail if t.get("type") == "resolved" and earlier),
        default=-1,
    )  # what the closed case asked for was given then
    asked = sorted(
        {
            t.get("slot")
            for t in trail
            if t.get("type") == "asked_for" and int(t.get("turn", 0)) > closed_at
        }
        - {None}
    )
    missing = [s for s in asked if not _slot_known(known, s)]
    if missing:
        lines.append(
            "Asked but not yet given: " + ", ".join(in_words(SLOT_WORDS, s) for s in missing)
        )

    summary = _summary(intent, ctype, kind, known, reason, cls)
    lines.append(f"Summary: {summary}")
    lines.append(
        "Reply in this topic to write to the customer. "
        "Start with # for an internal note. /take /resolve /transfer /canned /help"
    )
    transcript = "\n".join(transcript_lines(messages, tz))
    return Card(text="\n".join(lines), transcript=transcript, summary=summary)


def _was(trail: list[dict[str, Any]], slot: str, now: Any) -> str:
    """' (corrected from 7781420)': the detail replaced an earlier one the bot may have
    used already (passed to a team, said in a promise)."""
    was = next(
        (
            t.get("was")
            for t in reversed(trail)
            if t.get("type") == "detail_corrected" and t.get("slot") == slot
        ),
        None,
    )
    return f" (corrected from {was})" if was and str(was) != str(now) else ""


def _gesture(event: dict[str, Any]) -> str:
    """A compensation in words, with the code the customer was given."""
    kind, value = event.get("kind"), float(event.get("value") or 0)
    if kind == "coupon":
        return f"a {value:g}% coupon (SORRY{value:g})"
    if kind == "free_delivery":
        return "free delivery" + (f" (next {value:g} orders)" if value > 1 else "")
    if kind == "gift":
        return "a gift with the next order"
    return str(kind or "?").replace("_", " ")


def _promises(trail: list[dict[str, Any]]) -> list[str]:
    """What the bot promised, gave or offered, in order: the compensations offered in one
    turn are a choice, and the one the customer took is said."""
    said: list[str] = []
    offered: list[dict[str, Any]] = []
    for i, t in enumerate(trail):
        kind = t.get("type")
        if kind == "compensation_offered":
            offered.append(t)
            nxt = trail[i + 1] if i + 1 < len(trail) else {}
            if nxt.get("type") == "compensation_offered" and nxt.get("turn") == t.get("turn"):
                continue
            gestures = [_gesture(o) for o in offered]
            said.append(
                gestures[0] if len(gestures) == 1 else "offered a choice of " + ", ".join(gestures)
            )
            offered = []
        elif kind == "compensation_chosen":
            said.append(f"the customer chose {_gesture(t)}")
        elif kind == "promised":
            said.append(t.get("text") or "a promise")
    return said


def _not_helpful_answers(trail: list[dict[str, Any]]) -> set[int]:
    """The answers (by ``id``) the customer said "didn't help" to: the next such word after an
    answer, before another answer came."""
    marked: set[int] = set()
    last: dict[str, Any] | None = None
    for t in trail:
        if t.get("type") == "faq_answered":
            last = t
        elif t.get("type") == "faq_not_helpful" and last is not None:
            if t.get("answer_id") in (None, last.get("answer_id")):
                marked.add(id(last))
            last = None
    return marked


def _slot_known(known: dict[str, Any], slot: str) -> bool:
    if slot == "photo":
        return bool(known.get("photos"))
    return bool(known.get(slot))


def _summary(
    intent: str,
    ctype: str,
    kind: str | None,
    known: dict[str, Any],
    reason: str,
    cls: dict[str, Any],
) -> str:
    about = f"order {known['order_ref']}" if known.get("order_ref") else "no order number yet"
    if intent == "complaint" or ctype != "-":
        what = in_words(TYPE_WORDS, ctype)
        first = f"{(kind or 'claimant').capitalize()} complaint ({what}) about {about}."
    else:
        first = f"Customer needs help ({in_words(INTENT_WORDS, intent, '?')}); {about}."
    threat = cls.get("threat")
    second = f"Handed over because: {reason}" + (
        f"; threat: {in_words(THREAT_WORDS, threat)}." if threat and threat != "none" else "."
    )
    return f"{first}\n{second}"
