"""Sign-in and sign-out. The sign-in form is protected by a double-submit CSRF token (there is
no session yet); sign-out, like every other form, by the session's token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from gateway.api.deps import DB
from gateway.web.accounts import SignInRefused, sign_in, sign_out
from gateway.web.auth import (
    LOGIN_CSRF_COOKIE,
    NO_SESSION,
    SESSION_COOKIE,
    CsrfRefused,
    signed_in,
    tokens_match,
)
from gateway.web.render import page


@dataclass
class SignInForm:
    email: str = ""
    password: str = ""
    csrf_token: str = ""
    next: str = "/"


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def is_tls(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request[Any, Any, Any], next_path: str, error: str | None = None,
                email: str = "", status: int = 200) -> Template:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", status_code=status, login_csrf=token,
                    next=safe_next(next_path), error=error, email=email)
    response.cookies.append(Cookie(key=LOGIN_CSRF_COOKIE, value=token, httponly=True,
                                   samesite="strict", secure=is_tls(request), path="/login"))
    return response


@get("/login", opt={NO_SESSION: True}, name="login")
async def login_form(request: Request[Any, Any, Any], next: str = "/") -> Template:  # noqa: A002
    return _login_page(request, next)


@post("/login", opt={NO_SESSION: True}, status_code=200)
async def login(
    request: Request[Any, Any, Any], db: DB,
    data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), data.csrf_token):
        raise CsrfRefused("the sign-in form's security token is missing or wrong; reload it")
    address = request.client.host if request.client else "unknown"
    try:
        token = await sign_in(db, data.email, data.password, address)
    except SignInRefused as exc:
        return _login_page(request, data.next, error=str(exc).split(": ", 1)[-1],
                           email=data.email, status=400)
    response: Redirect = Redirect(safe_next(data.next), status_code=303)
    response.cookies.append(Cookie(key=SESSION_COOKIE, value=token, httponly=True,
                                   samesite="lax", secure=is_tls(request), path="/"))
    return response


@post("/logout", status_code=303)
async def logout(request: Request[Any, Any, Any], db: DB) -> Redirect:
    await sign_out(db, signed_in(request).session_id)
    response = Redirect("/login", status_code=303)
    response.cookies.append(Cookie(key=SESSION_COOKIE, value="", max_age=0, httponly=True,
                                   samesite="lax", secure=is_tls(request), path="/"))
    return response


ROUTES = [login_form, login, logout]
