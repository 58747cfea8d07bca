"""Train the re-ranker (``knowledge/rerank.py``) and write ``knowledge/data/rerank.json``.

    python -m knowledge.rerank_build     # features, training, threshold, out-of-fold report
    python -m knowledge.rerank_build --features F   # keep (or reuse) the feature rows in F

With ``--features F`` of an earlier build, training shops added since are appended to F
(``add_shops``: their rows with F's adapter, not retrained); ``--no-new-shops`` skips them.

Training shops: every ``knowledge/data/train_shops/<name>_kb.yaml`` with its
``<name>_questions.jsonl`` (fictional shops written for this, ru / en / pl questions, a third
unanswerable) plus the demo and eval2 sets. eval3 to eval22 (``benchmarks/data/``) are
never used here: they measure the result (``benchmarks/kb_bench.py``).

The adapters (``train_adapter``): per encoder part and field (stored questions, answers,
e5 passage answers), a linear map of the vectors trained so that a question lands nearest
to its own entry's texts among the shop's entries (softmax over entries, identity-
anchored). The features of a shop are computed with the maps of the fold that did not see
it, so the trees learn how far an adapted cosine can be trusted on a new shop.

The gap stems (``rerank.gap_table``) are learned from the training shops' questions too, the
same way: a shop's rows get the columns of a table that did not see that shop (one without
it inside each fold's training shops; the fold's table for the shop held out), and the
shipped table is the one of all shops.

The question prior (``QuestionPriors``, ``rerank.QuestionPrior``) is a logistic regression
over the questions' USE and e5 vectors (``rerank.PRIOR_PART``), unanswerable against
answerable, fitted on the training shops' questions: a shop's rows get the logits of the
prior of the other folds (the trees' folds), and the shipped prior is the one of all shops.

The threshold is the lowest probability at which 70 % of the training shops each decline
>= 85 % of their own unanswerable questions (``shop_threshold``; until session 14, 85 % of
all of them pooled), on out-of-fold probabilities (5 folds by shop: a question is scored by
a model that never saw its shop). The trees are deterministic; the maps are trained with torch on one
thread from a fixed seed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from bot.jsonl import read_rows
from bot.nlu.encoders import SHIPPED_E5_SHA256, cache_name, e5_cache_name, e5_weights
from knowledge import rerank
from knowledge.formats import Entry, load_file
from knowledge.index import KnowledgeIndex, encoder_parts, load_encoder

ROOT = Path(__file__).resolve().parents[1]
TRAIN_DIR = Path(__file__).parent / "data" / "train_shops"
DEMO = ROOT / "knowledge" / "demo"
SPEC = "use+e5"
DECLINE_TARGET = 0.85
# the threshold: the lowest at which this share of the training shops each decline
# DECLINE_TARGET of their unanswerable questions (``shop_threshold``)
SHOPS_AT_TARGET = 0.7
FOLDS = 5
SUBSETS = (6, 12, 20)  # smaller copies of every training shop (entries)
COPY_UNANSWERABLE = 0.25
# the adapter: weight of ||W - I||², Adam steps over all shops, softmax temperature over
# entries, and the soft maximum's temperature over an entry's questions
ADAPTER = {"anchor": 1e-3, "epochs": 60, "lr": 1e-3, "temperature": 0.05, "soft_max": 0.02}
CHECK_ROWS = 50_000  # rows per slice when the exported trees are checked against the model
PRIOR_C = 1.0  # the question prior's inverse L2 weight (scikit-learn's default)
PARAMS = {
    "max_depth": 4,
    "min_samples_leaf": 160,
    "learning_rate": 0.05,
    "max_iter": 800,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


# per shop or copy: (X, label, question number, expected ids, candidate ids, per row the
# question stems the candidate lacks)
Rows = tuple[np.ndarray, np.ndarray, np.ndarray, list[str | None], list[str], list[frozenset[str]]]


# ``--shops``: the training shops of this build (None: all of them)
_ONLY: set[str] | None = None


def select_shops(names: list[str], spec: str) -> set[str]:
    """``--shops``: comma-separated names, plus ``every:N`` (every N-th of the sorted
    others, deterministic) and ``@FILE`` (a JSON list of names, e.g. a dev split)."""
    chosen: set[str] = set()
    for item in (s.strip() for s in spec.split(",") if s.strip()):
        if item.startswith("every:"):
            chosen.update(sorted(names)[:: int(item.removeprefix("every:"))])
        elif item.startswith("@"):
            chosen.update(json.loads(Path(item[1:]).read_text(encoding="utf-8")))
        else:
            chosen.add(item)
    unknown = chosen - set(names)
    if unknown:
        raise SystemExit(f"--shops: no training shop {sorted(unknown)}")
    return chosen


def shops() -> dict[str, tuple[Path, Path]]:
    out = all_shops()
    return out if _ONLY is None else {n: v for n, v in out.items() if n in _ONLY}


def all_shops() -> dict[str, tuple[Path, Path]]:
    out = {
        "demo": (DEMO / "shop.yaml", DEMO / "eval_questions.jsonl"),
        "eval2": (DEMO / "eval2_kb.yaml", DEMO / "eval2_questions.jsonl"),
    }
    for kb in sorted(TRAIN_DIR.glob("*_kb.yaml")):
        name = kb.name.removesuffix("_kb.yaml")
        questions = kb.with_name(f"{name}_questions.jsonl")
        if questions.is_file():
            out[name] = (kb, questions)
    return out


@dataclass
class Pairs:
    """One shop's answerable questions and what they should land near, as the adapters
    need them: per field (``q`` stored questions, ``a`` answers, ``p`` passage-encoded
    answers), its vectors and the entry each belongs to."""

    questions: np.ndarray  # (n, dim): the answerable questions' vectors
    target: np.ndarray  # (n,): the expected entry's position
    fields: dict[str, tuple[np.ndarray, np.ndarray]]
    n_entries: int
    passage_part: str = ""  # the encoder part whose passage side ``p`` comes from


def question_vectors(encoder: object, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """The questions' vectors, kept in ``cache_dir`` (per encoder, its weights and the texts)
    so that a build run again over the same ``--vector-cache`` encodes nothing twice."""
    if cache_dir is None:
        return np.asarray(encoder.encode(texts), np.float32)  # type: ignore[attr-defined]
    key = hashlib.sha1("\n".join([cache_name(encoder), *texts]).encode()).hexdigest()
    path = cache_dir / f"questions-{key[:16]}.npy"
    if path.is_file():
        return np.load(path)
    vectors = np.asarray(encoder.encode(texts), np.float32)  # type: ignore[attr-defined]
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), vectors)
    path.with_suffix(".tmp.npy").replace(path)
    return vectors


def shop_pairs(kb: Path, questions: Path, encoder: object, cache_dir: Path) -> Pairs:
    """The shop's answerable questions and stored texts, encoded by an index over
    ``cache_dir``, which ``shop_rows`` then reuses instead of encoding the KB again."""
    entries = load_file(kb)
    rows = read_rows(questions)
    position = {e.id: i for i, e in enumerate(entries)}
    answerable = [r for r in rows if r.get("expected") in position]
    index = KnowledgeIndex(encoder, cache_dir=cache_dir, rerank=False)  # type: ignore[arg-type]
    index.enable_words()
    index.rebuild(entries)
    fields = {}
    for field, column in (("q", 0), ("a", 1), ("p", 3)):
        stored = [index._rows[e.id][column] for e in entries]
        if stored[0].shape[1]:  # no passage side: no "p"
            owner = np.repeat(np.arange(len(entries)), [len(v) for v in stored])
            fields[field] = (np.concatenate(stored).astype(np.float32), owner)
    vectors = question_vectors(encoder, [r["text"] for r in rows], cache_dir)
    return Pairs(
        vectors[[i for i, r in enumerate(rows) if r.get("expected") in position]],
        np.asarray([position[r["expected"]] for r in answerable], np.int64),
        fields,
        len(entries),
        index._passage_part,
    )


def train_adapter(pairs: list[Pairs], field: str, start: int, dim: int) -> np.ndarray:
    """The (dim x dim) map of one encoder part (the questions' columns ``start:start+dim``)
    for one field, applied to both sides: cross-entropy of each question over its shop's
    entries (an entry's score: the soft maximum of the adapted cosines to its texts of that
    field), plus ``anchor`` · ||W − I||²."""
    import torch

    torch.manual_seed(0)
    cut = slice(start, start + dim)
    data = []
    for p in pairs:
        stored, owner = p.fields[field]
        if stored.shape[1] != dim:  # a field of the whole encoder (q, a), not of one part (p)
            stored = stored[:, cut]
        mask = np.full((p.n_entries, len(owner)), -np.inf, np.float32)
        mask[owner, np.arange(len(owner))] = 0.0
        data.append(
            (
                torch.tensor(p.questions[:, cut]),
                torch.tensor(np.ascontiguousarray(stored)),
                torch.tensor(mask),
                torch.tensor(p.target),
            )
        )
    eye = torch.eye(dim)
    w = eye.clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=ADAPTER["lr"])
    temp, soft = ADAPTER["temperature"], ADAPTER["soft_max"]
    for epoch in range(int(ADAPTER["epochs"])):
        for i in np.random.RandomState(epoch).permutation(len(data)):
            q, v, mask, target = data[i]
            qa = torch.nn.functional.normalize(q @ w, dim=1)
            va = torch.nn.functional.normalize(v @ w, dim=1)
            cos = (qa @ va.T) / soft  # (questions, stored)
            per_entry = soft * torch.logsumexp(cos[:, None, :] + mask[None, :, :], dim=2)
            loss = torch.nn.functional.cross_entropy(per_entry / temp, target)
            loss = loss + ADAPTER["anchor"] * ((w - eye) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return w.detach().numpy().astype(np.float32)


def adapters(pairs: list[Pairs], encoder: object) -> dict[str, np.ndarray]:
    """``{"<field>_<part>": map}`` for every field of every part (``p``: only the part with
    the passage side)."""
    out, start = {}, 0
    for name, dim in encoder_parts(encoder):  # type: ignore[arg-type]
        for field in rerank.ADAPTED_FIELDS:
            if all(field in p.fields for p in pairs) and (
                field != "p" or all(p.passage_part == name for p in pairs)
            ):
                out[f"{field}_{name}"] = train_adapter(pairs, field, start, dim)
        start += dim
    return out


def first_sentence(text: str) -> str:
    """The answer's first sentence (the whole text when it has one)."""
    match = re.match(r"(.+?[.!?])(?:\s|$)", text.strip(), re.DOTALL)
    return match.group(1) if match else text.strip()


def shop_rows(
    kb: Path,
    questions: Path,
    encoder: object,
    adapter: dict[str, np.ndarray],
    cache_dir: Path | None = None,
    k: int = rerank.K,
    seed: int = 0,
) -> dict[str, Rows]:
    """Feature rows of one shop and of random smaller copies of it (``SUBSETS``): per name,
    (X without the gap columns, label, question number, expected ids, candidate ids, the
    question stems each candidate lacks). In a smaller copy, the questions
    of the entries left out are unanswerable (topics next to the shop's own, as in life);
    ``_subsample`` keeps a realistic share of them. The model so sees KBs of 6-20 entries."""
    entries = load_file(kb)
    rows = read_rows(questions)
    texts = [r["text"] for r in rows]
    vectors = question_vectors(encoder, texts, cache_dir)
    rng = np.random.default_rng(seed)
    variants: dict[str, list[Entry]] = {"": entries}
    for size in SUBSETS:
        if size < len(entries):
            keep = sorted(rng.choice(len(entries), size, replace=False).tolist())
            variants[f"@{size}"] = [entries[i] for i in keep]
    # admins write terse answers too ("Yes, for 199 RUB."): a copy where half the entries
    # keep only the first sentence of each answer, so no feature of the answers is trusted
    # blindly
    terse = set(rng.choice(len(entries), len(entries) // 2, replace=False).tolist())
    variants["@short"] = [
        replace(e, answers={lang: first_sentence(a) for lang, a in e.answers.items()})
        if i in terse
        else e
        for i, e in enumerate(entries)
    ]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = KnowledgeIndex(encoder, cache_dir=cache_dir or Path(tmp), rerank=False)  # type: ignore[arg-type]
        index.rerank_adapter = adapter
        index.enable_words()
        for suffix, kept in variants.items():
            ids = {e.id for e in kept}
            index.rebuild(kept)  # vectors stay in memory: nothing is encoded twice
            xs, ys, qs, cands, expected, lacking = [], [], [], [], [], []
            for qi, text in enumerate(texts):
                total, extra = index.score_all(text, vectors[qi])
                comps = rerank.components(index, text, vectors[qi], total)
                order, x = rerank.features(index, text, comps, bool(extra.get("order_ref")), k)
                want = rows[qi].get("expected") if rows[qi].get("expected") in ids else None
                expected.append(want)
                lacking += rerank.uncovered_stems(index, text, order)
                for e, row in zip(order, x, strict=True):
                    entry_id = index.entries[e].id
                    xs.append(row)
                    ys.append(entry_id == want)
                    qs.append(qi)
                    cands.append(entry_id)
            out[suffix] = (
                np.asarray(xs),
                np.asarray(ys, np.int64),
                np.asarray(qs),
                expected,
                cands,
                lacking,
            )
        if cache_dir is not None:  # the cache file keeps the whole shop's vectors
            index.rebuild(entries)
    return out


def top_per_question(
    proba: np.ndarray, qid: np.ndarray, cands: list[str], n_questions: int
) -> tuple[list[str], np.ndarray]:
    top, conf = [], []
    for qi in range(n_questions):
        rows = np.flatnonzero(qid == qi)
        best = rows[np.argmax(proba[rows])]
        top.append(cands[best])
        conf.append(proba[best])
    return top, np.asarray(conf)


def lowest_threshold(unanswerable: np.ndarray, target: float = DECLINE_TARGET) -> float:
    for t in np.unique(np.round(unanswerable, 4)):
        if np.mean(unanswerable < t) >= target:
            return float(t)
    return 1.0


def shop_threshold(
    unanswerable: list[np.ndarray], target: float = DECLINE_TARGET, share: float = SHOPS_AT_TARGET
) -> float:
    """The lowest probability at which at least ``share`` of the shops each decline
    ``target`` of their own unanswerable questions (``unanswerable``: per shop, their top
    candidates' probabilities). A customer meets one shop, not the pool: this asks the
    decline target of most shops, where the pooled rule (``lowest_threshold``) lets the
    easy shops carry the hard ones."""
    shops = [u for u in unanswerable if len(u)]
    if not shops:
        return 1.0
    for t in np.unique(np.round(np.concatenate(shops), 4)):
        if np.mean([np.mean(u < t) >= target for u in shops]) >= share:
            return float(t)
    return 1.0


def fit(x: np.ndarray, y: np.ndarray) -> object:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**PARAMS).fit(x, y)


def export(model: object, threshold: float, n_features: int) -> dict[str, object]:
    trees = []
    depth = 0
    for (predictor,) in model._predictors:  # type: ignore[attr-defined]
        nodes = predictor.nodes
        depth = max(depth, int(nodes["depth"].max()))
        trees.append(
            {
                "feature": nodes["feature_idx"].astype(int).tolist(),
                "cut": [float(v) for v in nodes["num_threshold"]],
                "left": nodes["left"].astype(int).tolist(),
                "right": nodes["right"].astype(int).tolist(),
                "missing_left": nodes["missing_go_to_left"].astype(bool).tolist(),
                "leaf": nodes["is_leaf"].astype(bool).tolist(),
                "value": [float(v) for v in nodes["value"]],
            }
        )
    return {
        "spec": SPEC,
        "k": rerank.K,
        "n_features": n_features,
        "threshold": round(threshold, 6),
        "baseline": float(np.ravel(model._baseline_prediction)[0]),  # type: ignore[attr-defined]
        "depth": depth,
        "params": {k: v for k, v in PARAMS.items()},
        "trees": trees,
    }


def measure(
    data: dict[str, tuple], proba: dict[str, np.ndarray], threshold: float
) -> dict[str, dict[str, float]]:
    out = {}
    for name, (_, _, qid, expected, cands, _) in data.items():
        top, conf = top_per_question(proba[name], qid, cands, len(expected))
        ans = [i for i, e in enumerate(expected) if e is not None]
        una = [i for i, e in enumerate(expected) if e is None]
        out[name] = {
            "answered": round(
                float(np.mean([top[i] == expected[i] and conf[i] >= threshold for i in ans])), 3
            ),
            "declined": round(float(np.mean([conf[i] < threshold for i in una])), 3)
            if una
            else 1.0,
            "rank1": round(float(np.mean([top[i] == expected[i] for i in ans])), 3),
        }
    return out


def _subsample(rows: Rows, seed: int) -> Rows:
    """A smaller copy's questions: all answerable ones, and unanswerable ones up to
    ``COPY_UNANSWERABLE`` of the total (the shops' own share is 23 %)."""
    x, y, qid, expected, cands, lacking = rows
    answerable = [i for i, e in enumerate(expected) if e is not None]
    others = [i for i, e in enumerate(expected) if e is None]
    n_other = round(len(answerable) * COPY_UNANSWERABLE / (1 - COPY_UNANSWERABLE))
    rng = np.random.default_rng(seed)
    keep = sorted(answerable + rng.permutation(others)[:n_other].tolist())
    renumber = {q: i for i, q in enumerate(keep)}
    mask = np.isin(qid, keep)
    return (
        x[mask],
        y[mask],
        np.asarray([renumber[q] for q in qid[mask]]),
        [expected[q] for q in keep],
        [c for c, m in zip(cands, mask, strict=True) if m],
        [s for s, m in zip(lacking, mask, strict=True) if m],
    )


class GapTables:
    """``rerank.gap_table`` of any set of training shops (cached), from their question files,
    and rows with the gap columns of such a table appended."""

    def __init__(self, sources: dict[str, tuple[Path, Path]]) -> None:
        self.asked = {}
        for name, (_, questions) in sources.items():
            rows = read_rows(questions)
            self.asked[name] = [
                (rerank.question_gap_stems(r["text"]), r.get("expected") is not None) for r in rows
            ]
        self._tables: dict[frozenset[str], dict[str, float]] = {}

    def table(self, shop_names: list[str]) -> dict[str, float]:
        key = frozenset(shop_names)
        if key not in self._tables:
            self._tables[key] = rerank.gap_table(q for s in sorted(key) for q in self.asked[s])
        return self._tables[key]

    def rows(self, rows: Rows, shop_names: list[str], without: str = "") -> np.ndarray:
        """The rows' features with the gap columns of ``shop_names``' table (minus the shop
        of the name ``without``: a shop's own questions never score its rows)."""
        own = without.split("@")[0]
        table = self.table([s for s in shop_names if s != own])
        return np.hstack([rows[0], rerank.gap_columns(rows[5], table)])


class QuestionPriors:
    """``rerank.QuestionPrior`` fitted on any set of training shops' questions, and the
    out-of-fold logits of every shop's questions (from a prior that never saw the shop), the
    column its rows get."""

    def __init__(self, sources: dict[str, tuple[Path, Path]], cache: Path | None = None) -> None:
        """``cache``: a folder for the questions' vectors, one file per shop and content (e5
        takes ~15 minutes for all the training shops' questions on one core)."""
        encoder = None
        self.vectors: dict[str, np.ndarray] = {}
        self.unanswerable: dict[str, np.ndarray] = {}
        for name, (_, questions) in sources.items():
            rows = read_rows(questions)
            texts = [r["text"] for r in rows]
            # the e5 weights' identity too: another e5 gives other vectors
            spec = rerank.PRIOR_PART.replace("e5", e5_cache_name())
            key = hashlib.sha1("\n".join([spec, *texts]).encode()).hexdigest()
            path = cache / f"prior-{name}-{key[:16]}.npy" if cache else None
            if path is not None and path.is_file():
                vectors = np.load(path)
            else:
                encoder = encoder or load_encoder(rerank.PRIOR_PART)
                vectors = np.asarray(encoder.encode(texts), np.float32)  # type: ignore[attr-defined]
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.save(path, vectors)
            self.vectors[name] = vectors.astype(np.float64)
            self.unanswerable[name] = np.asarray([r.get("expected") is None for r in rows])

    def fit(self, shop_names: list[str]) -> rerank.QuestionPrior:
        from sklearn.linear_model import LogisticRegression

        x = np.concatenate([self.vectors[s] for s in shop_names])
        y = np.concatenate([self.unanswerable[s] for s in shop_names])
        model = LogisticRegression(C=PRIOR_C, max_iter=3000).fit(x, y)
        return rerank.QuestionPrior(
            rerank.PRIOR_PART, np.ravel(model.coef_).astype(np.float64), float(model.intercept_[0])
        )

    def out_of_fold(self, shop_names: list[str]) -> dict[str, np.ndarray]:
        """Per shop, its questions' logits from the prior of the other folds (the trees'
        folds: ``shop_names[f::FOLDS]``)."""
        out = {}
        for f in range(FOLDS):
            held = shop_names[f::FOLDS]
            prior = self.fit([s for s in shop_names if s not in held])
            for s in held:
                out[s] = prior.logits(self.vectors[s])
        return out


def _with_prior(rows: Rows, logits: np.ndarray) -> Rows:
    """The rows with their question's prior logit as one more column."""
    x, *rest = rows
    return (np.hstack([x, logits[rows[2]][:, None]]), *rest)  # type: ignore[return-value]


def _stack(data: dict[str, tuple], names: list[str], column: int) -> np.ndarray:
    return np.concatenate([data[n][column] for n in names])


# the worker processes' encoder (set before they fork: nothing is loaded twice)
_ENCODER: object = None
_PAIRS: list[list[Pairs]] = []  # per adapter to train: its shops (set before the fork)


def _pairs_job(job: tuple[str, Path, Path, Path]) -> tuple[str, Pairs]:
    name, kb, questions, cache = job
    return name, shop_pairs(kb, questions, _ENCODER, cache)


def _adapter_job(fold: int) -> dict[str, np.ndarray]:
    maps = adapters(_PAIRS[fold], _ENCODER)
    print(f"adapter {fold + 1}/{len(_PAIRS)}", file=sys.stderr)
    return maps


def _rows_job(
    job: tuple[str, Path, Path, dict[str, np.ndarray], Path],
) -> tuple[str, dict[str, Rows]]:
    name, kb, questions, fold_map, cache = job
    return name, shop_rows(kb, questions, _ENCODER, fold_map, cache)


def _run(function: object, jobs: list, processes: int) -> list:
    """``function`` over ``jobs`` in ``processes`` forked workers (in order; in this process
    when 1). Every job is seeded on its own, so the result does not depend on the number of
    workers, except that torch's float rounding in the adapters can differ between
    processes in the last digits (about 1e-6)."""
    if processes <= 1 or len(jobs) <= 1:
        return [function(job) for job in jobs]  # type: ignore[operator]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.map(function, jobs, chunksize=1)  # type: ignore[arg-type]


def build_features(processes: int = 1, vector_cache: Path | None = None) -> dict[str, object]:
    """``{"": the shipped adapter, "<shop>[@copy]": Rows}``: every training shop's feature
    rows, computed with the adapter of the fold that did not see it. ``vector_cache``: keep
    the shops' vectors there (a build run again encodes nothing; default: a scratch dir)."""
    global _ENCODER, _PAIRS
    _ENCODER = load_encoder(SPEC)
    sources = shops()
    order = sorted(sources)
    with tempfile.TemporaryDirectory() as tmp:  # per shop: its vectors, encoded once
        cache = vector_cache or Path(tmp)
        pairs = dict(
            _run(
                _pairs_job,
                [(n, *sources[n], cache / n) for n in order],
                processes,
            )
        )
        # each shop's features with the map of the fold that did not see it (folds as in
        # ``main``); the last map, of all shops, is the one shipped
        held = [set(order[f::FOLDS]) for f in range(FOLDS)]
        _PAIRS = [[pairs[n] for n in order if n not in h] for h in held]
        _PAIRS.append([pairs[n] for n in order])
        *fold_maps, shipped = _run(_adapter_job, list(range(FOLDS + 1)), processes)
        _PAIRS = []
        data: dict[str, object] = {"": shipped}
        jobs = [(n, *sources[n], fold_maps[i % FOLDS], cache / n) for i, n in enumerate(order)]
        _rows_into(data, jobs, processes)
    return data


def _rows_into(data: dict[str, object], jobs: list, processes: int, note: str = "") -> None:
    """``shop_rows`` of each job (in workers) into ``data``: the shop and its copies."""
    for name, rows in _run(_rows_job, jobs, processes):
        for suffix, copy in rows.items():
            data[name + suffix] = copy
        print(f"{name}{note}: {len(rows[''][3])} questions", file=sys.stderr)


def add_shops(data: dict[str, object], processes: int = 1) -> list[str]:
    """Saved features plus the training shops they lack (``--features`` of a file written
    before shops were added): the new shops' rows are computed with the saved build's
    shipped adapter, which never saw them (as each old shop's rows were computed with a map
    that never saw it). The adapters are not retrained, so the result is not what a full
    build would give: the shipped adapter stays the saved one. Returns the names added."""
    global _ENCODER
    sources = shops()
    have = {n.split("@")[0] for n in data if n}
    stale = sorted(have - set(sources))
    if stale:
        raise SystemExit(f"the saved features have shops no longer here ({stale}); delete the file")
    new = sorted(set(sources) - have)
    if not new:
        return []
    _ENCODER = load_encoder(SPEC)
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(n, *sources[n], data[""], Path(tmp) / n) for n in new]
        _rows_into(data, jobs, processes, " (added)")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=rerank.MODEL_FILE)
    parser.add_argument(
        "--features", type=Path, help="keep the feature rows in this file (read it if present)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that encode the shops, train the adapters and compute the rows"
        " (default: one per core; the same result up to float rounding in the adapters)",
    )
    parser.add_argument(
        "--vector-cache",
        type=Path,
        help="keep every shop's vectors in this folder (per encoder and e5 weights): a build"
        " stopped or run again does not encode them again (default: a scratch folder)",
    )
    parser.add_argument(
        "--shops",
        help="train on these training shops only: names, every:N (every N-th), @FILE (a JSON"
        " list); default all",
    )
    parser.add_argument(
        "--threshold-shops",
        help="set the threshold on these shops' out-of-fold probabilities only (same syntax"
        " as --shops), e.g. the shops a fine-tuned e5 never saw (its cosines on the others"
        " are optimistic)",
    )
    parser.add_argument(
        "--no-new-shops",
        action="store_true",
        help="with --features: train on the saved shops only (by default the training shops"
        " the file lacks are added to it, their rows computed with its shipped adapter)",
    )
    args = parser.parse_args(argv)
    global _ONLY
    _ONLY = None
    _, e5_sha = e5_weights()
    if e5_sha != SHIPPED_E5_SHA256 and args.out.resolve() == rerank.MODEL_FILE:
        raise SystemExit(
            "SUPPORTBOT_E5_WEIGHTS is set to other weights than the shipped ones: write this"
            " build elsewhere (--out DIR/rerank.json)"
            " and point SUPPORTBOT_KB_RERANK_MODEL at it; the shipped model stays untouched"
        )
    if args.shops:
        _ONLY = select_shops(list(all_shops()), args.shops)
    if args.threshold_shops and not select_shops(list(all_shops()), args.threshold_shops) & set(
        shops()
    ):
        raise SystemExit("--threshold-shops: none of them is among this build's shops")
    if args.features and args.features.is_file():
        with args.features.open("rb") as f:
            data = pickle.load(f)
        if not args.no_new_shops and add_shops(data, args.jobs):
            with args.features.open("wb") as f:
                pickle.dump(data, f)
    else:
        data = build_features(args.jobs, args.vector_cache)
        if args.features:
            with args.features.open("wb") as f:
                pickle.dump(data, f)
    adapter = data.pop("")
    if any(len(rows) != 6 for rows in data.values()):
        raise SystemExit(f"{args.features}: feature rows of an older build; delete the file")
    shops_ = sorted({n.split("@")[0] for n in data})
    from bot.nlu.encoders import cache_root

    sources = shops()
    priors = QuestionPriors(sources, cache_root() / "rerank-build")
    own_prior = priors.out_of_fold(shops_)
    data = {
        n: _subsample(_with_prior(rows, own_prior[n.split("@")[0]]), i)
        if "@" in n
        else _with_prior(rows, own_prior[n])
        for i, (n, rows) in enumerate(sorted(data.items()))
    }
    names = sorted(data)
    gaps = GapTables(sources)
    n_features = data[names[0]][0].shape[1] + rerank.GAP_COLUMNS
    assert n_features == rerank.feature_width(), "the index would refuse this model"
    # out-of-fold probabilities, folds by shop (a shop's smaller copies go with it)
    oof: dict[str, np.ndarray] = {}
    for f in range(FOLDS):
        held = set(shops_[f::FOLDS])
        seen = [s for s in shops_ if s not in held]
        train = [n for n in names if n.split("@")[0] not in held]
        model = fit(
            np.concatenate([gaps.rows(data[n], seen, without=n) for n in train]),
            _stack(data, train, 1),
        )
        for n in names:
            if n.split("@")[0] in held:
                x = gaps.rows(data[n], seen)
                oof[n] = model.predict_proba(x)[:, 1]  # type: ignore[attr-defined]
    full = [n for n in names if "@" not in n]
    unanswerable = []
    for n in full:  # the threshold: the shops as written
        _, _, qid, expected, cands, _ = data[n]
        _, conf = top_per_question(oof[n], qid, cands, len(expected))
        unanswerable.append(
            np.asarray([c for c, e in zip(conf, expected, strict=True) if e is None])
        )
    if args.threshold_shops:
        pick = select_shops(list(all_shops()), args.threshold_shops)
        unanswerable_t = [u for n, u in zip(full, unanswerable, strict=True) if n in pick]
        threshold = shop_threshold(unanswerable_t)
        print(f"threshold on {len(unanswerable_t)} shops: {threshold:.4f}", file=sys.stderr)
    else:
        threshold = shop_threshold(unanswerable)
    x_all = np.concatenate([gaps.rows(data[n], shops_, without=n) for n in names])
    model = fit(x_all, _stack(data, names, 1))
    spec = export(model, threshold, n_features)
    spec["gap_stems"] = {t: round(v, 4) for t, v in sorted(gaps.table(shops_).items())}
    spec["question_prior"] = priors.fit(shops_).to_json()
    spec["e5_sha256"] = e5_sha
    args.out.write_text(json.dumps(spec, separators=(",", ":")) + "\n", encoding="utf-8")
    adapter_out = args.out.with_name(rerank.ADAPTER_FILE.name)
    np.savez_compressed(adapter_out, **adapter)
    check = rerank.Reranker.load(args.out)
    assert check is not None and len(check.gaps) == len(spec["gap_stems"])
    # in slices: the exported trees walk (rows x trees) arrays, 10+ GB for all rows at once
    diff = max(
        np.abs(check.proba(x) - model.predict_proba(x)[:, 1]).max()  # type: ignore[attr-defined]
        for x in np.array_split(x_all, max(1, len(x_all) // CHECK_ROWS))
    )
    assert diff < 1e-6, f"exported trees disagree with the model: {diff}"
    per_shop = measure(data, oof, threshold)
    pooled = lowest_threshold(np.concatenate(unanswerable))
    report: dict[str, object] = {
        "threshold": round(threshold, 4),
        "threshold_pooled": round(pooled, 4),
        "out_of_fold": per_shop,
    }

    def means(per: dict[str, dict[str, float]], group: list[str]) -> dict[str, float]:
        return {
            key: round(float(np.mean([per[n][key] for n in group])), 3)
            for key in ("answered", "declined", "rank1")
        }

    at_pooled = measure({n: data[n] for n in full}, oof, pooled)
    report["out_of_fold_mean, shops, pooled threshold"] = means(at_pooled, full)
    for label, group in [
        ("shops", full),
        *[
            (f"copies of {size} entries", [n for n in names if n.endswith(f"@{size}")])
            for size in SUBSETS
        ],
        (
            "copies with half the answers cut to one sentence",
            [n for n in names if n.endswith("@short")],
        ),
    ]:
        report[f"out_of_fold_mean, {label}"] = means(per_shop, group)
    if args.threshold_shops:
        report["out_of_fold_mean, threshold shops"] = means(
            per_shop, [n for n in full if n in pick]
        )
        report["out_of_fold_mean, other shops"] = means(
            per_shop, [n for n in full if n not in pick]
        )
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"wrote {args.out} ({len(spec['trees'])} trees, {n_features} features)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
