"""Turning submitted form fields into the services' own input shapes.

Forms post text; the services take msgspec Structs. `struct_from_form` converts with
msgspec's string coercion, so a bad number is a located `UserError` (a 400 page), never a
traceback; blank fields count as absent.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar import Request

from gateway.core.errors import UserError

S = TypeVar("S", bound=msgspec.Struct)
CONTROL_FIELDS = frozenset({"csrf_token", "back"})


async def form_fields(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The form as a dict: blank values dropped, repeated names as lists."""
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        if key in CONTROL_FIELDS:
            continue
        values = [v for v in form.getall(key) if not (isinstance(v, str) and not v.strip())]
        if not values:
            continue
        out[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return {k.removesuffix("[]"): v for k, v in out.items()}


def struct_from_form(data: dict[str, Any], shape: type[S]) -> S:
    try:
        return msgspec.convert(data, shape, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        where = text.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in text else None
        raise UserError(text.split(" - at ")[0], where=where) from None


def back_to(request_form_back: str | None, default: str) -> str:
    """Where to go after a form: the page it came from, when that is a path on this site."""
    target = request_form_back or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default
