from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.config import Settings  # noqa: E402
from bot.services import Services, build_services  # noqa: E402


@pytest.fixture(scope="session")
def classifier():
    """The real, shipped classifier (loaded once per test session)."""
    from bot.nlu import load_classifier

    return load_classifier()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name in {"BOT_TOKEN", "OPERATORS_CHAT_ID", "ADMIN_IDS", "DATABASE_URL"}:
            monkeypatch.delenv(name, raising=False)
    return Settings(_env_file=None, database_url=db_url, default_language="ru")  # type: ignore[call-arg]


@pytest.fixture
async def services(settings: Settings, classifier) -> AsyncIterator[Services]:
    svc = await build_services(settings, classifier=classifier, seed=0)
    yield svc
    await svc.close()
