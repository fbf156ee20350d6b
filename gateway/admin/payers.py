"""Payers of a practice. Identity is the normalised name (or the clearinghouse payer id), so
"BLUE CROSS, INC." and "Blue Cross Inc" are one payer, never duplicated, never overwritten."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError
from gateway.db.models import Payer
from gateway.db.scoped import get_scoped
from gateway.db.upsert import insert_if_absent

_SUFFIXES = re.compile(r"\b(inc|llc|co|corp|corporation|company|ltd)\b")


def normalize_payer_name(name: str) -> str:
    """Case, punctuation, company suffixes and spacing do not make a different payer."""
    s = re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("&", " and "))
    s = _SUFFIXES.sub(" ", s)
    return " ".join(s.split())


async def find_payer(
    session: AsyncSession, practice_id: int, name: str | None, payer_id: str | None = None
) -> Payer | None:
    """The practice's payer with this clearinghouse id, else with this normalised name."""
    if payer_id:
        found = await session.scalar(
            select(Payer).where(Payer.practice_id == practice_id, Payer.payer_id == payer_id)
            .order_by(Payer.id).limit(1)
        )
        if found is not None:
            return found
    if name:
        return await session.scalar(
            select(Payer).where(
                Payer.practice_id == practice_id,
                Payer.normalized_name == normalize_payer_name(name),
            )
        )
    return None


async def get_or_add_payer(
    session: AsyncSession,
    practice_id: int,
    name: str,
    payer_id: str | None = None,
    *,
    source: str = "manual",
) -> tuple[Payer, bool]:
    """The matching payer, or a new Active one; (payer, created). Concurrent adds of the same
    payer by two processes end with one row: the unique constraint decides."""
    existing = await find_payer(session, practice_id, name, payer_id)
    if existing is not None:
        return existing, False
    normalized = normalize_payer_name(name)
    if not normalized:
        raise UserError(f"payer name {name!r} has no letters or digits", where="payer")
    new_id = await insert_if_absent(
        session,
        Payer.__table__,  # type: ignore[arg-type]
        {
            "practice_id": practice_id,
            "name": name.strip(),
            "normalized_name": normalized,
            "payer_id": payer_id or None,
            "status": "Active",
            "accepts_electronic_claims": True,
            "source": source,
        },
        ["practice_id", "normalized_name"],
    )
    payer = await find_payer(session, practice_id, name)
    assert payer is not None
    return payer, new_id is not None


async def get_payer(session: AsyncSession, practice_id: int, payer_pk: int) -> Payer:
    return await get_scoped(session, Payer, practice_id, payer_pk, what="payer")
