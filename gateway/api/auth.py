"""API keys: Bearer tokens resolved to a user of one practice with a role.

Every query is scoped to `Principal.practice_id`; another practice's object answers 404, the
same as one that does not exist, so ids cannot be probed across practices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select

from gateway.admin.keys import hash_key
from gateway.db.models import ApiKey, User

ROLE_RANK = {"viewer": 0, "biller": 1, "admin": 2}


class Principal(msgspec.Struct, frozen=True):
    user_id: int
    practice_id: int
    role: str

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


class ApiKeyAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("missing bearer API key")
        maker = connection.app.state.sessionmaker
        async with maker() as session:
            row = (
                await session.execute(
                    select(User.id, User.practice_id, User.role)
                    .join(ApiKey, ApiKey.user_id == User.id)
                    .where(
                        ApiKey.key_hash == hash_key(token.strip()),
                        ApiKey.revoked_at.is_(None),
                        User.active.is_(True),
                    )
                )
            ).first()
        if row is None:
            raise NotAuthorizedException("invalid API key")
        principal = Principal(user_id=row[0], practice_id=row[1], role=row[2])
        return AuthenticationResult(user=principal, auth=principal)


def requires(role: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """Guard: the key's role must be at least `role` (viewer < biller < admin)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if ROLE_RANK.get(principal.role, -1) < ROLE_RANK[role]:
            raise PermissionDeniedException(
                f"role {principal.role!r} may not do this; needs {role}")

    guard.__name__ = f"requires_{role}"
    return guard


async def provide_principal(request: Request[Principal, Principal, Any]) -> Principal:
    return request.user
