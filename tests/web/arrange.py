"""Arranging posting and receipt data for the page tests, through the services themselves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.posting.engine import post_deposit
from gateway.posting.era_import import import_era_bytes
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835


async def unmatched_claim_deposit(db: AsyncSession, practice_id: int, n: int) -> dict[str, int]:
    """A posted ERA deposit with one claim the gateway cannot find (a claim-level error),
    and the claim it should have been: (claim_id, deposit_id)."""
    p = await h.payers(db, practice_id)
    claim_id = await h.claim(db, practice_id, f"WEB-{n}", [("92014", "150.00", [])],
                             payer_id=p["acme"], account=f"ACC{n}", last="ROE", first="RITA")
    era = build_835([Pay(f"TRC{n}", "100.00", [
        Clp(f"LOST-{n}", "1", "150.00", "100.00",
            [Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")])],
            patient=("NOBODY", "N", f"Q{n}")),
    ])], control=n)
    result = await import_era_bytes(db, practice_id, era.encode(), f"web{n}.835",
                                    owner="tester", auto_post=False)
    (dep,) = result.deposits
    await post_deposit(db, practice_id, dep.id, actor="tester")
    await db.commit()
    return {"claim_id": claim_id, "deposit_id": dep.id, **p}


async def clean_deposit(db: AsyncSession, practice_id: int, n: int) -> dict[str, int]:
    """A new (not posted) ERA deposit whose one claim matches and balances."""
    p = await h.payers(db, practice_id)
    claim_id = await h.claim(db, practice_id, f"OK-{n}", [("92014", "150.00", [])],
                             payer_id=p["acme"], account=f"OKA{n}")
    era = build_835([Pay(f"OKT{n}", "100.00", [
        Clp(f"OK-{n}", "1", "150.00", "100.00",
            [Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")])]),
    ])], control=1000 + n)
    result = await import_era_bytes(db, practice_id, era.encode(), f"ok{n}.835",
                                    owner="tester", auto_post=False)
    (dep,) = result.deposits
    await db.commit()
    return {"claim_id": claim_id, "deposit_id": dep.id, **p}


async def error_receipts(db: AsyncSession, practice_id: int, count: int) -> list[int]:
    """Receipts whose chart number matches no patient: the engine leaves them as errors."""
    import datetime as dt
    from decimal import Decimal

    from gateway.receipts.schemas import ReceiptIn
    from gateway.receipts.service import create_receipt

    ids = [await create_receipt(db, practice_id, ReceiptIn(
        received_on=dt.date(2026, 3, 1), amount=Decimal(f"{10 + n}.00"),
        patient_account=f"UNKNOWN{n}"), actor="tester") for n in range(count)]
    await db.commit()
    return ids


async def procedure_conflict_deposit(db: AsyncSession, practice_id: int,
                                     n: int) -> dict[str, int]:
    """A posted ERA whose service line names a code the claim does not have."""
    p = await h.payers(db, practice_id)
    claim_id = await h.claim(db, practice_id, f"PC-{n}", [("92014", "150.00", [])],
                             payer_id=p["acme"], account=f"PCA{n}")
    era = build_835([Pay(f"PCT{n}", "100.00", [
        Clp(f"PC-{n}", "1", "150.00", "100.00",
            [Svc("92250", "150.00", "100.00", [("CO", "45", "50.00")])]),
    ])], control=2000 + n)
    result = await import_era_bytes(db, practice_id, era.encode(), f"pc{n}.835",
                                    owner="tester", auto_post=False)
    (dep,) = result.deposits
    await post_deposit(db, practice_id, dep.id, actor="tester")
    await db.commit()
    return {"claim_id": claim_id, "deposit_id": dep.id}
