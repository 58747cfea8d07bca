from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import ConfigError, Settings, load_settings


def test_defaults_use_sqlite_and_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.goodwill_threshold == 1000
    assert s.hours[0].hour == 9 and s.hours[1].hour == 21


def test_lists_and_days_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "11, 22 33")
    monkeypatch.setenv("BUSINESS_DAYS", "mon-fri")
    s = load_settings(_env_file=None)
    assert s.admin_ids == [11, 22, 33]
    assert s.days == frozenset({0, 1, 2, 3, 4})


def test_the_operators_language_is_english_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operators' texts stay English by default; OPERATORS_LANGUAGE=PL (any case) is
    Polish, whatever language the customers write in (DEFAULT_LANGUAGE)."""
    monkeypatch.delenv("OPERATORS_LANGUAGE", raising=False)
    assert load_settings(_env_file=None).operators_language == "en"
    monkeypatch.setenv("OPERATORS_LANGUAGE", "PL")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "ru")
    s = load_settings(_env_file=None)
    assert (s.operators_language, s.default_language) == ("pl", "ru")


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("BUSINESS_HOURS", "nine to five", "BUSINESS_HOURS is invalid: must look like 09:00-21:00"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE is invalid"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE is invalid"),
        ("OPERATORS_LANGUAGE", "ua", "OPERATORS_LANGUAGE is invalid: must be one of ru, en, pl"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL is invalid"),
        ("SLA_MINUTES", "soon", "SLA_MINUTES is invalid"),
        ("SUPPORTBOT_KB_THRESHOLD", "high", "SUPPORTBOT_KB_THRESHOLD is invalid"),
        ("ADMIN_IDS", "111, @olga", "ADMIN_IDS is invalid: '@olga' is not a user id (numbers"),
        ("SENIOR_OPERATOR_IDS", "olga", "SENIOR_OPERATOR_IDS is invalid: 'olga' is not a user id"),
    ],
)
def test_invalid_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None)
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)


def test_missing_token_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="BOT_TOKEN is not set"):
        Settings(_env_file=None).require_token()  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="BOT_TOKEN looks wrong"):
        Settings(_env_file=None, bot_token="hello").require_token()  # type: ignore[call-arg]


def test_run_without_token_exits_with_one_line(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [lines[-1]] and "BOT_TOKEN is not set" in lines[0]


@pytest.mark.parametrize("hours", ["09:00-09:00", "24:00-00:00"])
def test_business_hours_that_never_open_stop_the_start(hours: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None, business_hours=hours)
    assert str(err.value).startswith("BUSINESS_HOURS is invalid: opens and closes at the same")


def test_a_night_shift_works_through_the_night() -> None:
    from datetime import UTC, datetime

    from escalation.hours import answer_due, is_open

    s = load_settings(_env_file=None, business_hours="22:00-06:00", business_days="mon-fri")
    msk = s.tz
    assert is_open(datetime(2026, 3, 4, 23, 0, tzinfo=msk), s)  # Wednesday night
    assert is_open(datetime(2026, 3, 5, 5, 59, tzinfo=msk), s)  # Thursday morning, same shift
    assert not is_open(datetime(2026, 3, 5, 12, 0, tzinfo=msk), s)  # the day: nobody
    assert is_open(datetime(2026, 3, 7, 5, 0, tzinfo=msk), s)  # Friday's shift, Saturday 05:00
    assert not is_open(datetime(2026, 3, 7, 23, 0, tzinfo=msk), s)  # Saturday: no shift
    # 05:50: the shift ends before 30 minutes are up; the promise is the next shift
    due = answer_due(datetime(2026, 3, 5, 5, 50, tzinfo=msk), s, "normal")
    assert due == datetime(2026, 3, 5, 22, 30, tzinfo=msk).astimezone(UTC)


def test_round_the_clock_hours_are_always_open() -> None:
    from datetime import UTC, datetime, timedelta

    from escalation.hours import answer_due

    s = load_settings(_env_file=None, business_hours="00:00-24:00", business_days="mon-sun")
    now = datetime(2026, 3, 4, 20, 40, tzinfo=UTC)  # 23:40 Moscow
    assert answer_due(now, s, "normal") == now + timedelta(minutes=s.sla_minutes)


@pytest.mark.parametrize("argv", [["run"], ["run", "--webhook"]])
def test_run_without_the_operators_group_stops_with_one_line(
    argv: list[str],
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bot started without OPERATORS_CHAT_ID and promised customers a person nobody saw."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("BOT_TOKEN", "123456:ABC-DEF")
    monkeypatch.setenv("WEBHOOK_URL", "https://shop.example/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:1")  # never Telegram itself
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.delenv("OPERATORS_CHAT_ID", raising=False)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("supportbot: OPERATORS_CHAT_ID is not set: add the bot to the operators'")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        ("complaint_types: [", "not valid YAML"),
        ("complaint_types:\n  billing:\n    fix: refnud\n", "complaint_types.billing.fix"),
    ],
)
def test_a_bad_rules_file_stops_the_start_with_one_line(
    content: str | None, reason: str, tmp_path
) -> None:
    """A RULES_FILE that was missing, broken or mistyped ended in a traceback at start."""
    rules = tmp_path / "rules.yaml"
    if content is not None:
        rules.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(_env_file=None, rules_file=str(rules))
    message = str(err.value)
    assert message.startswith(f"RULES_FILE is invalid: {rules}: ") and reason in message
    assert "\n" not in message


KB_SETTINGS = ("SUPPORTBOT_KB_ENCODER", "SUPPORTBOT_KB_THRESHOLD", "SUPPORTBOT_CACHE_DIR")


def test_knowledge_settings_in_dotenv_are_used(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's SUPPORTBOT_KB_* settings were read from the environment only: in .env
    (where the README says settings go) they were silently ignored."""
    from knowledge.service import KnowledgeService

    for name in KB_SETTINGS:  # set first, so that the undo removes what .env puts there
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "kb-cache"
    (tmp_path / ".env").write_text(
        f"SUPPORTBOT_KB_ENCODER=use\nSUPPORTBOT_CACHE_DIR={cache}\n", encoding="utf-8"
    )
    knowledge = KnowledgeService(load_settings())
    assert knowledge.encoder_spec == "use" and knowledge.cache_dir == cache


def test_the_environment_wins_over_dotenv(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge.service import KnowledgeService

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPPORTBOT_KB_ENCODER", "use+e5")
    (tmp_path / ".env").write_text("SUPPORTBOT_KB_ENCODER=use\n", encoding="utf-8")
    assert KnowledgeService(load_settings()).encoder_spec == "use+e5"


def test_knowledge_settings_from_dotenv_do_not_outlive_the_test() -> None:
    """The test above puts .env's values into the environment: the undo must remove them,
    or every later test would search with its encoder and cache folder."""
    assert not any(os.environ.get(name) for name in KB_SETTINGS)


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        (None, "cannot reach the operators' group"),  # a wrong id
        ({"is_forum": False}, "has no topics: turn on Topics"),
        ({"bot_is_member": False}, "the bot is not a member"),
        ({}, None),  # a forum with the bot as its admin
    ],
)
async def test_run_checks_the_operators_group_first(
    group: dict | None, problem: str | None
) -> None:
    """A wrong OPERATORS_CHAT_ID, a group without topics or without the bot: `supportbot run`
    started, and every hand-off then failed to open a topic ("something went wrong"). It
    now stops at start, in one line that says what to do."""
    from bot.app import create_bot
    from bot.runner import _check_operators_chat
    from bot.sandbox.fakeapi import FakeTelegram, FakeTelegramServer

    async with FakeTelegramServer(fake=FakeTelegram(token="123456:TEST")) as srv:
        chat_id = -1009999999999 if group is None else srv.fake.add_group("Ops", **group)["id"]
        settings = Settings(_env_file=None, bot_token="123456:TEST", operators_chat_id=chat_id)  # type: ignore[call-arg]
        bot = create_bot("123456:TEST", srv.base_url)
        try:
            if problem is None:
                await _check_operators_chat(bot, settings)
            else:
                with pytest.raises(ConfigError) as err:
                    await _check_operators_chat(bot, settings)
                assert str(err.value).startswith("OPERATORS_CHAT_ID: ")
                assert problem in str(err.value) and "\n" not in str(err.value)
        finally:
            await bot.session.close()


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
def test_run_refuses_an_in_memory_database(
    url: str, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`supportbot run` on an in-memory SQLite started, and a restart lost every
    conversation and ticket."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("BOT_TOKEN", "123456:ABC-DEF")
    monkeypatch.setenv("OPERATORS_CHAT_ID", "-1001234567890")
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:1")  # never Telegram itself
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("supportbot: DATABASE_URL is an in-memory database"), err
    assert len(err.strip().splitlines()) == 1
