"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.engine import make_engine
from gateway.db.metadata import metadata
from gateway.db.migrate import downgrade, upgrade


async def _diff(engine: AsyncEngine) -> list:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata
            )
        )


async def test_sqlite_schema_matches_models(engine: AsyncEngine):
    assert await _diff(engine) == []


async def test_postgres_schema_matches_models(pg_url: str):
    engine = make_engine(pg_url)
    try:
        assert await _diff(engine) == []
    finally:
        await engine.dispose()


def test_downgrade_and_upgrade_again(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'round.db'}"
    upgrade(url)
    downgrade(url)
    upgrade(url)
