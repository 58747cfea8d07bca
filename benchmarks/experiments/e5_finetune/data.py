"""Shops for training (knowledge/data/train_shops + the demo and eval2 sets in
knowledge/demo) and the blind evaluation shops (benchmarks/data/eval3..eval20)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from knowledge.formats import Entry, load_file  # noqa: E402

TRAIN_DIR = ROOT / "knowledge" / "data" / "train_shops"
DEMO = ROOT / "knowledge" / "demo"
DATA = ROOT / "benchmarks" / "data"
BLIND = [f"eval{n}" for n in range(3, 21)]  # the 18 scored blind shops; eval21/22 untouched


@dataclass
class Shop:
    name: str
    entries: list[Entry]
    questions: list[tuple[str, str | None]]  # (text, expected entry id or None)


def _read(name: str, kb: Path, qs: Path) -> Shop:
    rows = [json.loads(line) for line in qs.read_text().splitlines() if line.strip()]
    return Shop(name, load_file(kb), [(r["text"], r.get("expected")) for r in rows])


def train_shops() -> list[Shop]:
    out = []
    for kb in sorted(TRAIN_DIR.glob("*_kb.yaml")):
        name = kb.name[: -len("_kb.yaml")]
        out.append(_read(name, kb, TRAIN_DIR / f"{name}_questions.jsonl"))
    out.append(_read("demo", DEMO / "shop.yaml", DEMO / "eval_questions.jsonl"))
    out.append(_read("eval2", DEMO / "eval2_kb.yaml", DEMO / "eval2_questions.jsonl"))
    return out


def blind_shops() -> list[Shop]:
    return [_read(n, DATA / f"{n}_kb.yaml", DATA / f"{n}_questions.jsonl") for n in BLIND]
