"""SLA timers: remind operators, alert seniors, and apologise to customers who wait too long."""

from __future__ import annotations

import copy
import logging
import weakref
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aiogram import Bot
from sqlalchemy import delete, func, or_, select

from bot.db.models import (
    Compensation,
    Conversation,
    Customer,
    Message,
    ProcessedUpdate,
    Ticket,
    TicketEvent,
    as_utc,
    utcnow,
)
from bot.delivery import deliver, every
from bot.dialogs.rules import load_rules
from bot.dialogs.texts import Texts, label
from bot.services import Services
from escalation.followup import check_follow_ups
from escalation.hours import answer_due
from escalation.service import add_event, customer_waiting
from escalation.telegram import refused_by_group
from escalation.texts import age_words, operator_texts

log = logging.getLogger(__name__)
TOPIC_RETRY_AFTER = timedelta(seconds=15)  # a turn may still be making the topic before


async def check_timers(bot: Bot, services: Services, now: datetime | None = None) -> dict[str, int]:
    """One pass over unanswered tickets past their promised time."""
    now = now or utcnow()
    rules = load_rules(services.settings.rules_file).waiting
    desk = services.desk
    counts = {"reminded": 0, "apologized": 0}
    async with services.sessionmaker() as session:
        if desk is not None:  # tickets whose topic Telegram failed to make: try again
            made = await desk.ensure_topics(bot, session, older_than=now - TOPIC_RETRY_AFTER)
            if made:
                log.info("made %s missing ticket topic(s)", made)
            # customers' messages Telegram failed to copy to their topic: copied now
            relayed = await desk.relay_missed(bot, session, older_than=now - TOPIC_RETRY_AFTER)
            if relayed:
                log.info("copied %s customer message(s) to their topics", relayed)
            # cards Telegram failed to update when the ticket changed: redrawn now
            redrawn = await desk.redraw_stale_cards(bot, session)
            if redrawn:
                log.info("redrew %s ticket card(s)", redrawn)
        # not answered yet, or reopened by the customer ("not solved") and not answered since
        reopened = select(TicketEvent.ticket_id).where(
            TicketEvent.kind == "reopened", TicketEvent.actor_id.is_(None)
        )
        # or put back in the queue (/transfer) after an answer, and nobody has taken it
        requeued = select(TicketEvent.ticket_id).where(TicketEvent.kind == "transferred")
        overdue = (
            await session.scalars(
                select(Ticket).where(
                    Ticket.status.in_(("open", "taken")),
                    Ticket.due_at.is_not(None),
                    or_(
                        Ticket.first_response_at.is_(None),
                        Ticket.reminded_at.is_(None) & Ticket.id.in_(reopened),
                        Ticket.reminded_at.is_(None)
                        & Ticket.assignee_id.is_(None)
                        & Ticket.id.in_(requeued),
                    ),
                )
            )
        ).all()
        for ticket in overdue:
            if as_utc(ticket.due_at) > now:  # type: ignore[arg-type]
                continue
            since = await _waiting_since(session, ticket)
            if since is None:
                continue
            waited = int((now - since).total_seconds() // 60)
            since_when = await _since_note(session, ticket)
            if rules.remind_operators and ticket.reminded_at is None and desk is not None:
                ticket.reminded_at = now
                await add_event(session, ticket, "sla_reminder", now=now, waited_minutes=waited)
                await session.commit()
                texts = operator_texts(services.settings)
                text = texts(
                    f"op_remind_waited{since_when}",
                    id=ticket.id,
                    age=age_words(waited, texts),
                    priority=label(texts, f"op_priority_{ticket.priority}", ticket.priority),
                )
                await _remind(bot, session, services, ticket, text)
                counts["reminded"] += 1
            if rules.apologize_to_customer and ticket.customer_apologized_at is None:
                await _apologize(bot, session, services, ticket, now, rules.gesture)
                counts["apologized"] += 1
        if rules.remind_operators and desk is not None:
            counts["reminded"] += await _remind_unanswered(bot, session, services, now)
        await _forget_old_updates(services, session, now)
        await session.commit()
    return counts


# Telegram keeps an update for 24 hours at most, so an id older than this cannot come again;
# after a week without updates it may start numbering anew at random (an old id, remembered
# forever, would drop a customer's message as "already handled")
UPDATES_KEPT = timedelta(days=2)
# when each database last forgot them: once an hour is enough
_FORGOTTEN_AT: weakref.WeakKeyDictionary[Any, datetime] = weakref.WeakKeyDictionary()


async def _forget_old_updates(services: Services, session: Any, now: datetime) -> None:
    last = _FORGOTTEN_AT.get(services.sessionmaker)
    if last is not None and abs(now - last) < timedelta(hours=1):
        return
    _FORGOTTEN_AT[services.sessionmaker] = now
    gone = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < now - UPDATES_KEPT)
    )
    if gone.rowcount:
        log.info("forgot %s handled update id(s) older than %s", gone.rowcount, UPDATES_KEPT)


async def _whose(bot: Bot, session: Any, desk: Any, ticket: Ticket, texts: Texts) -> str:
    """What a reminder asks, by who has the ticket: nobody, or a colleague (who should
    answer: /take would take it from them); one who has left the group since (the bot was
    not told) has it no more: their tickets go back to the queue, which the topic is told."""
    if ticket.assignee_id is not None and not await desk.in_group(bot, ticket.assignee_id):
        await desk.operator_left(bot, session, ticket.assignee_id)
        await session.refresh(ticket)
    if ticket.assignee_id is None:
        return texts("op_whose_nobody")
    return texts("op_whose", who=await desk.operator_name(bot, ticket.assignee_id))


async def _remind_unanswered(bot: Bot, session: Any, services: Services, now: datetime) -> int:
    """Tickets whose customer wrote again after an operator's answer (a question, not a
    thanks) and has had no answer for the SLA's time: the topic and the seniors are
    reminded once per such wait; return how many."""
    last_answer = (
        select(Message.conversation_id, func.max(Message.id).label("answer_id"))
        .where(Message.direction == "operator")
        .group_by(Message.conversation_id)
        .subquery()
    )
    # the tickets whose customer wrote after the last answer; whether it waits for one (a
    # question, not a thanks or a sticker) is ``customer_waiting``'s, as /queue says it
    written = (
        await session.scalars(
            select(Ticket)
            .join(last_answer, last_answer.c.conversation_id == Ticket.conversation_id)
            .join(
                Message,
                (Message.conversation_id == Ticket.conversation_id)
                & (Message.direction == "in")
                & (Message.id > last_answer.c.answer_id),
            )
            .where(Ticket.status.in_(("open", "taken")), Ticket.first_response_at.is_not(None))
            .group_by(Ticket.id)
        )
    ).all()
    reminded = 0
    for ticket in written:
        since, answered = await customer_waiting(session, ticket)
        if since is None or answered is None:
            continue
        if ticket.reminded_at is not None and as_utc(ticket.reminded_at) >= since:
            continue  # reminded of this wait already
        if answer_due(since, services.settings, ticket.priority) > now:
            continue
        ticket.reminded_at = now
        waited = int((now - since).total_seconds() // 60)
        await add_event(session, ticket, "sla_reminder", now=now, waited_minutes=waited)
        await session.commit()
        texts = operator_texts(services.settings)
        text = texts(
            "op_remind_again",
            id=ticket.id,
            age=age_words(waited, texts),
            priority=label(texts, f"op_priority_{ticket.priority}", ticket.priority),
        )
        await _remind(bot, session, services, ticket, text)
        reminded += 1
    return reminded


async def _remind(bot: Bot, session: Any, services: Services, ticket: Ticket, text: str) -> None:
    """A customer waits past the SLA: the topic is told (and who should act), and the
    seniors in private, with a link to the topic. One failing send stops neither the
    other seniors nor the other tickets."""
    desk = services.desk
    texts = operator_texts(services.settings)
    try:
        customer = await session.get(Customer, ticket.customer_id)
        if customer is not None and customer.blocked_bot:
            # an answer would not reach them: what can be done is to close it
            text += " " + texts("op_remind_blocked")
        else:
            text += " " + await _whose(bot, session, desk, ticket, texts)
        await desk.tell_topic(bot, session, ticket, text)
    except Exception as exc:
        if not refused_by_group(exc):
            log.exception("SLA reminder for ticket %s failed", ticket.id)
        else:  # the bot is out of the group: the seniors, who can read it, learn why
            desk.group_refused(exc)
            # said to the seniors in private, as it could not be posted in the group
            text += "\n\n" + texts("op_out_of_group")
    seniors = services.settings.senior_operator_ids
    link = desk.topic_link(ticket) if seniors else ""  # the seniors read it in private
    for senior in seniors:
        try:
            await bot.send_message(senior, f"{text}\n{link}".strip())
        except Exception:
            log.exception("SLA alert of ticket %s to senior %s failed", ticket.id, senior)


async def _restarts(session: Any, ticket: Ticket) -> list[tuple[datetime, str]]:
    """When the customer started waiting for a person again after an answer, and why (the
    reminder's key suffix): the customer reopened the ticket ("not solved", '_reopened'),
    or it was put back in the queue ('_requeued')."""
    events = (
        await session.execute(
            select(
                TicketEvent.kind, TicketEvent.actor_id, TicketEvent.payload, TicketEvent.created_at
            )
            .where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.kind.in_(("reopened", "transferred")),
            )
            .order_by(TicketEvent.id)
        )
    ).all()
    said = []
    for kind, actor, payload, at in events:
        if kind == "reopened" and actor is None:
            said.append((as_utc(at), "_reopened"))
        elif kind == "transferred" and not (payload or {}).get("to") and ticket.assignee_id is None:
            said.append((as_utc(at), "_requeued"))
    return said


async def _since_note(session: Any, ticket: Ticket) -> str:
    """Why the customer waits again, as the reminder's key suffix ('' : since the ticket
    was opened)."""
    if ticket.first_response_at is None:
        return ""
    restarts = await _restarts(session, ticket)
    return restarts[-1][1] if restarts else ""


async def _waiting_since(session: Any, ticket: Ticket) -> datetime | None:
    """Since when the customer waits for a person: the ticket's opening, or the customer's
    reopening of it ("not solved"), or its return to the queue; None when an operator has
    answered since."""
    if ticket.first_response_at is None:
        return as_utc(ticket.created_at)
    restarts = await _restarts(session, ticket)
    since = restarts[-1][0] if restarts else None
    if since is None:
        return None
    answer = await session.scalar(
        select(Message.id)
        .where(
            Message.conversation_id == ticket.conversation_id,
            Message.direction == "operator",
            Message.created_at >= since,
        )
        .limit(1)
    )
    return None if answer is not None else as_utc(since)


async def answer_held(bot: Bot, services: Services, now: datetime) -> int:
    """Customers who wrote a burst (a flood: held, "I'm reading everything") and then
    waited: their held messages are answered now; return how many such chats."""
    recent = now - timedelta(minutes=10)
    async with services.sessionmaker() as session:
        # the chats that wrote lately and hold texts (state is JSON: read, not queried)
        chats = (
            await session.scalars(
                select(Conversation)
                .join(Customer, Customer.id == Conversation.customer_id)
                .where(
                    Customer.channel == "telegram",
                    Conversation.id.in_(
                        select(Message.conversation_id).where(
                            Message.direction == "in", Message.created_at >= recent
                        )
                    ),
                )
            )
        ).all()
        ids = [c.id for c in chats if (c.state or {}).get("held")]
    answered = 0
    for conversation_id in ids:
        async with services.sessionmaker() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is not None:
                # the customer's lock, as a customer turn takes it (``customer_for``): a
                # message arriving now waits, or this pass reads what its turn left
                await session.execute(
                    select(Customer.id)
                    .where(Customer.id == conversation.customer_id)
                    .with_for_update()
                )
                await session.refresh(conversation)
            outcome = (
                await services.engine.answer_held(session, conversation, now)
                if conversation is not None
                else None
            )
            if outcome is None:
                continue
            from bot.handlers.customer import finish_turn  # handlers import the timers' users

            await finish_turn(bot, session, services, outcome)
            answered += 1
    return answered


NOT_PROCESSED = "not processed: error"  # a customer's message whose turn failed (kept)
RETRY_FAILED_AFTER = timedelta(seconds=20)


async def answer_failed(bot: Bot, services: Services, now: datetime) -> int:
    """Customers whose message broke on the bot's side were told it is saved and they will
    be answered: it is read again once (a passing fault, a locked database), if they have
    written nothing since; one that fails again is said so. Return how many were answered."""
    from bot.dialogs.types import Attachment, Incoming
    from bot.handlers.customer import finish_turn  # handlers import the timers' users

    async with services.sessionmaker() as session:
        ids = (
            await session.scalars(
                select(Message.id)
                .where(
                    Message.direction == "in",
                    Message.delivery_error == NOT_PROCESSED,
                    Message.created_at <= now - RETRY_FAILED_AFTER,
                    Message.created_at >= now - timedelta(hours=1),
                )
                .order_by(Message.id)
                .limit(20)
            )
        ).all()
    answered = 0
    for row_id in ids:
        async with services.sessionmaker() as session:
            row = await session.get(Message, row_id)
            if row is None or row.delivery_error != NOT_PROCESSED:
                continue
            row.delivery_error = f"{NOT_PROCESSED}, read again"  # once: never a loop
            later = await session.scalar(
                select(Message.id)
                .where(
                    Message.conversation_id == row.conversation_id,
                    Message.direction == "in",
                    Message.id > row.id,
                )
                .limit(1)
            )
            conversation = await session.get(Conversation, row.conversation_id)
            customer = (
                await session.get(Customer, conversation.customer_id) if conversation else None
            )
            await session.commit()
            if later is not None or customer is None or customer.channel != "telegram":
                continue  # they wrote again and were answered: the conversation went on
            incoming = Incoming(
                external_user_id=customer.external_id,
                text=row.text,
                attachments=tuple(
                    Attachment(a["kind"], a.get("file_id"), a.get("name"))
                    for a in row.attachments or []
                    if a.get("kind") != "forwarded"
                ),
                chat_id=row.tg_chat_id,
                message_id=row.tg_message_id,
                first_name=customer.first_name,
                last_name=customer.last_name,
                username=customer.username,
                language_code=customer.language,
            )
            lang = customer.language or services.settings.default_language
            chat_id = customer.chat_id or row.tg_chat_id
            try:
                outcome = await services.engine.handle(session, incoming, replay=row)
                row.delivery_error = None
                await session.commit()
            except Exception:
                log.exception("customer's message %s failed again", row_id)
                await session.rollback()
                await _say_failed_again(bot, lang, chat_id)
                continue
            await finish_turn(bot, session, services, outcome)
            answered += 1
    return answered


async def _say_failed_again(bot: Bot, lang: str, chat_id: int | None) -> None:
    if chat_id is None:
        return
    try:
        await bot.send_message(chat_id, Texts(lang).plain("error_again"))
    except Exception:  # Telegram too: the log has it
        log.exception("could not tell chat %s about the error", chat_id)


async def _apologize(bot, session, services, ticket, now, gesture) -> None:  # type: ignore[no-untyped-def]
    conversation = await session.get(Conversation, ticket.conversation_id)
    customer = await session.get(Customer, ticket.customer_id)
    if conversation is None or customer is None or customer.chat_id is None:
        return
    state = copy.deepcopy(conversation.state or {})  # a new trail: seen as a change
    texts = Texts(
        conversation.language or services.settings.default_language,
        state.setdefault("variants", {}),
    )
    text = texts("wait_apology")
    if gesture is not None and await _given_already(session, conversation.id, gesture):
        gesture = None  # a 20 % coupon given in this chat: 5 % more for the wait belittles it
    if gesture is not None:
        text += " " + texts(f"gesture_{gesture.kind}", value=f"{gesture.value:g}")
        # the card's "Bot promised" says it: the operator knows what the customer was given
        state.setdefault("trail", []).append(
            {
                "turn": int(state.get("turns", 0)),
                "type": "compensation_offered",
                "kind": gesture.kind,
                "value": gesture.value,
                "gesture": True,
                "for": "waiting",
            }
        )
        session.add(
            Compensation(
                conversation_id=conversation.id,
                kind=gesture.kind,
                value=Decimal(str(gesture.value)),
                status="gesture",
                created_at=now,
            )
        )
    row = Message.outgoing(conversation.id, customer.chat_id, text)
    session.add(row)
    ticket.customer_apologized_at = now
    await add_event(
        session, ticket, "customer_apology", now=now, gesture=gesture.kind if gesture else None
    )
    conversation.state = state
    await session.commit()
    await deliver(bot, session, [row.id])
    if gesture is not None and services.desk is not None:
        await services.desk.refresh_card(bot, session, ticket)


async def _given_already(session: Any, conversation_id: int, gesture: Any) -> bool:
    """The chat has already given the customer as much of this kind (a goodwill coupon, a
    chosen compensation)."""
    given = await session.scalar(
        select(func.max(Compensation.value)).where(
            Compensation.conversation_id == conversation_id,
            Compensation.kind == gesture.kind,
            Compensation.status.in_(("gesture", "chosen")),
        )
    )
    return given is not None and given >= Decimal(str(gesture.value))


async def timers_loop(bot: Bot, services: Services, *, interval: float = 30.0) -> None:
    async def step() -> None:
        counts = await check_timers(bot, services)
        if any(counts.values()):
            log.info("SLA timers: %s", counts)
        follow_ups = await check_follow_ups(bot, services)
        if follow_ups["asked"]:
            log.info("complaint follow-ups: %s", follow_ups)

    await every(interval, step, "SLA timer")


async def held_loop(bot: Bot, services: Services, *, interval: float = 5.0) -> None:
    """Background task: answer customers whose burst of messages is over (``answer_held``)."""

    async def step() -> None:
        answered = await answer_held(bot, services, utcnow())
        if answered:
            log.info("answered %s chat(s) after a burst of messages", answered)
        answered = await answer_failed(bot, services, utcnow())
        if answered:
            log.info("answered %s message(s) that had failed", answered)

    await every(interval, step, "held messages")
