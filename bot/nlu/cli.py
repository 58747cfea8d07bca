"""``supportbot nlu predict | train | eval`` (see docs/spec cli.md, "Understanding messages").

The lead's CLI calls :func:`add_subparsers` with the ``nlu`` subparsers object; every
subcommand sets ``func`` (``args.func(args) -> int``). ``python -m bot.nlu.cli`` runs the
same commands standalone.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from bot.jsonl import writable

from .encoders import EncoderError
from .io import InputError, read_jsonl, write_jsonl
from .model import ModelError
from .training import TrainingError

logger = logging.getLogger(__name__)

OUTPUT_KEYS = (
    "lang",
    "intent",
    "intent_confidence",
    "complaint_type",
    "emotion",
    "threat",
    "order_ref",
    "amount",
)


def add_subparsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``predict``, ``train`` and ``eval`` on an argparse subparsers object."""
    p = subparsers.add_parser("predict", help="classify messages from a JSONL file")
    p.add_argument("--input", required=True, type=Path, help='rows {"id", "text"}')
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--model-dir", type=Path, default=None)
    p.add_argument("--batch-size", type=int, default=256)
    p.set_defaults(func=cmd_predict)

    t = subparsers.add_parser("train", help="train a model on labelled JSONL rows")
    t.add_argument("--input", required=True, type=Path, help='rows {"text", "intent", ...}')
    t.add_argument("--model-dir", required=True, type=Path)
    t.add_argument("--encoder", default=None, help="use | minilm | e5 | a+b | ST name/path")
    t.add_argument(
        "--validation", type=Path, default=None, help="tune calibration/threshold on this set"
    )
    t.add_argument(
        "--finetune-epochs",
        type=int,
        default=0,
        help="fine-tune the sentence-transformers part of --encoder (minilm or a model path) "
        "on the intents for N epochs first; saved in the model dir (default 0: frozen)",
    )
    t.add_argument(
        "--no-novelty",
        action="store_true",
        help="without a reject class, do not reject messages far from every training example",
    )
    t.set_defaults(func=cmd_train)

    e = subparsers.add_parser("eval", help="print metrics of a model on labelled JSONL rows")
    e.add_argument("--input", required=True, type=Path)
    e.add_argument("--model-dir", type=Path, default=None)
    e.set_defaults(func=cmd_eval)


Command = Callable[[argparse.Namespace], int]


def _guarded(func: Command) -> Command:
    """Expected failures become ``error: ...`` on stderr and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (InputError, TrainingError, ModelError, EncoderError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return wrapper


def _classifier(model_dir: Path | None):
    from . import load_classifier

    return load_classifier(model_dir)


def _output_row(row: dict, prediction) -> dict:
    data = prediction.to_dict()
    out = {"id": row.get("id")}
    out.update({key: data[key] for key in OUTPUT_KEYS})
    return out


@_guarded
def cmd_predict(args: argparse.Namespace) -> int:
    rows = list(read_jsonl(args.input, allow_empty=True))
    writable(args.output)
    clf = _classifier(args.model_dir)
    out = []
    step = max(1, args.batch_size)
    for start in range(0, len(rows), step):
        batch = rows[start : start + step]
        preds = clf.predict([r["text"] for r in batch])
        out.extend(_output_row(r, p) for r, p in zip(batch, preds, strict=True))
    write_jsonl(args.output, out)
    print(f"wrote {len(out)} predictions to {args.output}", file=sys.stderr)
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@_guarded
def cmd_train(args: argparse.Namespace) -> int:
    from .training import TrainConfig, train

    rows = list(read_jsonl(args.input, required=("text", "intent")))
    validation = (
        list(read_jsonl(args.validation, required=("text", "intent"))) if args.validation else None
    )
    if args.finetune_epochs < 0:
        raise TrainingError("--finetune-epochs must be 0 or more")
    config = TrainConfig(finetune_epochs=args.finetune_epochs, novelty=not args.no_novelty)
    report = train(
        rows,
        args.model_dir,
        encoder=args.encoder,
        progress=_progress,
        validation=validation,
        config=config,
    )
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


@_guarded
def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import SCORED_FIELDS, evaluate

    rows = list(read_jsonl(args.input))
    if not any(key in row for row in rows for key in SCORED_FIELDS):
        raise InputError(
            f"{args.input}: no labelled rows: give each row at least one of "
            f"{', '.join(SCORED_FIELDS)}"
        )
    metrics = evaluate(_classifier(args.model_dir), rows)
    json.dump(metrics, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="supportbot nlu", description=__doc__)
    add_subparsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
