"""API keys: Bearer tokens resolved to a user of one practice with a role.

Every query is scoped to `Principal.practice_id`; another practice's object answers 404, the
same as one that does not exist, so ids cannot be probed across practices.
"""

from __future__ import annotations

import time
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


class KeyCache:
    """Principals of recently seen keys, by key hash, for `ttl` seconds: most requests then
    skip the key query (its own session and round trip). A revoked key or a deactivated
    user is refused again once the entry expires, so revocation takes effect within `ttl`
    seconds in every process. Unknown keys are never cached (a new key works at once)."""

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, key_hash: str) -> Principal | None:
        hit = self._entries.get(key_hash)
        if hit is None:
            return None
        if hit[0] <= self.clock():
            del self._entries[key_hash]
            return None
        return hit[1]

    def put(self, key_hash: str, principal: Principal) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded: a flood of keys costs queries, not memory
        self._entries[key_hash] = (self.clock() + self.ttl, principal)


async def _lookup(connection: ASGIConnection[Any, Any, Any, Any],
                  key_hash: str) -> Principal | None:
    async with connection.app.state.sessionmaker() as session:
        row = (
            await session.execute(
                select(User.id, User.practice_id, User.role)
                .join(ApiKey, ApiKey.user_id == User.id)
                .where(
                    ApiKey.key_hash == key_hash,
                    ApiKey.revoked_at.is_(None),
                    User.active.is_(True),
                )
            )
        ).first()
    return None if row is None else Principal(user_id=row[0], practice_id=row[1], role=row[2])


class ApiKeyAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("missing bearer API key")
        key_hash = hash_key(token.strip())
        cache: KeyCache | None = connection.app.state.get("key_cache")
        principal = cache.get(key_hash) if cache is not None else None
        if principal is None:
            principal = await _lookup(connection, key_hash)
            if principal is None:
                raise NotAuthorizedException("invalid API key")
            if cache is not None:
                cache.put(key_hash, principal)
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
