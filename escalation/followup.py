"""Follow-ups: after the promised time, ask the customer whether it was really sorted out.

"Promise less, deliver more" needs a check that the promise was kept. When a complaint's
fix came with a promise ("the delivery team will answer within 24 hours"), the complaint
gets a ``follow_up_at`` (the promised time plus ``follow_up.margin_hours`` from the
rules). Once it has passed, the bot writes to the customer with Yes / No buttons; "no"
brings in a person with the whole case (``ComplaintFlow._follow_up``). A chat a person
is handling, a case already handed over, a customer who blocked the bot or another channel
is skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiogram import Bot
from sqlalchemy import select

from bot.db.models import Complaint, Conversation, Customer, Message, as_utc, utcnow
from bot.delivery import deliver
from bot.dialogs.texts import Texts
from bot.dialogs.types import Button, Reply
from bot.services import Services

log = logging.getLogger(__name__)


# outcomes of a case a person took over: no follow-up of the bot's own
HANDED_OVER = frozenset(
    {"person", "refund_requested", "promise_not_kept", "not_sorted_after_follow_up"}
)
CUSTOMER_SLOTS = ("contact",)  # what the chat knows of the customer, not of one case


def earlier_case(complaint: Complaint) -> dict[str, Any]:
    """The state of a finished case, rebuilt from its record (the chat's state has moved on
    to a later case)."""
    return {
        "id": complaint.id,
        "type": complaint.complaint_type,
        "kind": complaint.customer_kind,
        "stage": "done",
        "asked": [],
        "quiet_turns": 0,
        "outcome": complaint.outcome,
    }


async def check_follow_ups(
    bot: Bot, services: Services, now: datetime | None = None
) -> dict[str, int]:
    """One pass over complaints whose follow-up time has come."""
    now = now or utcnow()
    counts = {"asked": 0, "skipped": 0}
    async with services.sessionmaker() as session:
        due = (
            await session.scalars(
                select(Complaint)
                .where(Complaint.follow_up_at.is_not(None), Complaint.followed_up_at.is_(None))
                .order_by(Complaint.follow_up_at)
                .limit(500)
            )
        ).all()
        sent: list[int] = []
        for complaint in due:
            if as_utc(complaint.follow_up_at) > now:  # type: ignore[arg-type]
                break  # ordered by time: the rest are later (SQLite compares naive values)
            conversation = await session.get(Conversation, complaint.conversation_id)
            customer = (
                await session.get(Customer, conversation.customer_id) if conversation else None
            )
            state = dict(conversation.state or {}) if conversation else {}
            case = dict(state.get("complaint") or {})
            if conversation is not None and case.get("id") != complaint.id:
                if case.get("stage") not in (None, "done"):
                    continue  # another case is being talked through: asked after it
                if complaint.outcome in HANDED_OVER or complaint.resolved_at is None:
                    case = {}  # a person took it, or it never got to a fix: nothing to ask
                else:
                    # an earlier case, followed by another that is over: its own details
                    # come back for the question (and for a person, if it is not sorted)
                    case = earlier_case(complaint)
                    known = state.get("known") or {}
                    kept = {k: v for k, v in known.items() if k in CUSTOMER_SLOTS}
                    state["known"] = {**kept, **(complaint.details or {})}
            if (
                conversation is None
                or customer is None
                or customer.channel != "telegram"
                or customer.chat_id is None
                or customer.blocked_bot
                or conversation.status != "bot"
                or case.get("id") != complaint.id
                or case.get("satisfied") is False
                or case.get("stage") == "handed_over"
            ):
                complaint.followed_up_at = now  # nothing to ask any more
                counts["skipped"] += 1
                continue
            texts = Texts(
                conversation.language or services.settings.default_language,
                state.setdefault("variants", {}),
            )
            order = (state.get("known") or {}).get("order_ref")
            order_part = " " + texts.plain("order_part", order=order) if order else ""
            reply = Reply(
                text=texts("follow_up_question", order=order_part),
                buttons=[
                    [
                        Button(texts.plain("follow_up_yes"), "cmp:fu:yes"),
                        Button(texts.plain("follow_up_no"), "cmp:fu:no"),
                    ]
                ],
            )
            row = Message.outgoing(
                conversation.id, customer.chat_id, reply.text, reply.buttons_json()
            )
            session.add(row)
            case["stage"] = "follow_up"
            state["complaint"] = case
            state.pop("survey", None)  # an unanswered survey is superseded
            conversation.state = state
            complaint.followed_up_at = now
            await session.flush()
            sent.append(row.id)
            counts["asked"] += 1
        await session.commit()
        if sent:
            await deliver(bot, session, sent)
    return counts
