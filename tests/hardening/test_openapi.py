"""The OpenAPI document says how to authenticate and what every operation can answer."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

METHODS = {"get", "post", "put", "patch", "delete"}


async def test_every_operation_is_described_secured_and_lists_its_errors(
        client: AsyncTestClient) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    assert doc["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer gw_...`"}
    assert doc["security"] == [{"BearerAuth": []}]
    undescribed, missing = [], []
    operations = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            operations += 1
            if not op.get("description"):
                undescribed.append(f"{method} {path}")
            if path == "/health":
                continue
            for code in ("400", "401", "403", "404", "422"):
                response = op["responses"].get(code)
                if response is None or "application/problem+json" not in response["content"]:
                    missing.append(f"{method} {path} {code}")
    assert operations > 40
    assert undescribed == []
    assert missing == []
