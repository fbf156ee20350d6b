"""Engine and session factory. SQLite (aiosqlite) is the embedded default; PostgreSQL
(asyncpg) the scale-out path where several gateway processes share one database."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy import DateTime, event
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from gateway.db import bounds

DEFAULT_URL = "sqlite+aiosqlite:///./gateway.db"
REQUEST_SESSION = "gateway.request_session"
"""ASGI scope key of the session a middleware opened for the request (the page's sign-in
check): the request's `db` dependency takes it over instead of opening a second one."""

# aiosqlite's DEBUG lines repeat every statement with its bound values (patient data): keep
# that logger at INFO even when an operator turns everything else to debug.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def database_url(explicit: str | None = None) -> str:
    """The URL to use: explicit, else GATEWAY_DATABASE_URL, else ./gateway.db; plain driver
    names are upgraded to their async drivers."""
    url = explicit or os.environ.get("GATEWAY_DATABASE_URL") or DEFAULT_URL
    return async_url(url)


def async_url(url: str) -> str:
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        u = u.set(drivername="postgresql+asyncpg")
    return u.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    name = (
        url_or_engine.dialect.name
        if isinstance(url_or_engine, AsyncEngine)
        else make_url(url_or_engine).get_backend_name()
    )
    return name == "sqlite"


class _UTCDateTime(SQLITE_DATETIME):
    """SQLite keeps no offset: a `DateTime(timezone=True)` value (always written in UTC) comes
    back naive. Read it back as UTC, as PostgreSQL answers, so both databases hand out the
    same aware datetimes (and the API's RFC 3339 timestamps carry their offset)."""

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
        parse = super().result_processor(dialect, coltype)
        if not self.timezone:
            return parse

        def process(value: Any) -> Any:
            value = parse(value) if parse is not None else value
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                return value.replace(tzinfo=dt.UTC)
            return value

        return process


def make_engine(url: str | None = None, **kwargs: object) -> AsyncEngine:
    """An async engine; on SQLite with foreign keys on, WAL, and a busy timeout so several
    processes on one file wait for each other instead of failing."""
    url = database_url(url)
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {"timeout": 30})
    kwargs.setdefault("hide_parameters", True)  # SQL echo and errors never carry values
    kwargs.setdefault("json_deserializer", msgspec.json.decode)  # JSON columns: 5x json.loads
    engine = create_async_engine(url, **kwargs)
    bounds.install(engine.sync_engine)  # both databases refuse the same values
    if is_sqlite(url):
        dialect = engine.sync_engine.dialect
        dialect.colspecs = {**dialect.colspecs, DateTime: _UTCDateTime}

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(url: str | None = None) -> AsyncIterator[AsyncSession]:
    """One engine + session for a CLI command: commits on success, rolls back on error."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            async with session.begin():
                yield session
    finally:
        await engine.dispose()
