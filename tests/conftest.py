"""Shared fixtures: a migrated SQLite database per test, a real PostgreSQL for the multi-node
paths, practices with API keys, and an API client."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.practices import create_key, create_location, create_practice
from gateway.api.app import create_app
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.db.migrate import upgrade
from tests.support.postgres import PostgresServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def db_url(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "gateway.db"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging and asserting; commit explicitly to make data visible."""
    async with make_sessionmaker(engine)() as s:
        yield s


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        asyncio.run(_create_database(server, "gateway_template"))
        upgrade(server.url("gateway_template"))
        yield server
    finally:
        server.stop()


async def _create_database(server: PostgresServer, name: str, template: str | None = None) -> None:
    conn = await asyncpg.connect(server.psql_url())
    try:
        suffix = f" TEMPLATE {template}" if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


_pg_counter = iter(range(1, 1_000_000))


@pytest.fixture
async def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, migrated PostgreSQL database for this test (copied from a template)."""
    name = f"gw_test_{next(_pg_counter)}"
    await _create_database(pg_server, name, template="gateway_template")
    return pg_server.url(name)


@dataclass
class PracticeKeys:
    practice_id: int
    location_id: int
    admin: str
    biller: str
    viewer: str

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


async def make_practice(session: AsyncSession, name: str) -> PracticeKeys:
    pid = await create_practice(session, name)
    lid = await create_location(session, pid, f"{name} Main")
    keys = {r: await create_key(session, pid, f"{r}@{name.lower().replace(' ', '')}.test", r)
            for r in ("admin", "biller", "viewer")}
    await session.commit()
    return PracticeKeys(pid, lid, **keys)


@pytest.fixture
async def practice(session: AsyncSession) -> PracticeKeys:
    return await make_practice(session, "Clearview Eye")


@pytest.fixture
async def other_practice(session: AsyncSession, practice: PracticeKeys) -> PracticeKeys:
    return await make_practice(session, "Far Sight")


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:
    app = create_app(engine=engine)
    async with AsyncTestClient(app=app) as c:
        yield c


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture
def gateway(db_url: str, tmp_path: Path) -> Callable[..., CliResult]:
    """Run the real `gateway` command in a subprocess against this test's database."""

    def run(*args: str, stdin: str | None = None) -> CliResult:
        env = {**os.environ, "GATEWAY_DATABASE_URL": db_url}
        p = subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True,
                           text=True, env=env, input=stdin, cwd=tmp_path, timeout=120)
        return CliResult(p.returncode, p.stdout, p.stderr)

    return run
