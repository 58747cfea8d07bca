"""Knowledge-base benchmark: answer quality on the demo eval set, speed with 5,000 entries.

    python benchmarks/kb_bench.py                 # everything
    python benchmarks/kb_bench.py --only quality  # eval set only
    python benchmarks/kb_bench.py --only speed --entries 5000 --json

    python benchmarks/kb_bench.py --only quality --kb my.yaml --questions my.jsonl
    python benchmarks/kb_bench.py --only telegram-import [--entries 5000] [--hash-encoder]

Quality, on three independent sets (``--set demo|eval2|eval3|all``): the demo shop
(knowledge/demo/eval_questions.jsonl against shop.yaml), an electronics shop written
before any tuning (eval2_questions.jsonl against eval2_kb.yaml) and a pharmacy/cosmetics
shop written before the second tuning round (benchmarks/data/eval3_*; held out: the
"pooled" center uses demo + eval2 only), or any KB + questions:
- ``top1_answered``: answerable questions answered with the expected entry (a decline
  counts as wrong); ``declined_unanswerable``: unanswerable questions declined;
  ``rank1``: the expected entry ranked first, ignoring the threshold.
- the same two figures with the threshold chosen by 5-fold cross-validation (on 4/5 of the
  questions: the lowest center that declines >= 85% of the unanswerable ones; measured on
  the other 1/5), i.e. held-out style.

Speed (synthetic entries, so the figures do not depend on the demo's size):
- search p50/p95 with N entries, with and without encoding the question;
- re-index after one edit (the edited entry is really encoded);
- import of N entries into SQLite (the database part) and the encoding throughput, from
  which the first-import time of N entries is extrapolated (the disk cache makes every
  later start a file read: measured too).

Telegram import (``--only telegram-import``): an admin sends a YAML file of N synthetic
entries to the real bot (the admin router, a SQLite database) over the local fake Bot API
and taps Import; reported: the seconds from the tap to the report ('Imported: ...'), the
edits of the import's message (its progress, throttled to one per ~3 s), and the
progress steps shown. ``--hash-encoder``: pseudo-vectors instead of the model (the
database, the handler and the index without the encoding time); ``--progress-interval 0``:
every tenth shown, as before the throttle.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # see docs/knowledge.md, "Speed"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.jsonl import read_rows  # noqa: E402
from knowledge import index as index_mod  # noqa: E402
from knowledge.formats import Entry, load_file  # noqa: E402
from knowledge.index import (  # noqa: E402
    KnowledgeIndex,
    encoder_parts,
    load_encoder,
    resolve_spec,
)

DEMO = ROOT / "knowledge" / "demo"
DATA = ROOT / "benchmarks" / "data"


# --------------------------------------------------------------------------- quality
def _metrics(
    top: list[str | None], raw: np.ndarray, expected: list[str | None], center: float
) -> dict[str, float]:
    conf = 1 / (1 + np.exp(-(raw - center)))  # only the 0.5 crossing matters here
    answerable = [i for i, e in enumerate(expected) if e is not None]
    unanswerable = [i for i, e in enumerate(expected) if e is None]
    ok = [top[i] == expected[i] and conf[i] >= 0.5 for i in answerable]
    declined = [conf[i] < 0.5 for i in unanswerable]
    return {
        "top1_answered": float(np.mean(ok)) if ok else 0.0,
        "declined_unanswerable": float(np.mean(declined)) if declined else 0.0,
        "rank1": float(np.mean([top[i] == expected[i] for i in answerable])) if answerable else 0.0,
    }


def _best_center(top: list, raw: np.ndarray, expected: list, rows: list[int]) -> float:
    """The lowest center that still declines >= DECLINE_TARGET of the unanswerable questions
    (so the most answerable ones get answered); the target is the issue's."""
    sub_top = [top[i] for i in rows]
    sub_raw = raw[rows]
    sub_exp = [expected[i] for i in rows]
    for center in np.unique(np.round(sub_raw, 2)):
        m = _metrics(sub_top, sub_raw, sub_exp, float(center))
        if m["declined_unanswerable"] >= DECLINE_TARGET:
            return float(center)
    return float(sub_raw.max())


DECLINE_TARGET = 0.85
LOSO_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)  # self-score weights tried


EVAL_SETS = {
    "demo": (DEMO / "shop.yaml", DEMO / "eval_questions.jsonl"),
    "eval2": (DEMO / "eval2_kb.yaml", DEMO / "eval2_questions.jsonl"),
    # pharmacy/cosmetics shop written before the second tuning round; held out: checked
    # once per candidate configuration, never tuned on, never in the pooled centers
    "eval3": (DATA / "eval3_kb.yaml", DATA / "eval3_questions.jsonl"),
    # home-and-garden shop written blind on 2026-11-30 (held out like eval3)
    "eval4": (DATA / "eval4_kb.yaml", DATA / "eval4_questions.jsonl"),
    # party-supplies shop written blind on 2026-12-01 (41 entries, 150 questions), scored
    # only after that session's model was chosen on the others
    "eval5": (DATA / "eval5_kb.yaml", DATA / "eval5_questions.jsonl"),
    # cosmetics / perfume shop written blind on 2026-12-01 (session 13: 43 entries, 149
    # questions), scored once for the session 12 model before any change
    "eval6": (DATA / "eval6_kb.yaml", DATA / "eval6_questions.jsonl"),
    # written blind in session 14 (2026-12-01), each reviewed by a second helper, scored once
    # for the session 13 model before any change: an electronics and appliances retailer in
    # the realistic style (40 entries, 150 questions) and a clothing shop with a beauty
    # corner in a tidy ru + en style (43 entries, 146 questions)
    "eval7": (DATA / "eval7_kb.yaml", DATA / "eval7_questions.jsonl"),
    "eval8": (DATA / "eval8_kb.yaml", DATA / "eval8_questions.jsonl"),
    # written blind in session 15 (2026-12-02) from the same briefs with other shops, each
    # reviewed by a second helper, scored once for the session 14 model before any change: a
    # DIY / home-improvement store in the realistic style (42 entries, 149 questions) and a
    # baby and children's goods store in the tidy ru + en style (41 entries, 150 questions)
    "eval9": (DATA / "eval9_kb.yaml", DATA / "eval9_questions.jsonl"),
    "eval10": (DATA / "eval10_kb.yaml", DATA / "eval10_questions.jsonl"),
    # written blind in session 16 (2026-12-02), each reviewed by a second helper, before the
    # session's work: a household-chemicals / cleaning-supplies store in the realistic style
    # (42 entries, 150 questions) and a Polish grill and outdoor-living store in the tidy
    # style, Polish first (43 entries, 149 questions: pl 60 / ru 50 / en 40 asked)
    "eval11": (DATA / "eval11_kb.yaml", DATA / "eval11_questions.jsonl"),
    "eval12": (DATA / "eval12_kb.yaml", DATA / "eval12_questions.jsonl"),
    # written blind in session 17 (2026-12-02), each reviewed by a second helper, before the
    # session's model was chosen: a sauna and Russian bath equipment store in the realistic
    # style (43 entries, 149 questions) and a Polish garden playground store in the realistic
    # style, Polish first (43 entries, 150 questions: pl 60 / ru 50 / en 40 asked)
    "eval13": (DATA / "eval13_kb.yaml", DATA / "eval13_questions.jsonl"),
    "eval14": (DATA / "eval14_kb.yaml", DATA / "eval14_questions.jsonl"),
    # written blind at the end of session 17 (2026-12-02), each reviewed by a second helper,
    # first scored in session 18 for the session 17 model before any change: an English-first
    # outdoor-gear store in the realistic style (42 entries, 150 questions asked en 60 / ru
    # 50 / pl 40, 29 unanswerable) and a home cleaning and handyman service company in the
    # tidy ru + en style (40 entries, 144 questions, 25 unanswerable)
    "eval15": (DATA / "eval15_kb.yaml", DATA / "eval15_questions.jsonl"),
    "eval16": (DATA / "eval16_kb.yaml", DATA / "eval16_questions.jsonl"),
    # written blind in session 18 (2026-12-02), each reviewed by a second helper, first
    # scored in session 19 for the session 17 model, then for the model chosen without them:
    # a driving school in the realistic Russian-based style (45 entries, 146 questions, 26
    # unanswerable) and an English-first organic baby food / nappies subscription shop in the
    # realistic style (43 entries, 150 questions asked en 60 / ru 50 / pl 40, 30 unanswerable)
    "eval17": (DATA / "eval17_kb.yaml", DATA / "eval17_questions.jsonl"),
    "eval18": (DATA / "eval18_kb.yaml", DATA / "eval18_questions.jsonl"),
    # written blind in session 19 (2026-12-02), each reviewed by a second helper (1 borderline
    # row deleted from each); scored in session 20 for the session 19 model before any change,
    # then once for the model chosen without them: a Polish-first online optician in the
    # realistic style (45 entries, 149 questions asked pl 60 / ru 50 / en 39, 29
    # unanswerable) and a Russian-based online programming school in the realistic style
    # (42 entries, 149 questions, 29 unanswerable)
    "eval19": (DATA / "eval19_kb.yaml", DATA / "eval19_questions.jsonl"),
    "eval20": (DATA / "eval20_kb.yaml", DATA / "eval20_questions.jsonl"),
    # written blind in session 20 (2026-12-02), each reviewed by a second helper (1 borderline
    # row deleted from each), for the next model choice; scored in session 21 for the shipped
    # model only (0.692 / 0.655 and 0.592 / 0.793 answered / declined), no candidate yet: a
    # Russian-first travel eSIM seller (45 entries, 149 questions asked ru 60 / en 49 / pl 40,
    # 29 unanswerable) and an English-first Gdansk yacht charter and sailing school (44
    # entries, 149 questions asked en 59 / pl 50 / ru 40, 29 unanswerable), realistic style
    "eval21": (DATA / "eval21_kb.yaml", DATA / "eval21_questions.jsonl"),
    "eval22": (DATA / "eval22_kb.yaml", DATA / "eval22_questions.jsonl"),
}
HELD_OUT = {f"eval{n}" for n in range(3, 23)}
# blind sets kept for the next model choice (no candidate model scored on them): `--set all`
# leaves them out (name one to score it)
UNSCORED = {"eval21", "eval22"}


def quality(
    encoder_spec: str,
    folds: int = 5,
    seed: int = 0,
    kb: Path | None = None,
    questions: Path | None = None,
) -> dict[str, Any]:
    kb = kb or EVAL_SETS["demo"][0]
    questions = questions or EVAL_SETS["demo"][1]
    entries = load_file(kb)
    rows = read_rows(questions)
    encoder = load_encoder(resolve_spec(encoder_spec, len(entries)))
    with tempfile.TemporaryDirectory() as tmp:
        index = KnowledgeIndex(encoder, cache_dir=Path(tmp))
        index.rebuild(entries)
        texts = [r["text"] for r in rows]
        vectors = index.encode_queries(texts)
        top, raw, results = [], [], []
        loso_rows: list[tuple[float, float]] = []  # (size-adjusted score, top entry's self score)
        for text, vec in zip(texts, vectors, strict=True):
            result = index.search(text, 5, vector=vec)
            results.append(result)
            if index.reranker is not None:
                # the re-ranker's first candidate; its confidence as a score around the center
                first = result.candidates[0]
                best = index.entries.index(index.by_id[first.entry_id])
                p = min(max(first.score, 1e-9), 1 - 1e-9)
                top_score = index.center + float(np.log(p / (1 - p)))
                at_center = top_score
            else:
                scores, _ = index.score_all(text, vec)
                best = int(np.argmax(index.language_fair(text, scores)))  # as search() ranks
                top_score = float(np.max(scores))  # ... and as it scores the first candidate
                # at the index's center: the top entry's own (adaptive) center shift removed
                at_center = top_score - (index.entry_centers[best] - index.center)
            top.append(index.entries[best].id)
            raw.append(at_center)
            loso_rows.append(
                (top_score - (index.center - index.base_center), index.entry_self[best])
            )
    raw_arr = np.asarray(raw)
    expected = [r.get("expected") for r in rows]
    shipped = _metrics(top, raw_arr, expected, index.center)
    # held-out threshold: choose the center on k-1 folds, measure on the last one
    rng = random.Random(seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    cv_top1, cv_declined, centers = [], [], []
    for k in range(folds):
        test = order[k::folds]
        train = [i for i in order if i not in set(test)]
        center = _best_center(top, raw_arr, expected, train)
        centers.append(center)
        m = _metrics([top[i] for i in test], raw_arr[test], [expected[i] for i in test], center)
        n_ans = sum(expected[i] is not None for i in test)
        cv_top1.append((m["top1_answered"], n_ans))
        cv_declined.append((m["declined_unanswerable"], len(test) - n_ans))
    per_lang: dict[str, dict[str, float]] = {}
    for lang in sorted({r.get("lang", "?") for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.get("lang") == lang]
        per_lang[lang] = _metrics(
            [top[i] for i in idx], raw_arr[idx], [expected[i] for i in idx], index.center
        )
    wrong = [
        {"text": rows[i]["text"], "expected": expected[i], "got": results[i].answer_id}
        for i in range(len(rows))
        if results[i].answer_id != expected[i]
    ]
    return {
        "kb": str(kb.relative_to(ROOT) if kb.is_relative_to(ROOT) else kb),
        "encoder": encoder.name,
        "questions": len(rows),
        "answerable": sum(e is not None for e in expected),
        "shipped_center": index.center,
        **{f"shipped_{k}": round(v, 4) for k, v in shipped.items()},
        "cv_top1_answered": round(_weighted(cv_top1), 4),
        "cv_declined_unanswerable": round(_weighted(cv_declined), 4),
        "cv_centers": [round(c, 2) for c in centers],
        "center_chosen_on_all": round(
            _best_center(top, raw_arr, expected, list(range(len(rows)))), 2
        ),
        "per_lang": {k: {m: round(v, 3) for m, v in d.items()} for k, d in per_lang.items()},
        "mistakes": wrong,
        "_scores": (top, raw_arr - (index.center - index.base_center), expected),
        "_loso": (top, np.asarray(loso_rows), expected),
    }


def leave_one_shop_out(
    reports: dict[str, dict[str, Any]], weights: tuple[float, ...] = (0.0,)
) -> dict[str, Any]:
    """Fit on all shops but one, measure on that one, rotate (the realistic case: an unknown
    shop). The decision is ``score - w * (clip(self) - SELF_REF) >= C`` (``score`` size-
    adjusted, ``self`` the top entry's self score): for every ``w`` of ``weights`` the lowest
    ``C`` that declines >= DECLINE_TARGET of the training shops' pooled unanswerable
    questions, and the ``w`` that answers most of them. ``weights=(0,)`` is the fixed center."""
    data = {}
    for name, r in reports.items():
        top, rows, expected = r["_loso"]
        clipped = np.clip(rows[:, 1], *index_mod.SELF_CLIP) - index_mod.SELF_REF
        data[name] = (top, rows[:, 0], clipped, expected)
    out: dict[str, Any] = {}
    for test in data:
        train = [n for n in data if n != test]
        best: tuple[int, float, float] | None = None
        for w in weights:
            top = [t for n in train for t in data[n][0]]
            raw = np.concatenate([data[n][1] - w * data[n][2] for n in train])
            exp = [e for n in train for e in data[n][3]]
            center = _best_center(top, raw, exp, list(range(len(top))))
            m = _metrics(top, raw, exp, center)
            answered = m["top1_answered"]
            if best is None or answered > best[0] + 1e-12:
                best = (answered, w, center)
        assert best is not None
        _, w, center = best
        top, raw, clipped, exp = data[test]
        m = _metrics(top, raw - w * clipped, exp, center)
        out[test] = {
            "weight": w,
            "center": round(center, 2),
            **{k: round(v, 3) for k, v in m.items()},
        }
    for key in ("top1_answered", "declined_unanswerable"):
        out[f"mean_{key}"] = round(float(np.mean([out[n][key] for n in data])), 3)
    return out


def transfer(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Thresholds chosen on one eval set (or on both pooled), measured on each set.

    Scores are compared at the size-adjusted scale (``center - base_center`` removed), so
    a center chosen on one KB is the base center the index would use on the other."""
    out: dict[str, Any] = {}
    scores = {name: r["_scores"] for name, r in reports.items()}
    tuning = [s for name, s in scores.items() if name not in HELD_OUT]
    pooled_top = [t for s in tuning for t in s[0]]
    pooled_raw = np.concatenate([s[1] for s in tuning])
    pooled_exp = [e for s in tuning for e in s[2]]
    centers = {
        name: _best_center(s[0], s[1], s[2], list(range(len(s[0])))) for name, s in scores.items()
    }
    centers["pooled"] = _best_center(
        pooled_top, pooled_raw, pooled_exp, list(range(len(pooled_top)))
    )
    out["base_centers_chosen_on"] = {k: round(v, 2) for k, v in centers.items()}
    for name, (top, raw, expected) in scores.items():
        for source, center in centers.items():
            if source == name:
                continue
            m = _metrics(top, raw, expected, center)
            out[f"{name}_with_{source}_center"] = {k: round(v, 3) for k, v in m.items()}
    return out


def _weighted(pairs: list[tuple[float, int]]) -> float:
    total = sum(n for _, n in pairs)
    return sum(v * n for v, n in pairs) / total if total else 0.0


# --------------------------------------------------------------------------- speed
WORDS = (
    "доставка заказ возврат оплата карта курьер пункт выдачи скидка бонус гарантия размер "
    "delivery order return payment card courier pickup discount bonus warranty size refund "
    "dostawa zamówienie zwrot płatność karta kurier paczkomat rabat gwarancja rozmiar "
    "телефон ноутбук куртка кроссовки платье подарок сертификат чек приложение пароль "
    "phone laptop jacket sneakers dress gift voucher receipt app password account"
).split()


def synthetic_entries(n: int, seed: int = 1) -> list[Entry]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topic = rng.sample(WORDS, 4)
        questions = [
            f"{' '.join(rng.sample(topic, 3))} {rng.choice(WORDS)} вопрос {i}?",
            f"how does {' '.join(rng.sample(topic, 2))} work for {rng.choice(WORDS)} {i}?",
            f"czy {' '.join(rng.sample(topic, 2))} {rng.choice(WORDS)} {i}?",
            f"{rng.choice(WORDS)} {topic[0]} {i}",
        ]
        answers = {
            "ru": f"Ответ {i}: {' '.join(rng.choices(WORDS, k=25))}.",
            "en": f"Answer {i}: {' '.join(rng.choices(WORDS, k=25))}.",
        }
        out.append(Entry(f"entry_{i}", questions, answers, ["bench"]))
    return out


class HashEncoder:
    """Deterministic pseudo-vectors with the real encoder's shape (no model time)."""

    def __init__(self, real: Any) -> None:
        self.name = real.name
        self.dim = real.dim
        self.inner = getattr(real, "inner", real)
        self.parts = encoder_parts(real)

    def encode(self, texts: Any) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            start = 0
            for _, dim in self.parts:
                block = vec[start : start + dim]
                block /= np.linalg.norm(block)
                start += dim
            out[i] = vec
        return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def speed(encoder_spec: str, n: int, queries: int = 200) -> dict[str, Any]:
    real = load_encoder(resolve_spec(encoder_spec, n))
    fake = HashEncoder(real)
    entries = synthetic_entries(n)
    out: dict[str, Any] = {"encoder": real.name, "entries": n}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        index = KnowledgeIndex(fake, cache_dir=cache)
        t = time.perf_counter()
        index.rebuild(entries)
        out["index_build_s_without_encoding"] = round(time.perf_counter() - t, 3)

        again = KnowledgeIndex(fake, cache_dir=cache)
        t = time.perf_counter()
        again.rebuild(entries)
        out["restart_from_disk_cache_s"] = round(time.perf_counter() - t, 3)

        # searches: questions that look like customer messages
        rng = random.Random(7)
        texts = [
            f"{' '.join(rng.sample(WORDS, 4))} {rng.choice(['?', ' please', ' srochno'])} {k}"
            for k in range(queries)
        ]
        index.encoder = real  # queries are really encoded
        index.store.encoder = real
        for text in texts[:5]:  # warm-up
            index.search(text)
        with_enc, without_enc = [], []
        vectors = np.asarray(real.encode(texts), np.float32)
        for text, vec in zip(texts, vectors, strict=True):
            t = time.perf_counter()
            index.search(text, 5, vector=vec)
            without_enc.append((time.perf_counter() - t) * 1000)
        for k, text in enumerate(texts):
            fresh = f"{text} #{k}"  # not in the encoder's LRU cache
            t = time.perf_counter()
            index.search(fresh, 5)
            with_enc.append((time.perf_counter() - t) * 1000)
        out["search_ms_p50"] = round(_pct(with_enc, 50), 2)
        out["search_ms_p95"] = round(_pct(with_enc, 95), 2)
        out["search_ms_p50_given_vector"] = round(_pct(without_enc, 50), 2)
        out["search_ms_p95_given_vector"] = round(_pct(without_enc, 95), 2)

        # re-index after one edit (the edited entry is encoded by the real encoder)
        times = []
        for k in range(5):
            edited = entries[k * 7]
            changed = Entry(
                edited.id,
                [*edited.questions, f"новый вариант вопроса {k} про {rng.choice(WORDS)}"],
                {**edited.answers, "pl": f"Odpowiedź {k}: {' '.join(rng.choices(WORDS, k=12))}."},
                edited.tags,
            )
            times.append(index.apply([changed]))
        out["reindex_one_edit_s_median"] = round(statistics.median(times), 3)
        out["reindex_one_edit_s_max"] = round(max(times), 3)

    # encoding throughput -> first import of n entries
    sample = [t for e in synthetic_entries(60, seed=3) for t in (*e.questions, *e.answers.values())]
    t = time.perf_counter()
    real_inner = getattr(real, "inner", real)
    real_inner.encode(sample)
    per_text = (time.perf_counter() - t) / len(sample)
    texts_total = sum(len(e.questions) + len(e.answers) for e in entries)
    out["encode_ms_per_text"] = round(per_text * 1000, 2)
    out["first_import_encoding_s_estimate"] = round(per_text * texts_total, 1)
    out["db_import_s"] = round(asyncio.run(_db_import(entries)), 2)
    return out


async def _db_import(entries: list[Entry]) -> float:
    from bot.db import create_engine, create_sessionmaker, upgrade_database
    from knowledge.repository import KnowledgeRepository

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await upgrade_database(engine)
        sessionmaker = create_sessionmaker(engine)
        t = time.perf_counter()
        async with sessionmaker() as session:
            repo = KnowledgeRepository(session)
            await repo.all_rows()
            for i, entry in enumerate(entries):
                await repo.upsert(entry, actor="bench", position=i)
            await session.commit()
        seconds = time.perf_counter() - t
        await engine.dispose()
    return seconds


def telegram_import(
    encoder_spec: str, n: int, *, hash_encoder: bool = False, interval: float | None = None
) -> dict[str, Any]:
    return asyncio.run(_telegram_import(encoder_spec, n, hash_encoder, interval))


async def _telegram_import(
    encoder_spec: str, n: int, hash_encoder: bool, interval: float | None
) -> dict[str, Any]:
    from types import SimpleNamespace

    from aiogram import Dispatcher
    from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

    from bot.app import create_bot
    from bot.config import Settings
    from bot.db import create_engine, create_sessionmaker, upgrade_database
    from bot.handlers import admin_kb
    from bot.middlewares import DbSessionMiddleware
    from bot.sandbox.fakeapi import FakeTelegramServer
    from knowledge.formats import dump_yaml
    from knowledge.service import KnowledgeService

    admin_id = 900
    if interval is not None:
        admin_kb.PROGRESS_INTERVAL = interval
    real = load_encoder(resolve_spec(encoder_spec, n))
    encoder = HashEncoder(real) if hash_encoder else None
    data = dump_yaml(synthetic_entries(n)).encode("utf-8")
    out: dict[str, Any] = {"entries": n, "encoder": real.name, "hash_encoder": hash_encoder}
    out["file_mb"] = round(len(data) / 1e6, 2)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        settings = Settings(_env_file=None, database_url=url, admin_ids=[admin_id])  # type: ignore[call-arg]
        engine = create_engine(url)
        await upgrade_database(engine)
        sessionmaker = create_sessionmaker(engine)
        knowledge = KnowledgeService(
            settings,
            sessionmaker=sessionmaker,
            encoder=encoder,
            encoder_spec=encoder_spec,
            cache_dir=Path(tmp) / "cache",
        )
        services = SimpleNamespace(
            settings=settings, sessionmaker=sessionmaker, knowledge=knowledge
        )
        async with FakeTelegramServer(port=0) as server:
            fake = server.fake
            fake.add_user(user_id=admin_id, first_name="Admin", language_code="en")
            dp = Dispatcher(storage=MemoryStorage(), events_isolation=SimpleEventIsolation())
            dp["services"] = services
            dp.update.outer_middleware(DbSessionMiddleware(sessionmaker))
            dp.include_router(admin_kb.create_router(settings))
            bot = create_bot("7000000009:BENCH-token", server.base_url)
            task = asyncio.create_task(
                dp.start_polling(bot, handle_signals=False, polling_timeout=1)
            )
            try:
                t = time.perf_counter()
                fake.user_sends(admin_id, document=("kb.yaml", data))

                def offered() -> list[dict]:
                    return [
                        m
                        for m in fake.messages(admin_id, from_bot=True)
                        if "valid entries" in (m.get("text") or "")
                    ]

                await fake.wait_for(offered, timeout=600)
                out["upload_to_offer_s"] = round(time.perf_counter() - t, 2)
                [offer] = offered()
                [button] = [
                    b["callback_data"]
                    for row in offer["reply_markup"]["inline_keyboard"]
                    for b in row
                    if "Import" in b["text"]
                ]
                t = time.perf_counter()
                fake.user_presses(admin_id, admin_id, offer["message_id"], button)

                def reported() -> bool:
                    text = fake.get_message(admin_id, offer["message_id"]).to_api().get("text")
                    return (text or "").startswith("Imported")

                await fake.wait_for(reported, timeout=3600)
                out["tap_to_report_s"] = round(time.perf_counter() - t, 2)
                message = fake.get_message(admin_id, offer["message_id"])
                shown = [m.get("text") or "" for m in message.history]
                # the offer itself is the first text: the edits are the texts after it
                out["message_edits"] = len(shown)
                out["progress_steps_shown"] = sum(t.startswith("⏳") and "%" in t for t in shown)
                out["progress_interval_s"] = admin_kb.PROGRESS_INTERVAL
                out["report"] = message.to_api()["text"].splitlines()[0]
            finally:
                await dp.stop_polling()
                await asyncio.wait_for(task, timeout=30)
                await bot.session.close()
                await knowledge.flush()
                await engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", default=index_mod.encoder_spec_from_env())
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only", choices=("quality", "speed", "telegram-import"))
    parser.add_argument(
        "--hash-encoder",
        action="store_true",
        help="telegram-import: pseudo-vectors instead of the model (no encoding time)",
    )
    parser.add_argument(
        "--progress-interval",
        type=float,
        help="telegram-import: seconds between progress edits (0: every tenth, as before)",
    )
    parser.add_argument(
        "--set",
        choices=(*EVAL_SETS, "all"),
        default="all",
        help="quality on the demo shop, eval2 (electronics), eval3 (pharmacy, held out) or all",
    )
    parser.add_argument("--kb", type=Path, help="a knowledge file (overrides --set)")
    parser.add_argument("--questions", type=Path, help="its eval questions (JSONL)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--no-rerank", action="store_true", help="the fused score alone (no learned re-ranker)"
    )
    args = parser.parse_args()
    if args.no_rerank:
        os.environ["SUPPORTBOT_KB_RERANK"] = "0"
    report: dict[str, Any] = {}
    if args.only == "telegram-import":
        report["telegram_import"] = telegram_import(
            args.encoder,
            args.entries,
            hash_encoder=args.hash_encoder,
            interval=args.progress_interval,
        )
    if args.only in (None, "quality"):
        if args.kb or args.questions:
            if not (args.kb and args.questions):
                parser.error("--kb and --questions go together")
            report["quality"] = quality(args.encoder, kb=args.kb, questions=args.questions)
        else:
            names = [n for n in EVAL_SETS if n not in UNSCORED] if args.set == "all" else [args.set]
            for name in names:
                kb, questions = EVAL_SETS[name]
                key = "quality" if name == "demo" else f"quality_{name}"
                report[key] = quality(args.encoder, kb=kb, questions=questions)
            if len(names) > 1:
                reports = {
                    name: report["quality" if name == "demo" else f"quality_{name}"]
                    for name in names
                }
                report["transfer"] = transfer(reports)
                report["leave_one_shop_out_fixed"] = leave_one_shop_out(reports)
                report["leave_one_shop_out_adaptive"] = leave_one_shop_out(reports, LOSO_WEIGHTS)
    for values in report.values():
        values.pop("_scores", None)
        values.pop("_loso", None)
    if args.only in (None, "speed"):
        report["speed"] = speed(args.encoder, args.entries, args.queries)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for section, values in report.items():
        print(f"== {section}")
        for key, value in values.items():
            if key == "mistakes":
                print(f"  mistakes ({len(value)}):")
                for m in value:
                    print(f"    {m['text'][:70]!r}: expected {m['expected']}, got {m['got']}")
            else:
                print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
