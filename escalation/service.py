"""Tickets: opening a hand-off, rendering its context card, resolving and reopening.

Channel-agnostic (no Telegram here): the engine calls :func:`open_ticket`; the Telegram
layer (``escalation.telegram``) posts the card to a forum topic and relays messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import (
    Classification,
    Complaint,
    Conversation,
    Customer,
    Message,
    SurveyAnswer,
    Ticket,
    TicketEvent,
    as_utc,
)
from bot.dialogs.slots import yes_no_sign
from bot.dialogs.types import Attachment, Incoming
from escalation.card import NOT_SENT, Card, build_card, closed_case
from escalation.hours import answer_due, is_open, sla_minutes
from escalation.texts import operator_texts

OPEN_STATUSES = ("open", "taken")
# what the card shows of a case, forgotten by the bot after a resolution: kept with the
# "resolved" event, and brought back when the ticket is reopened
CASE_KEYS = ("complaint", "case_classification", "last_classification", "trail", "faq", "safety")
# the details of the resolved case (its story, photos and files, claimed amount): kept with
# it, so the customer's next ticket does not show them as its own; the order number and the
# contact stay known (the customer is not asked for them again)
CASE_DETAILS = ("description", "photos", "files", "amount", "currency")
EARLIER_NOTES = 3  # the notes on a customer's earlier tickets a card names


# what a customer says that needs no answer from the operator ("спасибо", "ок", "bye")
NO_ANSWER_NEEDED = ("thanks", "goodbye", "praise", "affirm", "greeting")
REACTIONS = {"sticker", "animation"}  # a 👍 sticker or a GIF alone: a reaction, like a thanks


def needs_answer(text: str | None, attachments: list[Any] | None, intent: str | None) -> bool:
    """Whether a customer's message waits for an operator's answer: not a thanks, an ok or
    a goodbye, nor a sticker or GIF alone (unless a thumbs-down: "no, not like that")."""
    if intent in NO_ANSWER_NEEDED:
        return False
    kinds = [a.get("kind") for a in attachments or []]
    if not (text or "").strip() and kinds and set(kinds) <= REACTIONS:
        sign = Incoming(
            "",
            attachments=tuple(
                Attachment(str(a.get("kind")), None, a.get("name")) for a in attachments or []
            ),
        )
        return yes_no_sign(sign) == "no"
    return True


async def customer_waiting(
    session: AsyncSession, ticket: Ticket
) -> tuple[datetime | None, datetime | None]:
    """``(waiting since, answered at)``: since when the ticket's customer has waited for a
    person (the hand-off, or their first message after the last answer that needs one; None
    when they have their answer), and when a person last answered them (None: never)."""
    opened = as_utc(ticket.created_at)
    answer = (
        await session.execute(
            select(Message.id, Message.created_at)
            .where(
                Message.conversation_id == ticket.conversation_id,
                Message.direction == "operator",
                Message.created_at >= ticket.created_at,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
    ).first()
    if answer is None:
        return opened, None
    since = (
        await session.execute(
            select(Message.created_at, Message.text, Message.attachments, Classification.intent)
            .outerjoin(Classification, Classification.message_id == Message.id)
            .where(
                Message.conversation_id == ticket.conversation_id,
                Message.direction == "in",
                Message.id > answer.id,
            )
            .order_by(Message.id)
        )
    ).all()
    asked = next((at for at, *said in since if needs_answer(*said)), None)
    return (as_utc(asked) if asked is not None else None), as_utc(answer.created_at)


async def active_ticket(session: AsyncSession, conversation_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )


async def open_ticket(
    session: AsyncSession,
    settings: Settings,
    *,
    customer: Customer,
    conversation: Conversation,
    reason: str,
    priority: str,
    now: datetime,
    actor_id: int | None = None,
) -> tuple[Ticket, bool]:
    """Open a ticket (or return the conversation's open one, raising its priority).

    Returns ``(ticket, created)``. The conversation passes to people: the bot goes silent.
    """
    ticket = await active_ticket(session, conversation.id)
    created = ticket is None
    if ticket is None:
        ticket = Ticket(
            conversation_id=conversation.id,
            customer_id=customer.id,
            status="open",
            priority=priority,
            reason=reason,
            created_at=now,
            due_at=answer_due(now, settings, priority),
        )
        session.add(ticket)
        await session.flush()
        await add_event(
            session, ticket, "created", actor_id=actor_id, now=now, reason=reason, priority=priority
        )
    elif priority == "high" and ticket.priority != "high":
        ticket.priority = "high"
        # the earlier of the two deadlines: raising a ticket never gives people more time
        urgent = answer_due(now, settings, "high")
        if ticket.due_at is None or urgent < as_utc(ticket.due_at):
            ticket.due_at = urgent
        # a reminder already sent was for a normal ticket: remind again, as an urgent one
        ticket.reminded_at = None
        await add_event(session, ticket, "priority", now=now, priority="high", reason=reason)
    conversation.status = "operator"
    return ticket, created


async def reopen_for_customer(
    session: AsyncSession,
    conversation: Conversation,
    ticket_id: int,
    *,
    now: datetime,
    settings: Settings,
) -> Ticket | None:
    """The customer says a resolved ticket of theirs is not solved: it is reopened (None:
    it is not this chat's resolved ticket, or another ticket of theirs is open). The
    customer waits for a person again: the SLA counts anew (the timers remind the
    operators if nobody answers)."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.conversation_id != conversation.id or ticket.status != "resolved":
        return None
    if await active_ticket(session, conversation.id) is not None:
        return None
    await reopen_ticket(session, ticket, actor_id=None, now=now)
    ticket.due_at = answer_due(now, settings, ticket.priority)
    ticket.reminded_at = None
    return ticket


async def previous_resolution(session: AsyncSession, ticket: Ticket) -> datetime | None:
    """When the chat's ticket before this one was resolved (None: it is the first)."""
    at = await session.scalar(
        select(func.max(Ticket.resolved_at)).where(
            Ticket.conversation_id == ticket.conversation_id,
            Ticket.id < ticket.id,
            Ticket.resolved_at <= ticket.created_at,
        )
    )
    return as_utc(at) if at is not None else None


async def case_opening(session: AsyncSession, ticket: Ticket) -> int | None:
    """The customer's message that opened this ticket's case, when the chat had a ticket
    resolved before it (None: the chat's first, whose case is all of it): their first after
    that ticket's resolution and the survey answered about it, so the closed ticket's tail
    (its survey's questions and answers, the notes left on it) is not this case's."""
    resolved = await previous_resolution(session, ticket)
    if resolved is None:
        return None
    chat = Message.conversation_id == ticket.conversation_id
    answered = await session.scalar(
        select(func.max(SurveyAnswer.created_at)).where(
            SurveyAnswer.conversation_id == ticket.conversation_id,
            (SurveyAnswer.ticket_id != ticket.id) | SurveyAnswer.ticket_id.is_(None),
            SurveyAnswer.created_at >= resolved,
            SurveyAnswer.created_at <= ticket.created_at,
        )
    )
    # the message that gave the last answer (its turn's time, as the answer has)
    answer = (
        await session.scalar(
            select(func.max(Message.id)).where(
                chat, Message.direction == "in", Message.created_at <= answered
            )
        )
        if answered is not None
        else None
    )
    return await session.scalar(
        select(func.min(Message.id)).where(
            chat,
            Message.direction == "in",
            Message.created_at > resolved,
            *([Message.id > answer] if answer is not None else []),
        )
    )


async def case_ending(session: AsyncSession, ticket: Ticket) -> Any:
    """Where this ticket's messages end, as a condition on them (None: they go on): before
    the chat's next ticket's case opened (what the customer told the bot for it, and its
    hand-off, are that ticket's), or before that ticket was opened; before another of the
    chat's tickets was reopened since (an older one too: what is said then is that one's);
    and again from when this one was reopened, to the next such end."""
    chat = Ticket.conversation_id == ticket.conversation_id
    # (when, the condition on a message to be before it): the chat's later tickets' cases
    # and the other tickets' reopenings, in time order
    ends: list[tuple[datetime, Any]] = []
    later = (
        await session.scalars(select(Ticket).where(chat, Ticket.id > ticket.id).order_by(Ticket.id))
    ).all()
    for after in later:
        opening = await case_opening(session, after)
        end = Message.id < opening if opening is not None else Message.created_at < after.created_at
        ends.append((as_utc(after.created_at), end))
    reopenings = (
        await session.execute(
            select(TicketEvent.ticket_id, TicketEvent.created_at)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(chat, TicketEvent.kind == "reopened")
            .order_by(TicketEvent.created_at)
        )
    ).all()
    opened = as_utc(ticket.created_at)
    ends += [
        (as_utc(at), Message.created_at < at)
        for owner, at in reopenings
        if owner != ticket.id and as_utc(at) > opened
    ]
    ends.sort(key=lambda e: e[0])

    def first_end(since: datetime) -> Any:
        return next((end for at, end in ends if at > since), None)

    own = first_end(opened)
    if own is None:
        return None
    spans = [own]
    for owner, at in reopenings:
        if owner == ticket.id and as_utc(at) > opened:
            end = first_end(as_utc(at))
            spans.append(and_(Message.created_at >= at, *([end] if end is not None else [])))
    return or_(*spans) if len(spans) > 1 else own


async def case_started(
    session: AsyncSession, ticket: Ticket, state: dict[str, Any]
) -> datetime | None:
    """Since when what the customer sends is the ticket's case (None: all along): after
    their previous ticket was resolved, and after a case the bot closed before this one
    (not the ticket's own case: 'the fix did not help' is about the one the bot closed)."""
    since = [await previous_resolution(session, ticket)]
    own = None if closed_case(state, ticket) else (state.get("complaint") or {}).get("id")
    record = await session.get(Complaint, own) if isinstance(own, int) else None
    closed = await session.scalar(
        select(func.max(Complaint.resolved_at)).where(
            Complaint.conversation_id == ticket.conversation_id,
            Complaint.resolved_at <= ticket.created_at,
            # the cases closed before the ticket's own began (not those closed with it)
            *([Complaint.resolved_at <= record.created_at] if record is not None else []),
        )
    )
    since.append(as_utc(closed) if closed is not None else None)
    return max((at for at in since if at is not None), default=None)


async def render_card(
    session: AsyncSession,
    settings: Settings,
    ticket: Ticket,
    *,
    assignee: str | None = None,
    state: dict[str, Any] | None = None,
    authors: dict[int, str] | None = None,
) -> Card:
    """The ticket's card (``state``: the conversation's state to show, the current one by
    default; ``authors``: the operators' names by id, for the transcript's replies)."""
    conversation = await session.get(Conversation, ticket.conversation_id)
    customer = await session.get(Customer, ticket.customer_id)
    assert conversation is not None and customer is not None
    # this ticket's messages: from the one that opened its case (what they told the bot
    # since, and the hand-off) to the next ticket's, not the earlier tickets' (named on the
    # card) nor the survey after the last one; its notes wherever they were written, and no
    # other ticket's (the notes written before they were kept with a ticket: by time)
    started = await previous_resolution(session, ticket)
    opening = await case_opening(session, ticket)
    ending = await case_ending(session, ticket)
    messages = list(
        (
            await session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation.id,
                    or_(
                        and_(
                            *([Message.created_at > started] if started is not None else []),
                            *([Message.id >= opening] if opening is not None else []),
                            *([ending] if ending is not None else []),
                            Message.ticket_id.is_(None),
                        ),
                        Message.ticket_id == ticket.id,
                    ),
                )
                .order_by(Message.id)
            )
        ).all()
    )
    previous = list(
        (
            await session.scalars(
                select(Ticket)
                .where(Ticket.customer_id == customer.id, Ticket.id != ticket.id)
                .order_by(Ticket.id)
            )
        ).all()
    )
    # what colleagues noted on the customer's earlier tickets, the latest (their own cards
    # have them in full)
    noted = [
        (at, text)
        for at, text, kept in (
            await session.execute(
                select(Message.ticket_id, Message.text, Message.attachments)
                .join(Ticket, Ticket.id == Message.ticket_id)
                .where(
                    Ticket.customer_id == customer.id,
                    Ticket.id < ticket.id,
                    Message.direction == "note",
                    Message.text.is_not(None),
                )
                .order_by(Message.id.desc())
                .limit(EARLIER_NOTES * 4)
            )
        ).all()
        # a reply not sent (written in a resolved ticket's topic) is no colleague's note
        if not any(a.get("kind") == NOT_SENT for a in kept or [])
    ][:EARLIER_NOTES]
    if state is None:
        state = conversation.state or {}
    # what raised the ticket later (a legal threat, someone hurt, told while waiting)
    raised = (
        await session.scalars(
            select(TicketEvent.payload)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "priority")
            .order_by(TicketEvent.id)
        )
    ).all()
    case_id = (state.get("complaint") or {}).get("id")
    record = await session.get(Complaint, case_id) if isinstance(case_id, int) else None
    promised = promised_reply(settings, ticket)
    if promised is not None and await _answered_since_told(session, ticket, messages):
        promised = None  # met: an operator answered before the opening time
    # what the customer said of it after it was resolved (solved?, the rating, a comment)
    feedback = (
        await session.execute(
            select(SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.answer)
            .where(SurveyAnswer.ticket_id == ticket.id)
            .order_by(SurveyAnswer.id)
        )
    ).all()
    card = build_card(
        ticket=ticket,
        customer=customer,
        conversation=conversation,
        state=state,
        messages=messages,
        previous_tickets=previous,
        tz=settings.tz,
        assignee=assignee,
        raised=[str((p or {}).get("reason")) for p in raised if (p or {}).get("reason")],
        promised=promised,
        case_details=record.details if record is not None else None,
        earlier_notes=[(int(t), str(text)) for t, text in reversed(noted)],
        texts=operator_texts(settings),
        authors=authors,
        feedback=[(str(q), score, answer) for q, score, answer in feedback],
    )
    ticket.summary = card.summary
    return card


def promised_reply(settings: Settings, ticket: Ticket) -> datetime | None:
    """When the customer was told a person replies, if that is an opening time (they wrote
    after hours, or just before closing) and nobody has answered since; else None."""
    if ticket.status == "resolved" or ticket.due_at is None:
        return None
    starts = as_utc(ticket.due_at) - timedelta(minutes=sla_minutes(settings, ticket.priority))
    if is_open(starts - timedelta(minutes=1), settings):
        return None  # the usual "within N minutes" was said
    if ticket.first_response_at is not None and as_utc(ticket.first_response_at) >= starts:
        return None
    return starts


async def _answered_since_told(
    session: AsyncSession, ticket: Ticket, messages: list[Message]
) -> bool:
    """Whether an operator's reply reached the customer since they were told to wait for a
    person (the ticket opened, or they reopened it): Olga answered at 06:43, and every card
    went on saying "Reply promised: 07.12 09:00" (an answer before the opening time is one)."""
    told = await session.scalar(
        select(func.max(TicketEvent.created_at)).where(
            TicketEvent.ticket_id == ticket.id,
            or_(
                TicketEvent.kind == "created",
                and_(TicketEvent.kind == "reopened", TicketEvent.actor_id.is_(None)),
            ),
        )
    )
    since = as_utc(told) if told is not None else None
    return any(
        m.direction == "operator"
        and m.delivered_at is not None
        and (since is None or m.created_at is None or as_utc(m.created_at) >= since)
        for m in messages
    )


async def add_event(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    *,
    actor_id: int | None = None,
    now: datetime | None = None,
    **payload: Any,
) -> None:
    event = TicketEvent(ticket_id=ticket.id, kind=kind, actor_id=actor_id, payload=payload)
    if now is not None:
        event.created_at = now
    session.add(event)


async def take_ticket(
    session: AsyncSession,
    ticket: Ticket,
    actor_id: int,
    *,
    held_by: int | None,
    now: datetime | None = None,
    **payload: Any,
) -> bool:
    """Make the ticket ``actor_id``'s if it is still ``held_by``'s (None: nobody's) and not
    resolved, in one conditional UPDATE: of two operators taking it at the same moment (on
    any database, in any process) one gets it, and the other learns whose it is. Return
    whether it was taken; ``ticket`` is read again either way."""
    await session.flush()  # nothing pending on the ticket is lost by reading it again
    holder = Ticket.assignee_id.is_(None) if held_by is None else Ticket.assignee_id == held_by
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, holder, Ticket.status != "resolved")
        .values(assignee_id=actor_id, status="taken")
        .execution_options(synchronize_session=False)
    )
    await session.refresh(ticket)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await add_event(session, ticket, "taken", actor_id=actor_id, now=now, **payload)
    return True


async def release_tickets(
    session: AsyncSession, settings: Settings, operator_id: int, *, now: datetime
) -> list[Ticket]:
    """The open tickets of an operator who has left the operators' group, put back in the
    queue for a colleague to take, each in one conditional UPDATE (a ticket taken over or
    resolved meanwhile stays as it is): the customer waits for whoever takes it, so the SLA
    counts again and the timers remind, as after a /transfer back. Return those put back."""
    await session.flush()
    held = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.assignee_id == operator_id, Ticket.status == "taken")
            .order_by(Ticket.id)
        )
    ).all()
    released = []
    for ticket in held:
        result = await session.execute(
            update(Ticket)
            .where(
                Ticket.id == ticket.id,
                Ticket.assignee_id == operator_id,
                Ticket.status == "taken",
            )
            .values(
                assignee_id=None,
                status="open",
                due_at=answer_due(now, settings, ticket.priority),
                reminded_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        await session.refresh(ticket)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue
        # as a /transfer back by nobody: the timers count the wait from here
        await add_event(session, ticket, "transferred", now=now, to=None, left=operator_id)
        released.append(ticket)
    return released


async def resolve_ticket(
    session: AsyncSession, ticket: Ticket, *, actor_id: int | None, now: datetime
) -> Conversation:
    """Close the ticket; the bot takes the conversation back with a clean slate. A colleague's
    ticket becomes the resolver's (the event keeps whose it was, ``was``): whoever closed it
    answers for it, and a 'not solved' from the customer reopens it for them."""
    ticket.status = "resolved"
    ticket.resolved_at = now
    was = ticket.assignee_id
    held = {"was": was} if actor_id is not None and was not in (None, actor_id) else {}
    if held:
        ticket.assignee_id = actor_id
    conversation = await session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    old = conversation.state or {}
    context = {k: old[k] for k in CASE_KEYS if k in old}
    known = dict(old.get("known") or {})
    details = {k: known.pop(k) for k in CASE_DETAILS if k in known}
    if details:
        context["known"] = details
    await add_event(
        session, ticket, "resolved", actor_id=actor_id, now=now, context=context, **held
    )
    conversation.status = "bot"
    # Keep the language, variant rotation and what we know of the customer; forget the
    # finished flows and the case's details.
    conversation.state = {
        k: v for k, v in old.items() if k in ("lang", "variants", "greeted", "turns")
    } | {"known": known, "after_ticket": ticket.id}
    return conversation


async def reopen_ticket(
    session: AsyncSession, ticket: Ticket, *, actor_id: int | None, now: datetime
) -> Conversation:
    """Open a resolved ticket again; reopened by an operator (``actor_id``), it is theirs
    (the event keeps whose it was, ``was``), as a resolved one is its resolver's: Olga
    reopened and answered Tomasz's ticket, and /queue and the card went on saying his."""
    was = ticket.assignee_id
    held = {"was": was} if actor_id is not None and was not in (None, actor_id) else {}
    if actor_id is not None:
        ticket.assignee_id = actor_id
    ticket.status = "taken" if ticket.assignee_id else "open"
    ticket.resolved_at = None
    await add_event(session, ticket, "reopened", actor_id=actor_id, now=now, **held)
    conversation = await session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    conversation.status = "operator"
    # the case the ticket was worked with comes back (the card shows it again)
    resolved = await session.scalar(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "resolved")
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    context = dict((resolved.payload or {}).get("context") or {}) if resolved else {}
    if context:
        state = dict(conversation.state or {})
        since = state.get("trail") or []  # what happened after the resolution stays too
        known = dict(state.get("known") or {})  # and the details given since
        details = context.pop("known", None) or {}
        state.update(context)
        state["trail"] = [*(context.get("trail") or []), *since]
        both = {
            kind: list(dict.fromkeys([*(details.get(kind) or []), *(known.get(kind) or [])]))
            for kind in ("photos", "files")
        }
        state["known"] = {**details, **known} | {k: v for k, v in both.items() if v}
        conversation.state = state
    return conversation
