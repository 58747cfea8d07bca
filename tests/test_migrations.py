from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.db import create_engine, downgrade_database, upgrade_database
from bot.db.models import Base

EXPECTED_TABLES = {
    "customers",
    "conversations",
    "messages",
    "classifications",
    "tickets",
    "ticket_events",
    "complaints",
    "knowledge_entries",
    "knowledge_history",
    "survey_answers",
    "processed_updates",
    "canned_replies",
    "compensations",
}


def _urls(db_url: str) -> list[str]:
    urls = [db_url]
    if os.environ.get("TEST_POSTGRES_URL"):
        urls.append(os.environ["TEST_POSTGRES_URL"])
    return urls


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_empty_to_head_matches_models_and_back(backend: str, db_url: str) -> None:
    if backend == "postgresql":
        url = os.environ.get("TEST_POSTGRES_URL")
        if not url:
            pytest.skip("TEST_POSTGRES_URL not set (CI sets it up)")
    else:
        url = db_url
    engine = create_engine(url)
    try:
        await downgrade_database(engine, "base")
        await upgrade_database(engine)
        await upgrade_database(engine)  # idempotent: running at every start is safe

        def check(sync_conn):  # type: ignore[no-untyped-def]
            tables = set(inspect(sync_conn).get_table_names())
            assert EXPECTED_TABLES <= tables
            ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"

        async with engine.connect() as conn:
            await conn.run_sync(check)
            version = (await conn.execute(text("select version_num from alembic_version"))).scalar()
            assert version is not None

        await downgrade_database(engine, "base")
        async with engine.connect() as conn:
            left = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not (EXPECTED_TABLES & left)
    finally:
        await engine.dispose()
