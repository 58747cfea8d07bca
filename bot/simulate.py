"""`supportbot simulate`: whole dialogues through the real conversation engine."""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.db import models
from bot.dialogs.types import ATTACHMENT_KINDS, Attachment, Incoming
from bot.jsonl import JsonlError, read_jsonl, writable
from bot.services import Services, build_services
from knowledge.formats import load_file

# A simulated customer writes at a human pace: each turn gets its own time, this far after
# the one before (back-to-back turns would look like a flood to the engine).
TURN_PACE = timedelta(seconds=20)


def parse_turn(turn: Any, where: str) -> Incoming | dict[str, Any]:
    if isinstance(turn, str):
        return {"text": turn, "attachments": ()}
    if isinstance(turn, dict):
        if "button" in turn:
            return {"button": str(turn["button"])}
        text = turn.get("text")
        kinds = turn.get("attachments") or []
        if text is not None and not isinstance(text, str):
            raise JsonlError(f"{where}: 'text' must be a string")
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise JsonlError(f"{where}: 'attachments' must be a list of strings")
        for kind in kinds:
            if kind not in ATTACHMENT_KINDS:
                raise JsonlError(
                    f"{where}: unknown attachment {kind!r} (one of {', '.join(ATTACHMENT_KINDS)})"
                )
        return {"text": text, "attachments": tuple(kinds)}
    raise JsonlError(f"{where}: a turn is a string or an object with 'text'/'attachments'")


def load_dialogues(path: Path) -> list[dict[str, Any]]:
    dialogues = []
    for lineno, row in read_jsonl(path):
        turns = row.get("turns")
        if not isinstance(turns, list) or not turns:
            raise JsonlError(f"{path}:{lineno}: 'turns' must be a non-empty list")
        parsed = [parse_turn(t, f"{path}:{lineno} turn {i}") for i, t in enumerate(turns)]
        dialogues.append({"id": row.get("id"), "lang": row.get("lang"), "turns": parsed})
    return dialogues


async def run_dialogue(services: Services, dialogue: dict[str, Any]) -> dict[str, Any]:
    user = f"sim-{uuid.uuid4().hex[:12]}"
    replies: list[list[str]] = []
    events: list[dict[str, Any]] = []
    lang = dialogue.get("lang")
    start = services.engine.clock()
    for i, turn in enumerate(dialogue["turns"]):
        if "button" in turn:
            incoming = Incoming(
                external_user_id=user,
                channel="simulate",
                callback_data=turn["button"],
                language_code=lang,
            )
        else:
            attachments = tuple(
                Attachment(kind, f"sim-{kind}-{i}-{j}")
                for j, kind in enumerate(turn["attachments"])
            )
            incoming = Incoming(
                external_user_id=user,
                channel="simulate",
                text=turn["text"],
                attachments=attachments,
                message_id=i + 1,
                language_code=lang,
            )
        async with services.sessionmaker() as session:
            outcome = await services.engine.handle(session, incoming, now=start + i * TURN_PACE)
            await session.commit()
        replies.append([r.text for r in outcome.replies])
        for ev in outcome.events:
            events.append({"turn": i, **ev})
    return {"id": dialogue["id"], "replies": replies, "events": events}


async def simulate(
    settings: Settings,
    input_path: Path,
    output_path: Path,
    kb_path: Path | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Play the dialogues; ``at``: the moment they start at (the bot's clock, ``utcnow``, runs
    from there), so what depends on the operators' hours is the same at any hour of the day."""
    if at is None:
        return await _simulate(settings, input_path, output_path, kb_path)
    before = models.clock_shift
    models.clock_shift = at - datetime.now(UTC)
    try:
        return await _simulate(settings, input_path, output_path, kb_path)
    finally:
        models.clock_shift = before


async def _simulate(
    settings: Settings, input_path: Path, output_path: Path, kb_path: Path | None
) -> int:
    dialogues = load_dialogues(input_path)
    writable(output_path)  # before minutes of work, not after
    entries = load_file(kb_path) if kb_path is not None else None  # KbFormatError, ditto
    with tempfile.TemporaryDirectory(prefix="supportbot-sim-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'simulate.db'}"
        settings = settings.model_copy(update={"database_url": url})
        services = await build_services(settings, seed=0)
        try:
            if entries is not None:
                from knowledge.service import get_knowledge

                async with services.sessionmaker() as session:
                    await get_knowledge(services).import_entries(session, entries)
            with output_path.open("w", encoding="utf-8") as out:
                for dialogue in dialogues:
                    result = await run_dialogue(services, dialogue)
                    out.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")
        finally:
            await services.close()
    return len(dialogues)
