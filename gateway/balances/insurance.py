"""The insurance side beside the claims: for each open account, the PMS's insurance portion
next to the sum of the insurance balances of the gateway's claims of that patient (same
account number). Differences are listed, never hidden or evened out."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.models import AccountBalance
from gateway.core.money import ZERO
from gateway.db.models import Patient
from gateway.ledger.balances import claim_balances
from gateway.ledger.models import Claim


class InsuranceDifference(msgspec.Struct, kw_only=True):
    account_id: int
    account: str
    pms_insurance_portion: Decimal
    claims_insurance_balance: Decimal
    difference: Decimal  # PMS minus claims
    claim_ids: list[int]


async def insurance_differences(session: AsyncSession, practice_id: int
                                ) -> list[InsuranceDifference]:
    """Accounts whose PMS insurance portion differs from their open claims' balances."""
    accounts = (await session.execute(
        select(AccountBalance.id, AccountBalance.account, AccountBalance.insurance_portion)
        .where(AccountBalance.practice_id == practice_id, AccountBalance.status == "open")
        .order_by(AccountBalance.account))).all()
    claims = (await session.execute(
        select(Patient.account, Claim.id).join(Patient, Patient.id == Claim.patient_id)
        .where(Claim.practice_id == practice_id))).all()
    by_account: dict[str, list[int]] = {}
    for account, claim_id in claims:
        by_account.setdefault(account, []).append(claim_id)
    balances = await claim_balances(session, [c for _, c in claims])
    out: list[InsuranceDifference] = []
    for account_id, account, pms in accounts:
        ids = [c for c in by_account.get(account, [])
               if c in balances and balances[c].insurance_balance != 0]
        ours = sum((balances[c].insurance_balance for c in ids), ZERO)
        if ours != pms:
            out.append(InsuranceDifference(
                account_id=account_id, account=account, pms_insurance_portion=pms,
                claims_insurance_balance=ours, difference=pms - ours, claim_ids=sorted(ids)))
    return out
