"""Rendering pages: one Jinja environment (autoescaped) with the few filters templates need,
and `page()` which adds who is signed in and the CSRF token to every template's context."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from gateway.api.auth import ROLE_RANK
from gateway.core.money import format_money
from gateway.web.accounts import SignedIn

FLASH_PARAMS = frozenset({"resolved", "how", "done"})
"""Query parameters that only carry a one-time message; pager links drop them."""
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def money(value: Decimal | None) -> str:
    """Amounts as billing staff read them: thousands separators, two decimals."""
    if value is None:
        return ""
    text = format_money(value)
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}.{frac}"


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      auto_reload=False,  # templates ship with the code: no stat per render
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = money
    env.filters["when"] = when
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def can(me: SignedIn | None, role: str) -> bool:
    """Whether the signed-in user's role reaches `role` (what the API's guards check)."""
    return me is not None and ROLE_RANK.get(me.role, -1) >= ROLE_RANK[role]


def query_with(request: Request[Any, Any, Any], **changes: Any) -> str:
    """The current query string with some parameters changed (for pager and filter links)."""
    params = {k: v for k, v in request.query_params.items()
              if v not in ("", None) and k not in FLASH_PARAMS}
    params.update({k: v for k, v in changes.items()})
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


def page(request: Request[Any, Any, Any], name: str, status_code: int = 200,
         **context: Any) -> Template:
    me: SignedIn | None = request.scope.get("auth") if "auth" in request.scope else None
    return Template(template_name=name, status_code=status_code, context={
        "me": me, "csrf": me.csrf_token if me else "", "can": lambda role: can(me, role),
        "query_with": lambda **kw: query_with(request, **kw), "path": request.url.path,
        "is_htmx": request.headers.get("hx-request") == "true", **context,
    })
