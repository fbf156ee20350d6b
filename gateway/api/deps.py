"""Explicit dependency markers for handlers (Litestar 3 drops inferred dependencies)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import Principal

DB: TypeAlias = NamedDependency[AsyncSession]
"""The request's session; committed when the handler returns, rolled back on error."""

Me: TypeAlias = NamedDependency[Principal]
"""Who is calling: user, practice, role. Scope every query to `practice_id`."""


def database_url_of(state: State) -> str:
    """The app's database URL (with its password), for work that runs in a worker process on
    its own connection (`gateway.core.offload.with_session_in_process`)."""
    return str(state.engine.url.render_as_string(hide_password=False))
