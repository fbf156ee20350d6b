"""The one filter dependency every list uses: the query string read into a filter Struct.

`filter_dependency(DepositFilter)` gives a handler its filters as one typed value instead of a
dozen query arguments; `filter_operation(DepositFilter)` documents each field as a query
parameter in the OpenAPI document. Every value is bounded here, whatever the Struct says: text
at most 200 characters without control characters, ids 1..2^63-1, amounts finite with at most
two decimals (`parse_amount`); a bad value is a located 4xx naming the parameter.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeVar

import msgspec
from litestar import Request
from litestar.di import Provide
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Operation, Schema
from litestar.openapi.spec import Parameter as OpenAPIParameter

from gateway.api.params import MAX_ID, parse_amount
from gateway.core.errors import UserError

S = TypeVar("S", bound=msgspec.Struct)

PAGING = ("limit", "offset")
MAX_TEXT = 200
MAX_REPEATS = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AT = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")


def _plain(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _core(annotation: Any) -> tuple[Any, bool]:
    """(the type without None and constraints, whether it is a list)."""
    annotation = _plain(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = _plain(args[0])
    if typing.get_origin(annotation) is list:
        return _plain(typing.get_args(annotation)[0]), True
    return annotation, False


def _bounded(name: str, kind: Any, text: str) -> Any:
    """One query value, bounded before msgspec converts it to `kind`."""
    if len(text) > MAX_TEXT or _CONTROL.search(text):
        raise UserError(f"at most {MAX_TEXT} characters, no control characters", where=name)
    if kind is Decimal:
        return parse_amount(text, where=name)
    if kind is int:
        low = 1 if name == "id" or name.endswith("_id") else 0
        if not re.fullmatch(r"\d{1,19}", text) or not low <= int(text) <= MAX_ID:
            raise UserError(f"a whole number {low}..2^63-1", where=name)
    return text


def read_filter(struct: type[S], query: Any) -> S:
    """`struct` from a query string (a MultiDict); UserError naming the parameter at fault."""
    raw: dict[str, Any] = {}
    for field in msgspec.structs.fields(struct):
        kind, many = _core(field.type)
        values = [v for v in query.getall(field.encode_name, []) if v != ""]
        if not values:
            continue
        if many:
            if len(values) > MAX_REPEATS:
                raise UserError(f"at most {MAX_REPEATS} values", where=field.encode_name)
            raw[field.encode_name] = [_bounded(field.encode_name, kind, v) for v in values]
        else:
            raw[field.encode_name] = _bounded(field.encode_name, kind, values[-1])
    try:
        return msgspec.convert(raw, struct, strict=False)
    except msgspec.ValidationError as exc:
        at = _AT.search(str(exc))
        raise UserError(str(exc).split(" - at ")[0], where=at.group(1) if at else "query") \
            from None


def filter_dependency(struct: type[S]) -> Provide:
    """A Litestar dependency giving the handler `struct` read from the query string."""

    async def provide_filter(request: Request[Any, Any, Any]) -> S:
        return read_filter(struct, request.query_params)

    provide_filter.__annotations__["return"] = struct
    return Provide(provide_filter)


def _schema(kind: Any) -> Schema:
    if typing.get_origin(kind) is Literal:
        return Schema(type=OpenAPIType.STRING, enum=list(typing.get_args(kind)))
    if kind is int:
        return Schema(type=OpenAPIType.INTEGER, minimum=0, maximum=MAX_ID)
    if kind is bool:
        return Schema(type=OpenAPIType.BOOLEAN)
    if kind is dt.date:
        return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE)
    if kind is Decimal:
        return Schema(type=OpenAPIType.STRING, pattern=r"^-?\d{1,12}(\.\d{1,2})?$")
    return Schema(type=OpenAPIType.STRING, max_length=MAX_TEXT, pattern=r"^[^\x00-\x1f\x7f]*$")


def filter_parameters(struct: type[msgspec.Struct]) -> list[OpenAPIParameter]:
    """Each field of `struct` as an optional query parameter."""
    out = []
    for field in msgspec.structs.fields(struct):
        if field.name in PAGING:
            continue  # the shared page dependency documents these
        kind, many = _core(field.type)
        schema = _schema(kind)
        if many:
            schema = Schema(type=OpenAPIType.ARRAY, items=schema, max_items=MAX_REPEATS)
        out.append(OpenAPIParameter(name=field.encode_name, param_in="query", required=False,
                                    schema=schema))
    return out


def filter_operation(struct: type[msgspec.Struct]) -> type[Operation]:
    """An operation class for `@get(operation_class=...)` listing `struct`'s parameters."""
    extra = filter_parameters(struct)

    @dataclass
    class FilteredOperation(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*extra, *(self.parameters or [])]

    return FilteredOperation


def filtered(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The `@get(...)` arguments of a list filtered by `struct`: the operation documenting
    its query parameters and the `filters` dependency reading them."""
    return {"operation_class": filter_operation(struct),
            "dependencies": {"filters": filter_dependency(struct)}}
