"""The context card operators receive: everything known, so the customer repeats nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal

from bot.db.models import Conversation, Customer, Message, Ticket, as_utc
from bot.delivery import MAX_ATTEMPTS
from bot.dialogs.slots import said_once, sentences
from bot.dialogs.texts import SOURCE, Texts, catalogue, label, money, number
from bot.dialogs.types import SPOKEN_KINDS
from escalation.texts import in_words, operator_texts

CARD_LIMIT = 3500  # the card message itself; the full transcript goes as a file when longer
QUESTION_SHOWN = 300  # letters of the question asked
DESCRIPTION_SHOWN = 1000  # letters of what happened on the card (the transcript has it all)
NOTE_SHOWN = 200  # letters of a note on an earlier ticket

REASONS = {
    "customer_request": "customer asked for a person",
    "legal_threat": "legal threat",
    "angry_threat": "the customer threatens a public review or to leave",
    "safety": "safety incident (injury, fire, electric shock...)",
    "not_understood": "the bot did not understand twice",
    "fix_not_helped": "the fix did not help",
    "fix_unclear": "no fix agreed after two offers",
    "promise_broken": "the promised time passed and the customer wrote again",
    "repeat_contact": "the customer has written about this three times or more",
    "faq_not_helpful": "the FAQ answers did not help",
    "amount_over_limit": "claim amount over the limit",
    "vip": "VIP customer",
    "needs_person": "the complaint needs a person",
    "operator_reopened": "reopened by an operator",
    "order_status": "order status: needs a look in the order system",
    "order_change": "cancel or change an order: needs the order system",
    "reply_blocked": "the bot's answer had a phrase it must never say (check the FAQ entry)",
}

# the words of codes on the card, by their catalogue keys' prefix (escalation/locales): the
# classifier's labels (../shared/spec/labels.md), the details asked for, the fixes; complaint
# types and hand-off reasons are the admins' words (the reports say them so too)
TYPE = "admin_type_"
REASON = "admin_reason_"
INTENT = "op_intent_"
THREAT = "op_threat_"
EMOTION = "op_emotion_"
KIND = "op_kind_"
SLOT = "op_slot_"
FIX = "op_fix_"
MEDIA = "op_media_"
# what the bot arranged, as the complaint flow records it (in English, kept in the state)
ARRANGED = {
    "the compensation offered": "op_arranged_compensation",
    "the compensations the bot can give (coupon, free delivery, gift)": (
        "op_arranged_compensations"
    ),
}

# what the customer asked for instead, as the complaint flow records it (in English, kept in
# the state; a fix's code, "refund", is said by FIX)
WANTED = {
    "the item itself, not a compensation": "op_wanted_item",
    "an extra compensation": "op_wanted_extra",
    "money as a compensation": "op_wanted_money",
    "a faster solution": "op_wanted_faster",
}


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


# hand-offs that may be about the FAQ's question (its answer did not help or could not be
# sent, or a person asked for after it)
FAQ_HANDOFFS = frozenset({"faq_not_helpful", "reply_blocked", "customer_request"})
# what the complaint flow did for its case, in the trail
CASE_EVENTS = frozenset(
    {
        "asked_for",
        "promised",
        "compensation_offered",
        "compensation_chosen",
        "fix_chosen",
        "fix_changed",
        "goodwill_approved",
    }
)
FAQ_EVENTS = ("faq_answered", "faq_declined")


def _turn(event: dict[str, Any]) -> int:
    return int(event.get("turn", 0))


def left_case_at(state: dict[str, Any], ticket: Ticket) -> int | None:
    """The turn of the first FAQ question after a complaint was left unfinished, when the
    ticket is about that question ("Can I return underwear?" after "Кружка треснула, это по
    гарантии?" opened a case still waiting for the order number): the card is the question's,
    not the old case's. None: the card is the complaint's (or there is none)."""
    complaint: dict[str, Any] = state.get("complaint") or {}
    if not complaint or ticket.reason not in FAQ_HANDOFFS:
        return None
    trail: list[dict[str, Any]] = state.get("trail") or []
    last = max(
        [int(complaint.get("opened_turn", -1))]
        + [_turn(t) for t in trail if t.get("type") in CASE_EVENTS]
    )
    asked = [_turn(t) for t in trail if t.get("type") in FAQ_EVENTS and _turn(t) > last]
    return min(asked) if asked else None


def ticket_case_type(state: dict[str, Any], ticket: Ticket) -> str | None:
    """The complaint type a ticket's topic is named after (none for a new request made
    after the bot closed a case)."""
    if closed_case(state, ticket) is not None:
        return None
    return (state.get("complaint") or {}).get("type")


def labelled(texts: Texts, prefix: str, code: str | None, empty: str = "-") -> str:
    """A label in words with its code ('late or lost delivery (delivery_delay)'): the words
    for the operator, the code as the classifier and the reports name it."""
    said = in_words(texts, prefix, code, empty)
    return f"{said} ({code})" if code and code not in ("-", "none") and said != code else said


@dataclass
class Card:
    text: str  # the card without the transcript (fits in one Telegram message)
    transcript: str
    summary: str
    heading: str = "Transcript:"  # the transcript's, in the operators' language

    @property
    def full(self) -> str:
        return f"{self.text}\n\n{self.heading}\n{self.transcript}"

    @property
    def needs_file(self) -> bool:
        return len(self.full) > CARD_LIMIT


SHARED = ("contact", "location", "poll", "dice", "game")
# the mark of an operator's reply written in a resolved ticket's topic: not sent, kept on its
# card (a note's row, with this mark among its attachments)
NOT_SENT = "not_sent"
# the kinds of customer a complaint comes from (../shared/spec/labels.md), as customer_kind
# derives them
CUSTOMER_KINDS = ("claimant", "angry", "activist")


def customer_kind(emotion: str | None, threat: str | None, is_complaint: bool) -> str | None:
    if threat == "legal":
        return "activist"
    if emotion == "angry" or threat in ("churn", "public"):
        return "angry"
    return "claimant" if is_complaint else None


def transcript_lines(
    messages: list[Message],
    tz: Any,
    texts: Texts | None = None,
    authors: dict[int, str] | None = None,
) -> list[str]:
    """The conversation as the operators read it: who said what and when (what was said,
    as it was said; the rest in the operators' language); ``authors``: the operators' names
    by their Telegram ids ('Olga'), each reply said by its own (two on one ticket read as
    one "Operator:" before)."""
    texts = texts or operator_texts()
    who = {
        "in": texts("op_who_in"),
        "out": texts("op_who_out"),
        "operator": texts("op_who_operator"),
        "note": texts("op_who_note"),
    }
    lines = []
    labels: dict[str, str] = {}  # a button's code -> its text, as the customer last saw it
    for m in messages:
        for row in m.buttons or []:
            labels.update({b["data"]: b["text"] for b in row if b.get("data") and b.get("text")})
        stamp = _fmt_time(m.created_at, tz)
        body = m.text or ""
        media = [
            # a shared contact, location, poll, dice or game says what it is: the phone,
            # the coordinates (and the place's name), the question, the throw, the game
            texts("op_tr_forwarded", name=a["name"])
            if a.get("kind") == "forwarded"
            else f"{_media(texts, a['kind'])} {a['name']}"
            if a.get("kind") in SHARED and a.get("name")
            else _media(texts, a.get("kind", "?"))
            for a in (m.attachments or [])
            if a.get("kind") not in ("button", "edit", NOT_SENT)
        ]
        first = next(
            # (what was first written; an edit's notice in the topic is kept there too)
            (a["name"] for a in (m.attachments or []) if a.get("kind") == "edit" and "name" in a),
            None,
        )
        buttons = [
            labels.get(a.get("name") or "", None) or _button(texts, a.get("name") or "")
            for a in (m.attachments or [])
            if a.get("kind") == "button"
        ]
        if media:
            body = f"[{', '.join(media)}] {body}".strip()
        if buttons:
            body = f"[{texts('op_tr_pressed', label=buttons[0])}] {body}".strip()
        if first is not None:
            body += " " + texts("op_tr_edited_was", first=first)
        elif m.edited_at is not None:
            body += " " + texts("op_tr_edited")
        speaker = who.get(m.direction, m.direction)
        name = (
            (authors or {}).get(m.author_id or 0) if m.direction in ("operator", "note") else None
        )
        if name and m.direction == "operator":
            speaker = texts("op_who_operator_named", name=name)
        elif name:
            body += " " + texts("op_tr_noted_by", name=name)  # "Note: courier called — Olga"
        if any(a.get("kind") == NOT_SENT for a in m.attachments or []):
            speaker = texts("op_who_not_sent")
        elif m.direction == "operator" and refused(m):
            speaker = texts("op_who_not_delivered", who=speaker)  # blocked, or the chat gone
        lines.append(f"[{stamp}] {speaker}: {body}")
    return lines


def refused(message: Message) -> bool:
    """Whether Telegram refused a message for good (the customer blocked the bot, the chat
    is gone): the outbox sends it no more."""
    return (
        message.delivered_at is None
        and bool(message.delivery_error)
        and (message.attempts or 0) >= MAX_ATTEMPTS
    )


def _button(texts: Texts, data: str) -> str:
    """A button pressed under a message the transcript does not hold (the survey's "Was your
    question solved?" of the previous ticket: it read "[pressed sv:solved:no]"), in words."""
    return label(texts, f"op_tr_button_{re.sub(r'[^a-z0-9]+', '_', data.lower())}", data)


def _media(texts: Texts, kind: str) -> str:
    """A kind of message in words ('photo', 'фото'); one the catalogues lack as it is."""
    return label(texts, f"{MEDIA}{kind}", kind)


FILE_NAMES_SHOWN = 3  # the names of the customer's files the Details line says


def _file_names(files: list[Any], messages: list[Message]) -> str:
    """The names of the customer's files ('invoice.pdf, receipt.pdf'), as they sent them
    (a file is kept by its Telegram id; its name is in the message it came in)."""
    named = {
        a["file_id"]: a["name"]
        for m in messages
        for a in m.attachments or []
        if a.get("file_id") and a.get("name")
    }
    names = [named.get(str(f)) or (str(f) if "." in str(f) else None) for f in files]
    shown = [n for n in dict.fromkeys(names) if n]
    said = ", ".join(shown[:FILE_NAMES_SHOWN])
    return said + ", …" if len(shown) > FILE_NAMES_SHOWN else said


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
    earlier_notes: list[tuple[int, str]] | None = None,
    texts: Texts | None = None,
    authors: dict[int, str] | None = None,
    feedback: list[tuple[str, int | None, str | None]] | None = None,
) -> Card:
    """The card (``raised``: the reasons the ticket was raised to high priority for later,
    such as a legal threat told while it waited; ``promised``: the opening time the customer
    was told a person replies at, after hours; ``case_details``: the details recorded with
    the state's complaint; ``earlier_notes``: the latest notes on the customer's earlier
    tickets, (ticket, text) oldest first; ``texts``: the operators' language, English by
    default; ``authors``: the operators' names the transcript says their replies and notes
    by; ``feedback``: the customer's survey answers on the ticket, (question, score, text))."""
    say = texts or operator_texts()
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
        for kind in ("photos", "files"):
            known[kind] = [p for p in known.get(kind) or [] if p not in (was.get(kind) or [])]
    trail: list[dict[str, Any]] = state.get("trail", [])
    # the turn this ticket's matter began at: what the bot tried or asked before it is another
    # matter's (an old FAQ question, a complaint left for the question handed over)
    since = -1
    left = left_case_at(state, ticket) if earlier is None else None
    if left is not None:
        complaint = {}
        cls = classification or state.get("last_classification") or {}
        known = {k: v for k, v in known.items() if k not in ("description", "amount", "currency")}
        since = left
    elif complaint and earlier is None and complaint.get("opened_turn") is not None:
        since = int(complaint["opened_turn"])

    prio = say("op_card_high") if ticket.priority == "high" else say("op_priority_normal")
    status = label(say, f"op_card_status_{ticket.status}", ticket.status)
    later = [r for r in dict.fromkeys(raised or []) if r not in (ticket.reason, "safety")]
    if state.get("safety") == ticket.id:
        later.append("safety")  # told while waiting for a person
    reason = _reason(say, ticket.reason)
    blocked = state.get("blocked_reply") or {}
    if ticket.reason == "reply_blocked" and blocked.get("entry"):
        # which answer, and the phrase: the operator (and an admin) knows what to fix
        reason = say("op_card_reply_blocked", entry=blocked["entry"], phrase=blocked["phrase"])
    for then in later:
        reason = say("op_card_then", reason=reason, later=_reason(say, then))
    lines = [
        say("op_card_head", id=ticket.id, priority=prio, status=status),
        say("op_card_reason", reason=reason),
    ]
    if assignee:
        lines.append(say("op_card_operator", name=assignee))
    if promised is not None:
        lines.append(say("op_card_promised", time=_fmt_time(promised, tz)))
    if feedback:
        lines.append(say("op_card_feedback", feedback="; ".join(_feedback(say, feedback))))

    # what each was about and when, so the operator need not hunt for its topic
    prev = ", ".join(
        f"#{p.id} ({label(say, f'op_ticket_{p.status}', p.status)}, "
        f"{_fmt_time(p.created_at, tz)[:5]}, {_reason(say, p.reason)})"
        for p in previous_tickets[-3:]
    ) or say("op_none")
    lines.append(
        say(
            "op_card_customer",
            name=customer.display_name(say("op_who_in")),
            id=customer.external_id,
            language=conversation.language or customer.language or "?",
            vip=say("op_yes") if customer.is_vip else say("op_no"),
            previous=prev,
        )
    )
    if customer.blocked_bot:
        lines.append(say("op_card_blocked"))
    if earlier_notes:
        # what colleagues noted on those tickets (the transcript has this ticket's own)
        notes = "; ".join(f"#{t} {_cut(text, NOTE_SHOWN)}" for t, text in earlier_notes)
        lines.append(say("op_card_earlier_notes", notes=notes))

    intent = cls.get("intent") or "?"
    ctype = complaint.get("type") or cls.get("complaint_type") or "-"
    kind = complaint.get("kind") or customer_kind(
        cls.get("emotion"), cls.get("threat"), intent == "complaint"
    )
    emotion = cls.get("emotion")
    lines.append(
        say(
            "op_card_intent",
            intent=labelled(say, INTENT, intent, "?"),
            type=labelled(say, TYPE, ctype),
            emotion=label(say, f"{EMOTION}{emotion}", emotion) if emotion else "?",
            threat=labelled(say, THREAT, cls.get("threat"), say("op_threat_none")),
            kind=label(say, f"{KIND}{kind}", kind) if kind else "-",
        )
    )

    details = []
    if known.get("order_ref"):
        was = _was(say, trail, "order_ref", known["order_ref"])
        details.append(say("op_detail_order", order=known["order_ref"], was=was))
    if known.get("amount") is not None:
        currency = known.get("currency")
        amount = float(known["amount"])
        said = (
            money(amount, currency, say.lang)
            if currency
            else say("op_detail_no_currency", amount=number(amount, say.lang))
        )
        was = _was(say, trail, "amount", f"{amount:g}", lambda v: number(float(v), say.lang))
        details.append(say("op_detail_amount", amount=said, was=was))
    if known.get("photos"):
        details.append(say("op_detail_photos", n=len(known["photos"])))
    if known.get("files"):
        # a receipt or an invoice (invoice.pdf): not a photo of the problem, counted apart
        names = _file_names(known["files"], messages)
        key = "op_detail_files" if names else "op_detail_files_count"
        details.append(say(key, n=len(known["files"]), names=names))
    spoken = [
        a
        for m in messages
        if m.direction == "in"
        for a in m.attachments or []
        if a.get("kind") in SPOKEN_KINDS
    ]
    if spoken:
        # a voice message the bot could not hear: copied to the topic, and the card said
        # "Details: none collected" (a photo is counted)
        details.append(say("op_detail_voice", n=len(spoken)))
    if known.get("contact"):
        details.append(say("op_detail_contact", contact=known["contact"]))
    if known.get("location"):
        details.append(say("op_detail_location", location=known["location"]))
    said = "; ".join(details) if details else say("op_card_no_details")
    lines.append(say("op_card_details", details=said))
    if known.get("description"):
        # a long story would push the summary off a card Telegram cuts at its limit
        said = _cut(
            _said_once(str(known["description"])), DESCRIPTION_SHOWN, say("op_card_description_cut")
        )
        lines.append(say("op_card_description", text=said))

    if complaint.get("wanted"):
        wanted = complaint["wanted"]
        asked = say(WANTED[wanted]) if wanted in WANTED else in_words(say, FIX, wanted)
        done = "-"
        if complaint.get("arranged"):
            instead = complaint["arranged"]  # "the compensation offered"
            if instead in ARRANGED:
                instead = say(ARRANGED[instead])
        else:
            done = complaint.get("choice") or complaint.get("outcome") or "-"
            instead = say("op_card_arranged", done=in_words(say, FIX, done))
        if not complaint.get("arranged") and done == "-":
            # "хочу 50% скидку сверху" to the fixes offered: nothing arranged yet (it read
            # "instead of what the bot arranged (-)")
            lines.append(say("op_card_asks", asked=asked))
        else:
            lines.append(say("op_card_asks_instead", asked=asked, instead=instead))
    elif complaint.get("wished") and not complaint.get("choice"):
        # "może być wymiana" said before the details were in, then a person took over
        lines.append(say("op_card_would_like", fix=in_words(say, FIX, complaint["wished"])))
    if decides := _senior_decides(ticket, trail, since):
        # a compensation beyond the bot's limit: who decides it (the card did not say)
        lines.append(say(decides[0], **decides[1]))
    if state.get("safety") == ticket.id:  # told while waiting for a person
        lines.append(say("op_card_safety"))
    if state.get("callback") == ticket.id:  # "Перезвоните мне": the number is in the details
        lines.append(say("op_card_callback"))
    if state.get("order_withdrawn") == ticket.id:  # "ой, передумал, не отменяйте"
        lines.append(say(f"op_card_{state.get('order_asked')}_withdrawn"))
    if complaint.get("overdue"):
        lines.append(say("op_card_overdue"))
    if earlier is not None:
        order = (case_details or {}).get("order_ref")
        outcome = earlier.get("outcome")
        lines.append(
            say(
                "op_card_earlier",
                what=in_words(say, TYPE, earlier.get("type")),
                order=say("op_card_earlier_order", order=order) if order else "",
                outcome=f", {in_words(say, FIX, str(outcome))}" if outcome else "",
            )
        )
    also = [e.get("complaint_type") for e in trail if e.get("type") == "complaint_also_recorded"]
    if also:
        types = ", ".join(in_words(say, TYPE, str(a)) for a in also)
        lines.append(say("op_card_also_recorded", types=types))

    waiting = (complaint.get("next") or {}).get("type")
    if waiting:  # "...cracked and the lid is missing": the second, taken up after this one
        lines.append(say("op_card_also_waiting", type=in_words(say, TYPE, str(waiting))))

    tried = [t for t in trail if t.get("type") in FAQ_EVENTS and _turn(t) >= since]
    unhelpful = _not_helpful_answers(trail)
    faq = state.get("faq") or {}
    question = faq.get("query")
    subject = _person_asked_about(ticket, messages)
    if subject:
        # "Chcę porozmawiać z konsultantem w sprawie faktury." ten minutes after a question on
        # crypto: the card said the crypto question; the request's own subject is the question
        question = subject
    # the FAQ's hand-offs: "didn't help", or a person asked for after "that's all I have"
    # what was asked, when the bot tried the FAQ for it (the summary says what it is about);
    # a code that does not go through: what was said of it, the code and the site's error
    # when asked for (the card had none of them: "Details: none collected")
    promos = [
        t
        for t in trail
        if t.get("type") in ("faq_promo_asked", "faq_promo_checked") and _turn(t) >= since
    ]
    promo = bool(promos)
    if (tried or subject or promo) and question:
        lines.append(say("op_card_question", question=question))
    if tried:
        parts = []
        for e in tried[-4:]:
            if e["type"] == "faq_answered":
                score = e.get("score")  # none for a topic the customer picked from old buttons
                how = (
                    say("op_faq_picked")
                    if score is None
                    else say("op_faq_score", score=_score(score, say.lang))
                )
                if id(e) in unhelpful:
                    how = say("op_faq_not_helped", how=how)
                parts.append(say("op_faq_answered", answer=e.get("answer_id"), how=how))
            else:
                cands = sorted(
                    e.get("candidates") or [], key=lambda c: -float(c.get("score") or 0.0)
                )
                shown = ", ".join(
                    f"{c.get('answer_id')} {_score(c.get('score', 0), say.lang)}" for c in cands[:3]
                )
                parts.append(say("op_faq_declined", closest=shown or say("op_none")))
        lines.append(say("op_card_bot_tried", tried="; ".join(parts)))
    promises = _promises(say, trail, known.get("order_ref"))
    if promises:
        lines.append(say("op_card_bot_promised", promises="; ".join(promises)))
    closed_at = max(
        (int(t.get("turn", 0)) for t in trail if t.get("type") == "resolved" and earlier),
        default=since - 1 if left is not None else -1,
    )  # what the closed (or left) case asked for was given then (or is not this matter's)
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
        slots = ", ".join(in_words(say, SLOT, s) for s in missing)
        lines.append(say("op_card_asked_missing", slots=slots))

    summary = _summary(
        say,
        intent,
        ctype,
        kind,
        known,
        reason,
        cls,
        question=question if tried or subject else None,
        promo=("gift_card" if promos[-1].get("card") else "promo_code") if promos else None,
    )
    lines.append(say("op_card_summary", summary=summary))
    lines.append(say("op_card_footer"))
    transcript = "\n".join(transcript_lines(messages, tz, say, authors))
    return Card(
        text="\n".join(lines),
        transcript=transcript,
        summary=summary,
        heading=say("op_card_transcript"),
    )


def _senior_decides(
    ticket: Ticket, trail: list[dict[str, Any]], since: int
) -> tuple[str, dict[str, Any]] | None:
    """The line saying a senior operator decides a compensation beyond the bot's limit (its
    key and fields): one asked for over it ("$100 for my wasted time"), a larger one after
    the gesture given (the customer was told the senior decides), a refund over the claims
    limit. None: nothing of the kind."""
    seen = [t for t in trail if _turn(t) >= since]
    demanded = [t for t in seen if t.get("type") == "compensation_demanded"]
    if demanded:
        return "op_card_senior_compensation", {"asked": demanded[-1].get("asked") or "?"}
    if any(t.get("type") == "compensation_not_offered" and t.get("decides") for t in seen):
        return "op_card_senior_compensation_told", {}
    if ticket.reason == "amount_over_limit":
        return "op_card_senior_refund", {}
    return None


def _said_once(text: str) -> str:
    """A story with each sentence once: five thousand characters of the same venting filled
    the card's description, and the facts after it (a wedding tomorrow, the shoes' colour)
    were cut off; the transcript keeps every word."""
    said = sentences(text)
    kept = said_once(said)
    return " ".join(kept) if len(kept) < len(said) else text


def _cut(text: str, limit: int, mark: str = "…") -> str:
    """``text`` to ``limit`` letters, ``mark`` saying the rest is left off."""
    return text if len(text) <= limit else text[:limit].rstrip() + mark


def _score(value: Any, lang: str) -> str:
    """An FAQ answer's score as the operators write a decimal: 0.71 (en), 0,71 (ru, pl)."""
    return format_decimal(float(value), format="0.00", locale=lang)


def _reason(texts: Texts, code: str) -> str:
    """Why a ticket was handed to a person, in words ('customer asked for a person')."""
    return label(texts, f"{REASON}{code}", code)


def _was(
    texts: Texts,
    trail: list[dict[str, Any]],
    slot: str,
    now: Any,
    shown: Callable[[Any], str] = str,
) -> str:
    """' (corrected from 7781420)': the detail replaced an earlier one the bot may have
    used already (passed to a team, said in a promise); ``shown``: how it is written (an
    amount as the operators write numbers, '2 500')."""
    was = next(
        (
            t.get("was")
            for t in reversed(trail)
            if t.get("type") == "detail_corrected" and t.get("slot") == slot
        ),
        None,
    )
    if not was or str(was) == str(now):
        return ""
    return " " + texts("op_detail_corrected", was=shown(was))


def _feedback(texts: Texts, answers: list[tuple[str, int | None, str | None]]) -> list[str]:
    """The customer's survey answers in words ('solved: yes', 'rating 4/5', the comment
    quoted), each question's last answer."""
    said: dict[str, str] = {}
    for question, score, answer in answers:
        if question == "solved":
            said[question] = texts("op_feedback_solved_yes" if score else "op_feedback_solved_no")
        elif question == "comment":
            said[question] = texts("op_feedback_comment", text=_cut(answer or "", NOTE_SHOWN))
        else:  # a rating: csat 1-5, nps 0-10
            key = f"op_feedback_{question}"
            known = key in catalogue(SOURCE)
            said[question] = texts(key, score=score) if known else f"{question} {score}"
    return list(said.values())


def _gesture(texts: Texts, event: dict[str, Any]) -> str:
    """A compensation in words, with the code the customer was given."""
    kind, value = event.get("kind"), float(event.get("value") or 0)
    if kind == "coupon":
        return texts("op_gesture_coupon", value=f"{value:g}")
    if kind == "free_delivery":
        if value > 1:
            return texts("op_gesture_free_deliveries", n=f"{value:g}")
        return texts("op_gesture_free_delivery")
    if kind == "gift":
        return texts("op_gesture_gift")
    return str(kind or "?").replace("_", " ")


def _promises(texts: Texts, trail: list[dict[str, Any]], order: Any = None) -> list[str]:
    """What the bot promised, gave or offered, in order: the compensations offered in one
    turn are a choice, and the one the customer took is said. A promise naming an order
    number corrected since (by an edit or a new message) names ``order``, the number now
    (the Details line says what it was corrected from)."""
    replaced = {
        str(t.get("was"))
        for t in trail
        if t.get("type") == "detail_corrected" and t.get("slot") == "order_ref" and t.get("was")
    } - {str(order)}
    said: list[str] = []
    offered: list[dict[str, Any]] = []
    chosen_at: Any = None  # the turn the fix was chosen in
    fix_said: int | None = None  # where its promise is in ``said``
    for i, t in enumerate(trail):
        kind = t.get("type")
        if kind == "fix_chosen":
            chosen_at, fix_said = t.get("turn"), None
        elif kind == "fix_changed" and fix_said is not None:
            # "хотя нет, верните деньги": the fix called off is no promise any more; the
            # one chosen instead follows
            del said[fix_said]
            chosen_at = fix_said = None
        if kind == "compensation_offered":
            offered.append(t)
            nxt = trail[i + 1] if i + 1 < len(trail) else {}
            if nxt.get("type") == "compensation_offered" and nxt.get("turn") == t.get("turn"):
                continue
            gestures = [_gesture(texts, o) for o in offered]
            said.append(
                gestures[0]
                if len(gestures) == 1
                else texts("op_offered_choice", gestures=", ".join(gestures))
            )
            offered = []
        elif kind == "compensation_chosen":
            said.append(texts("op_customer_chose", gesture=_gesture(texts, t)))
        elif kind == "promised":
            # the promise as the customer read it (their language): quoted, not translated
            if chosen_at is not None and t.get("turn") == chosen_at and fix_said is None:
                fix_said = len(said)
            text = t.get("text") or texts("op_a_promise")
            for was in replaced if order else ():
                text = re.sub(rf"(?<!\d){re.escape(was)}(?!\d)", str(order), text)
            said.append(text)
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


# what a request for a person may say that is no subject: the topics offered turned down ("none
# of these, I need a human please", "ни то ни другое", "żadne z nich") and a "please"
_NOT_A_SUBJECT = re.compile(
    r"\b(?:none\s+of\s+(?:these|those|them|the\s+above)|neither(?:\s+of\s+them)?|not\s+these|"
    r"please|pls|thanks?|thank\s+you|that'?s|this|it'?s)\b|"
    r"(?<!\w)(?:это|ни\s+то,?\s+ни\s+другое|ни\s+(?:один|одно|одна)\w*(?:\s+из\s+(?:них|этих))?|"
    r"ничего\s+из\s+(?:этого|этих)|не\s+(?:то|эти)|пожалуйста|спасибо|"
    r"[żz]adn\w*(?:\s+z\s+(?:nich|tych|powy[żz]szych))?|[żz]aden|"
    r"nie\s+(?:to|te)|prosz[ęe]|dzi[ęe]kuj[ęe])(?!\w)",
    re.IGNORECASE,
)


def _person_asked_about(ticket: Ticket, messages: list[Message]) -> str | None:
    """The message that asked for a person, when it says what about ("I need to talk to
    someone about my invoice"): None for a bare request ("оператора!") or another reason."""
    from bot.nlu.lexicon import without_person_asked
    from knowledge.flow import _NOT_HELPFUL_WORDS

    if ticket.reason != "customer_request":
        return None
    opened = as_utc(ticket.created_at) if ticket.created_at else None
    said = [
        m
        for m in messages
        if m.direction == "in"
        and m.text
        and (opened is None or m.created_at is None or as_utc(m.created_at) <= opened)
    ]
    if not said:
        return None
    text = said[-1].text or ""
    said = _NOT_HELPFUL_WORDS.sub(" ", without_person_asked(text))  # "это не ответ"
    rest = re.findall(r"[^\W\d_]{3,}", _NOT_A_SUBJECT.sub(" ", said))
    if len(rest) < 2 or without_person_asked(text) == text:
        return None
    return _cut(_said_once(text), QUESTION_SHOWN)  # a long story is the description's


def _summary(
    texts: Texts,
    intent: str,
    ctype: str,
    kind: str | None,
    known: dict[str, Any],
    reason: str,
    cls: dict[str, Any],
    *,
    question: str | None = None,
    promo: str | None = None,
) -> str:
    """The card's two-line summary (``question``: what the customer asked the FAQ, said
    instead of "no order number yet" for a request that is not about an order; ``promo``:
    "promo_code" or "gift_card", the thing that does not work, said instead of the
    complaint's type: a gift card's was "complaint (website or app)")."""
    if known.get("order_ref"):
        about = texts("op_summary_order", order=known["order_ref"])
    elif question and intent != "complaint" and ctype == "-":
        short = question if len(question) <= 120 else question[:119].rstrip() + "…"
        about = texts("op_summary_asked", question=short)
    else:
        about = texts("op_summary_no_order")
    if promo:
        first = texts(f"op_summary_{promo}", about=about)
    elif intent == "complaint" or ctype != "-":
        what = in_words(texts, TYPE, ctype)
        key = f"op_summary_complaint_{kind or 'claimant'}"
        if key not in catalogue(SOURCE):
            key = "op_summary_complaint"  # a kind the catalogues lack: a complaint, in words
        first = texts(key, what=what, about=about)
    else:
        first = texts("op_summary_help", intent=in_words(texts, INTENT, intent, "?"), about=about)
    threat = cls.get("threat")
    second = (
        texts("op_summary_because_threat", reason=reason, threat=in_words(texts, THREAT, threat))
        if threat and threat != "none"
        else texts("op_summary_because", reason=reason)
    )
    return f"{first}\n{second}"
