from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Callable, Generator
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.config import Settings  # noqa: E402
from bot.db import models  # noqa: E402
from bot.services import Services, build_services  # noqa: E402

# The bot's business hours are 09:00-21:00 in Moscow (06:00-18:00 UTC) by default.
OFFICE_HOURS = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow
AFTER_HOURS = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # that Wednesday, 23:00 in Moscow


def _await_chain(task: asyncio.Task) -> list[str]:
    """Where a task waits: each coroutine of its await chain, outermost first (a task's own
    stack shows its first coroutine only)."""
    lines: list[str] = []
    awaited: object = task.get_coro()
    while awaited is not None and len(lines) < 60:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        nxt = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        awaited = nxt
    return lines


def dump_asyncio_tasks(out) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio._get_running_loop()
    if loop is None:
        out.write("no running event loop\n")
        return
    tasks = asyncio.all_tasks(loop)
    out.write(f"\n{'~' * 20} {len(tasks)} asyncio task(s) {'~' * 20}\n")
    for task in sorted(tasks, key=lambda t: t.get_name()):
        out.write(f"Task {task.get_name()} {task.get_coro()!r}\n")
        out.write("\n".join(_await_chain(task)) + "\n")
        waiter = getattr(task, "_fut_waiter", None)  # the future it is suspended on
        if waiter is not None:
            name = waiter.get_name() if isinstance(waiter, asyncio.Task) else repr(waiter)
            out.write(f"  suspended on {name[:300]}\n")
    out.flush()


@pytest.hookimpl(wrapper=True)
def pytest_timeout_set_timer(
    item: pytest.Item, settings: object
) -> Generator[None, object, object]:
    """A test that hangs: before pytest-timeout fails it (and dumps the threads' stacks),
    every asyncio task says where it waits, so a hang in the bot, the fake Bot API or the
    test itself can be told apart."""
    result = yield
    handler = signal.getsignal(signal.SIGALRM)
    if callable(handler):

        def dump_then_fail(signum, frame):  # type: ignore[no-untyped-def]
            __tracebackhide__ = True
            try:
                dump_asyncio_tasks(sys.stderr)
            except Exception as exc:  # the dump must not hide the timeout
                sys.stderr.write(f"could not dump the asyncio tasks: {exc!r}\n")
            handler(signum, frame)

        signal.signal(signal.SIGALRM, dump_then_fail)
    return result


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Every test runs at the same time of day, whatever the hour the suite runs at: the bot's
    clock (``utcnow``, which the engine's clock reads too) starts at ``OFFICE_HOURS`` and
    runs on from there. ``clock(at)`` sets it to run from ``at`` instead (or use the
    ``after_hours`` fixture); a test that needs "now" takes it from ``utcnow``, not from
    ``datetime.now``."""

    def run_from(at: datetime) -> None:
        monkeypatch.setattr(models, "clock_shift", at - datetime.now(UTC))

    run_from(OFFICE_HOURS)
    return run_from


@pytest.fixture
def office_hours(clock: Callable[[datetime], None]) -> None:
    """A test about what happens while operators are at work: the default, said aloud."""


@pytest.fixture
def after_hours(clock: Callable[[datetime], None]) -> None:
    """A test about what happens while operators are off: 23:00 in Moscow (list it before
    the fixtures that start the bot)."""
    clock(AFTER_HOURS)


@pytest.fixture(scope="session")
def classifier():
    """The real, shipped classifier (loaded once per test session)."""
    from bot.nlu import load_classifier

    return load_classifier()


# Conversation tests run on both databases: SQLite (embedded default) and PostgreSQL
# (production), when TEST_POSTGRES_URL points at a server (scripts/test.sh starts one).
BOTH_DATABASES = {"test_engine", "test_playbook", "test_kb_flow", "test_e2e"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames and metafunc.module.__name__.split(".")[-1] in (
        BOTH_DATABASES
    ):
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, each test runs with its first set of parameters only: the others vary
    the customer's wording, not what is stored. ``TEST_POSTGRES_ALL=1`` runs every one."""
    if os.environ.get("TEST_POSTGRES_ALL"):
        return
    seen: set[tuple[str, str]] = set()
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_backend") == "postgresql":
            key = (item.nodeid.split("::")[0], getattr(item, "originalname", item.name))
            if key in seen:
                dropped.append(item)
                continue
            seen.add(key)
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
async def db_url(tmp_path: Path, db_backend: str) -> AsyncIterator[str]:
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        pytest.skip("TEST_POSTGRES_URL not set (scripts/test.sh sets it up)")
    import uuid

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.rsplit("/", 1)[0] + f"/{name}"
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


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


DEMO_KB = Path(__file__).resolve().parents[1] / "knowledge" / "demo" / "shop.yaml"


@pytest.fixture(scope="session")
def demo_cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the demo shop's index cache is kept, once per test process (see ``_demo_shop``)."""
    return tmp_path_factory.mktemp("demo-cache")


async def _demo_cache(settings: Settings, classifier, root: Path, encoder: str) -> Path:
    """The demo shop's index cache for ``encoder``, built the first time it is asked for."""
    cache = root / encoder / "cache"
    if cache.is_dir():
        return cache
    build = cache.with_name("build")
    shutil.rmtree(build, ignore_errors=True)
    os.environ["SUPPORTBOT_CACHE_DIR"] = str(build)  # the caller's monkeypatch restores it
    svc = await build_services(
        settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{root / encoder}.db"}),
        classifier=classifier,
        seed=0,
    )
    try:
        async with svc.sessionmaker() as session:
            await svc.knowledge.import_file(session, DEMO_KB)
    finally:
        await svc.close()
    build.rename(cache)
    return cache


async def _demo_shop(
    settings: Settings,
    classifier,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    encoder: str,
    cache_root: Path,
) -> AsyncIterator[Services]:
    """The engine with the demo shop's FAQ searched with ``encoder``. The index cache is a
    copy of one built once per test process: encoding the 60 entries with e5 takes 20-50 s,
    and each test can change its copy (an edit writes a new cache file) without touching
    the others'. The vectors come from the cache (float16), as when the bot restarts."""
    monkeypatch.setenv("SUPPORTBOT_KB_ENCODER", encoder)
    monkeypatch.setenv("SUPPORTBOT_CACHE_DIR", "")
    built = await _demo_cache(settings, classifier, cache_root, encoder)
    cache = tmp_path / "cache"
    cache.mkdir()
    for item in built.iterdir():
        if item.is_dir():  # unpacked models: read-only, shared
            (cache / item.name).symlink_to(item, target_is_directory=True)
        else:
            shutil.copy2(item, cache / item.name)
    monkeypatch.setenv("SUPPORTBOT_CACHE_DIR", str(cache))
    svc = await build_services(settings, classifier=classifier, seed=0)
    async with svc.sessionmaker() as session:
        await svc.knowledge.import_file(session, DEMO_KB)
    yield svc
    await svc.close()


@pytest.fixture
async def shop(
    settings: Settings,
    classifier,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    demo_cache_root: Path,
) -> AsyncIterator[Services]:
    """The engine with the demo shop's FAQ (the multilingual USE encoder)."""
    async for svc in _demo_shop(
        settings, classifier, monkeypatch, tmp_path, "use", demo_cache_root
    ):
        yield svc


@pytest.fixture
async def shipped_shop(
    settings: Settings,
    classifier,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    demo_cache_root: Path,
) -> AsyncIterator[Services]:
    """The demo shop with the shipped search (encoder ``auto``: USE and e5 with the
    re-ranker, as the bot runs; the tests' USE alone can answer otherwise)."""
    async for svc in _demo_shop(
        settings, classifier, monkeypatch, tmp_path, "auto", demo_cache_root
    ):
        yield svc
