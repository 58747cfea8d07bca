"""Optional fine-tuning of a sentence-transformers encoder on the training intents.

``supportbot nlu train --encoder use+minilm --finetune-epochs 8`` fine-tunes the
sentence-transformers part(s) of the spec (``minilm`` or a local ST model path; ``use`` and
``e5`` are frozen) before the linear heads are fitted, and saves the tuned encoder inside the
model directory (``encoder_<name>/``), from where it is loaded later; nothing is downloaded.

Loss: supervised contrastive (SupCon, Khosla et al. 2020) over the L2-normalised sentence
embeddings, in batches of ``classes_per_batch`` intents x ``per_class`` examples, so that every
anchor has positives (the same intent) and many in-batch negatives (other intents). It is the
batch-wise version of SetFit's contrastive pair training: one forward/backward per text per
epoch, each batch run in length-sorted micro-batches so that little compute goes to padding.
Measured with one torch thread on a shared 2-core 2.8 GHz Xeon (docs/nlu.md): ≈ 40-60 s per
epoch for 770 BANKING77 texts (10-shot), 10-13 min per epoch for BANKING77's 10,003 or
CLINC150's 15,100 texts. On a shared machine set ``OMP_NUM_THREADS=1``: two threads fighting
another process for two cores were three times slower than one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


LARGE_DATA_LR = 3e-5
SMALL_DATA_LR = 1e-4
SMALL_DATA_ROWS = 2000
# base-size encoders (768-d, e.g. mpnet) keep LARGE_DATA_LR on few-shot data too: BANKING77
# 10-shot validation, all-mpnet-base-v2 3 epochs: 0.8545 at 1e-4, 0.8643 at 3e-5
BASE_SIZE_DIM = 768


def learning_rate(cfg: FinetuneConfig, rows: int, dim: int | None = None) -> float:
    """The configured learning rate, or the default for this many training texts (and an
    encoder of embedding size ``dim``)."""
    if cfg.lr is not None:
        return cfg.lr
    if dim is not None and dim >= BASE_SIZE_DIM:
        return LARGE_DATA_LR
    return SMALL_DATA_LR if rows <= SMALL_DATA_ROWS else LARGE_DATA_LR


@dataclass
class FinetuneConfig:
    epochs: int = 0
    # None: SMALL_DATA_LR for at most SMALL_DATA_ROWS texts (few-shot data gives only a few
    # dozen steps; chosen on a BANKING77 10-shot split carved from its train split), else 3e-5
    lr: float | None = None
    temperature: float = 0.05
    classes_per_batch: int = 16
    per_class: int = 4
    max_seq_length: int = 64
    # each batch is run through the encoder in length-sorted chunks of this many texts, so a
    # single long text does not pad the whole batch (same loss, ~2-3x less compute on CPU)
    micro_batch: int = 16
    threads: int | None = None  # torch threads; None: OMP_NUM_THREADS or all cores
    seed: int = 13


def _batches(y: np.ndarray, cfg: FinetuneConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of P x K batches: every row appears once; classes are cycled in batches."""
    by_label: dict[int, list[int]] = {}
    for i, label in enumerate(y):
        by_label.setdefault(int(label), []).append(i)
    chunks: list[np.ndarray] = []
    for idx in by_label.values():
        idx = rng.permutation(idx)
        for start in range(0, len(idx), cfg.per_class):
            chunks.append(idx[start : start + cfg.per_class])
    order = rng.permutation(len(chunks))
    batches, current, labels_in = [], [], set()
    for j in order:
        chunk = chunks[j]
        label = int(y[chunk[0]])
        if label in labels_in or len(current) >= cfg.classes_per_batch:
            if current:
                batches.append(np.concatenate(current))
            current, labels_in = [], set()
        current.append(chunk)
        labels_in.add(label)
    if current:
        batches.append(np.concatenate(current))
    return batches


def _token_lengths(model, texts: Sequence[str], max_length: int = 512) -> np.ndarray:
    """Token count of every text (for length-sorted micro-batches); characters as fallback."""
    tokenizer = getattr(model, "tokenizer", None)
    try:
        ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
        return np.asarray([len(v) for v in ids])
    except Exception:  # noqa: BLE001 - any tokenizer trouble: approximate by characters
        return np.asarray([len(t) for t in texts])


def supcon_loss(emb, labels, temperature: float):
    """Supervised contrastive loss of L2-normalised embeddings (torch tensors)."""
    import torch

    sims = emb @ emb.T / temperature
    n = emb.shape[0]
    eye = torch.eye(n, dtype=torch.bool)
    sims = sims.masked_fill(eye, -1e9)
    log_prob = sims - torch.logsumexp(sims, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    has_pos = pos.any(dim=1)
    if not has_pos.any():
        return emb.sum() * 0.0
    mean_log_pos = (log_prob * pos).sum(1)[has_pos] / pos.sum(1)[has_pos]
    return -mean_log_pos.mean()


def finetune_sentence_transformer(
    base: str,
    texts: Sequence[str],
    labels: Sequence[str],
    out_dir: Path,
    cfg: FinetuneConfig,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Fine-tune the ST model at ``base`` (local path) and save it to ``out_dir``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    import torch.nn.functional as F
    from sentence_transformers import SentenceTransformer

    threads = cfg.threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or os.cpu_count()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads or 1)))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    try:
        model = SentenceTransformer(base, device="cpu", local_files_only=True)
        model.max_seq_length = min(model.max_seq_length or cfg.max_seq_length, cfg.max_seq_length)
        names = sorted(set(labels))
        y = np.asarray([names.index(v) for v in labels])
        texts = list(texts)
        lr = learning_rate(cfg, len(texts), model.get_embedding_dimension())
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        steps_per_epoch = len(_batches(y, cfg, np.random.default_rng(0)))
        total = max(1, steps_per_epoch * cfg.epochs)
        warmup = max(1, total // 10)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
        )
        prepare = getattr(model, "preprocess", None) or model.tokenize
        lengths = _token_lengths(model, texts, model.max_seq_length)
        model.train()
        for epoch in range(cfg.epochs):
            losses = []
            for batch in _batches(y, cfg, rng):
                batch = batch[np.argsort(lengths[batch], kind="stable")]
                step = max(1, cfg.micro_batch)
                out = torch.cat(
                    [
                        model(prepare([texts[i] for i in batch[s : s + step]]))[
                            "sentence_embedding"
                        ]
                        for s in range(0, len(batch), step)
                    ]
                )
                emb = F.normalize(out, dim=-1)
                loss = supcon_loss(emb, torch.as_tensor(y[batch]), cfg.temperature)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                losses.append(float(loss.detach()))
            if progress:
                progress(
                    f"fine-tuning {Path(base).name}: epoch {epoch + 1}/{cfg.epochs}, "
                    f"loss {np.mean(losses):.3f}"
                )
        model.eval()
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        model.save(str(out_dir))
    finally:
        torch.set_num_threads(previous_threads)
    return out_dir
