"""Follow-up check: after an FAQ answer, does a short follow-up get the right answer?

    python benchmarks/followup_check.py                 # benchmarks/data/followups.jsonl
    python benchmarks/followup_check.py --misses --json OUT.json

Rows: ``{"id", "kb": "demo|eval2|eval3|eval4", "lang", "turns": [question, follow-up],
"expected": [entry, entry or null], "kind"}``, written blind from the four KB files
(2026-12-01): ``same`` (the follow-up's answer is in the first answer: "а в Польшу?"),
``other`` (another entry, understandable only with the first question: "а деньги когда
вернут?"), ``standalone`` (a complete new question) and ``none`` (the KB does not answer
the follow-up); 16 ``not_faq`` rows added after review: a second message that is no
question for the KB (an order's status, thanks, a complaint, a person), which must not get
an answer. Each row is a new customer's two messages through ``supportbot simulate``.

- ``first_right``: the first question answered with its entry (the follow-up's premise);
- ``follow_up_right`` (same / other / standalone): the follow-up answered with the
  expected entry, whether or not the first one was right;
- ``follow_up_not_answered`` (none): no answer given to the follow-up (declined, buttons,
  or a person); ``not_faq``: the same for the other flows' messages. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from kb_bench import DATA, EVAL_SETS  # noqa: E402
from playbook_check import AT, run_simulate  # noqa: E402
from routing_check import print_report  # noqa: E402

from bot.jsonl import read_rows  # noqa: E402

FOLLOWUPS = DATA / "followups.jsonl"


def answered(events: list[dict[str, Any]], turn: int) -> str | None:
    """The entry answered at ``turn`` (the last one when several), else None."""
    given = [
        e.get("answer_id") for e in events if e.get("turn") == turn and e["type"] == "faq_answered"
    ]
    return given[-1] if given else None


def measure(rows: list[dict[str, Any]], transcripts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[bool]] = defaultdict(list)
    first: list[bool] = []
    misses = []
    for row in rows:
        events = transcripts[row["id"]]["events"]
        want_first, want = row["expected"]
        first.append(answered(events, 0) == want_first)
        got = answered(events, 1)
        ok = got is None if want is None else got == want
        groups[row["kind"]].append(ok)
        groups[f"lang:{row.get('lang')}"].append(ok)
        if not ok:
            misses.append({"id": row["id"], "turns": row["turns"], "want": want, "got": got})
    report: dict[str, Any] = {"n": len(rows), "first_right": round(sum(first) / len(first), 3)}
    for key, oks in sorted(groups.items()):
        report[key] = {"n": len(oks), "right": round(sum(oks) / len(oks), 3)}
    answerable = [ok for k in ("same", "other", "standalone") for ok in groups.get(k, [])]
    if answerable:
        report["follow_up_right"] = round(sum(answerable) / len(answerable), 3)
    if groups.get("none"):
        report["follow_up_not_answered"] = report["none"]["right"]
    report["misses"] = misses
    return report


def run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    transcripts: dict[str, dict[str, Any]] = {}
    by_kb: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kb[row["kb"]].append(row)
    with tempfile.TemporaryDirectory() as tmp:
        for kb, group in by_kb.items():
            inp, outp = Path(tmp) / f"{kb}.in.jsonl", Path(tmp) / f"{kb}.out.jsonl"
            with inp.open("w", encoding="utf-8") as f:
                for row in group:
                    f.write(
                        json.dumps({"id": row["id"], "turns": row["turns"]}, ensure_ascii=False)
                    )
                    f.write("\n")
            run_simulate(inp, outp, EVAL_SETS[kb][0], AT)
            for line in outp.open(encoding="utf-8"):
                if line.strip():
                    t = json.loads(line)
                    transcripts[t["id"]] = t
    report = {"all": measure(rows, transcripts)}
    for kb, group in by_kb.items():
        report[kb] = measure(group, transcripts)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=FOLLOWUPS)
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    rows = read_rows(args.input)
    if not rows:
        parser.error(f"{args.input}: no rows")
    report = run(rows)
    print_report(report, misses=False, json_path=args.json)
    if args.misses:  # every miss once (the per-shop parts repeat them)
        for miss in report["all"]["misses"]:
            print("   ", json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
