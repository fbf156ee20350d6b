"""The Litestar application: auth, a session per request, errors as RFC 9457 problems."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, cast

from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import gateway.api as api_pkg
from gateway.api.auth import ApiKeyAuth, KeyCache, provide_principal
from gateway.api.logs import install_access_log_filter
from gateway.api.openapi import document_errors, document_routes, openapi_config
from gateway.api.params import PAGE_DEPENDENCY
from gateway.api.problems import EXCEPTION_HANDLERS, RequestIdMiddleware, problem_plugin
from gateway.core import offload
from gateway.core.discovery import domain_modules
from gateway.db.engine import REQUEST_SESSION, make_engine, make_sessionmaker
from gateway.web.render import template_config
from gateway.web.routes import web_routes


@get("/health", exclude_from_auth=True, sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


document_errors(health, public=True)


async def provide_session(state: State,
                          request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """One session and transaction per request: committed when the handler returns (the one
    the page's sign-in check already opened, when there is one)."""
    shared: AsyncSession | None = cast(dict[str, Any], request.scope).pop(REQUEST_SESSION, None)
    async with shared or state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


def collect_routes() -> list[Any]:
    """Every `gateway.api.<domain>.controller.ROUTES`, in name order."""
    routes = [r for m in domain_modules(api_pkg, "controller") for r in getattr(m, "ROUTES", [])]
    return document_routes(routes)


def create_app(
    database_url: str | None = None,
    engine: AsyncEngine | None = None,
    *,
    scheduler: bool = False,
) -> Litestar:
    """The app on the given database (or GATEWAY_DATABASE_URL / ./gateway.db); with
    `scheduler`, this process also ticks the job scheduler (`gateway serve` does)."""
    own_engine = engine is None
    install_access_log_filter()
    eng = engine or make_engine(database_url)

    async def _startup(app: Litestar) -> None:
        app.state.engine = eng
        app.state.sessionmaker = make_sessionmaker(eng)
        app.state.scheduler = None
        app.state.key_cache = KeyCache()
        if scheduler:
            from gateway.jobs.scheduler import start_scheduler

            app.state.scheduler = start_scheduler(app.state.sessionmaker)

    async def _shutdown(app: Litestar) -> None:
        if app.state.get("scheduler") is not None:
            app.state.scheduler.shutdown(wait=False)
        offload.shutdown()  # the parse worker processes, if any ran
        if own_engine:
            await eng.dispose()

    return Litestar(
        route_handlers=[health, *collect_routes(), *web_routes()],
        on_startup=[_startup],
        on_shutdown=[_shutdown],
        dependencies={
            "db": Provide(provide_session),
            "principal": Provide(provide_principal),
            **PAGE_DEPENDENCY,
        },
        middleware=[RequestIdMiddleware,
                    DefineMiddleware(ApiKeyAuth, exclude=["^/schema", "^/health$"])],
        template_config=template_config(),
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[problem_plugin()],
        openapi_config=openapi_config(),
        debug=False,
    )


SCHEDULER_ENV = "GATEWAY_SCHEDULER"


def serve_app() -> Litestar:
    """The factory `gateway serve --workers N` hands uvicorn (each worker process calls it):
    the database from GATEWAY_DATABASE_URL, the scheduler unless GATEWAY_SCHEDULER=0 (any
    number of processes may tick: claiming a fire is a row insert)."""
    import os

    return create_app(scheduler=os.environ.get(SCHEDULER_ENV, "1") != "0")


__all__ = ["HTTPException", "create_app", "serve_app"]
