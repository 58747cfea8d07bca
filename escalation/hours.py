"""Business hours: is a person at work now, and when will one be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import Settings


def is_open(now: datetime, settings: Settings) -> bool:
    local = now.astimezone(settings.tz)
    start, end = settings.hours
    clock, day = local.time(), local.weekday()
    if start < end:
        return day in settings.days and start <= clock < end
    # a night shift (22:00-06:00): it starts on a working day and ends the next morning
    return (day in settings.days and clock >= start) or (
        (day - 1) % 7 in settings.days and clock < end
    )


def next_open(now: datetime, settings: Settings) -> datetime:
    """The next moment operators are at work (``now`` if they are)."""
    if is_open(now, settings):
        return now
    local = now.astimezone(settings.tz)
    start, _ = settings.hours
    for offset in range(0, 8):
        day = (local + timedelta(days=offset)).date()
        candidate = datetime.combine(day, start, tzinfo=settings.tz)
        if candidate > local and candidate.weekday() in settings.days:
            return candidate
    return local + timedelta(days=1)


def sla_minutes(settings: Settings, priority: str) -> int:
    """How long a person may take to answer a ticket of this priority."""
    return settings.sla_high_minutes if priority == "high" else settings.sla_minutes


def answer_from(now: datetime, settings: Settings, priority: str) -> datetime:
    """When people start on a new ticket: now, or the next opening if the SLA would end
    after closing time (a promise the queue cannot keep is never made)."""
    minutes = sla_minutes(settings, priority)
    opens = next_open(now, settings)
    due = opens + timedelta(minutes=minutes)
    if not is_open(due - timedelta(seconds=1), settings):
        # open now, but closing before the SLA is up: count from the next opening
        closes = opens
        for _ in range(minutes + 1):  # closing is within the SLA (round the clock: never)
            if not is_open(closes, settings):
                return next_open(closes, settings)
            closes += timedelta(minutes=1)
    return opens


def answer_due(now: datetime, settings: Settings, priority: str) -> datetime:
    """When a person must have answered: SLA minutes counted from :func:`answer_from`.

    In UTC: SQLite stores a time without its offset and reads it back as UTC.
    """
    minutes = sla_minutes(settings, priority)
    due = answer_from(now, settings, priority) + timedelta(minutes=minutes)
    return due.astimezone(UTC)
