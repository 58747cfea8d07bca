"""The full retrieval pipeline (kb_bench's quality: fused score + re-ranker, its threshold)
on the blind shops (or training shops, for choosing a threshold) with another e5 ``.bin``.

    python benchmarks/experiments/e5_finetune/bench_pipeline.py --bin base
    python benchmarks/experiments/e5_finetune/bench_pipeline.py --bin FT.bin \
        --rerank-model DIR/rerank.json --dump ft.json

``--bin`` sets ``SUPPORTBOT_E5_WEIGHTS`` / ``SUPPORTBOT_E5_SHA256`` (the product's setting);
``--rerank-model`` sets ``SUPPORTBOT_KB_RERANK_MODEL`` (a model built for those weights, or
``copy``: the shipped model and adapters marked as trained for them, i.e. the swap as is).
Prints per shop and pooled (weighted by question counts) answered / declined / rank@1;
``--dump`` keeps per question (expected, top entry, logit of the confidence) so the
answered / declined of another re-ranker threshold can be computed without a re-run
(``threshold.py``). ``--sets train:NAMES`` (rerank_build ``--shops`` syntax) runs
training shops.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from data import BLIND, ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))


def use_bin(bin_path: str) -> str:
    digest = hashlib.sha256(Path(bin_path).read_bytes()).hexdigest()
    os.environ["SUPPORTBOT_E5_WEIGHTS"] = bin_path
    os.environ["SUPPORTBOT_E5_SHA256"] = digest
    return digest


def copy_shipped(sha: str, out: Path) -> Path:
    """The shipped re-ranker and adapters, marked as trained for ``sha`` (the swap as is)."""
    from knowledge import rerank

    out.mkdir(parents=True, exist_ok=True)
    model = json.loads(rerank.MODEL_FILE.read_text(encoding="utf-8"))
    model["e5_sha256"] = sha
    (out / "rerank.json").write_text(json.dumps(model), encoding="utf-8")
    shutil.copyfile(rerank.ADAPTER_FILE, out / rerank.ADAPTER_FILE.name)
    return out / "rerank.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rerank-model", help="a rerank.json for --bin, or 'copy'")
    ap.add_argument("--sets", default=",".join(BLIND))
    ap.add_argument("--out", help="JSON report")
    ap.add_argument("--dump", help="per question: expected, top, logit of the confidence")
    a = ap.parse_args()
    sha = use_bin(a.bin) if a.bin != "base" else ""
    if a.rerank_model == "copy":
        a.rerank_model = str(copy_shipped(sha, Path(a.dump or a.out or "ft").with_suffix(".rr")))
    if a.rerank_model:
        os.environ["SUPPORTBOT_KB_RERANK_MODEL"] = a.rerank_model
    import kb_bench

    from knowledge import index as index_mod

    if a.sets.startswith("train:"):
        from knowledge.rerank_build import all_shops, select_shops

        sources = all_shops()
        names = sorted(select_shops(list(sources), a.sets.removeprefix("train:")))
        sets = {n: sources[n] for n in names}
    else:
        sets = {n: kb_bench.EVAL_SETS[n] for n in a.sets.split(",")}
    pooled = {"ans": [0, 0], "dec": [0, 0], "rank": [0, 0]}
    report, dump = {}, {}
    for name, (kb, qs) in sets.items():
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
        top, raw, expected = r["_scores"]
        # raw = base center + logit(confidence) (kb_bench: the adaptive shift removed)
        base = index_mod.CENTERS_ADAPTIVE["use+e5"]
        dump[name] = {
            "top": list(top),
            "expected": list(expected),
            "logit": [round(float(v) - base, 5) for v in raw],
        }
        print(name, json.dumps(report[name]), flush=True)
        if a.dump:
            Path(a.dump).write_text(json.dumps(dump))
    total = {k: round(v[0] / v[1], 4) for k, v in pooled.items()}
    report["pooled"] = total
    print("pooled answered / declined / rank@1:", total, flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
