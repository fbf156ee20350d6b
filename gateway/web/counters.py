"""Dashboard counters: a page module that wants one on the dashboard lists it in its own
`COUNTERS`, and the dashboard shows every module's, in `order`. A new page (claim batches to
send or print, say) adds its counter without touching the dashboard."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import Principal

CountFn = Callable[[AsyncSession, Principal], Awaitable[int]]


@dataclass(frozen=True)
class Counter:
    """One tile: `key` names it (`#count-<key>`), `count` answers for the signed-in user."""

    key: str
    label: str
    href: str
    count: CountFn
    order: int = 100


@cache
def all_counters() -> tuple[Counter, ...]:
    """`COUNTERS` of every module in gateway.web.pages, by order then key."""
    import gateway.web.pages as pages_pkg

    found: list[Counter] = []
    for info in pkgutil.iter_modules(pages_pkg.__path__):
        module = importlib.import_module(f"{pages_pkg.__name__}.{info.name}")
        found.extend(getattr(module, "COUNTERS", []))
    return tuple(sorted(found, key=lambda c: (c.order, c.key)))
