"""The OpenAPI document: the bearer security scheme and, on every operation, the problem
responses it can give (400, 401, 403, 404, 422, 409 for writes, and 413 for uploads)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from gateway.core.version import GATEWAY_VERSION

PROBLEM_MEDIA = "application/problem+json"


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem: `where` names the parameter, field, file or row at fault."""

    status: int
    title: str
    detail: str
    request_id: str
    where: str | None = None


ERRORS = {
    400: "The request cannot be read (malformed JSON or form, a body nested too deeply).",
    401: "No valid bearer API key.",
    403: "The key's role may not do this.",
    404: "No such object in the key's practice (another practice's answers the same).",
    422: "A value is refused (a bad id, limit, amount, date, file content, or an upload over a "
    "row, column or cell limit); `where` names the parameter, field, file or row.",
}
WRITE_ERRORS = {
    409: "The change conflicts with the data as it is (a record with the same key exists, or a "
    "rule of the data would break); the rule is named in `detail`.",
}
UPLOAD_ERRORS = {
    413: "The upload is larger than allowed.",
}


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=Problem, description=description, media_type=PROBLEM_MEDIA,
                        generate_examples=False)


def document_errors(handler: Any, *, public: bool = False) -> None:
    """Adds the problem responses (and, unless `public`, the bearer requirement) to a route
    handler before the app registers it."""
    if not isinstance(handler, HTTPRouteHandler):
        return
    codes = dict(ERRORS)
    if public:
        codes = {}
    uploads = isinstance(handler.request_max_body_size, int)
    if handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"} and not public:
        codes.update(WRITE_ERRORS)
    if handler.http_methods & {"POST", "PUT", "PATCH"} and uploads:
        codes.update(UPLOAD_ERRORS)
    handler.responses = {**{c: _spec(d) for c, d in codes.items()}, **(handler.responses or {})}
    if public:
        handler.security = [{}]


def document_routes(routes: list[Any]) -> list[Any]:
    """`document_errors` on every handler of these routes (controllers or handlers)."""
    for route in routes:
        members = vars(route).values() if isinstance(route, type) else [route]
        for member in members:
            document_errors(member)
    return routes


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Eye-care integration gateway",
        version=GATEWAY_VERSION,
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
        security=[{"BearerAuth": []}],
        use_handler_docstrings=True,
        components=Components(security_schemes={
            "BearerAuth": SecurityScheme(type="http", scheme="bearer",
                                         description="An API key: `Authorization: Bearer gw_...`"),
        }),
    )
