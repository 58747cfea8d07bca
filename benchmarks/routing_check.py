"""Routing check: does a question reach the knowledge base, and a complaint the playbook,
in a real conversation (the classifier, the flows and the KB together)?

    python benchmarks/routing_check.py --input ROWS.jsonl --kb KB.yaml [--json OUT.json]
    python benchmarks/routing_check.py --set all        # the four KB evaluation sets
    python benchmarks/routing_check.py --set blind      # 120 questions + 60 complaints, demo KB

ROWS: ``{"id", "text", "expected"?, "kind"?}``. A row with ``kind: complaint`` is a complaint;
any other row is a question, answerable when ``expected`` names an entry. Each row is the
first message of a new customer (``supportbot simulate``), and the first turn's events say
where it went:

- ``faq_answered``: answered from the KB (``right`` when the entry is the expected one);
  ``complaint_and_faq_right`` / ``_wrong`` / ``_answered``: a complaint case was opened and
  an entry answered after it (the right one counts in ``right_answer_given``, not in
  ``kb_answered_right``);
- ``faq_declined``: the KB was asked but not sure (the two closest topics as buttons);
- ``complaint_opened``: the complaint playbook; ``order``: the order-status flow asked for
  the number; ``handoff``: passed to a person; ``other``: anything else (fallback...).

``kb_answered_right`` over the answerable questions is what a customer gets from the bot in
a conversation, where ``benchmarks/kb_bench.py`` measures the KB alone. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from kb_bench import DATA, DEMO, EVAL_SETS  # noqa: E402
from playbook_check import AT, run_simulate  # noqa: E402

from bot.jsonl import read_rows  # noqa: E402

# 120 demo-shop questions (each entry at least 3 times) and 60 complaints, ru / en / pl,
# written by someone who saw only labels.md and shop.yaml (2026-11-30)
SETS = {**EVAL_SETS, "blind": (DEMO / "shop.yaml", DATA / "routing_blind.jsonl")}


def route(events: list[dict[str, Any]]) -> tuple[str, str | None]:
    """Where the first message went, and the entry answered (if any)."""
    first = [e for e in events if e.get("turn") == 0]
    types = {e["type"] for e in first}
    answered = next((e.get("answer_id") for e in first if e["type"] == "faq_answered"), None)
    if "complaint_opened" in types:
        # a case was opened; a question in the same message may have been answered after it
        return "complaint", answered
    if answered is not None:
        return "faq_answered", answered
    if "faq_declined" in types:
        return "faq_declined", None
    if any(e["type"] == "asked_for" and e.get("slot") == "order_ref" for e in first):
        return "order", None
    if "escalated" in types:
        return "handoff", None
    return "other", None


def measure(rows: list[dict[str, Any]], transcripts: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {t["id"]: t for t in transcripts}
    counts: dict[str, Counter[str]] = {
        "answerable": Counter(),
        "unanswerable": Counter(),
        "complaint": Counter(),
    }
    misses: list[dict[str, Any]] = []
    for row in rows:
        where, answer = route(by_id[row["id"]]["events"])
        if row.get("kind") == "complaint":
            group = "complaint"
        elif row.get("expected"):
            group = "answerable"
            if where == "faq_answered":
                where = "faq_right" if answer == row["expected"] else "faq_wrong"
            elif where == "complaint" and answer is not None:
                # a case, and an answer after it
                right = answer == row["expected"]
                where = "complaint_and_faq_right" if right else "complaint_and_faq_wrong"
        else:
            group = "unanswerable"
            if where == "complaint" and answer is not None:
                where = "complaint_and_faq_answered"
        counts[group][where] += 1
        wanted = {"complaint": "complaint", "answerable": "faq_right"}.get(group)
        if wanted and where != wanted:
            misses.append({"id": row["id"], "text": row["text"], "went": where, "got": answer})
    out: dict[str, Any] = {}
    for group, c in counts.items():
        n = sum(c.values())
        if n:
            out[group] = {"n": n, **{k: round(v / n, 3) for k, v in sorted(c.items())}}
    if counts["answerable"]:
        n = sum(counts["answerable"].values())
        out["kb_answered_right"] = round(counts["answerable"]["faq_right"] / n, 3)
        right = counts["answerable"]["faq_right"] + counts["answerable"]["complaint_and_faq_right"]
        out["right_answer_given"] = round(right / n, 3)
        reached = sum(v for k, v in counts["answerable"].items() if "faq" in k)
        out["questions_reaching_kb"] = round(reached / n, 3)
    if counts["unanswerable"]:
        n = sum(counts["unanswerable"].values())
        answered = sum(v for k, v in counts["unanswerable"].items() if k.endswith("faq_answered"))
        out["unanswerable_not_answered"] = round(1 - answered / n, 3)
    if counts["complaint"]:
        n = sum(counts["complaint"].values())
        out["complaints_to_playbook"] = round(counts["complaint"]["complaint"] / n, 3)
    out["misses"] = misses
    return out


def run(rows: list[dict[str, Any]], kb: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with inp.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps({"id": row["id"], "turns": [row["text"]]}, ensure_ascii=False))
                f.write("\n")
        run_simulate(inp, outp, kb, AT)
        transcripts = read_rows(outp)
    return measure(rows, transcripts)


def load_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for i, line in enumerate(path.open(encoding="utf-8")):
        if line.strip():
            row = json.loads(line)
            row.setdefault("id", f"q{i}")
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, help="rows to route (JSONL)")
    parser.add_argument("--kb", type=Path, help="the knowledge file they are asked against")
    parser.add_argument("--set", choices=(*SETS, "all"), help="evaluation set(s)")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    jobs: dict[str, tuple[Path, Path]] = {}
    if args.input:
        if not args.kb:
            parser.error("--input needs --kb")
        jobs[args.input.stem] = (args.kb, args.input)
    if args.set:
        names = list(SETS) if args.set == "all" else [args.set]
        jobs.update({name: SETS[name] for name in names})
    if not jobs:
        parser.error("give --input and --kb, or --set")
    report = {name: run(load_rows(questions), kb) for name, (kb, questions) in jobs.items()}
    print_report(report, misses=args.misses, json_path=args.json)
    return 0


def print_report(
    report: dict[str, dict[str, Any]], *, misses: bool, json_path: Path | None
) -> None:
    """One line per part (its misses listed when asked), the whole report as JSON if asked."""
    for name, part in report.items():
        print(
            name, json.dumps({k: v for k, v in part.items() if k != "misses"}, ensure_ascii=False)
        )
        if misses:
            for miss in part.get("misses", []):
                print("   ", json.dumps(miss, ensure_ascii=False))
    if json_path:
        json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
