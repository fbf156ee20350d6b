"""Page authentication: the session cookie becomes the same `Principal` the API uses, and
every unsafe request must carry the session's CSRF token (form field or htmx header).

Because the principal is the API's, the API's role guards (`gateway.api.auth.requires`) and
practice scoping apply to pages unchanged.
"""

from __future__ import annotations

import hmac
from typing import Any, cast

from litestar.connection import ASGIConnection, Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    MiddlewareProtocol,
)
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.api.auth import Principal
from gateway.db.engine import REQUEST_SESSION
from gateway.web.accounts import SignedIn, load_session

SESSION_COOKIE = "gw_session"
LOGIN_CSRF_COOKIE = "gw_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_SESSION = "exclude_from_web_auth"
"""Handler opt key: the page needs no session (the sign-in form)."""


class CsrfRefused(PermissionDeniedException):
    """A form or htmx request without the right token: refused with 403."""


async def submitted_csrf(request: Request[Any, Any, Any]) -> str:
    """The token the request carries: the htmx header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def tokens_match(expected: str, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


class WebSessionAuth(AbstractAuthenticationMiddleware):
    """Session cookie -> principal (and the `SignedIn` session as `request.auth`).

    The database session that looked the cookie up is handed to the request's `db`
    dependency (scope key `REQUEST_SESSION`), which commits it with the page's work: one
    session per page request instead of two. One the handler never took is closed here."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            left: AsyncSession | None = cast(dict[str, Any], scope).pop(REQUEST_SESSION, None)
            if left is not None:
                await left.commit()  # the sliding expiry, when nothing else took the session
                await left.close()

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = connection.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotAuthorizedException("sign in first")
        session: AsyncSession = connection.app.state.sessionmaker()
        cast(dict[str, Any], connection.scope)[REQUEST_SESSION] = session
        signed = await load_session(session, token)
        if signed is None:
            raise NotAuthorizedException("your session ended; sign in again")
        principal = Principal(user_id=signed.user_id, practice_id=signed.practice_id,
                              role=signed.role)
        return AuthenticationResult(user=principal, auth=signed)


class CsrfCheck(MiddlewareProtocol):
    """After `WebSessionAuth`: an unsafe request of a signed-in user must carry the session's
    CSRF token, else 403. (The form is parsed once; the handler reuses the parse.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        signed = scope.get("auth")
        if (scope["type"] == "http" and cast(str, scope.get("method")) not in SAFE_METHODS
                and isinstance(signed, SignedIn)):
            given = await submitted_csrf(Request(scope, receive))
            if not tokens_match(signed.csrf_token, given):
                raise CsrfRefused("the form's security token is missing or wrong; "
                                  "reload the page and try again")
        await self.app(scope, receive, send)


def signed_in(request: Request[Any, Any, Any]) -> SignedIn:
    auth: SignedIn = request.auth
    return auth
