"""Service figures for admins and `supportbot report`.

Complaints by type, first-response and resolution times, the share solved by the bot,
escalation reasons, CSAT, NPS and the most frequent unanswered questions.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from statistics import median
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import end_read, idle_session
from bot.db.models import (
    Compensation,
    Complaint,
    Conversation,
    Message,
    SurveyAnswer,
    Ticket,
    as_utc,
    utcnow,
)
from bot.dialogs.texts import Texts, catalogue, label

log = logging.getLogger(__name__)

FEEDBACK = "feedback"  # the outcome of an opinion recorded without a complaint
WITHDRAWN = "withdrawn"  # "а, нет, всё правильно, это я перепутала": no complaint after all
# hand-offs about a question, not about a complaint the bot had solved
QUESTION_HANDOFFS = {"order_status", "order_change", "faq_not_helpful"}


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (as_utc(end) - as_utc(start)).total_seconds() / 60


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"count": 0, "median_min": None, "mean_min": None}
    return {
        "count": len(values),
        "median_min": round(median(values), 1),
        "mean_min": round(sum(values) / len(values), 1),
    }


def parse_day(value: str | None, *, end: bool = False, tz: tzinfo = UTC) -> datetime | None:
    """The start (or the end) of a day in the shop's time zone ``tz``, as a UTC time."""
    if not value:
        return None
    day = date.fromisoformat(value)
    return datetime.combine(day, time.max if end else time.min, tzinfo=tz).astimezone(UTC)


async def build_report(
    session: AsyncSession,
    since: datetime | None = None,
    until: datetime | None = None,
    tz: tzinfo = UTC,
    currency: str | None = None,
    knowledge: Any = None,
) -> dict[str, Any]:
    """The figures of what happened between ``since`` and ``until``; the period's days are
    named in the shop's time zone ``tz``, money is in the shop's ``currency``; with
    ``knowledge`` (the knowledge service) similar unanswered questions are counted as one,
    as /kb_gaps groups them. The session's transaction, when this begins it, ends once the
    rows are read: not held while the questions are encoded (:func:`_unanswered`)."""
    own = idle_session(session)

    def window(column: Any) -> list[Any]:
        conds = []
        if since is not None:
            conds.append(column >= since)
        if until is not None:
            conds.append(column <= until)
        return conds

    # conversations the customers wrote in during the period (one lasts as long as its
    # customer comes back, so when it began says little)
    conversations = await session.scalar(
        select(func.count(func.distinct(Message.conversation_id))).where(
            Message.direction == "in", *window(Message.created_at)
        )
    )
    recorded = (await session.scalars(select(Complaint).where(*window(Complaint.created_at)))).all()
    # an opinion told after an FAQ answer ("нет, просто хотел сказать") is kept for the
    # reports as feedback: no complaint, and nothing the bot solved
    feedback = [c for c in recorded if c.outcome == FEEDBACK]
    # a complaint the customer took back as their own mistake is shown apart: no problem of
    # ours to count by type, and nothing the bot solved
    withdrawn = [c for c in recorded if c.outcome == WITHDRAWN]
    complaints = [c for c in recorded if c.outcome not in (FEEDBACK, WITHDRAWN)]
    tickets = (await session.scalars(select(Ticket).where(*window(Ticket.created_at)))).all()
    surveys = (
        await session.scalars(select(SurveyAnswer).where(*window(SurveyAnswer.created_at)))
    ).all()

    by_type = Counter(c.complaint_type for c in complaints)
    # solved by the bot: resolved, and no person was brought in for it: a hand-off counts
    # against a complaint when it came after it and before the chat's next complaint, unless
    # it was about a question (where an order is, an FAQ that did not help); a ticket of an
    # earlier, resolved hand-off does not count either
    conversation_ids = {c.conversation_id for c in complaints}
    handoffs: dict[int, list[datetime]] = {}
    for conversation_id, created, reason in await session.execute(
        select(Ticket.conversation_id, Ticket.created_at, Ticket.reason).where(
            Ticket.conversation_id.in_(conversation_ids)
        )
    ):
        if reason not in QUESTION_HANDOFFS:
            handoffs.setdefault(conversation_id, []).append(as_utc(created))
    starts: dict[int, list[datetime]] = {}
    for conversation_id, created in await session.execute(
        select(Complaint.conversation_id, Complaint.created_at).where(
            Complaint.conversation_id.in_(conversation_ids),
            Complaint.outcome.is_distinct_from(FEEDBACK),
            Complaint.outcome.is_distinct_from(WITHDRAWN),
        )
    ):
        starts.setdefault(conversation_id, []).append(as_utc(created))

    def handed_over(c: Complaint) -> bool:
        began = as_utc(c.created_at)
        later = [t for t in starts.get(c.conversation_id, []) if t > began]
        until = min(later) if later else None
        return any(
            began <= t and (until is None or t < until) for t in handoffs.get(c.conversation_id, [])
        )

    solved_by_bot = [c for c in complaints if c.resolved_at is not None and not handed_over(c)]
    first_response = [
        m for t in tickets if (m := _minutes(t.created_at, t.first_response_at)) is not None
    ]
    resolution = [m for t in tickets if (m := _minutes(t.created_at, t.resolved_at)) is not None]
    bot_resolution = [
        m for c in solved_by_bot if (m := _minutes(c.created_at, c.resolved_at)) is not None
    ]

    # customers who complained more than once: problems told in one message are one time
    customer_of = dict(
        (
            await session.execute(
                select(Conversation.id, Conversation.customer_id).where(
                    Conversation.id.in_(conversation_ids)
                )
            )
        ).all()
    )
    times: dict[int, set[datetime]] = {}
    for c in complaints:
        times.setdefault(customer_of[c.conversation_id], set()).add(as_utc(c.created_at))
    repeat = sum(1 for t in times.values() if len(t) > 1)
    # the customers of each kind: one who complained as a claimant and then got angry is
    # one angry customer (it counted complaints: "5 claimants, 2 angry customers, 1
    # activist" next to "1 of 7 customers")
    strongest: dict[int, str] = {}
    for c in complaints:
        customer = customer_of[c.conversation_id]
        if customer not in strongest or _strength(c.customer_kind) > _strength(strongest[customer]):
            strongest[customer] = c.customer_kind
    kinds = Counter(strongest.values())

    given = (
        await session.scalars(select(Compensation).where(*window(Compensation.created_at)))
    ).all()
    offered = [g for g in given if g.status == "offered"]
    goodwill = [c.goodwill_refund for c in complaints if c.goodwill_refund is not None]

    csat_scores = [s.score for s in surveys if s.question == "csat" and s.score is not None]
    nps_scores = [s.score for s in surveys if s.question == "nps" and s.score is not None]
    solved_answers = [s.score for s in surveys if s.question == "solved" and s.score is not None]
    # what customers who rated us low said went wrong (newest first)
    comments = []
    for c in sorted(
        (s for s in surveys if s.question == "comment" and s.answer),
        key=lambda s: as_utc(s.created_at),
        reverse=True,
    )[:MAX_SURVEY_COMMENTS]:
        rated = [
            s
            for s in surveys
            if s.question == "csat"
            and s.conversation_id == c.conversation_id
            and as_utc(s.created_at) <= as_utc(c.created_at)
        ]
        rating = max(rated, key=lambda s: as_utc(s.created_at)).score if rated else None
        comments.append({"rating": rating, "said": c.answer})
    promoters = sum(1 for s in nps_scores if s >= 9)
    detractors = sum(1 for s in nps_scores if s <= 6)

    return {
        "period": {
            "from": since.astimezone(tz).date().isoformat() if since else None,
            "to": until.astimezone(tz).date().isoformat() if until else None,
        },
        "conversations": conversations or 0,
        "complaints": len(complaints),
        "complaints_by_type": dict(by_type.most_common()),
        "feedback": len(feedback),
        "withdrawn": len(withdrawn),
        "customer_kinds": dict(kinds.most_common()),
        "repeat_complaints": {
            "customers": len(times),
            "repeat_customers": repeat,
            "share": round(repeat / len(times), 3) if times else None,
        },
        "solved_by_bot": len(solved_by_bot),
        "share_solved_by_bot": round(len(solved_by_bot) / len(complaints), 3)
        if complaints
        else None,
        "escalations": {
            "total": len(tickets),
            "high_priority": sum(1 for t in tickets if t.priority == "high"),
            "by_reason": dict(Counter(t.reason for t in tickets).most_common()),
            "open": sum(1 for t in tickets if t.status != "resolved"),
        },
        "first_response_time": _stats(first_response),
        "resolution_time": _stats(resolution),
        "bot_resolution_time": _stats(bot_resolution),
        "csat": {
            "answers": len(csat_scores),
            "average": round(sum(csat_scores) / len(csat_scores), 2) if csat_scores else None,
            "satisfied_share": round(sum(1 for s in csat_scores if s >= 4) / len(csat_scores), 3)
            if csat_scores
            else None,
            "solved_share": round(sum(solved_answers) / len(solved_answers), 3)
            if solved_answers
            else None,
            "low_rating_comments": comments,
        },
        "nps": {
            "answers": len(nps_scores),
            "score": round(100 * (promoters - detractors) / len(nps_scores), 1)
            if nps_scores
            else None,
            "promoters": promoters,
            "detractors": detractors,
        },
        "compensations": {
            # a choice offered once is one row per kind, all made in the same turn
            "offers": len({(g.conversation_id, as_utc(g.created_at)) for g in offered}),
            "offered": _by_kind(offered),
            "chosen": _by_kind(g for g in given if g.status == "chosen"),
            "gestures": _by_kind(g for g in given if g.status == "gesture"),
            "goodwill_refunds": len(goodwill),
            "goodwill_refund_amount": _number(sum(goodwill, Decimal(0))),
            "currency": currency,
        },
        # the last read: it ends the transaction (``own``) before it encodes the questions
        "unanswered_questions": await _unanswered(session, since, until, knowledge, own=own),
    }


MAX_SURVEY_COMMENTS = 20  # the newest low-rating comments the report lists
KIND_STRENGTH = ("claimant", "angry", "activist")  # a customer's kinds, the weakest first


def _strength(kind: str | None) -> int:
    """How strong a customer kind is (-1: none)."""
    return KIND_STRENGTH.index(kind) if kind in KIND_STRENGTH else -1


def _by_kind(rows: Iterable[Compensation]) -> dict[str, int]:
    return dict(Counter(r.kind for r in rows).most_common())


def _number(value: Decimal) -> int | float:
    """An amount for JSON and CSV: 450, not 450.00."""
    return int(value) if value == value.to_integral_value() else float(value)


async def _unanswered(
    session: AsyncSession,
    since: datetime | None,
    until: datetime | None,
    knowledge: Any = None,
    limit: int = 20,
    *,
    own: bool = False,
) -> list[dict[str, Any]]:
    """The most frequent questions the knowledge base could not answer (if it records them);
    with ``knowledge`` (a :class:`~knowledge.service.KnowledgeService`), similar wordings are
    one question, grouped as /kb_gaps groups them (its most asked wording, the others as
    ``similar``). ``own``: the session's transaction is the report's, ended once the rows
    are read (on SQLite it holds the one write lock: every customer's turn waited while
    thousands of wordings were encoded)."""
    conn = await session.connection()
    has_table = await conn.run_sync(lambda c: inspect(c).has_table("unanswered_questions"))
    if not has_table:
        return []
    from bot.config import ConfigError

    # a report only reads: the gaps a change of the FAQ answers were closed after that
    # change (KnowledgeService._close_answered_later), as /kb_gaps closes the ones it lists
    cols = await conn.run_sync(
        lambda c: {col["name"] for col in inspect(c).get_columns("unanswered_questions")}
    )
    text_col = "text" if "text" in cols else next(iter(sorted(cols - {"id"})), None)
    if text_col is None:
        return []
    conds, params = [], {}
    if "created_at" in cols and since is not None:
        conds.append("created_at >= :since")
        params["since"] = since
    if "created_at" in cols and until is not None:
        conds.append("created_at <= :until")
        params["until"] = until
    where = f"WHERE {' AND '.join(conds)}" if conds else ""

    # how many are still open: an admin may have answered (or dismissed) the question since
    def counted(status: str) -> str:
        if "status" not in cols:
            return "COUNT(*)" if status == "open" else "0"
        return f"SUM(CASE WHEN status = '{status}' THEN 1 ELSE 0 END)"

    wordings = 2000 if knowledge is not None else limit  # the wordings grouped
    rows = (
        await session.execute(
            text(
                f"SELECT {text_col} AS q, COUNT(*) AS n, {counted('open')} AS still_open, "  # noqa: S608
                f"{counted('resolved')} AS answered FROM unanswered_questions {where} "
                f"GROUP BY {text_col} ORDER BY n DESC LIMIT {int(wordings)}"
            ),
            params,
        )
    ).all()
    questions = [
        {
            "text": r.q,
            "count": r.n,
            "open": int(r.still_open or 0),
            "answered": int(r.answered or 0),
        }
        for r in rows
    ]
    await end_read(session, own)  # the rows are read: no lock held while they are encoded
    if knowledge is None or len(questions) < 2:
        return questions
    try:
        groups = await knowledge.group_questions(
            [q["text"] for q in questions], weights=[q["count"] for q in questions]
        )
    except ConfigError as exc:  # no encoder installed here: the wordings as they are
        log.warning("unanswered questions not grouped: %s", exc)
        return questions[:limit]
    merged = []
    for items in groups:
        first, *others = [questions[i] for i in items]  # the most asked wording first
        merged.append(
            {
                "text": first["text"],
                "count": sum(q["count"] for q in (first, *others)),
                "open": sum(q["open"] for q in (first, *others)),
                "answered": sum(q["answered"] for q in (first, *others)),
                "similar": [q["text"] for q in others],
            }
        )
    merged.sort(key=lambda q: -q["count"])
    return merged[:limit]


def render(report: dict[str, Any], fmt: str, *, excel_comma: bool = False) -> str:
    """The report as a file. ``excel_comma``: a CSV for Excel in Russian or Polish settings,
    which splits columns at semicolons and reads '12.5' as a date (12 May): semicolons, and
    decimal commas ('12,5')."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    rows = list(_flatten(report))
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";" if excel_comma else ",")
        writer.writerow(["metric", "value"])
        if excel_comma:
            rows = [
                (k, str(v).replace(".", ",") if isinstance(v, float | Decimal) else v)
                for k, v in rows
            ]
        writer.writerows(rows)
        return out.getvalue()
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


# the complaint types (../shared/spec/labels.md) and customer kinds as an admin reads them
TYPE_WORDS = {
    "delivery_delay": "late or lost delivery",
    "damaged_defective": "broken or defective item",
    "wrong_item": "wrong item sent",
    "missing_item": "item missing from the order",
    "availability": "out of stock / cancelled",
    "billing": "payment and refunds",
    "staff_behavior": "staff or courier behaviour",
    "service_quality": "service (waits, promises)",
    "website_app": "website or app",
    "other": "other",
}
KIND_WORDS = {"claimant": "claimants", "angry": "angry customers", "activist": "activists"}
PERIOD_USAGE = (
    "Usage: /report [DAYS | FROM [TO]] [csv|json|table], e.g. /report 7, "
    "/report 2026-11-01 2026-11-30 csv. Without dates: the last 30 days."
)
REPORT_FORMATS = ("csv", "json", "table")


class PeriodError(ValueError):
    """/report's arguments are not a period: what the admin wrote (``said``), or the two
    dates in the wrong order (``reversed``)."""

    def __init__(self, message: str, said: str, reversed: tuple[str, str] | None = None):
        super().__init__(message)
        self.said, self.reversed = said, reversed


def parse_period(
    args: str, now: datetime, tz: tzinfo = UTC, default_days: int = 30
) -> tuple[datetime, datetime | None, str]:
    """An admin's /report arguments: a number of days back or one or two dates (the shop's
    days), and the file's format. :class:`PeriodError` (a ValueError, with the usage) when
    they are not that."""
    words = args.split()
    fmt, since, until = "csv", None, None

    def days_back(days: int) -> datetime:
        # from the shop's midnight, as the report's heading names the day; today counts
        # as one of them: "the last 7 days" are today and the six before it
        day = (now - timedelta(days=days - 1)).astimezone(tz).date()
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)

    named = [w for w in words if w.lower() in REPORT_FORMATS]
    if len(named) == 1:  # first or last: "/report csv 7", "/report 7 csv"
        fmt = named[0].lower()
        words.remove(named[0])
    try:
        if not words:
            return days_back(default_days), None, fmt
        if len(words) == 1 and words[0].isdigit():
            days = int(words[0])
            if not 1 <= days <= 3660:
                raise ValueError(f"{days} days")
            return days_back(days), None, fmt
        if len(words) <= 2:
            today = now.astimezone(tz).date()
            words = [_iso_day(w, today) for w in words]
            since = parse_day(words[0], tz=tz)
            until = parse_day(words[1] if len(words) == 2 else None, end=True, tz=tz)
            if since is not None and (until is None or since <= until):
                return since, until, fmt
    except ValueError:
        pass
    else:
        if since is not None and until is not None and since > until:
            raise PeriodError(
                f"{words[0]} is after {words[1]}. {PERIOD_USAGE}",
                args.strip(),
                reversed=(words[0], words[1]),
            )
    raise PeriodError(
        f"I could not read '{args.strip()}' as a period. {PERIOD_USAGE}", args.strip()
    )


def _iso_day(word: str, today: date | None = None) -> str:
    """'01.11.2026' (day first, as Russian and Polish write it) -> '2026-11-01'; '01.11'
    (no year) is the last such day up to ``today``."""
    found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", word)
    if found:
        return f"{found[3]}-{int(found[2]):02d}-{int(found[1]):02d}"
    found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.?", word)
    if found and today is not None:
        day, month = int(found[1]), int(found[2])
        year = today.year - ((month, day) > (today.month, today.day))
        return f"{year}-{month:02d}-{day:02d}"
    return word


def _local_number(value: float, spec: str, texts: Texts) -> str:
    """A figure as the admin's language writes it: "12,5" in Russian and Polish."""
    text = format(value, spec)
    return text.replace(".", ",") if texts.lang in ("ru", "pl") else text


def _minutes_text(minutes: float | None, texts: Texts | None = None) -> str:
    texts = texts or Texts("en")
    if minutes is None:
        return "-"
    if minutes < 90:
        return texts("admin_minutes", n=_local_number(minutes, "g", texts))
    return texts("admin_hours", n=_local_number(minutes / 60, ".1f", texts))


def _in_words(texts: Texts, prefix: str, key: str, english: dict[str, str]) -> str:
    """A label (a complaint type, a hand-off's reason) in the admin's language; one the
    catalogues lack in the English words, else as it is."""
    return label(texts, f"{prefix}{key}", english.get(key, key))


def render_summary(report: dict[str, Any], texts: Texts | None = None) -> str:
    """The figures as an admin reads them in a chat: words, not metric keys (``texts``: in
    the admin's language, English by default)."""
    texts = texts or Texts("en")
    period = report.get("period") or {}
    start = period.get("from") or texts("admin_report_from_start")
    end = period.get("to") or texts("admin_report_today")
    lines = [texts("admin_report_head", start=start, end=end)]
    lines.append(texts("admin_report_conversations", n=report["conversations"]))
    complaints = report["complaints"]
    share = report.get("share_solved_by_bot")
    lines.append(
        texts(
            "admin_report_complaints_solved",
            n=complaints,
            solved=report["solved_by_bot"],
            share=f"{share:.0%}",
        )
        if complaints
        else texts("admin_report_complaints", n=complaints)
    )
    lines += [
        f"  {_in_words(texts, 'admin_type_', k, TYPE_WORDS)}: {v}"
        for k, v in report["complaints_by_type"].items()
    ]
    kinds = ", ".join(
        texts(f"admin_kind_{k}", n=v)
        if f"admin_kind_{k}" in catalogue("en")
        else f"{v} {KIND_WORDS.get(k, k)}"
        for k, v in report.get("customer_kinds", {}).items()
    )
    if kinds:
        lines.append(texts("admin_report_customers", kinds=kinds))
    again = report.get("repeat_complaints") or {}
    if again.get("customers"):
        lines.append(
            texts(
                "admin_report_repeat",
                repeat=again["repeat_customers"],
                customers=texts("admin_report_of_customers", n=again["customers"]),
                share=f"{again['share']:.0%}",
            )
        )
    if report.get("feedback"):
        lines.append(texts("admin_report_feedback", n=report["feedback"]))
    if report.get("withdrawn"):
        lines.append(texts("admin_report_withdrawn", n=report["withdrawn"]))
    esc = report["escalations"]
    lines.append(
        texts("admin_report_handed", n=esc["total"], urgent=esc["high_priority"], open=esc["open"])
    )
    from escalation.card import REASONS  # the words the operators' cards use

    lines += [
        f"  {_in_words(texts, 'admin_reason_', k, REASONS)}: {v}"
        for k, v in esc["by_reason"].items()
    ]
    first, resolution = report["first_response_time"], report["resolution_time"]
    if first["count"] or resolution["count"]:
        lines.append(
            texts(
                "admin_report_times",
                first=_minutes_text(first["median_min"], texts),
                resolved=_minutes_text(resolution["median_min"], texts),
            )
        )
    csat, nps = report["csat"], report["nps"]
    if csat["answers"]:
        lines.append(
            texts(
                "admin_report_rating",
                average=_local_number(csat["average"], ".1f", texts),
                answers=texts("admin_report_answers", n=csat["answers"]),
                share=f"{csat['satisfied_share']:.0%}",
            )
        )
    if csat.get("solved_share") is not None:
        lines.append(texts("admin_report_solved_share", share=f"{csat['solved_share']:.0%}"))
    if said := (csat.get("low_rating_comments") or [])[:3]:
        lines.append(texts("admin_report_low_comments"))
        lines += [
            f"— «{_cut(c['said'], 200)}»" + (f" ({c['rating']}/5)" if c["rating"] else "")
            for c in said
        ]
    if nps["answers"]:
        lines.append(
            texts(
                "admin_report_nps",
                score=f"{nps['score']:g}",
                answers=texts("admin_report_answers", n=nps["answers"]),
            )
        )
    lines += _compensation_lines(report.get("compensations") or {}, texts)
    asked = (report.get("unanswered_questions") or [])[:10]
    if asked:
        todo = any(q.get("open", 1) for q in asked)
        lines.append(texts("admin_report_asked_todo" if todo else "admin_report_asked"))
        lines += [f"  {q['count']}× {_wordings(q)}{_since(q, texts)}" for q in asked]
    return "\n".join(lines)


# a compensation kind (rules.yaml) as an admin reads it: one, many
COMPENSATION_WORDS = {
    "coupon": ("coupon", "coupons"),
    "free_delivery": ("free delivery", "free deliveries"),
    "gift": ("gift", "gifts"),
}


def _kinds_text(by_kind: dict[str, int], texts: Texts | None = None) -> str:
    """ "2 coupons, 1 gift" """
    texts = texts or Texts("en")
    words = []
    for kind, n in by_kind.items():
        if f"admin_comp_{kind}" in catalogue("en"):
            words.append(texts(f"admin_comp_{kind}", n=n))
            continue
        one, many = COMPENSATION_WORDS.get(kind, (kind.replace("_", " "),) * 2)
        words.append(f"{n} {one if n == 1 else many}")
    return ", ".join(words) or texts("admin_report_none")


def _compensation_lines(given: dict[str, Any], texts: Texts | None = None) -> list[str]:
    """What the bot gave away: the choices offered and taken, apology gestures, refunds."""
    from bot.dialogs.texts import money

    texts = texts or Texts("en")
    lines = []
    if given.get("offers"):
        lines.append(
            texts(
                "admin_report_offered",
                times=texts("admin_report_times_count", n=given["offers"]),
                kinds=_kinds_text(given.get("chosen") or {}, texts),
            )
        )
    if given.get("gestures"):
        lines.append(texts("admin_report_gestures", kinds=_kinds_text(given["gestures"], texts)))
    if given.get("goodwill_refunds"):
        amount, currency = given["goodwill_refund_amount"], given.get("currency")
        total = money(amount, currency, texts.lang) if currency else f"{amount:g}"
        lines.append(texts("admin_report_goodwill", n=given["goodwill_refunds"], total=total))
    return lines


def _wordings(question: dict[str, Any]) -> str:
    """The question as customers asked it: its most asked wording, then similar ones (as
    /kb_gaps shows a group)."""
    said = "; ".join([question["text"], *(question.get("similar") or [])[:2]])
    return _cut(said, 160)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _since(question: dict[str, Any], texts: Texts | None = None) -> str:
    """What became of an unanswered question since (an admin in /kb_gaps)."""
    texts = texts or Texts("en")
    if question.get("open", 1):
        return ""
    key = "admin_report_in_faq_now" if question.get("answered") else "admin_report_dismissed"
    return f" {texts(key)}"


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        items: list[tuple[str, Any]] = []
        for key, value in obj.items():
            items.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return items
    if isinstance(obj, list):
        if not obj:
            return [(prefix, "")]
        items = []
        for i, v in enumerate(obj):
            if isinstance(v, dict) and {"text", "count"} <= set(v):
                items.append((f"{prefix}: {v['text']}", v["count"]))  # a question, how often
            elif isinstance(v, dict) and {"rating", "said"} <= set(v):
                # a comment, one row each, as a spreadsheet reads it: no JSON in a cell
                items.append((f"{prefix}: {v['rating']}/5", v["said"]))
            else:
                items.extend(_flatten(v, f"{prefix}[{i}]"))
        return items
    return [(prefix, "" if obj is None else obj)]


def is_empty(report: dict[str, Any]) -> bool:
    """Nothing happened in the report's period: no customer wrote, nothing was recorded."""
    return not (
        report["conversations"]
        or report["complaints"]
        or report.get("feedback")
        or report.get("withdrawn")
        or report["escalations"]["total"]
        or report["csat"]["answers"]
        or report["nps"]["answers"]
        or (report.get("compensations") or {}).get("offers")
        or (report.get("compensations") or {}).get("gestures")
        or report.get("unanswered_questions")
    )


async def quick_stats(
    session: AsyncSession, report: dict[str, Any] | None = None, texts: Texts | None = None
) -> str:
    """The last 24 hours in a few lines, in the words /report uses (``report``: their
    figures, built already; ``texts``: the admin's language, English by default)."""
    texts = texts or Texts("en")
    if report is None:
        report = await last_day(session)
    esc, csat, nps = report["escalations"], report["csat"], report["nps"]
    lines = [
        texts("admin_stats_head"),
        texts("admin_report_conversations", n=report["conversations"]),
        texts("admin_stats_complaints", n=report["complaints"], solved=report["solved_by_bot"]),
    ]
    lines += [
        f"  {_in_words(texts, 'admin_type_', k, TYPE_WORDS)}: {v}"
        for k, v in report["complaints_by_type"].items()
    ]
    rating = (
        f"{_local_number(csat['average'], '.1f', texts)} / 5"
        if csat["average"] is not None
        else "-"
    )
    score = f"{nps['score']:g}" if nps["score"] is not None else "-"
    lines += [
        texts("admin_stats_handed", n=esc["total"], open=esc["open"]),
        texts("admin_stats_rating", rating=rating, score=score),
    ]
    return "\n".join(lines)


async def last_day(session: AsyncSession) -> dict[str, Any]:
    """The figures of the last 24 hours (/stats)."""
    return await build_report(session, since=utcnow() - timedelta(days=1))
