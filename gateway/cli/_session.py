"""Running one service call in a database session from a click command (the session commits
when the call returns, rolls back when it raises)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.cli._util import database_url, run
from gateway.db.engine import session_scope

T = TypeVar("T")


def in_session(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work(session)` in one transaction on the command's database; its result."""

    async def go() -> T:
        async with session_scope(database_url(ctx)) as session:
            return await work(session)

    return run(go)
