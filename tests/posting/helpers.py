"""Arranging claims, payers and coverages for posting tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import get_or_add_payer
from gateway.db.models import Coverage
from gateway.ledger.balances import Balances, claim_balances, line_balances
from gateway.ledger.models import Claim, ClaimLine
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims
from gateway.posting.era_import import EraImportResult, import_era_file

D = Decimal
DOS = dt.date(2026, 1, 5)


async def payers(session: AsyncSession, practice_id: int) -> dict[str, int]:
    acme, _ = await get_or_add_payer(session, practice_id, "Acme Health", "ACME1")
    second, _ = await get_or_add_payer(session, practice_id, "Second Plan", "SEC1")
    third, _ = await get_or_add_payer(session, practice_id, "Medicaid State", "MCD1")
    return {"acme": acme.id, "second": second.id, "third": third.id}


async def claim(
    session: AsyncSession, practice_id: int, pcn: str, lines: list[tuple[str, str, list[str]]],
    *, account: str = "A1", payer_id: int | None = None, rank: int = 1,
    last: str = "DOE", first: str = "JANE", dos: dt.date = DOS,
    coverages: list[tuple[int, int, str]] | None = None,
) -> int:
    """A claim with lines (code, charge, modifiers); coverages (rank, payer id, member id)."""
    (cid,) = await create_claims(session, practice_id, [ClaimIn(
        patient=PatientIn(account=account, last_name=last, first_name=first),
        service_date_from=dos, patient_control_number=pcn, payer_id=payer_id, payer_rank=rank,
        lines=[ClaimLineIn(procedure_code=c, charge=D(ch), modifiers=m) for c, ch, m in lines],
    )])
    if coverages:
        pid = await session.scalar(select(Claim.patient_id).where(Claim.id == cid))
        have = set((await session.scalars(
            select(Coverage.rank).where(Coverage.patient_id == pid))).all())
        for r, payer, member in coverages:
            if r not in have:
                session.add(Coverage(patient_id=pid, payer_id=payer, rank=r, member_id=member))
        await session.flush()
    return cid


async def balances(session: AsyncSession, claim_id: int) -> Balances:
    return (await claim_balances(session, [claim_id]))[claim_id]


async def line_bals(session: AsyncSession, claim_id: int) -> list[Balances]:
    ids = (await session.scalars(
        select(ClaimLine.id).where(ClaimLine.claim_id == claim_id)
        .order_by(ClaimLine.line_number))).all()
    per = await line_balances(session, [claim_id])
    return [per.get(i, Balances()) for i in ids]


async def import_text(session: AsyncSession, practice_id: int, text: str, tmp: Path,
                      name: str = "era.835", auto_post: bool = False) -> EraImportResult:
    path = tmp / name
    path.write_text(text)
    return await import_era_file(session, practice_id, path, owner="tester",
                                 auto_post=auto_post)


async def claim_row(session: AsyncSession, claim_id: int) -> Claim:
    c = await session.get(Claim, claim_id)
    assert c is not None
    await session.refresh(c)
    return c


async def line_ids(session: AsyncSession, claim_id: int) -> list[int]:
    return list((await session.scalars(
        select(ClaimLine.id).where(ClaimLine.claim_id == claim_id)
        .order_by(ClaimLine.line_number))).all())
