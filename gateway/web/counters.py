"""Dashboard counters: a page module that wants one on the dashboard lists it in its own
`COUNTERS`, and the dashboard shows every module's, in `order`. A new page (claim batches to
send or print, say) adds its counter without touching the dashboard.

A counter gives either `query` (a SELECT of one count: the dashboard asks every such counter
in ONE statement, as scalar subqueries) or, when its service answers in Python, `count`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import Principal

CountFn = Callable[[AsyncSession, Principal], Awaitable[int]]
CountQuery = Callable[[Principal], Select[Any]]


@dataclass(frozen=True)
class Counter:
    """One tile: `key` names it (`#count-<key>`); `query` or `count` answers for the
    signed-in user."""

    key: str
    label: str
    href: str
    count: CountFn | None = None
    order: int = 100
    query: CountQuery | None = None


@cache
def all_counters() -> tuple[Counter, ...]:
    """`COUNTERS` of every module in gateway.web.pages, by order then key."""
    import gateway.web.pages as pages_pkg

    found: list[Counter] = []
    for info in pkgutil.iter_modules(pages_pkg.__path__):
        module = importlib.import_module(f"{pages_pkg.__name__}.{info.name}")
        found.extend(getattr(module, "COUNTERS", []))
    return tuple(sorted(found, key=lambda c: (c.order, c.key)))


async def count_all(session: AsyncSession, principal: Principal,
                    counters: Sequence[Counter]) -> dict[str, int]:
    """Every counter's number: those with a `query` in one statement, then the others."""
    asked = [(c.key, c.query(principal)) for c in counters if c.query is not None]
    out: dict[str, int] = {}
    if asked:
        row = (await session.execute(select(*(
            q.scalar_subquery().label(f"c{i}") for i, (_, q) in enumerate(asked))))).one()
        out = {key: int(n or 0) for (key, _), n in zip(asked, row, strict=True)}
    for c in counters:
        if c.query is None and c.count is not None:
            out[c.key] = await c.count(session, principal)
    return out
