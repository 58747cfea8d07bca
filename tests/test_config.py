from __future__ import annotations

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


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("BUSINESS_HOURS", "nine to five", "BUSINESS_HOURS is invalid: must look like 09:00-21:00"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE is invalid"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE is invalid"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL is invalid"),
        ("SLA_MINUTES", "soon", "SLA_MINUTES is invalid"),
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
