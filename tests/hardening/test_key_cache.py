"""The API-key lookup is cached briefly (most requests skip the key query), and a revoked key
or a deactivated user is still refused within the cache's few seconds (a clock the test moves
stands in for waiting)."""

from __future__ import annotations

import datetime as dt

from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.keys import hash_key
from gateway.api.auth import KeyCache
from gateway.db.models import ApiKey, User
from tests.conftest import PracticeKeys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_revoked_key_is_refused_once_its_cache_entry_expires(
        client: AsyncTestClient, session: AsyncSession, practice: PracticeKeys) -> None:
    clock = Clock()
    cache = KeyCache(ttl=5.0, clock=clock)
    client.app.state.key_cache = cache
    headers = practice.headers("viewer")
    assert (await client.get("/api/claims", headers=headers)).status_code == 200
    await session.execute(update(ApiKey).where(ApiKey.key_hash == hash_key(practice.viewer))
                          .values(revoked_at=dt.datetime.now(dt.UTC)))
    await session.commit()
    # within the cache's lifetime the key still works: the lookup was not repeated
    clock.now += 4.9
    assert (await client.get("/api/claims", headers=headers)).status_code == 200
    clock.now += 0.2
    r = await client.get("/api/claims", headers=headers)
    assert r.status_code == 401, r.text
    assert (await client.get("/api/claims", headers=headers)).status_code == 401


async def test_a_deactivated_user_and_an_unknown_key(
        client: AsyncTestClient, session: AsyncSession, practice: PracticeKeys) -> None:
    clock = Clock()
    client.app.state.key_cache = KeyCache(ttl=5.0, clock=clock)
    headers = practice.headers("biller")
    assert (await client.get("/api/claims", headers=headers)).status_code == 200
    await session.execute(update(User).where(User.email.like("biller@%")).values(active=False))
    await session.commit()
    clock.now += 5.0
    assert (await client.get("/api/claims", headers=headers)).status_code == 401
    # unknown keys are not cached: each is looked up, and refused
    for _ in range(2):
        r = await client.get("/api/claims", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401


def test_the_cache_stays_bounded() -> None:
    from gateway.api.auth import Principal

    cache = KeyCache(max_entries=3)
    for i in range(10):
        cache.put(f"h{i}", Principal(user_id=i, practice_id=1, role="viewer"))
        assert len(cache._entries) <= 3
    assert cache.get("h9") is not None and cache.get("h0") is None
