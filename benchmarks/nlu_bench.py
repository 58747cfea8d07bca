"""Benchmarks of the message classifier (bot/nlu).

    python benchmarks/nlu_bench.py --bench all --encoder use
    python benchmarks/nlu_bench.py --bench banking77 clinc150 --encoder use --encoder use+minilm \
        --cache-dir /tmp/nlu_cache

Benches:
  banking77        train on the full train split (10,003), accuracy on test (3,080)
  banking77_10shot 10 examples per intent (3 seeds, mean), accuracy on test
  banking77_10shot_val / banking77_val
                   for tuning (never the test split): 10 examples per intent (seed 100)
                   or the train split minus 20 rows per intent, scored on 20 other train rows
                   per intent
  clinc150         data_full: train on train+oos_train, threshold/calibration on val+oos_val,
                   test once: in-scope accuracy, oos recall
  project          train on bot/nlu/data/train_*.jsonl, score bot/nlu/data/heldout_*.jsonl
  latency          per-message latency p50/p95 (1 thread, fresh process), batch throughput,
                   load time and RSS, for the model trained in `project` (or --model-dir)
  default          `project` scores + latency of the shipped model (bot/nlu/model/)

Prints a table and the JSON of all results (``--json FILE`` also writes it).
``--cache-dir`` keeps embeddings on disk so comparing encoders does not re-encode (fine-tuned
encoders are never cached). ``--finetune-epochs N`` fine-tunes the sentence-transformers part
of every spec (minilm, ST paths) on each training set first, as ``nlu train --finetune-epochs``
(``--finetune-lr`` / ``--finetune-temperature`` override finetune.py's defaults for
experiments; ``finetune_s`` in the results is the fine-tuning part of ``train_s``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the workplace keeps shared/ beside the repository: ../shared/data/benchmarks
DATA_DIR = Path(
    os.environ.get(
        "NLU_BENCH_DATA",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks",
    )
)
PROJECT_DATA = ROOT / "bot" / "nlu" / "data"
BLIND_DATA = ROOT / "benchmarks" / "data" / "nlu_blind"
BENCHES = (
    "banking77",
    "banking77_10shot",
    "clinc150",
    "project",
    "latency",
    "banking77_10shot_val",
    "banking77_val",
    "default",
)


# --------------------------------------------------------------------------- datasets


def banking77(split: str) -> list[dict]:
    with (DATA_DIR / "banking77" / f"{split}.csv").open(encoding="utf-8") as fh:
        return [{"text": r["text"], "intent": r["category"]} for r in csv.DictReader(fh)]


def clinc150() -> dict[str, list[dict]]:
    data = json.loads((DATA_DIR / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return {k: [{"text": t, "intent": y} for t, y in v] for k, v in data.items()}


def project_rows(prefix: str, folder: Path | None = None) -> list[dict]:
    rows = []
    for path in sorted((folder or PROJECT_DATA).glob(f"{prefix}_*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def few_shot(rows: list[dict], k: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    by_label: dict[str, list[dict]] = {}
    for row in rows:
        by_label.setdefault(row["intent"], []).append(row)
    out = []
    for label in sorted(by_label):
        out.extend(rng.sample(by_label[label], min(k, len(by_label[label]))))
    return out


# --------------------------------------------------------------------------- benches


# --finetune-epochs: fine-tune the sentence-transformers part of each encoder spec first
FINETUNE_EPOCHS = 0
# --finetune-lr / --finetune-temperature / --no-novelty (TrainConfig fields)
FINETUNE_OPTIONS: dict = {}
_TUNED_DIRS: list[Path] = []  # fine-tuned encoder copies, deleted after each bench


def _config(encoder: str):
    from bot.nlu.training import TrainConfig

    return TrainConfig(encoder=encoder, finetune_epochs=FINETUNE_EPOCHS, **FINETUNE_OPTIONS)


def _fit(rows, encoder, validation=None):
    from bot.nlu.training import train_model

    t0 = time.perf_counter()
    model, report = train_model(rows, _config(encoder), validation=validation)
    _TUNED_DIRS.extend(Path(p) for p in model.features.encoder_paths.values())
    report["finetune_s"] = report["seconds"].get("finetune", 0.0)
    return model, report, time.perf_counter() - t0


def _drop_tuned_encoders() -> None:
    """Free the fine-tuned encoder copies (memory and their temporary directories)."""
    from bot.nlu import encoders

    encoders._LOADED.clear()
    while _TUNED_DIRS:
        path = _TUNED_DIRS.pop()
        if path.parent.name.startswith("nlu-ft-"):
            shutil.rmtree(path.parent, ignore_errors=True)


def _argmax_accuracy(model, rows) -> float:
    head = model.heads["intent"]
    x = model.features.transform([r["text"] for r in rows])
    pred = head.scores(x).argmax(1)
    return sum(head.labels[j] == r["intent"] for j, r in zip(pred, rows, strict=True)) / len(rows)


def bench_banking77(encoder: str) -> dict:
    from bot.nlu.evaluation import evaluate

    model, report, secs = _fit(banking77("train"), encoder)
    test = banking77("test")
    metrics = evaluate(model, test)
    return {
        "accuracy": metrics["intent"]["accuracy"],
        "accuracy_no_reject": round(_argmax_accuracy(model, test), 4),
        "macro_f1": metrics["intent"]["macro_f1"],
        "reject_threshold": report["reject_threshold"],
        "novelty_threshold": report.get("novelty_threshold"),
        "offtopic_reject": _offtopic_reject(model),
        "train_s": round(secs, 1),
        "finetune_s": report["finetune_s"],
    }


def _offtopic_reject(model) -> float:
    """Share of CLINC150's out-of-scope test messages (off-topic for banking) rejected."""
    texts = [r["text"] for r in clinc150()["oos_test"]]
    preds = model.predict(texts)
    return round(sum(p.intent == model.reject_label for p in preds) / len(texts), 4)


def _over_seeds(encoder: str, splits) -> dict:
    """Fit on each (train, scored rows) split: mean accuracy with and without the reject
    threshold, per split, and the mean training (and fine-tuning) time."""
    from bot.nlu.evaluation import evaluate

    accs, raw, secs, ft_secs = [], [], [], []
    for train, rows in splits:
        model, report, s = _fit(train, encoder)
        accs.append(evaluate(model, rows)["intent"]["accuracy"])
        raw.append(_argmax_accuracy(model, rows))
        secs.append(s)
        ft_secs.append(report["finetune_s"])
        _drop_tuned_encoders()
    return {
        "accuracy": round(sum(accs) / len(accs), 4),
        "accuracy_no_reject": round(sum(raw) / len(raw), 4),
        "per_seed": accs,
        "train_s": round(sum(secs) / len(secs), 1),
        "finetune_s": round(sum(ft_secs) / len(ft_secs), 1),
    }


def bench_banking77_10shot(encoder: str, seeds=(0, 1, 2)) -> dict:
    train, test = banking77("train"), banking77("test")
    return _over_seeds(encoder, ((few_shot(train, 10, seed), test) for seed in seeds))


def train_val_split(rows: list[dict], per_label: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Hold ``per_label`` rows of every intent out of a train split (for tuning)."""
    rng = random.Random(seed)
    by_label: dict[str, list[dict]] = {}
    for row in rows:
        by_label.setdefault(row["intent"], []).append(row)
    train, val = [], []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        val.extend(items[:per_label])
        train.extend(items[per_label:])
    return train, val


def bench_banking77_val(encoder: str, shots: int | None, seeds=(100,)) -> dict:
    """Validation accuracy on rows held out of BANKING77's *train* split (test is not read)."""

    def splits():
        for seed in seeds:
            train, val = train_val_split(banking77("train"), 20, seed)
            yield (few_shot(train, shots, seed) if shots else train), val

    result = _over_seeds(encoder, splits())
    result["val_accuracy"] = result.pop("accuracy")
    result["val_accuracy_no_reject"] = result.pop("accuracy_no_reject")
    return result


def bench_clinc150(encoder: str) -> dict:
    from bot.nlu.evaluation import evaluate

    data = clinc150()
    model, report, secs = _fit(
        data["train"] + data["oos_train"], encoder, validation=data["val"] + data["oos_val"]
    )
    metrics = evaluate(model, data["test"] + data["oos_test"])["intent"]
    return {
        "in_scope_accuracy": metrics["in_scope_accuracy"],
        "oos_recall": metrics["oos_recall"],
        "oos_precision": metrics["oos_precision"],
        "accuracy_all": metrics["accuracy"],
        "reject_threshold": report["reject_threshold"],
        "val_intent": report["validation"].get("intent"),
        "train_s": round(secs, 1),
        "finetune_s": report["finetune_s"],
    }


def _project_scores(model) -> dict:
    """The held-out split, and the blind set (written later by someone who read only the
    label spec, never the training data: the closer estimate for messages the team does not
    have)."""
    return {
        **_scores(model, project_rows("heldout")),
        "blind": _scores(model, project_rows("blind", BLIND_DATA)),
    }


def _scores(model, rows: list[dict]) -> dict:
    from bot.nlu.evaluation import evaluate

    m = evaluate(model, rows)
    return {
        "n": m["n"],
        "intent_accuracy": m["intent"]["accuracy"],
        "intent_macro_f1": m["intent"]["macro_f1"],
        "complaint_type_macro_f1": m["complaint_type"]["macro_f1"],
        "emotion_macro_f1": m["emotion"]["macro_f1"],
        "threat_macro_f1": m["threat"]["macro_f1"],
        "legal_recall": m["threat"]["legal_recall"],
        "lang_accuracy": m["lang"]["accuracy"],
        "order_ref_exact": m["order_ref"]["exact_match"],
        "amount_exact": m["amount"]["exact_match"],
    }


def bench_project(encoder: str, model_dir: Path) -> dict:
    from bot.nlu.build_default import load_training_rows

    model, _, secs = _fit(load_training_rows(), encoder)
    model.save(model_dir)
    return {**_project_scores(model), "train_s": round(secs, 1)}


def bench_latency(model_dir: Path | None) -> dict:
    """Run the latency worker in a fresh process pinned to one thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--latency-worker"]
    if model_dir:
        cmd += ["--model-dir", str(model_dir)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"latency worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def latency_worker(model_dir: str | None) -> dict:
    import numpy as np

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    t0 = time.perf_counter()
    from bot.nlu import load_classifier

    clf = load_classifier(model_dir)
    clf.predict_one("hello")  # encoders load lazily: count the first prediction as loading
    load_s = time.perf_counter() - t0
    texts = list(dict.fromkeys(r["text"] for r in project_rows("heldout")))
    if not texts:
        texts = [f"where is my order {i}" for i in range(300)]
    cut = min(len(texts) // 2, 300)
    single, batch = texts[:cut], texts[cut:]
    lat = []
    for text in single:
        s = time.perf_counter()
        clf.predict_one(text)
        lat.append((time.perf_counter() - s) * 1000)
    s = time.perf_counter()
    for i in range(0, len(batch), 64):
        clf.predict(batch[i : i + 64])
    throughput = len(batch) / (time.perf_counter() - s)
    return {
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "messages": len(single),
        "batch_msgs_per_s": round(throughput, 1),
        "load_s": round(load_s, 2),
        "rss_mb": round(_rss_mb(), 1),
    }


# --------------------------------------------------------------------------- output

COLUMNS = [
    ("banking77", "accuracy", "B77 acc"),
    ("banking77_10shot", "accuracy", "B77 10-shot"),
    ("clinc150", "in_scope_accuracy", "CLINC in-scope"),
    ("clinc150", "oos_recall", "CLINC oos rec"),
    ("project", "intent_macro_f1", "intent F1"),
    ("project", "complaint_type_macro_f1", "compl. F1"),
    ("project", "emotion_macro_f1", "emotion F1"),
    ("project", "legal_recall", "legal rec"),
    ("project", "order_ref_exact", "order ref"),
    ("project", "blind.intent_macro_f1", "blind intent F1"),
    ("project", "blind.complaint_type_macro_f1", "blind compl. F1"),
    ("project", "blind.legal_recall", "blind legal rec"),
    ("latency", "p50_ms", "p50 ms"),
    ("latency", "p95_ms", "p95 ms"),
    ("latency", "batch_msgs_per_s", "msg/s"),
    ("latency", "load_s", "load s"),
    ("latency", "rss_mb", "RSS MB"),
]


def table(results: dict[str, dict]) -> str:
    cols = [c for c in COLUMNS if any(c[0] in r for r in results.values())]
    head = "| encoder | " + " | ".join(c[2] for c in cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 1)]
    for encoder, res in results.items():
        cells = []
        for bench, key, _ in cols:
            value = res.get(bench, {})
            for part in key.split("."):  # "blind.intent_macro_f1": a nested result
                value = value.get(part) if isinstance(value, dict) else None
            cells.append("" if value is None else f"{value}")
        lines.append(f"| {encoder} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(benches: list[str], encoders: list[str], model_dir: Path | None) -> dict[str, dict]:
    results: dict[str, dict] = {}
    if "default" in benches:
        from bot.nlu import DEFAULT_MODEL_DIR
        from bot.nlu.model import NluModel

        shipped = NluModel.load(DEFAULT_MODEL_DIR)
        results[f"default ({shipped.features.encoder_spec})"] = {
            "project": _project_scores(shipped),
            "latency": bench_latency(None),
        }
    for encoder in encoders:
        res: dict = {}
        with tempfile.TemporaryDirectory() as tmp:
            for bench in benches:
                print(f"[{encoder}] {bench} ...", file=sys.stderr, flush=True)
                if bench == "banking77":
                    res[bench] = bench_banking77(encoder)
                elif bench == "banking77_10shot":
                    res[bench] = bench_banking77_10shot(encoder)
                elif bench == "banking77_10shot_val":
                    res[bench] = bench_banking77_val(encoder, 10, seeds=(100,))
                elif bench == "banking77_val":
                    res[bench] = bench_banking77_val(encoder, None, seeds=(100,))
                elif bench == "clinc150":
                    res[bench] = bench_clinc150(encoder)
                elif bench == "project":
                    res[bench] = bench_project(encoder, Path(tmp))
                elif bench == "latency":
                    target = model_dir or Path(tmp)
                    if not (target / "config.json").exists():
                        res["project"] = bench_project(encoder, Path(tmp))
                    res[bench] = bench_latency(target)
                print(
                    f"[{encoder}] {bench}: {json.dumps(res.get(bench))}",
                    file=sys.stderr,
                    flush=True,
                )
                _drop_tuned_encoders()
        if res:
            tag = f" ft{FINETUNE_EPOCHS}" if FINETUNE_EPOCHS else ""
            tag += "".join(
                f" {k.removeprefix('finetune_')}={v}" for k, v in FINETUNE_OPTIONS.items()
            )
            results[encoder + tag] = res
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--bench", nargs="+", default=["all"], choices=[*BENCHES, "all"])
    parser.add_argument("--encoder", action="append", help="encoder spec; repeat to compare")
    parser.add_argument("--cache-dir", type=Path, help="disk cache for embeddings")
    parser.add_argument("--model-dir", type=Path, help="latency: measure this model instead")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--finetune-epochs", type=int, default=0, help="fine-tune ST encoders first (0: frozen)"
    )
    parser.add_argument("--finetune-lr", type=float, help="fine-tuning learning rate")
    parser.add_argument("--finetune-temperature", type=float, help="SupCon temperature")
    parser.add_argument("--no-novelty", action="store_true", help="train without the novelty check")
    parser.add_argument("--latency-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.latency_worker:
        print(json.dumps(latency_worker(str(args.model_dir) if args.model_dir else None)))
        return 0
    global FINETUNE_EPOCHS
    FINETUNE_EPOCHS = args.finetune_epochs
    if args.no_novelty:
        FINETUNE_OPTIONS["novelty"] = False
    for name in ("lr", "temperature"):
        value = getattr(args, f"finetune_{name}")
        if value is not None:
            FINETUNE_OPTIONS[f"finetune_{name}"] = value
    if args.cache_dir:
        from bot.nlu.encoders import set_disk_cache

        set_disk_cache(args.cache_dir)
    benches = list(BENCHES[:5]) if "all" in args.bench else args.bench
    encoders = args.encoder or ["use"]
    if benches == ["default"]:
        encoders = []
    results = run(benches, encoders, args.model_dir)
    print(table(results))
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
