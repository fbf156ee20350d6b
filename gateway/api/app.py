"""The Litestar application: auth, a session per request, errors as clear JSON."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import gateway.api as api_pkg
from gateway.api.auth import ApiKeyAuth, provide_principal
from gateway.core.discovery import domain_modules
from gateway.core.errors import Failure, NotFound, UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.web.render import template_config
from gateway.web.routes import web_routes


@get("/health", exclude_from_auth=True, sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session and transaction per request: committed when the handler returns."""
    async with state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


def _user_error(_: Request[Any, Any, Any], exc: UserError) -> Response[dict[str, Any]]:
    status = 404 if isinstance(exc, NotFound) else 400
    return Response({"status_code": status, "detail": str(exc)}, status_code=status)


def _failure(_: Request[Any, Any, Any], exc: Failure) -> Response[dict[str, Any]]:
    return Response({"status_code": 502, "detail": str(exc)}, status_code=502)


def collect_routes() -> list[Any]:
    """Every `gateway.api.<domain>.controller.ROUTES`, in name order."""
    return [r for m in domain_modules(api_pkg, "controller") for r in getattr(m, "ROUTES", [])]


def create_app(
    database_url: str | None = None,
    engine: AsyncEngine | None = None,
    *,
    scheduler: bool = False,
) -> Litestar:
    """The app on the given database (or GATEWAY_DATABASE_URL / ./gateway.db); with
    `scheduler`, this process also ticks the job scheduler (`gateway serve` does)."""
    own_engine = engine is None
    eng = engine or make_engine(database_url)

    async def _startup(app: Litestar) -> None:
        app.state.engine = eng
        app.state.sessionmaker = make_sessionmaker(eng)
        app.state.scheduler = None
        if scheduler:
            from gateway.jobs.scheduler import start_scheduler

            app.state.scheduler = start_scheduler(app.state.sessionmaker)

    async def _shutdown(app: Litestar) -> None:
        if app.state.get("scheduler") is not None:
            app.state.scheduler.shutdown(wait=False)
        if own_engine:
            await eng.dispose()

    return Litestar(
        route_handlers=[health, *collect_routes(), *web_routes()],
        on_startup=[_startup],
        on_shutdown=[_shutdown],
        dependencies={
            "db": Provide(provide_session),
            "principal": Provide(provide_principal),
        },
        middleware=[DefineMiddleware(ApiKeyAuth, exclude=["^/schema", "^/health$"])],
        template_config=template_config(),
        exception_handlers={UserError: _user_error, Failure: _failure},  # type: ignore[dict-item]
        openapi_config=OpenAPIConfig(
            title="Eye-care integration gateway",
            version="0.1.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=False,
    )


__all__ = ["HTTPException", "create_app"]
