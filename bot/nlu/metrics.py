"""Metrics for ``nlu eval`` and training reports (pure NumPy, no warnings on empty classes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    if not y_true:
        return 0.0
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)


def macro_f1(y_true: Sequence, y_pred: Sequence) -> float:
    """Macro-F1 over the labels that occur in ``y_true``."""
    labels = sorted({t for t in y_true if t is not None}, key=str)
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != label and p == label for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == label and p != label for t, p in zip(y_true, y_pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def recall(y_true: Sequence, y_pred: Sequence, label: str) -> float | None:
    hits = [p == label for t, p in zip(y_true, y_pred, strict=True) if t == label]
    return sum(hits) / len(hits) if hits else None


def precision(y_true: Sequence, y_pred: Sequence, label: str) -> float | None:
    hits = [t == label for t, p in zip(y_true, y_pred, strict=True) if p == label]
    return sum(hits) / len(hits) if hits else None


def field_metrics(y_true: Sequence, y_pred: Sequence) -> dict:
    return {
        "n": len(y_true),
        "accuracy": round(accuracy(y_true, y_pred), 4),
        "macro_f1": round(macro_f1(y_true, y_pred), 4),
    }


def confused_pairs(y_true: Sequence, y_pred: Sequence, top: int = 10) -> list[dict]:
    pairs = Counter((t, p) for t, p in zip(y_true, y_pred, strict=True) if t != p)
    return [{"true": t, "pred": p, "count": c} for (t, p), c in pairs.most_common(top)]
