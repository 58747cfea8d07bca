"""Application services built once per process and shared by every update."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import ConfigError, Settings
from bot.db import create_engine, create_sessionmaker, upgrade_database
from bot.dialogs.engine import ConversationEngine, Flow
from knowledge.service import KnowledgeService

if TYPE_CHECKING:
    from bot.nlu import Classifier

log = logging.getLogger(__name__)

# Called after each customer turn is committed and delivered: (bot, session, outcome).
AfterTurn = Callable[[Any, AsyncSession, Any], Awaitable[None]]


@dataclass
class Services:
    settings: Settings
    db: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    classifier: Classifier
    engine: ConversationEngine
    after_turn: list[AfterTurn] = field(default_factory=list)
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    desk: Any = None  # escalation.telegram.OperatorDesk when an operators' group is set
    knowledge: KnowledgeService | None = None
    # the language each admin was last seen writing to this bot in (user id -> ru/en/pl):
    # what they are told later, unprompted (an answer the bot may not send, the bot out of
    # the operators' group), is in it; this bot's own, not another's in the same process
    seen_langs: dict[int, str] = field(default_factory=dict)

    async def close(self) -> None:
        if self.knowledge is not None:
            await self.knowledge.flush()
        await self.db.dispose()


def default_flows(settings: Settings, knowledge: KnowledgeService | None = None) -> list[Flow]:
    """The conversation flows, most specific first."""
    from bot.dialogs.complaint import ComplaintFlow
    from bot.dialogs.handoff import HandoffFlow
    from bot.dialogs.orders import OrderStatusFlow
    from escalation.survey import SurveyFlow

    flows: list[Flow] = [
        SurveyFlow(rules_file=settings.rules_file),
        OrderStatusFlow(),
        ComplaintFlow(rules_file=settings.rules_file),
        HandoffFlow(rules_file=settings.rules_file),
    ]
    if knowledge is not None:
        from knowledge.flow import FaqFlow

        flows.append(FaqFlow(knowledge))
    return flows


def load_default_classifier(settings: Settings) -> Classifier:
    """The classifier of NLU_MODEL_DIR / EMBEDDING_MODEL with its encoders loaded now, not on
    the first customer's message; :class:`ConfigError` in one line when they cannot be."""
    from bot.nlu import load_classifier
    from bot.nlu.encoders import EncoderError
    from bot.nlu.model import ModelError

    try:
        classifier = load_classifier(
            settings.nlu_model_dir, embedding_model=settings.embedding_model
        )
        classifier.predict_one("hello")
    except (EncoderError, ModelError) as exc:
        if isinstance(exc, EncoderError) and settings.embedding_model:
            raise ConfigError(f"EMBEDDING_MODEL is invalid: {exc}") from exc
        if settings.nlu_model_dir:
            raise ConfigError(f"NLU_MODEL_DIR is invalid: {exc}") from exc
        raise
    return classifier


async def build_services(
    settings: Settings,
    *,
    classifier: Classifier | None = None,
    migrate: bool = True,
    seed: int | None = None,
) -> Services:
    db = create_engine(settings.database_url)
    if migrate:
        await upgrade_database(db)
    if classifier is None:
        classifier = await asyncio.to_thread(load_default_classifier, settings)
    sessionmaker = create_sessionmaker(db)
    knowledge = KnowledgeService(settings, sessionmaker=sessionmaker)
    flows = default_flows(settings, knowledge)
    engine = ConversationEngine(classifier, settings, flows=flows, seed=seed)
    services = Services(
        settings=settings,
        db=db,
        sessionmaker=sessionmaker,
        classifier=classifier,
        engine=engine,
        knowledge=knowledge,
    )
    if settings.operators_chat_id is not None:
        from escalation.telegram import OperatorDesk

        services.desk = OperatorDesk(settings, sessionmaker, seen_langs=services.seen_langs)
        services.after_turn.append(services.desk.after_turn)
    if settings.admin_ids:  # after the desk's: the operators' card first
        from bot.handlers.admin_kb import blocked_answer_alerts

        services.after_turn.append(blocked_answer_alerts(services))
    return services
