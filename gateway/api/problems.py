"""Errors as RFC 9457 problem details, one shape on every route.

Every error response is `application/problem+json` with `status`, `title`, `detail`, the
request id and, when we know it, `where` (the field, parameter, file or row at fault). A
caller's value that we refuse (a bad id, limit, amount, date, file content) is a 422 with the
located `where`; 400 is kept for a request we cannot read at all (malformed JSON or form, a
body nested too deeply); 404 for a missing or foreign object, 413 for a body or file over a
byte limit. An
unexpected exception is logged with its type and the request id only (never its message or
values, which may carry patient data) and answers a 500 problem naming the request id, so a
caller can quote it and an operator can find the log line.
"""

from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.exc import DBAPIError, IntegrityError

from gateway.core.errors import Failure, LimitExceeded, NotFound, UserError, raised_at
from gateway.core.money import MoneyError

log = logging.getLogger("gateway.api")

REQUEST_ID_HEADER = "x-request-id"
VALUE_REFUSED = 422
"""A caller's value refused (RFC 9110 Unprocessable Content); 400 only for malformed input."""
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(scope: Scope | Request[Any, Any, Any]) -> str:
    """The id `RequestIdMiddleware` gave this request (a fresh one outside it)."""
    state = scope.scope["state"] if isinstance(scope, Request) else scope.get("state", {})
    rid = state.get("request_id")
    return rid if isinstance(rid, str) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request an id (the caller's `X-Request-ID` when it is a plain token) and
    echoes it in the response header, so errors and log lines can be matched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def problem(request: Request[Any, Any, Any], status: int, detail: str, *,
            where: str | None = None, headers: dict[str, str] | None = None) -> Response[Any]:
    """The one problem-details response every error handler returns."""
    extra: dict[str, Any] = {"request_id": request_id(request)}
    if where is not None:
        extra["where"] = where
    return ProblemDetailsException(
        status_code=status, title=HTTPStatus(status).phrase, detail=detail,
        extra=extra, headers=headers,
    ).to_response(request)


def _validation_where(exc: ValidationException) -> str | None:
    """The parameter or body field Litestar's validation named (`key`), if any."""
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        key = extra[0].get("key") or extra[0].get("source")
        return str(key) if key else None
    return None


def _validation_detail(exc: ValidationException) -> str:
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        msg = extra[0].get("message")
        if msg:
            return f"{exc.detail}: {msg}"[:500]
    return str(exc.detail)[:500]


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        where = _validation_where(exc)
        # a located value is the caller's value refused (422); unlocated, a malformed request
        return problem(request, VALUE_REFUSED if where else exc.status_code,
                       _validation_detail(exc), where=where)
    status = exc.status_code if 400 <= exc.status_code < 600 else 500
    if status >= 500:
        return _unexpected(request, exc)
    return problem(request, status, str(exc.detail), headers=exc.headers)


def _user_error(request: Request[Any, Any, Any], exc: UserError) -> Response[Any]:
    status = 404 if isinstance(exc, NotFound) else VALUE_REFUSED
    if isinstance(exc, LimitExceeded):
        status = 413 if exc.size else 422
    return problem(request, status, str(exc), where=exc.where)


def _bad_amount(request: Request[Any, Any, Any], exc: MoneyError) -> Response[Any]:
    """An amount no handler checked before it reached `cents`: still the caller's mistake."""
    return problem(request, VALUE_REFUSED, str(exc), where="amount")


def _failure(request: Request[Any, Any, Any], exc: Failure) -> Response[Any]:
    return problem(request, 502, str(exc))


def _raised_in(exc: BaseException, module_part: str) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if module_part in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """msgspec refuses a body nested deeper than the interpreter's recursion limit with a
    RecursionError while Litestar decodes it: that is the caller's mistake, a 400."""
    if _raised_in(exc, "serialization"):
        return problem(request, 400, "the JSON body is nested too deeply", where="body")
    return _unexpected(request, exc)


def _too_large(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    """A body integer past 64 bits reached the SQLite driver, which refuses to bind it."""
    if _raised_in(exc, "sqlite"):
        return problem(request, VALUE_REFUSED,
                       "a number in the request is too large (over 2^63-1)", where="body")
    return _unexpected(request, exc)


def _sqlstate(exc: DBAPIError) -> str:
    for err in (exc.orig, getattr(exc.orig, "__cause__", None)):
        code = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """PostgreSQL's class 22 (data exception: a NUL byte, a value too long or out of range)
    is the caller's value, a 422; its text (statement and values) is never shown or logged."""
    if _sqlstate(exc).startswith("22"):
        log.info("refused a value the database cannot store (SQLSTATE %s, request %s)",
                 _sqlstate(exc), request_id(request))
        return problem(request, VALUE_REFUSED, "a value cannot be stored: too long, out of "
                       "range, or holding a NUL character", where="body")
    return _unexpected(request, exc)


def _constraint_of(exc: IntegrityError) -> str:
    """The broken constraint's name (PostgreSQL) or its columns (SQLite's message names only
    `table.column`s, never values)."""
    for err in (exc.orig, getattr(exc.orig, "__cause__", None)):
        name = getattr(err, "constraint_name", None)
        if isinstance(name, str):
            return name
    text = str(exc.orig)
    _, sep, columns = text.partition(" constraint failed: ")
    return columns[:200] if sep else ""


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A write that breaks a unique, not-null, foreign-key or check rule is the caller's
    request meeting the data as it is: a 409 naming the rule, never the values."""
    state = _sqlstate(exc)
    text = str(exc.orig)
    unique = state == "23505" or text.startswith("UNIQUE constraint failed")
    rule = _constraint_of(exc)
    log.info("refused a write that breaks %s (request %s)", rule or "a rule",
             request_id(request))
    what = "an existing record has the same key" if unique else "it breaks a rule of the data"
    return problem(request, 409, f"the change cannot be stored: {what}"
                   + (f" ({rule})" if rule else ""), where="body")


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    rid = request_id(request)
    # the type and where it was raised, never the message: it may carry values
    log.error("unexpected %s at %s (request %s, %s %s)", type(exc).__name__, raised_at(exc), rid,
              request.method, request.url.path)
    return problem(request, 500, f"internal error; quote request id {rid}")


def problem_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=False))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: _http_error,
    UserError: _user_error,
    Failure: _failure,
    MoneyError: _bad_amount,
    RecursionError: _too_deep,
    OverflowError: _too_large,
    IntegrityError: _integrity_error,
    DBAPIError: _database_error,
    Exception: _unexpected,
}
"""For `Litestar(exception_handlers=...)`: every error becomes one problem-details shape."""
