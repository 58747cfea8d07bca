"""Build the default model shipped in ``bot/nlu/model/`` from ``bot/nlu/data/train_*.jsonl``.

    python -m bot.nlu.build_default [--output DIR] [--encoder SPEC]

Only ``train_*.jsonl`` files are used; ``heldout_*.jsonl`` is never trained on.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .io import read_jsonl
from .training import TrainConfig, train

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
MODEL_DIR = PACKAGE_DIR / "model"

# the label fields the shipped model keeps per row
_KEYS = ("text", "intent", "complaint_type", "emotion", "threat")


def training_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(p for p in Path(data_dir).glob("train_*.jsonl") if p.is_file())


def load_training_rows(data_dir: Path = DATA_DIR) -> list[dict]:
    rows: list[dict] = []
    for path in training_files(data_dir):
        for row in read_jsonl(path):
            rows.append({k: row.get(k) for k in _KEYS})
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row["text"] not in seen:
            seen.add(row["text"])
            unique.append(row)
    return unique


def default_config(encoder: str | None = None) -> TrainConfig:
    cfg = TrainConfig()
    if encoder:
        cfg.encoder = encoder
    return cfg


def build_default(output: Path = MODEL_DIR, *, encoder: str | None = None) -> dict:
    rows = load_training_rows()
    if not rows:
        raise FileNotFoundError(f"no training data in {DATA_DIR} (train_*.jsonl)")
    return train(
        rows,
        output,
        config=default_config(encoder),
        progress=lambda msg: logger.info("%s", msg),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu.build_default", description=__doc__)
    parser.add_argument("--output", type=Path, default=MODEL_DIR)
    parser.add_argument("--encoder", default=None, help="encoder spec (default: TrainConfig)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    report = build_default(args.output, encoder=args.encoder)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
