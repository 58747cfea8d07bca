"""Training: works for any label set (the project's, BANKING77's 77 intents, CLINC150's 150).

1. encode every text once with the chosen encoder(s); fit char/word TF-IDF on the texts;
2. per field (intent, complaint_type, emotion, threat) fit a linear head on the rows that
   carry that label (fields nobody labelled are skipped and predict ``None``);
3. out-of-fold scores (k-fold CV, or a given validation set) calibrate each head with a
   temperature and tune the out-of-scope threshold of the intent head.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .encoders import (
    EncoderError,
    get_encoder,
    is_sentence_transformer,
    sentence_transformer_path,
    split_spec,
)
from .features import TfidfBlock
from .metrics import field_metrics
from .model import (
    FeatureSpace,
    Head,
    NluModel,
    embedding_columns,
    nearest_similarity,
    reject_label_of,
    softmax,
)
from .schema import LABEL_FIELDS

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

DEFAULT_ENCODER = "use"


@dataclass
class TrainConfig:
    encoder: str = DEFAULT_ENCODER
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    translit: bool = True
    max_char_features: int | None = 60_000
    max_word_features: int | None = 30_000
    weights: dict[str, float] = field(
        default_factory=lambda: {"emb": 1.0, "char": 1.0, "word": 1.0}
    )
    classifier: str = "svm"  # "svm" (LinearSVC) | "lr" (LogisticRegression)
    C: float = 0.5
    class_weight: str | None = None  # None | "balanced"
    cv_folds: int = 3
    # the embedding block's weight is chosen from this grid by CV on the intent head
    # (few-shot data wants strong embeddings, large data leans on n-grams too)
    emb_weight_grid: tuple[float, ...] = (1.0, 2.0, 3.0)
    selection_max_rows: int = 4000
    # without a reject class in the data: reject at most this share of correct out-of-fold
    # predictions by confidence (0.01 until 2026-11: it cost BANKING77 ~0.5-0.7 points) ...
    max_false_reject: float = 0.002
    # ... and, when there are embeddings, reject messages whose nearest training embedding
    # (cosine) is less similar than this leave-one-out quantile of the training rows' own
    # nearest-neighbour similarities (the novelty check; off-topic text and gibberish)
    novelty: bool = True
    novelty_false_reject: float = 0.001
    novelty_max_rows: int = 20_000
    # > 0: fine-tune the sentence-transformers part(s) of the encoder (minilm, ST paths) on
    # the intents for this many epochs first (finetune.py); 0 keeps every encoder frozen
    finetune_epochs: int = 0
    # fine-tuning hyper-parameters (FinetuneConfig); None keeps finetune.py's defaults
    finetune_lr: float | None = None
    finetune_temperature: float | None = None
    finetune_per_class: int | None = None
    finetune_classes_per_batch: int | None = None
    # with a reject class: maximise in-scope accuracy + oos_weight * reject recall
    oos_weight: float = 0.25
    # the objective is flat over a wide range of thresholds (2026-11-30, project data: 0.32 and
    # 0.54 within 0.0005, one or two out-of-fold rows); the lowest threshold within this much of
    # the best is taken, since turning away an in-scope message ("есть тут живые люди?") costs
    # the customer more than answering an off-topic one, and the argmax jumped with the data
    reject_tolerance: float = 0.001
    seed: int = 13


class TrainingError(ValueError):
    """The training rows cannot be used (missing text/intent, a single class...)."""


# --------------------------------------------------------------------------- rows


def clean_rows(rows: Iterable[dict]) -> list[dict]:
    """Validate training rows: a non-empty ``text`` and ``intent`` are required."""
    out = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise TrainingError(f"row {i}: expected an object, got {type(row).__name__}")
        text, intent = row.get("text"), row.get("intent")
        if not isinstance(text, str) or not text.strip():
            raise TrainingError(f"row {i}: 'text' must be a non-empty string")
        if not isinstance(intent, str) or not intent:
            raise TrainingError(f"row {i}: 'intent' must be a non-empty string")
        for name in LABEL_FIELDS[1:]:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                raise TrainingError(f"row {i}: {name!r} must be a string or null")
        out.append(row)
    if not out:
        raise TrainingError("no training rows")
    return out


def _field_rows(rows: Sequence[dict], name: str) -> tuple[np.ndarray, list[str]]:
    idx = [i for i, r in enumerate(rows) if isinstance(r.get(name), str) and r.get(name)]
    return np.asarray(idx, dtype=np.int64), [rows[i][name] for i in idx]


# --------------------------------------------------------------------------- heads


def _fit_linear(x: sp.csr_matrix, y: Sequence[str], cfg: TrainConfig) -> Head:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if cfg.classifier == "lr":
        clf = LogisticRegression(C=cfg.C, max_iter=2000, class_weight=cfg.class_weight)
    elif cfg.classifier == "svm":
        clf = LinearSVC(
            C=cfg.C, max_iter=5000, random_state=cfg.seed, class_weight=cfg.class_weight
        )
    else:
        raise TrainingError(f"unknown classifier {cfg.classifier!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, list(y))
    labels = [str(c) for c in clf.classes_]
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32).ravel()
    if len(labels) == 2 and coef.shape[0] == 1:  # binary: one row -> two symmetric rows
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], np.float32)
    return Head(field="", labels=labels, coef=coef, intercept=intercept)


def _scores_for(head: Head, x: sp.csr_matrix, labels: list[str]) -> np.ndarray:
    """Scores of ``head`` arranged in ``labels`` order; labels it never saw score very low."""
    raw = head.scores(x)
    out = np.full((x.shape[0], len(labels)), -1e3, dtype=np.float64)
    pos = {label: j for j, label in enumerate(labels)}
    for j, label in enumerate(head.labels):
        out[:, pos[label]] = raw[:, j]
    return out


def _folds(y: Sequence[str], k: int, seed: int) -> np.ndarray:
    """Stratified fold ids (round-robin inside each shuffled class)."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(y):
        by_label.setdefault(label, []).append(i)
    offset = 0
    for label in sorted(by_label):
        idx = np.array(by_label[label])
        rng.shuffle(idx)
        fold[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return fold


def out_of_fold_scores(
    x: sp.csr_matrix, y: Sequence[str], labels: list[str], cfg: TrainConfig
) -> np.ndarray:
    k = max(2, min(cfg.cv_folds, max(Counter(y).values())))
    fold = _folds(y, k, cfg.seed)
    y_arr = np.asarray(y)
    scores = np.zeros((len(y), len(labels)))
    for f in range(k):
        test, train = np.where(fold == f)[0], np.where(fold != f)[0]
        if len(test) == 0 or len(set(y_arr[train])) < 2:
            continue
        head = _fit_linear(x[train], y_arr[train], cfg)
        scores[test] = _scores_for(head, x[test], labels)
    return scores


def fit_temperature(scores: np.ndarray, y_idx: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood (grid + local refinement)."""

    def nll(t: float) -> float:
        p = softmax(scores, t)[np.arange(len(y_idx)), y_idx]
        return float(-np.log(np.maximum(p, 1e-12)).mean())

    grid = np.exp(np.linspace(np.log(0.01), np.log(100.0), 61))
    best = min(grid, key=nll)
    fine = best * np.exp(np.linspace(-0.2, 0.2, 21))
    return float(min(fine, key=nll))


def tune_reject_threshold(
    proba: np.ndarray, y: Sequence[str], labels: list[str], reject: str | None, cfg: TrainConfig
) -> float:
    """Confidence under which the intent becomes the reject label."""
    pred = np.asarray(labels)[proba.argmax(1)]
    conf = proba.max(1)
    y_arr = np.asarray(y)
    if reject is None:
        correct_conf = np.sort(conf[pred == y_arr])
        if len(correct_conf) == 0:
            return 0.0
        k = int(np.floor(cfg.max_false_reject * len(correct_conf)))
        return float(correct_conf[k]) if k > 0 else 0.0
    in_scope = y_arr != reject
    if in_scope.all() or not in_scope.any():
        return 0.0
    grid = np.linspace(0.0, 0.95, 96)
    objective = []
    for t in grid:
        final = np.where((pred != reject) & (conf < t), reject, pred)
        acc = float((final[in_scope] == y_arr[in_scope]).mean())
        recall = float((final[~in_scope] == reject).mean())
        objective.append(acc + cfg.oos_weight * recall)
    best = max(objective)
    return float(
        next(t for t, o in zip(grid, objective, strict=True) if o >= best - cfg.reject_tolerance)
    )


def _subsample(y: Sequence[str], limit: int, seed: int) -> np.ndarray:
    """A random subset of at most ``limit`` row indices (sorted)."""
    if len(y) <= limit:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    keep = rng.permutation(len(y))[:limit]
    return np.sort(keep)


def select_emb_weight(
    x: sp.csr_matrix, emb_dim: int, y: Sequence[str], cfg: TrainConfig
) -> tuple[float, dict[str, float]]:
    """Pick the embedding-block scale with the best out-of-fold intent macro-F1."""
    grid = [w for w in cfg.emb_weight_grid if w > 0]
    if emb_dim == 0 or len(grid) < 2:
        return 1.0, {}
    idx = _subsample(y, cfg.selection_max_rows, cfg.seed)
    xs, ys = x[idx], [y[i] for i in idx]
    labels = sorted(set(ys))
    scores: dict[str, float] = {}
    for w in grid:
        scale = np.ones(x.shape[1], np.float32)
        scale[:emb_dim] = w
        oof = out_of_fold_scores(xs @ sp.diags(scale, format="csr"), ys, labels, cfg)
        pred = [labels[j] for j in oof.argmax(1)]
        scores[str(w)] = field_metrics(ys, pred)["macro_f1"]
    best = max(grid, key=lambda w: scores[str(w)])
    return best, scores


def fit_novelty(
    texts: Sequence[str], emb: np.ndarray, cfg: TrainConfig
) -> tuple[np.ndarray, float]:
    """Novelty bank (unique training texts' embeddings, float16) and its cosine threshold.

    The threshold is the ``novelty_false_reject`` quantile of each bank row's similarity to
    its nearest *other* bank row, so about that share of in-domain messages is rejected.
    """
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        seen.setdefault(" ".join(text.lower().split()), i)
    first = sorted(seen.values())
    if len(first) > cfg.novelty_max_rows:
        rng = np.random.default_rng(cfg.seed)
        first = sorted(rng.choice(first, cfg.novelty_max_rows, replace=False).tolist())
    bank = np.asarray(emb[first], dtype=np.float32)
    bank /= np.maximum(np.linalg.norm(bank, axis=1, keepdims=True), 1e-12)
    bank16 = bank.astype(np.float16)
    if len(bank16) < 2:
        return bank16, 0.0
    nearest = nearest_similarity(bank16.astype(np.float32), bank16, exclude_self=True)
    return bank16, float(np.quantile(nearest, cfg.novelty_false_reject))


# --------------------------------------------------------------------------- main


def _embed(
    texts: Sequence[str],
    spec: str,
    progress: Progress | None,
    paths: dict[str, str] | None = None,
) -> np.ndarray:
    encoder = get_encoder(spec, paths)
    out = []
    step = 512
    for start in range(0, len(texts), step):
        out.append(encoder.encode(list(texts[start : start + step])))
        if progress:
            progress(f"encoded {min(start + step, len(texts))}/{len(texts)} texts with {spec}")
    return np.vstack(out) if out else np.zeros((0, encoder.dim), np.float32)


def _build_features(texts: Sequence[str], cfg: TrainConfig) -> FeatureSpace:
    blocks = []
    if cfg.weights.get("char", 0) > 0:
        lo, hi = cfg.char_ngrams
        blocks.append(
            TfidfBlock("char", lo, hi, cfg.translit).fit(texts, max_features=cfg.max_char_features)
        )
    if cfg.weights.get("word", 0) > 0:
        lo, hi = cfg.word_ngrams
        blocks.append(
            TfidfBlock("word", lo, hi, cfg.translit).fit(texts, max_features=cfg.max_word_features)
        )
    return FeatureSpace(cfg.encoder, blocks, dict(cfg.weights))


def train_model(
    rows: Sequence[dict],
    cfg: TrainConfig,
    *,
    validation: Sequence[dict] | None = None,
    progress: Progress | None = None,
) -> tuple[NluModel, dict]:
    """Fit a model in memory; returns it with the training report."""
    started = time.perf_counter()
    cfg = replace(cfg, weights=dict(cfg.weights))
    rows = clean_rows(rows)
    validation = clean_rows(validation) if validation else None
    texts = [r["text"] for r in rows]
    use_emb = bool(cfg.encoder) and cfg.encoder != "none" and cfg.weights.get("emb", 0) > 0
    paths = _finetune(rows, cfg, progress) if cfg.finetune_epochs > 0 else {}
    finetuned_at = time.perf_counter()
    emb = _embed(texts, cfg.encoder, progress, paths) if use_emb else None
    if not use_emb:
        cfg.weights["emb"] = 0.0
    space = _build_features(texts, cfg)
    space.encoder_paths = dict(paths)
    x = space.transform(texts, emb)
    emb_scale, selection = 1.0, {}
    if use_emb:
        if progress:
            progress(f"choosing the embedding weight from {cfg.emb_weight_grid}")
        emb_scale, selection = select_emb_weight(x, emb.shape[1], [r["intent"] for r in rows], cfg)
        if emb_scale != 1.0:
            space.weights["emb"] = cfg.weights["emb"] * emb_scale
            x = space.transform(texts, emb)
    xv = space.transform([r["text"] for r in validation]) if validation else None
    if progress:
        progress(f"features: {x.shape[1]} columns, weights {space.weights}")
    encoded_at = time.perf_counter()

    heads: dict[str, Head] = {}
    scored: dict[str, dict] = {}
    reject, threshold = None, 0.0
    for name in LABEL_FIELDS:
        idx, y = _field_rows(rows, name)
        if len(set(y)) < 2:
            if name == "intent":
                raise TrainingError("training data needs at least two intents")
            continue
        if progress:
            progress(f"training head {name!r} on {len(y)} rows, {len(set(y))} labels")
        head = _fit_linear(x[idx], y, cfg)
        head.field = name
        if validation is not None:
            eval_scores, eval_y = _validation_scores(head, xv, validation, name)
        else:
            eval_scores, eval_y = out_of_fold_scores(x[idx], y, head.labels, cfg), y
        if eval_y:
            fitted = _calibrate(head, eval_scores, eval_y, cfg)
            scored[name] = fitted["metrics"]
            if name == "intent":
                reject, threshold = fitted["reject"], fitted["threshold"]
        heads[name] = head
    report: dict = {"cv" if validation is None else "validation": scored}

    bank, novelty_threshold = None, 0.0
    # a fine-tuned encoder has pulled its training rows together, so their neighbour
    # similarities say nothing about new messages: the novelty check uses the frozen parts
    novelty_parts = [p for p in split_spec(cfg.encoder) if p not in paths] if paths else None
    if use_emb and reject is None and cfg.novelty and novelty_parts != []:
        if progress:
            progress("novelty check: nearest-neighbour similarities of the training rows")
        view = embedding_columns(space, emb, novelty_parts)
        bank, novelty_threshold = fit_novelty(texts, view, cfg)
    complaint_intents = _complaint_intents(rows)
    model = NluModel(
        features=space,
        heads=heads,
        reject_label=reject or "out_of_scope",
        reject_threshold=threshold,
        complaint_intents=complaint_intents,
        meta={"trained_rows": len(rows), "config": _config_json(cfg)},
        novelty_bank=bank,
        novelty_threshold=novelty_threshold,
        novelty_parts=novelty_parts if bank is not None else None,
    )
    report.update(
        {
            "rows": len(rows),
            "encoder": cfg.encoder if use_emb else "none",
            "features": int(x.shape[1]),
            "weights": space.weights,
            "emb_weight_selection": selection,
            "labels": {name: head.labels for name, head in heads.items()},
            "label_counts": {name: dict(Counter(_field_rows(rows, name)[1])) for name in heads},
            "untrained_fields": [n for n in LABEL_FIELDS if n not in heads],
            "reject_label": model.reject_label,
            "reject_threshold": round(threshold, 4),
            "novelty_threshold": round(novelty_threshold, 4) if bank is not None else None,
            "novelty_rows": 0 if bank is None else len(bank),
            "finetuned_encoders": sorted(paths),
            "temperatures": {n: round(h.temperature, 4) for n, h in heads.items()},
            "complaint_intents": complaint_intents,
            "seconds": {
                "finetune": round(finetuned_at - started, 1),
                "features": round(encoded_at - started, 1),
                "total": round(time.perf_counter() - started, 1),
            },
        }
    )
    return model, report


def _finetune(rows: Sequence[dict], cfg: TrainConfig, progress: Progress | None) -> dict[str, str]:
    """Fine-tune every sentence-transformers part of the spec; returns part -> temp dir."""
    from .finetune import FinetuneConfig, finetune_sentence_transformer

    parts = [p for p in split_spec(cfg.encoder) if is_sentence_transformer(p)]
    if not parts or cfg.weights.get("emb", 0) <= 0:
        raise TrainingError(
            f"--finetune-epochs needs a sentence-transformers encoder (minilm or a local model "
            f"path) in the spec, not {cfg.encoder!r}"
        )
    texts, intents = [r["text"] for r in rows], [r["intent"] for r in rows]
    overrides = {
        "lr": cfg.finetune_lr,
        "temperature": cfg.finetune_temperature,
        "per_class": cfg.finetune_per_class,
        "classes_per_batch": cfg.finetune_classes_per_batch,
    }
    ft_cfg = FinetuneConfig(
        epochs=cfg.finetune_epochs,
        seed=cfg.seed,
        **{k: v for k, v in overrides.items() if v is not None},
    )
    out = {}
    for part in parts:
        try:
            base = sentence_transformer_path(part)
        except EncoderError as exc:
            raise TrainingError(str(exc)) from exc
        target = Path(tempfile.mkdtemp(prefix="nlu-ft-")) / "model"
        finetune_sentence_transformer(base, texts, intents, target, ft_cfg, progress)
        out[part] = str(target)
    return out


def _validation_scores(
    head: Head, xv: sp.csr_matrix, validation: Sequence[dict], name: str
) -> tuple[np.ndarray, list[str]]:
    vidx, vy = _field_rows(validation, name)
    keep = [j for j, label in enumerate(vy) if label in head.labels]
    return _scores_for(head, xv[vidx[keep]], head.labels), [vy[j] for j in keep]


def _calibrate(head: Head, scores: np.ndarray, y: list[str], cfg: TrainConfig) -> dict:
    """Fit the head's temperature (and the reject threshold for intents) on held-out scores."""
    labels = head.labels
    head.temperature = fit_temperature(scores, np.asarray([labels.index(v) for v in y]))
    proba = softmax(scores, head.temperature)
    pred = [labels[j] for j in proba.argmax(1)]
    reject, threshold = None, 0.0
    if head.field == "intent":
        reject = reject_label_of(labels)
        threshold = tune_reject_threshold(proba, y, labels, reject, cfg)
        reject_as = reject or "out_of_scope"
        conf = proba.max(1)
        pred = [reject_as if c < threshold else p for p, c in zip(pred, conf, strict=True)]
    return {"metrics": field_metrics(y, pred), "reject": reject, "threshold": threshold}


def _complaint_intents(rows: Sequence[dict]) -> list[str]:
    counts = Counter(r["intent"] for r in rows if r.get("complaint_type"))
    return sorted(counts)


def _config_json(cfg: TrainConfig) -> dict:
    data = asdict(cfg)
    data["char_ngrams"] = list(cfg.char_ngrams)
    data["word_ngrams"] = list(cfg.word_ngrams)
    return data


def train(
    rows: Iterable[dict],
    model_dir: Path,
    *,
    encoder: str | None = None,
    progress: Progress | None = None,
    validation: Sequence[dict] | None = None,
    config: TrainConfig | None = None,
) -> dict:
    """Train on ``rows`` and save to ``model_dir``; returns the training report."""
    cfg = config or TrainConfig()
    if encoder is not None:
        cfg.encoder = encoder
    model, report = train_model(list(rows), cfg, validation=validation, progress=progress)
    model.save(Path(model_dir))
    for path in model.features.encoder_paths.values():  # now copied into model_dir
        if Path(path).parent.name.startswith("nlu-ft-"):
            shutil.rmtree(Path(path).parent, ignore_errors=True)
    report["model_dir"] = str(model_dir)
    logger.info("trained model saved to %s", model_dir)
    return report
