"""Database: engine and session factory, migrations, models."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import ConfigError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    try:
        engine = create_async_engine(url, **kwargs)  # type: ignore[arg-type]
    except ImportError as exc:  # the driver: asyncpg is an extra
        raise ConfigError(
            f"DATABASE_URL needs the {exc.name or 'asyncpg'} package: "
            "pip install 'supportbot[postgres]'"
        ) from exc
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not the driver, start transactions (see _begin_immediate).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=15000")
            # WAL + NORMAL: committed turns survive a killed process; fewer fsyncs.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn):  # type: ignore[no-untyped-def]
            # Take the write lock up front: concurrent turns wait for each other (busy
            # timeout) instead of failing with "database is locked" on a lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def idle_session(session: AsyncSession) -> bool:
    """No transaction open and nothing waiting to be written: one begun now to read is ours
    to end (a caller's open transaction never is)."""
    return not session.in_transaction() and not (session.new or session.dirty or session.deleted)


async def end_read(session: AsyncSession, own: bool) -> None:
    """Ends the transaction a read began in an idle session (on SQLite every transaction
    takes the write lock: BEGIN IMMEDIATE), before a long computation on what it read."""
    if own and session.in_transaction():
        await session.commit()


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None: none applied)."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def check_opens(engine: AsyncEngine) -> None:
    """Raise :class:`ConfigError` in one line when the database cannot be opened at all."""
    url = engine.url.render_as_string(hide_password=True)
    path = Path(engine.url.database or "") if engine.dialect.name == "sqlite" else None
    if path and str(path) != ":memory:" and not path.parent.is_dir():
        # said before aiosqlite tries: its failed connect leaves a thread that prints a traceback
        raise ConfigError(
            f"DATABASE_URL {url} cannot be opened: the folder {path.parent} does not exist"
        )
    try:
        async with engine.connect():
            pass
    except (DBAPIError, OSError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise ConfigError(
            f"DATABASE_URL {url} cannot be opened: {reason} "
            "(check the path, or the server, user and password)"
        ) from exc


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent; run at every start)."""
    await check_opens(engine)
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
    log.info("database schema is at %s", revision)


async def downgrade_database(engine: AsyncEngine, revision: str) -> None:
    await check_opens(engine)
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)
