"""The re-ranker threshold re-chosen from ``bench_pipeline.py --dump`` files.

    python benchmarks/experiments/e5_finetune/threshold.py --choose dev.json --apply blind.json

``--choose``: shops the threshold is chosen on (never the blind ones): rerank_build's rule,
the lowest confidence at which 70 % of the shops each decline 85 % of their unanswerable
questions (``shop_threshold``), here as a shift of the logit of the confidence. ``--apply``:
answered / declined / rank@1 per shop and pooled at the shipped threshold and at the chosen
one. The dump's confidences are the index's (0.5 at the model's threshold), so a shift
``d`` of their logit is a threshold ``t'`` with ``logit t' = logit t + d / CONF_SHARPNESS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from knowledge.rerank import CONF_SHARPNESS  # noqa: E402
from knowledge.rerank_build import shop_threshold  # noqa: E402


def unanswerable(dump: dict) -> list[np.ndarray]:
    return [
        np.asarray([v for v, e in zip(d["logit"], d["expected"], strict=True) if e is None])
        for d in dump.values()
    ]


def measure(dump: dict, shift: float) -> dict[str, dict[str, float]]:
    out, pool = {}, np.zeros(6)
    for name, d in dump.items():
        logit = np.asarray(d["logit"]) - shift
        ans = [i for i, e in enumerate(d["expected"]) if e is not None]
        una = [i for i, e in enumerate(d["expected"]) if e is None]
        ok = sum(d["top"][i] == d["expected"][i] and logit[i] >= 0 for i in ans)
        dec = sum(logit[i] < 0 for i in una)
        rank = sum(d["top"][i] == d["expected"][i] for i in ans)
        pool += [ok, len(ans), dec, len(una), rank, len(ans)]
        out[name] = {
            "answered": round(ok / len(ans), 3),
            "declined": round(dec / max(1, len(una)), 3),
            "rank1": round(rank / len(ans), 3),
        }
    out["pooled"] = {
        "answered": round(pool[0] / pool[1], 4),
        "declined": round(pool[2] / pool[3], 4),
        "rank1": round(pool[4] / pool[5], 4),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--choose", required=True)
    ap.add_argument("--apply", required=True)
    ap.add_argument("--model-threshold", type=float, default=None)
    a = ap.parse_args()
    chosen = json.loads(Path(a.choose).read_text())
    # shop_threshold works on probabilities: the logits' sigmoid keeps the order
    probs = [1 / (1 + np.exp(-u)) for u in unanswerable(chosen)]
    t = shop_threshold(probs)
    shift = float(np.log(t / (1 - t))) if 0 < t < 1 else 0.0
    print(f"chosen on {len(chosen)} shops: confidence {t:.4f} (logit shift {shift:+.3f})")
    if a.model_threshold:
        m = a.model_threshold
        new = 1 / (1 + np.exp(-(np.log(m / (1 - m)) + shift / CONF_SHARPNESS)))
        print(f"re-ranker threshold {m} -> {new:.6f}")
    print("on the chosen shops:", measure(chosen, shift)["pooled"])
    blind = json.loads(Path(a.apply).read_text())
    at_shipped, at_new = measure(blind, 0.0), measure(blind, shift)
    for name in at_shipped:
        print(f"{name:8s} shipped threshold {at_shipped[name]}  chosen {at_new[name]}")


if __name__ == "__main__":
    main()
