"""Users (admin only): who can sign in to the page, add a user, reset a password. The same
service as `gateway users add|set-password`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.db.models import ROLES
from gateway.web.accounts import add_user, list_users, set_password
from gateway.web.render import page


@get("/users", guards=[requires("admin")])
async def users(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    return page(request, "users.html", users=await list_users(db, principal.practice_id),
                roles=ROLES, done=request.query_params.get("done"))


@post("/users", guards=[requires("admin")], status_code=303)
async def create(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    form = await request.form()
    await add_user(db, principal.practice_id, str(form.get("email") or ""),
                   str(form.get("role") or ""), str(form.get("password") or ""),
                   name=str(form.get("name") or "") or None, actor=principal.actor)
    return Redirect("/users?done=added", status_code=303)


@post("/users/password", guards=[requires("admin")], status_code=303)
async def reset_password(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    form = await request.form()
    await set_password(db, principal.practice_id, str(form.get("email") or ""),
                       str(form.get("password") or ""), actor=principal.actor)
    return Redirect("/users?done=password", status_code=303)


ROUTES = [users, create, reset_password]
