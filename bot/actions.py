"""`supportbot actions`: a Rasa custom-action server (rasa-sdk) backed by the same services.

A Rasa assistant that keeps its own channels and stories can call the support bot's brain
as custom actions (``endpoints.yml``: ``action_endpoint: url: http://host:5055/webhook``):

| action | what it does |
|---|---|
| ``action_supportbot_reply`` | one whole turn of the conversation engine: classification, the complaint playbook, FAQ, hand-off, survey. Utters the replies (buttons carry the callback data as payload) and sets the ``sb_*`` slots |
| ``action_supportbot_classify`` | only the classifier: sets ``sb_lang``, ``sb_intent``, ``sb_intent_confidence``, ``sb_complaint_type``, ``sb_emotion``, ``sb_threat``, ``sb_order_ref``, ``sb_amount``, ``sb_currency`` |
| ``action_supportbot_faq`` | only the knowledge base: utters a confident answer in the customer's language; sets ``sb_faq_answer_id`` / ``sb_faq_confidence`` (null when it does not know) |
| ``action_supportbot_handoff`` | hands the chat to a person with its full context (a ticket, and a forum topic when the operators' group is configured); sets ``sb_ticket_id`` |

Conversations are keyed by the tracker's ``sender_id`` (channel ``rasa``), so state, details
already given and tickets are shared across actions and survive restarts. A button press
comes back as the user message whose text is the button's payload (``cmp:opt:refund``);
attachments may be passed in the message metadata (``{"attachments": [{"kind": "photo",
"file_id": "..."}]}``). What an operator writes to a Rasa customer is delivered with the next
action's response. Slots missing from the assistant's domain are not set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import weakref
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import Conversation, Message, utcnow
from bot.dialogs.texts import SUPPORTED
from bot.dialogs.types import ATTACHMENT_KINDS, Attachment, Button, Incoming, Outcome, Reply
from bot.services import Services, build_services
from escalation.service import active_ticket
from escalation.survey import UNSEEN_SURVEY
from knowledge.flow import text as faq_text

log = logging.getLogger(__name__)

CHANNEL = "rasa"
# Callback data the customer side may send back (operators' "tk:" never comes from here).
CALLBACK = re.compile(r"^(?:cmp|kb|topic|faq|sv|threat):[\w:.\-]{1,60}$")
CLASSIFY_SLOTS = (
    "sb_lang",
    "sb_intent",
    "sb_intent_confidence",
    "sb_complaint_type",
    "sb_emotion",
    "sb_threat",
    "sb_order_ref",
    "sb_amount",
    "sb_currency",
)


class ServiceHolder:
    """Services are built inside the server's event loop (the database engine is bound to it)."""

    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        self.settings = settings
        self.services = services
        self._lock = asyncio.Lock()
        # one turn at a time per customer, as aiogram does per Telegram user: Rasa may call
        # two actions for one sender at once (each would create the customer, or overwrite
        # the other's conversation state)
        self._senders: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def sender_lock(self, sender: str) -> asyncio.Lock:
        lock = self._senders.get(sender)
        if lock is None:
            lock = self._senders[sender] = asyncio.Lock()
        return lock

    async def get(self) -> Services:
        if self.services is None:
            async with self._lock:
                if self.services is None:
                    self.services = await build_services(self.settings)
        return self.services

    async def close(self) -> None:
        if self.services is not None:
            await self.services.close()
            self.services = None


# --------------------------------------------------------------------------- helpers
def incoming_from(tracker: Tracker) -> Incoming:
    message = tracker.latest_message or {}
    text = (message.get("text") or "").strip()
    metadata = message.get("metadata") or {}
    attachments = tuple(
        Attachment(str(a.get("kind")), a.get("file_id"), a.get("name"))
        for a in metadata.get("attachments") or []
        if isinstance(a, dict) and a.get("kind") in ATTACHMENT_KINDS
    )
    common: dict[str, Any] = {
        "external_user_id": str(tracker.sender_id),
        "channel": CHANNEL,
        "first_name": metadata.get("first_name"),
        "last_name": metadata.get("last_name"),
        "username": metadata.get("username"),
        "language_code": metadata.get("language") or metadata.get("language_code"),
    }
    if CALLBACK.match(text):
        return Incoming(callback_data=text, **common)
    return Incoming(text=text or None, attachments=attachments, **common)


def utter(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    for reply in replies:
        buttons = [{"title": b.text, "payload": b.data} for row in reply.buttons for b in row]
        dispatcher.utter_message(text=reply.text, buttons=buttons)


def slots(values: dict[str, Any], domain: dict[str, Any]) -> list[dict[str, Any]]:
    """SlotSet events for the slots the assistant's domain declares (none when it declares
    none: Rasa warns about every slot it does not know); all when the call carries no
    domain's slots at all."""
    declared = (domain or {}).get("slots")
    return [
        SlotSet(name, value)
        for name, value in values.items()
        if declared is None or name in declared
    ]


def prediction_slots(pred: Any) -> dict[str, Any]:
    if pred is None:
        return {}
    return {
        "sb_lang": pred.lang,
        "sb_intent": pred.intent,
        "sb_intent_confidence": round(float(pred.intent_confidence), 4),
        "sb_complaint_type": pred.complaint_type,
        "sb_emotion": pred.emotion,
        "sb_threat": pred.threat,
        "sb_order_ref": pred.order_ref,
        "sb_amount": pred.amount,
        "sb_currency": pred.currency,
    }


async def _deliver(services: Services, outcome: Outcome, operator_bot: Any) -> list[Reply]:
    """Mark the engine's replies delivered (they go out in this response), collect what
    operators wrote meanwhile (and what the bot was told to say meanwhile: an operator's
    resolution and its survey), and let the operators' desk see the turn."""
    async with services.sessionmaker() as session:
        ids = [r.message_id for r in outcome.replies if r.message_id]
        pending = (
            await session.scalars(
                select(Message)
                .where(
                    Message.conversation_id.in_(
                        select(Conversation.id).where(
                            Conversation.customer_id == outcome.customer_id
                        )
                    ),
                    Message.direction.in_(("operator", "out")),
                    Message.delivered_at.is_(None),
                    Message.id.not_in(ids),
                )
                .order_by(Message.id)
            )
        ).all()
        now = utcnow()
        for row in pending:
            row.delivered_at = now
        conversation = await session.get(Conversation, outcome.conversation_id)
        if conversation is not None and UNSEEN_SURVEY in (conversation.state or {}):
            # its question goes out now: the customer's next message may answer it
            state = dict(conversation.state)
            state["survey"] = state.pop(UNSEEN_SURVEY)
            conversation.state = state
        if ids:
            for row in await session.scalars(select(Message).where(Message.id.in_(ids))):
                row.delivered_at = now
        await session.commit()
        if operator_bot is not None:
            for hook in services.after_turn:
                try:
                    await hook(operator_bot, session, outcome)
                except Exception:  # the customer's reply must not depend on the desk
                    log.exception("operators' desk update failed")
    earlier = [
        Reply(
            text=row.text,
            buttons=[[Button(b["text"], b["data"]) for b in line] for line in row.buttons or []],
        )
        for row in pending
        if row.text
    ]
    return earlier + list(outcome.replies)


def _customer_lang(services: Services, prediction: Any, incoming: Incoming) -> str:
    """The language to answer in: the message's, else the client's, else the shop's."""
    code = (incoming.language_code or "").split("-")[0].lower()
    for lang in (prediction.lang if prediction is not None else None, code):
        if lang in SUPPORTED:
            return str(lang)
    return services.settings.default_language


class _SupportAction(Action):
    action_name = ""

    def __init__(self, holder: ServiceHolder, operator_bot: Any = None) -> None:
        self.holder = holder
        self.operator_bot = operator_bot

    def name(self) -> str:
        return self.action_name

    async def _turn(
        self, tracker: Tracker, incoming: Incoming, *, wants_person: bool = False
    ) -> tuple[Services, Outcome, Any, list[Reply]]:
        services = await self.holder.get()
        prediction = await services.engine.classify(incoming)
        if wants_person and prediction is not None:
            # the assistant decided on a person: the words stay the customer's (stored, on
            # the card, their language), the intent is a request for a person
            prediction = dataclasses.replace(prediction, intent="request_human")
        async with self.holder.sender_lock(incoming.external_user_id):
            async with services.sessionmaker() as session:
                outcome = await services.engine.handle(session, incoming, prediction=prediction)
                await session.commit()
            replies = await _deliver(services, outcome, self.operator_bot)
        return services, outcome, prediction, replies


class ReplyAction(_SupportAction):
    action_name = "action_supportbot_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        _, outcome, prediction, replies = await self._turn(tracker, incoming_from(tracker))
        utter(dispatcher, replies)
        values = prediction_slots(prediction)
        if outcome.ticket_id is not None:
            values["sb_ticket_id"] = outcome.ticket_id
        values["sb_events"] = [e.get("type") for e in outcome.events]
        return slots(values, domain)


class HandoffAction(_SupportAction):
    action_name = "action_supportbot_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        incoming = incoming_from(tracker)
        if not (incoming.text or "").strip() and not incoming.attachments:
            # nothing said: the "talk to a person" button's way in
            incoming = dataclasses.replace(incoming, text=None, callback_data="topic:human")
        services, outcome, _, replies = await self._turn(tracker, incoming, wants_person=True)
        utter(dispatcher, replies)
        ticket_id = outcome.ticket_id
        if ticket_id is None:  # already with a person: the ticket they have
            async with services.sessionmaker() as session:
                ticket = await active_ticket(session, outcome.conversation_id)
                ticket_id = ticket.id if ticket is not None else None
        return slots({"sb_ticket_id": ticket_id}, domain)


class ClassifyAction(_SupportAction):
    action_name = "action_supportbot_classify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = await self.holder.get()
        prediction = await services.engine.classify(incoming_from(tracker))
        return slots(prediction_slots(prediction), domain)


class FaqAction(_SupportAction):
    action_name = "action_supportbot_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = await self.holder.get()
        incoming = incoming_from(tracker)
        text = incoming.text or ""
        found: dict[str, Any] = {"sb_faq_answer_id": None, "sb_faq_confidence": None}
        if services.knowledge is None or not text:
            return slots(found, domain)
        prediction = await services.engine.classify(incoming)
        async with services.sessionmaker() as session:
            result = await services.knowledge.search(session, text)
            entry = (
                await services.knowledge.get(session, result.answer_id)
                if result.answer_id
                else None
            )
        found["sb_faq_confidence"] = round(float(result.best.score), 4) if result.best else None
        if entry is not None:
            lang = _customer_lang(services, prediction, incoming)
            answer_lang, answer = entry.answer_for(lang)
            if answer_lang != lang and answer_lang in SUPPORTED:
                # no answer in the customer's language: said, as on Telegram, so the other
                # language does not look like the bot switching
                answer = f"{faq_text(f'faq_only_in_{answer_lang}', lang)}\n{answer}"
            dispatcher.utter_message(text=answer)
            found["sb_faq_answer_id"] = entry.id
        return slots(found, domain)


ACTIONS = (ReplyAction, ClassifyAction, FaqAction, HandoffAction)


def build_executor(holder: ServiceHolder, operator_bot: Any = None) -> ActionExecutor:
    executor = ActionExecutor()
    for action in ACTIONS:
        executor.register_action(action(holder, operator_bot))
    return executor


def create_app(settings: Settings, *, services: Services | None = None) -> Any:
    """The rasa-sdk Sanic app with the support actions registered."""
    from rasa_sdk.endpoint import create_app as rasa_app

    operator_bot = None
    if settings.operators_chat_id is not None and settings.bot_token is not None:
        from bot.app import create_bot

        operator_bot = create_bot(settings.require_token(), settings.telegram_api_base)
    holder = ServiceHolder(settings, services)
    app = rasa_app(build_executor(holder, operator_bot))

    async def start(app: Any, loop: Any) -> None:
        await holder.get()  # load the classifier and the database before the first call

    async def stop(app: Any, loop: Any) -> None:
        await holder.close()
        if operator_bot is not None:
            await operator_bot.session.close()

    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "after_server_stop")
    return app


def run(settings: Settings, *, host: str = "0.0.0.0", port: int = 5055) -> None:
    app = create_app(settings)
    log.info("Rasa action server on http://%s:%s/webhook", host, port)
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)


__all__ = ["ACTIONS", "CHANNEL", "build_executor", "create_app", "run"]
