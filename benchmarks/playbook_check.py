"""Playbook check: run whole dialogues through `supportbot simulate` and measure the
service-playbook rules (docs/playbook.md).

    python benchmarks/playbook_check.py [--input FILE] [--output FILE] [--kb FILE]
                                        [--transcripts EXISTING.jsonl] [--json OUT.json]
                                        [--at 2026-12-02T12:00]

Measures (a) thank-before-apology on the first complaint reply, (b) details asked again,
(c) forbidden phrases, (d) escalation / compensation / goodwill vs. each dialogue's
`expect`. Always exits 0: it is a measurement, not a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.dialogs.guard import find_forbidden  # noqa: E402
from bot.dialogs.slots import find_contact  # noqa: E402

THANKS = re.compile(r"(спасибо|благодар|thank|dziękuj|dzięki)", re.IGNORECASE)
SORRY = re.compile(r"(извин|жаль|sorry|apolog|przeprasz|przykro)", re.IGNORECASE)
ORDER = re.compile(
    r"((№|#|order|заказ|номер|zamówien|nr)\D{0,20}[A-Za-zА-Яа-я]{0,3}-?\d{4,10})|(\b\d{6,10}\b)",
    re.IGNORECASE,
)
PRIORITY = {"normal": 1, "high": 2}
# the dialogues happen on a Wednesday at noon (the shop's time, Moscow by default), operators
# at work, as in the tests: hand-off wording does not follow the hour the check runs at
AT = "2026-12-02T12:00"


def turn_text(turn: Any) -> str:
    if isinstance(turn, str):
        return turn
    return turn.get("text") or ""


def turn_attachments(turn: Any) -> list[str]:
    return [] if isinstance(turn, str) else list(turn.get("attachments") or [])


def slot_given(slot: str, turns: list[Any], upto: int) -> int | None:
    """Index of the first customer turn <= upto that already carried ``slot``."""
    for i, turn in enumerate(turns[: upto + 1]):
        text = turn_text(turn)
        if slot == "order_ref" and ORDER.search(text):
            return i
        if slot == "photo" and "photo" in turn_attachments(turn):
            return i
        if slot == "contact" and find_contact(text):
            return i
    return None


def run_simulate(inp: Path, out: Path, kb: Path, at: str) -> None:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    exe = Path(sys.executable).parent / "supportbot"
    cmd = [
        str(exe) if exe.exists() else "supportbot",
        "simulate",
        "--input",
        str(inp),
        "--output",
        str(out),
        "--kb",
        str(kb),
        "--at",
        at,
    ]
    print("$", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)


def check(dialogue: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    turns = dialogue["turns"]
    events = result.get("events", [])
    replies = result.get("replies", [])
    expect = dialogue.get("expect", {})
    row: dict[str, Any] = {"id": dialogue["id"], "lang": dialogue.get("lang")}

    # (a) thank before apology on the first complaint reply
    first = next(
        (e["turn"] for e in events if e["type"] == "classified" and e.get("intent") == "complaint"),
        None,
    )
    row["complaint_turn"] = first
    if first is not None:
        text = "\n".join(replies[first]) if first < len(replies) else ""
        t, s = THANKS.search(text), SORRY.search(text)
        row["thanks_first"] = bool(t and s and t.start() < s.start())
        if not row["thanks_first"]:
            row["thanks_problem"] = (
                "no thanks" if not t else "no apology" if not s else "apology before thanks"
            )
    else:
        row["thanks_first"] = None

    # (b) details asked again
    reasks = []
    asked: dict[str, int] = {}
    for e in events:
        if e["type"] != "asked_for":
            continue
        slot, t = e.get("slot"), e["turn"]
        if slot in asked:
            reasks.append({"turn": t, "slot": slot, "why": f"asked before at turn {asked[slot]}"})
        else:
            given = slot_given(slot, turns, t)
            if given is not None:
                reasks.append({"turn": t, "slot": slot, "why": f"customer gave it at turn {given}"})
        asked.setdefault(slot, t)
    row["reasks"] = reasks

    # (c) forbidden phrases
    forbidden = []
    for i, msgs in enumerate(replies):
        for msg in msgs:
            for v in find_forbidden(msg or ""):
                forbidden.append({"turn": i, "match": v.fragment, "lang": v.lang})
    row["forbidden"] = forbidden

    # (d) escalation / compensation / goodwill / complaint vs expect
    problems = []
    # a hand-off is an `escalated` event; a later `priority_raised` on the same ticket counts too
    esc = [e for e in events if e["type"] == "escalated"]
    esc += [{**e, "reason": "priority_raised"} for e in events if e["type"] == "priority_raised"]
    comp = [e for e in events if e["type"] == "compensation_offered"]
    good = [e for e in events if e["type"] == "goodwill_approved"]
    opened = [e for e in events if e["type"] == "complaint_opened"]
    got_prio = max(
        (e.get("priority") or "normal" for e in esc), key=lambda p: PRIORITY.get(p, 0), default=None
    )
    row["got"] = {
        "escalate": got_prio,
        "reasons": [e.get("reason") for e in esc],
        "compensation": [e.get("kind") for e in comp],
        "goodwill": bool(good),
        "complaint": bool(opened) or first is not None,
    }
    if "complaint" in expect:
        if expect["complaint"] and first is None:
            problems.append("complaint expected, never classified as complaint")
        if expect["complaint"] is False and opened:
            problems.append("no complaint expected, a complaint case was opened")
    if "escalate" in expect:
        want = expect["escalate"]
        if want is None and esc:
            problems.append(
                f"must not escalate, escalated {[(e.get('priority'), e.get('reason')) for e in esc]}"
            )
        elif want is not None and not esc:
            problems.append(f"expected {want} escalation, none happened")
        elif want is not None and got_prio != want:
            problems.append(f"expected priority {want}, got {got_prio}")
    reasons_ok = expect.get("reason") in row["got"]["reasons"] or (
        expect.get("reason") == "legal_threat"
        and "priority_raised" in row["got"]["reasons"]
        and got_prio == "high"
    )
    if expect.get("reason") and esc and not reasons_ok:
        problems.append(f"expected reason {expect['reason']}, got {row['got']['reasons']}")
    if "compensation" in expect:
        if expect["compensation"] and not comp:
            problems.append("compensation/gesture expected, none offered")
        if expect["compensation"] is False and comp:
            problems.append(f"no compensation expected, offered {row['got']['compensation']}")
    if "goodwill" in expect and bool(good) != expect["goodwill"]:
        problems.append(f"goodwill refund expected={expect['goodwill']}, got={bool(good)}")
    row["expect_problems"] = problems
    row["expect_ok"] = not problems
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--input", default=str(ROOT / "benchmarks/dialogues/dialogues.jsonl"))
    ap.add_argument("--output", default=None, help="transcripts file (default: a temp file)")
    ap.add_argument("--kb", default=str(ROOT / "knowledge/demo/shop.yaml"))
    ap.add_argument("--transcripts", default=None, help="reuse an existing transcripts file")
    ap.add_argument("--json", default=None, help="also write the JSON summary here")
    ap.add_argument(
        "--at",
        default=AT,
        metavar="ISO-TIME",
        help=f"when the dialogues happen, in the shop's TIMEZONE (default {AT}, a Wednesday "
        "noon, operators at work): the score does not change with the hour it runs at",
    )
    args = ap.parse_args()

    dialogues = [
        json.loads(line)
        for line in Path(args.input).read_text("utf-8").splitlines()
        if line.strip()
    ]
    if args.transcripts:
        out = Path(args.transcripts)
    else:
        out = Path(args.output or tempfile.mkstemp(prefix="playbook-", suffix=".jsonl")[1])
        try:
            run_simulate(Path(args.input), out, Path(args.kb), args.at)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"SIMULATE FAILED: {exc}")
            return 0
    results = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines()) if r}

    rows = []
    for d in dialogues:
        r = results.get(d["id"])
        if r is None:
            rows.append(
                {
                    "id": d["id"],
                    "missing": True,
                    "expect_ok": False,
                    "expect_problems": ["no transcript"],
                    "reasks": [],
                    "forbidden": [],
                    "thanks_first": None,
                }
            )
            continue
        row = check(d, r)
        row["replies"] = r["replies"]
        row["turns"] = [
            turn_text(t)
            if "button" not in (t if isinstance(t, dict) else {})
            else f"[button {t['button']}]"
            for t in d["turns"]
        ]
        rows.append(row)

    # table
    print(f"\n{'id':40} {'thx>sorry':9} {'reask':5} {'forb':4} {'expect':6}  got")
    for row in rows:
        tf = {True: "ok", False: "FAIL", None: "-"}[row["thanks_first"]]
        got = row.get("got", {})
        print(
            f"{row['id']:40} {tf:9} {len(row['reasks']):<5} {len(row['forbidden']):<4} "
            f"{'ok' if row['expect_ok'] else 'FAIL':6}  esc={got.get('escalate')} "
            f"{','.join(r or '' for r in got.get('reasons', []))} comp={','.join(got.get('compensation', []))}"
            f"{' goodwill' if got.get('goodwill') else ''}"
        )

    n = len(rows)
    thanked = [r for r in rows if r["thanks_first"] is not None]
    reask_rows = [r for r in rows if r["reasks"]]
    forb = sum(len(r["forbidden"]) for r in rows)
    ok = sum(1 for r in rows if r["expect_ok"])
    summary = {
        "dialogues": n,
        "thank_before_apology": {
            "ok": sum(1 for r in thanked if r["thanks_first"]),
            "of": len(thanked),
            "rate": round(sum(1 for r in thanked if r["thanks_first"]) / len(thanked), 3)
            if thanked
            else None,
            "failures": [
                {
                    "id": r["id"],
                    "turn": r["complaint_turn"],
                    "problem": r.get("thanks_problem"),
                    "reply": r["replies"][r["complaint_turn"]],
                }
                for r in thanked
                if not r["thanks_first"]
            ],
        },
        "reasked_details": {
            "count": sum(len(r["reasks"]) for r in rows),
            "dialogues": {r["id"]: r["reasks"] for r in reask_rows},
        },
        "forbidden_phrases": {
            "count": forb,
            "dialogues": {r["id"]: r["forbidden"] for r in rows if r["forbidden"]},
        },
        "expectations": {
            "ok": ok,
            "of": n,
            "rate": round(ok / n, 3) if n else None,
            "failures": [
                {
                    "id": r["id"],
                    "problems": r["expect_problems"],
                    "got": r.get("got"),
                    "turns": r.get("turns"),
                    "replies": r.get("replies"),
                }
                for r in rows
                if not r["expect_ok"]
            ],
        },
        "transcripts": str(out),
    }

    print("\n=== SUMMARY ===")
    ta = summary["thank_before_apology"]
    print(f"(a) thank-before-apology: {ta['ok']}/{ta['of']} = {ta['rate']}")
    print(
        f"(b) re-asked details:     {summary['reasked_details']['count']} in "
        f"{len(reask_rows)} dialogue(s) {sorted(summary['reasked_details']['dialogues'])}"
    )
    print(f"(c) forbidden phrases:    {forb}")
    print(f"(d) expectations met:     {ok}/{n} = {summary['expectations']['rate']}")
    if summary["expectations"]["failures"] or ta["failures"] or reask_rows:
        print("\n=== FAILURES ===")
    for f in ta["failures"]:
        print(f"- [thanks] {f['id']} turn {f['turn']}: {f['problem']}: {f['reply']}")
    for did, items in summary["reasked_details"]["dialogues"].items():
        print(f"- [re-ask] {did}: {items}")
    for f in summary["expectations"]["failures"]:
        print(f"- [expect] {f['id']}: {'; '.join(f['problems'])}")
        for i, t in enumerate(f.get("turns") or []):
            print(f"      C{i}: {t}")
            for msg in (
                (f.get("replies") or [[]] * (i + 1))[i]
                if f.get("replies") and i < len(f["replies"])
                else []
            ):
                print(f"      B{i}: {msg.replace(chr(10), ' / ')}")
    print("\n=== JSON ===")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
