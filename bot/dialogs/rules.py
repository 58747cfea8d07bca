"""Loading the complaint resolution rules (``rules.yaml`` or RULES_FILE)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from bot.config import parse_hours
from bot.nlu.features import fold
from knowledge.formats import yaml_problem

DEFAULT_RULES = Path(__file__).parent / "rules.yaml"
SLOTS = ("order_ref", "photo", "description", "contact")
FIXES = ("choice", "forward", "refund", "person")


class Compensation(BaseModel):
    kind: str
    value: float = 0
    words: list[str] = Field(default_factory=list)  # how customers name it in a text reply

    def named_in(self, text: str) -> bool:
        low = text.lower()
        return any(w.lower() in low for w in self.words)


class TypeRule(BaseModel):
    needs: list[str] = Field(default_factory=list)
    fix: str = "person"
    options: list[str] = Field(default_factory=list)
    # a paper that should have come with the thing (a manual, a warranty card), nothing else
    # missing: these options instead of ``options`` (the thing itself came)
    document_options: list[str] = Field(default_factory=list)
    team: str | None = None
    promise_hours: int | None = None
    promise_days: int | None = None
    # what the shop gives for this kind of problem whatever the fix (300 points for a late
    # delivery), confirmed when the customer asks for it by its words
    compensation: Compensation | None = None

    @field_validator("needs")
    @classmethod
    def _slots(cls, value: list[str]) -> list[str]:
        bad = [s for s in value if s not in SLOTS]
        if bad:
            raise ValueError(f"unknown detail(s) {bad}; use {SLOTS}")
        return value

    @field_validator("fix")
    @classmethod
    def _fix(cls, value: str) -> str:
        if value not in FIXES:
            raise ValueError(f"fix must be one of {FIXES}")
        return value


@lru_cache(maxsize=4096)
def _marker_re(marker: str) -> re.Pattern[str]:
    # a marker starts a word ("day after" is not in "tuesday afternoon"); it may end mid-word
    return re.compile(r"(?<!\w)" + re.escape(fold(marker.strip())))


def any_marker(low: str, groups: dict[str, list[str]]) -> bool:
    """Whether ``low`` holds one of the markers (per-language lists), both folded: "dotarla
    dopiero", Polish typed without diacritics, is "dotarła dopiero", "пришел" is "пришёл"."""
    low = fold(low)
    return any(_marker_re(m).search(low) for markers in groups.values() for m in markers)


class LateForEvent(BaseModel):
    """An event that has passed + the order being late for it = nothing left to fix."""

    late: dict[str, list[str]] = Field(default_factory=dict)
    events: dict[str, list[str]] = Field(default_factory=dict)
    upcoming: dict[str, list[str]] = Field(default_factory=dict)  # the event is still ahead

    def matches(self, low: str) -> bool:
        return (
            any_marker(low, self.late)
            and any_marker(low, self.events)
            and not any_marker(low, self.upcoming)
        )


class EscalateRules(BaseModel):
    amount_over: float | None = None
    vip: bool = True
    # a product that hurt someone or caught fire goes to a senior person at once
    safety_markers: dict[str, list[str]] = Field(default_factory=dict)

    def is_safety(self, text: str) -> bool:
        return any_marker(text.lower(), self.safety_markers)


class FollowUpRules(BaseModel):
    enabled: bool = True
    margin_hours: float = 2  # after the promised time, before asking
    # no follow-up at night: one due in these hours (the shop's TIMEZONE) waits for their end
    quiet_hours: str | None = "21:00-09:00"

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet(cls, value: str | None) -> str | None:
        if value is not None:
            start, end = parse_hours(value)
            if start == end:
                raise ValueError("starts and ends at the same time; leave it out for none")
        return value

    def after_quiet(self, due: datetime, tz: tzinfo) -> datetime:
        """``due``, or the end of the quiet hours it falls in."""
        if self.quiet_hours is None:
            return due
        start, end = parse_hours(self.quiet_hours)
        local = due.astimezone(tz)
        clock = local.time()
        quiet = start <= clock < end if start < end else clock >= start or clock < end
        if not quiet:
            return due
        day = local.date() + timedelta(days=1 if start > end and clock >= start else 0)
        return datetime.combine(day, end, tzinfo=tz).astimezone(due.tzinfo)


class WaitingRules(BaseModel):
    remind_operators: bool = True
    apologize_to_customer: bool = True
    gesture: Compensation | None = None


class Rules(BaseModel):
    complaint_types: dict[str, TypeRule]
    unfixable_markers: dict[str, list[str]] = Field(default_factory=dict)
    unfixable_late_for_event: LateForEvent = Field(default_factory=LateForEvent)
    compensations: list[Compensation] = Field(default_factory=list)
    angry_gesture: Compensation | None = None
    activist_gesture: Compensation | None = None  # "a larger compensation than expected"
    # a chosen option's own promise, whatever the complaint type ("refund": 10 working days)
    option_promise_days: dict[str, int] = Field(default_factory=dict)
    # the customer says an earlier promise was broken: the case is marked urgent and the new
    # promise is at most this many hours (None: the type's own promise)
    overdue_promise_hours: int | None = 24
    # "I paid, but the order still says unpaid": finance finds the payment and confirms the
    # order within this many hours (None: the billing type's own promise)
    payment_check_hours: int | None = 24
    # "I didn't get my loyalty points": the loyalty team checks and credits them within this
    # many hours (None: the billing type's own promise)
    points_check_hours: int | None = 48
    escalate: EscalateRules = Field(default_factory=EscalateRules)
    waiting: WaitingRules = Field(default_factory=WaitingRules)
    follow_up: FollowUpRules = Field(default_factory=FollowUpRules)

    def for_type(self, complaint_type: str | None) -> TypeRule:
        return self.complaint_types.get(complaint_type or "other") or self.complaint_types.get(
            "other", TypeRule()
        )

    def is_unfixable(self, text: str) -> bool:
        low = text.lower()
        if any_marker(low, self.unfixable_markers):
            return True
        return self.unfixable_late_for_event.matches(low)


@lru_cache(maxsize=8)
def load_rules(path: str | None = None) -> Rules:
    """The rules in ``path`` (None: the bundled ones); ValueError with one line if invalid."""
    source = Path(path) if path else DEFAULT_RULES
    try:
        raw: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        return Rules.model_validate(raw)
    except FileNotFoundError:
        reason = "no such file"
    except (OSError, UnicodeDecodeError) as exc:
        reason = str(exc)
    except yaml.YAMLError as exc:
        reason = yaml_problem(exc)
    except ValidationError as exc:
        err = exc.errors()[0]
        reason = f"{'.'.join(map(str, err['loc'])) or 'the file'}: {err['msg']}"
    raise ValueError(f"{source}: {reason.removeprefix('Value error, ')}")
