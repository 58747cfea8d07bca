"""``nlu eval``: score a classifier on labelled rows."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .metrics import confused_pairs, field_metrics, precision, recall
from .schema import LABEL_FIELDS, REJECT_LABELS, Classifier, Prediction

# The fields a labelled row may carry; each one present is scored.
SCORED_FIELDS = (*LABEL_FIELDS, "lang", "order_ref", "amount")


def _same_amount(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=0.005)
    except (TypeError, ValueError):
        return False


def _norm_ref(ref: object) -> str | None:
    if ref is None or ref == "":
        return None
    return str(ref).strip().lstrip("№#").strip().upper()


def _intent_block(gold: list, pred: list[Prediction]) -> dict:
    y = [g["intent"] for g in gold]
    p = [x.intent for x in pred]
    block = field_metrics(y, p)
    block["confused_pairs"] = confused_pairs(y, p)
    reject = next((r for r in REJECT_LABELS if r in set(y)), None)
    if reject is not None:
        in_scope = [(t, q) for t, q in zip(y, p, strict=True) if t != reject]
        block["in_scope_accuracy"] = round(
            sum(t == q for t, q in in_scope) / max(1, len(in_scope)), 4
        )
        block["oos_recall"] = _round(recall(y, p, reject))
        block["oos_precision"] = _round(precision(y, p, reject))
    return block


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evaluate(classifier: Classifier, rows: Iterable[dict]) -> dict:
    """Metrics JSON: accuracy and macro-F1 per labelled field, entity exact match, confusions."""
    gold = list(rows)
    preds = classifier.predict([r["text"] for r in gold])
    result: dict = {"n": len(gold)}
    if any("intent" in g for g in gold):
        labelled = [(g, q) for g, q in zip(gold, preds, strict=True) if g.get("intent")]
        result["intent"] = _intent_block([g for g, _ in labelled], [q for _, q in labelled])
    for name in LABEL_FIELDS[1:]:
        pairs = [(g, q) for g, q in zip(gold, preds, strict=True) if name in g]
        if name == "complaint_type":  # scored on the complaints, as labelled
            pairs = [(g, q) for g, q in pairs if g.get(name) is not None]
        if not pairs:
            continue
        y = [g.get(name) for g, _ in pairs]
        p = [getattr(q, name) for _, q in pairs]
        result[name] = field_metrics(y, p)
        if name == "threat":
            result[name]["legal_recall"] = _round(recall(y, p, "legal"))
            result[name]["legal_precision"] = _round(precision(y, p, "legal"))
            result[name]["confused_pairs"] = confused_pairs(y, p, top=5)
        if name == "complaint_type":
            result[name]["confused_pairs"] = confused_pairs(y, p, top=5)
    if "threat" in result:
        result["legal_threat_recall"] = result["threat"]["legal_recall"]
    if any("lang" in g for g in gold):
        pairs = [(g["lang"], q.lang) for g, q in zip(gold, preds, strict=True) if "lang" in g]
        result["lang"] = field_metrics([a for a, _ in pairs], [b for _, b in pairs])
    if any("order_ref" in g for g in gold):
        pairs = [(g, q) for g, q in zip(gold, preds, strict=True) if "order_ref" in g]
        hits = sum(_norm_ref(g["order_ref"]) == q.order_ref for g, q in pairs)
        result["order_ref"] = {"n": len(pairs), "exact_match": round(hits / len(pairs), 4)}
    if any("amount" in g for g in gold):
        pairs = [(g, q) for g, q in zip(gold, preds, strict=True) if "amount" in g]
        hits = sum(_same_amount(g["amount"], q.amount) for g, q in pairs)
        result["amount"] = {"n": len(pairs), "exact_match": round(hits / len(pairs), 4)}
    return result
