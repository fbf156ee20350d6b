"""A unique key decides a repeated adjudication between processes (issue 16 follow-up).

`gateway.posting.repeats` finds a repeat of a posting it can see. Two processes posting
different deposits that carry the same adjudication at the same moment cannot see each other's
uncommitted posting, so both would pass that check. Each posted claim therefore inserts the
digest of its adjudication into `claim_payment_fingerprints` (unique per claim) in the
posting's own transaction: on PostgreSQL the second insert waits for the first transaction
and, once it commits, conflicts. The loser's claim is decided again knowing the winner, and
becomes the Duplicate Claim Payment error the check would have raised had it run later.

A row whose posting is no longer in effect (reset, reversed, an accepted duplicate) does not
count: the next posting of that adjudication takes the row over (a conditional update, so the
database decides between two takers too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.posting.bulk import fetch, insert_absent_rows
from gateway.posting.models import ClaimPaymentFingerprint, DepositClaim
from gateway.posting.repeats import Fingerprint

_TABLE = cast(Table, ClaimPaymentFingerprint.__table__)
_TAKE_OVER_TRIES = 3


def digest(fp: Fingerprint) -> str:
    """The stored key of an adjudication: sha256 of its repr. Its amounts are as every
    process reads them from Money columns (cents, `Decimal("1.50")`), so equal adjudications
    have equal text; `repr` keeps it a C-speed step per posted claim."""
    return hashlib.sha256(repr(fp).encode()).hexdigest()


async def claim_fingerprints(session: AsyncSession,
                             posted: Mapping[int, Fingerprint]) -> dict[int, int]:
    """Insert the fingerprint of every deposit claim about to post ({deposit claim id:
    fingerprint}; the fingerprint's first item is the claim id). Returns {deposit claim id:
    the deposit claim whose posting in effect already holds that adjudication}: the losers."""
    if not posted:
        return {}
    keys = {dc_id: (fp[0], digest(fp)) for dc_id, fp in posted.items()}
    rows = [{"claim_id": claim_id, "fingerprint": key, "deposit_claim_id": dc_id}
            for dc_id, (claim_id, key) in keys.items()]
    if await insert_absent_rows(session, _TABLE, rows, ["claim_id", "fingerprint"]) == len(rows):
        return {}
    lost: dict[int, int] = {}
    for _ in range(_TAKE_OVER_TRIES):
        holders = await _holders(session, keys)
        taken = {dc_id: h for dc_id, h in holders.items() if h != dc_id}
        if not taken:
            return lost
        in_effect = await _in_effect(session, set(taken.values()))
        for dc_id, holder in taken.items():
            if holder in in_effect:
                lost[dc_id] = holder
                keys.pop(dc_id)
        stale = {dc_id: h for dc_id, h in taken.items() if h not in in_effect}
        if not stale:
            return lost
        for dc_id, holder in stale.items():
            claim_id, key = keys[dc_id]
            await session.execute(
                update(_TABLE).where(_TABLE.c.claim_id == claim_id, _TABLE.c.fingerprint == key,
                                     _TABLE.c.deposit_claim_id == holder)
                .values(deposit_claim_id=dc_id))
        # a taker that lost the conditional update sees the new holder on the next round
    raise RuntimeError("claim payment fingerprints: no stable holder after several tries")


async def _holders(session: AsyncSession,
                   keys: Mapping[int, tuple[int, str]]) -> dict[int, int]:
    """{deposit claim id: the deposit claim holding its key} for the keys held at all."""
    by_key = {key: dc_id for dc_id, key in keys.items()}
    found: dict[int, int] = {}
    items = list(by_key)
    for i in range(0, len(items), 500):
        part = items[i : i + 500]
        for claim_id, key, holder in await fetch(session, select(
                _TABLE.c.claim_id, _TABLE.c.fingerprint, _TABLE.c.deposit_claim_id).where(
                _TABLE.c.claim_id.in_({c for c, _ in part}),
                _TABLE.c.fingerprint.in_({k for _, k in part}))):
            dc_id = by_key.get((claim_id, key))
            if dc_id is not None:
                found[dc_id] = holder
    return found


async def _in_effect(session: AsyncSession, dc_ids: set[int]) -> set[int]:
    """Of these deposit claims, those whose posting is in effect (the same rule as
    `gateway.posting.repeats.load_posted`)."""
    rows = await fetch(session, select(DepositClaim.id, DepositClaim.overrides).where(
        DepositClaim.id.in_(dc_ids), DepositClaim.state == "posted",
        DepositClaim.reversed_by_id.is_(None), DepositClaim.remit_status != "22"))
    return {r.id for r in rows if not (r.overrides or {}).get("accept_duplicate")}


async def release(session: AsyncSession, dc_ids: list[int]) -> None:
    """Drop the fingerprints of postings undone (reset) or claims that did not post."""
    for i in range(0, len(dc_ids), 500):
        await session.execute(delete(_TABLE).where(
            _TABLE.c.deposit_claim_id.in_(dc_ids[i : i + 500])))
