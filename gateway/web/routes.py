"""The page router: every page module's routes under `/`, behind the session middleware,
with errors answered as pages (a sign-in redirect, 403, 404, or the message of a bad input)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

from litestar import Request, Response, Router
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware.base import DefineMiddleware
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

import gateway.web.pages as pages_pkg
from gateway.core.errors import Failure, NotFound, UserError
from gateway.core.money import MoneyError
from gateway.web.auth import NO_SESSION, CsrfCheck, WebSessionAuth
from gateway.web.render import STATIC, page

log = logging.getLogger("gateway.web")


def page_routes() -> list[Any]:
    """`ROUTES` of every module in gateway.web.pages, in name order."""
    out: list[Any] = []
    for info in sorted(pkgutil.iter_modules(pages_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pages_pkg.__name__}.{info.name}")
        out.extend(getattr(module, "ROUTES", []))
    return out


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def error_page(request: Request[Any, Any, Any], status: int, title: str,
               message: str) -> Response[Any]:
    """The error as a page, or for htmx the message alone, swapped into the flash area."""
    if _is_htmx(request):
        response = page(request, "_flash.html", status_code=status, kind="error",
                        message=message)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page(request, "error.html", status_code=status, title=title,
                message=message)


def _unauthorized(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = "/login?next=" + request.url.path
    if _is_htmx(request):
        return Response(b"", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _forbidden(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return error_page(request, 403, "Not allowed", exc.detail)


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    detail = str(exc) if isinstance(exc, NotFound) else "there is no such page"
    return error_page(request, 404, "Not found", detail)


def _user_error(request: Request[Any, Any, Any], exc: UserError) -> Response[Any]:
    return error_page(request, 400, "That did not work", str(exc))


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return error_page(request, exc.status_code, "That did not work", exc.detail)


def _failure(request: Request[Any, Any, Any], exc: Failure) -> Response[Any]:
    return error_page(request, 502, "Something outside the gateway failed", str(exc))


def web_router() -> Router:
    return Router(
        path="/",
        route_handlers=page_routes(),
        middleware=[DefineMiddleware(WebSessionAuth, exclude_from_auth_key=NO_SESSION), CsrfCheck],
        # pages sign staff in with sessions, not the API's keys
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        exception_handlers={
            NotAuthorizedException: _unauthorized,
            PermissionDeniedException: _forbidden,
            NotFoundException: _not_found,
            NotFound: _not_found,
            UserError: _user_error,
            MoneyError: _user_error,  # the app's own MoneyError handler would answer JSON
            Failure: _failure,
            HTTPException: _http_error,
        },
    )


def web_routes() -> list[Any]:
    """What the app mounts: the pages and the static files (htmx, CSS)."""
    static = create_static_files_router(path="/static", directories=[STATIC],
                                        include_in_schema=False, opt={"exclude_from_auth": True})
    return [web_router(), static]
