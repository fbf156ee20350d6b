"""Job kinds: each domain offers its jobs in `gateway/<domain>/jobs.py` as
`JOBS = {"kind": async_fn}`; they are found without a central list.

A job function is `async def fn(session, ctx: JobContext) -> dict`: it runs in one
transaction, calls the same services as the API and the CLI, and returns a small summary
(counts and ids, never patient data) that goes into the run history.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

import gateway
from gateway.core.discovery import domain_modules


class JobContext(msgspec.Struct, frozen=True, kw_only=True):
    job_id: int
    practice_id: int
    connector_id: int | None
    fire_time: dt.datetime
    params: dict[str, Any] = {}


JobFn = Callable[[AsyncSession, JobContext], Awaitable[dict[str, Any]]]


@functools.cache
def job_kinds() -> dict[str, JobFn]:
    kinds: dict[str, JobFn] = {}
    for module in domain_modules(gateway, "jobs"):
        for kind, fn in getattr(module, "JOBS", {}).items():
            if kind in kinds:
                raise RuntimeError(f"job kind {kind!r} offered twice")
            kinds[kind] = fn
    return kinds


@functools.cache
def job_params() -> dict[str, type]:
    """The params type of each kind that declares one (`PARAMS = {"kind": Struct}` beside
    `JOBS`): a definition's params are checked against it when it is saved."""
    types: dict[str, type] = {}
    for module in domain_modules(gateway, "jobs"):
        types.update(getattr(module, "PARAMS", {}))
    return types
