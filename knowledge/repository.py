"""Database access for the knowledge base. Repositories never commit: use cases do."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import KnowledgeEntry, KnowledgeHistory, utcnow
from knowledge.formats import Entry
from knowledge.models import UnansweredQuestion


def to_entry(row: KnowledgeEntry) -> Entry:
    return Entry(
        id=row.id,
        questions=[str(q) for q in (row.questions or [])],
        answers={str(k): str(v) for k, v in (row.answers or {}).items()},
        tags=[str(t) for t in (row.tags or [])],
    )


def snapshot(entry: Entry) -> dict[str, Any]:
    """The JSON kept in the history (before / after)."""
    return entry.to_dict()


class KnowledgeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ entries
    async def all_rows(self) -> list[KnowledgeEntry]:
        rows = await self.session.scalars(
            select(KnowledgeEntry).order_by(KnowledgeEntry.position, KnowledgeEntry.id)
        )
        return list(rows)

    async def all(self) -> list[Entry]:
        return [to_entry(r) for r in await self.all_rows()]

    async def get_row(self, entry_id: str) -> KnowledgeEntry | None:
        return await self.session.get(KnowledgeEntry, entry_id)

    async def get(self, entry_id: str) -> Entry | None:
        row = await self.get_row(entry_id)
        return to_entry(row) if row is not None else None

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(KnowledgeEntry.id))) or 0)

    async def signature(self) -> tuple[int, str, int]:
        """Changes whenever an entry is added, edited or deleted (even by another process)."""
        count, latest = (
            await self.session.execute(
                select(func.count(KnowledgeEntry.id), func.max(KnowledgeEntry.updated_at))
            )
        ).one()
        last_history = await self.session.scalar(select(func.max(KnowledgeHistory.id)))
        return int(count or 0), str(latest or ""), int(last_history or 0)

    async def next_position(self) -> int:
        top = await self.session.scalar(select(func.max(KnowledgeEntry.position)))
        return int(top) + 1 if top is not None else 0

    async def upsert(
        self,
        entry: Entry,
        *,
        actor: str | None,
        position: int | None = None,
        now: datetime | None = None,
    ) -> str:
        """Create or update; records history. Returns ``create``, ``update`` or ``unchanged``."""
        now = now or utcnow()
        row = await self.get_row(entry.id)
        after = snapshot(entry)
        if row is None:
            if position is None:
                position = await self.next_position()
            self.session.add(
                KnowledgeEntry(
                    id=entry.id,
                    tags=list(entry.tags),
                    questions=list(entry.questions),
                    answers=dict(entry.answers),
                    position=position,
                    updated_at=now,
                    updated_by=actor,
                )
            )
            self._history(entry.id, "create", actor, None, after, now)
            return "create"
        before = snapshot(to_entry(row))
        moved = position is not None and row.position != position
        if before == after and not moved:
            return "unchanged"
        if position is not None:
            row.position = position
        if before != after:
            row.tags = list(entry.tags)
            row.questions = list(entry.questions)
            row.answers = dict(entry.answers)
            row.updated_at = now
            row.updated_by = actor
            self._history(entry.id, "update", actor, before, after, now)
            return "update"
        return "unchanged"

    async def delete(
        self, entry_id: str, *, actor: str | None, now: datetime | None = None
    ) -> bool:
        row = await self.get_row(entry_id)
        if row is None:
            return False
        self._history(entry_id, "delete", actor, snapshot(to_entry(row)), None, now or utcnow())
        await self.session.delete(row)
        await self.answered_by(entry_id, again=False)
        return True

    async def answered_by(self, entry_id: str, *, again: bool) -> None:
        """The unanswered questions an entry was made for: open again when it is deleted (the
        report said "(in the FAQ now)" of a question nothing answers), answered again when it
        is back (restored, its deletion undone). They keep the entry's id either way."""
        before, after = ("open", "resolved") if again else ("resolved", "open")
        await self.session.execute(
            update(UnansweredQuestion)
            .where(UnansweredQuestion.entry_id == entry_id, UnansweredQuestion.status == before)
            .values(status=after)
        )

    def _history(
        self,
        entry_id: str,
        action: str,
        actor: str | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        self.session.add(
            KnowledgeHistory(
                entry_id=entry_id,
                action=action,
                actor=actor,
                before=before,
                after=after,
                created_at=now,
            )
        )

    async def last_history_id(self) -> int:
        return int(await self.session.scalar(select(func.max(KnowledgeHistory.id))) or 0)

    async def history_between(
        self, first: int, last: int, entry_ids: Collection[str] | None = None
    ) -> list[KnowledgeHistory]:
        """The changes after ``first`` up to ``last``, newest first (of ``entry_ids``, when
        there are few enough to name in one query)."""
        stmt = (
            select(KnowledgeHistory)
            .where(KnowledgeHistory.id > first, KnowledgeHistory.id <= last)
            .order_by(KnowledgeHistory.id.desc())
        )
        if entry_ids is not None and len(entry_ids) <= 500:
            stmt = stmt.where(KnowledgeHistory.entry_id.in_(list(entry_ids)))
        return list(await self.session.scalars(stmt))

    async def history(self, entry_id: str | None = None, limit: int = 50) -> list[KnowledgeHistory]:
        stmt = select(KnowledgeHistory).order_by(KnowledgeHistory.id.desc()).limit(limit)
        if entry_id is not None:
            stmt = stmt.where(KnowledgeHistory.entry_id == entry_id)
        return list(await self.session.scalars(stmt))

    # ------------------------------------------------------------------ gaps
    async def add_unanswered(
        self,
        text: str,
        *,
        lang: str | None,
        conversation_id: int | None,
        message_id: int | None,
        candidates: Sequence[dict[str, Any]],
        now: datetime | None = None,
    ) -> UnansweredQuestion:
        best = candidates[0] if candidates else None
        row = UnansweredQuestion(
            text=text,
            lang=lang,
            conversation_id=conversation_id,
            message_id=message_id,
            best_entry_id=best["answer_id"] if best else None,
            best_score=float(best["score"]) if best else None,
            candidates=list(candidates),
            status="open",
            created_at=now or utcnow(),
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def open_unanswered(self, limit: int = 2000) -> list[UnansweredQuestion]:
        rows = await self.session.scalars(
            select(UnansweredQuestion)
            .where(UnansweredQuestion.status == "open")
            .order_by(UnansweredQuestion.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def unanswered_by_ids(self, ids: Sequence[int]) -> list[UnansweredQuestion]:
        if not ids:
            return []
        rows = await self.session.scalars(
            select(UnansweredQuestion).where(UnansweredQuestion.id.in_(list(ids)))
        )
        return list(rows)

    async def unanswered_for_conversation(
        self, conversation_id: int, limit: int = 1, before: datetime | None = None
    ) -> list[UnansweredQuestion]:
        rows = await self.session.scalars(
            select(UnansweredQuestion)
            .where(
                UnansweredQuestion.conversation_id == conversation_id,
                UnansweredQuestion.status == "open",
                *([UnansweredQuestion.created_at <= before] if before is not None else []),
            )
            .order_by(UnansweredQuestion.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def close_unanswered(
        self,
        ids: Sequence[int],
        *,
        status: str,
        entry_id: str | None,
        actor: str | None,
        now: datetime | None = None,
    ) -> int:
        if not ids:
            return 0
        result = await self.session.execute(
            update(UnansweredQuestion)
            # an answered or dismissed question stays as it was closed
            .where(UnansweredQuestion.id.in_(list(ids)), UnansweredQuestion.status == "open")
            .values(
                status=status, entry_id=entry_id, resolved_by=actor, resolved_at=now or utcnow()
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_all_entries_except(self, keep: set[str], *, actor: str | None) -> list[str]:
        """Delete (with history) every entry whose id is not in ``keep``."""
        removed = []
        for row in await self.all_rows():
            if row.id not in keep:
                await self.delete(row.id, actor=actor)
                removed.append(row.id)
        return removed

    async def purge_unanswered(self) -> None:  # pragma: no cover - maintenance helper
        await self.session.execute(delete(UnansweredQuestion))
