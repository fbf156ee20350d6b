"""A deposit's totals and counts, stored on the deposit so the lists and the details page read
them instead of re-aggregating every claim of every deposit on each request (issue 18, item 6).

What is stored (`TOTALS`, columns of `Deposit`), from the deposit's own rows:
  claim_count        its claims
  posted_claim_count its claims in state "posted"
  payments_total     sum of CLP04 of its claims that are not excluded
  exclusions_total   sum of CLP04 of its excluded claims
  adjustments_total  sum of its claim and line adjustments that change balances (payment type
                     in `BALANCE_TYPES`), of claims and lines not excluded
  open_error_count   its posting errors not resolved

`refresh_deposit_totals` recomputes them from the rows; it is the one place that writes them,
called at the end of every service that changes what they sum: the ERA import and the manual
EOB (`era_import.create_deposits_from_era`, `eob.create_eob_deposit`), posting
(`engine.post_deposit`), reset (`reset.reset_deposit`), a resolution (`queue._close`) and
Ignore / New (`deposit_status.set_deposit_status`). A Statement deposit's payments are its
ePayments (the statements domain), added where deposits are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.posting.models import (
    Deposit,
    DepositAdjustment,
    DepositClaim,
    DepositProcedure,
    PostingError,
)
from gateway.posting.rules import BALANCE_TYPES

TOTALS = ("claim_count", "posted_claim_count", "payments_total", "exclusions_total",
          "adjustments_total", "open_error_count")
CHUNK = 500


def _zero() -> dict[str, Any]:
    return {"claim_count": 0, "posted_claim_count": 0, "payments_total": ZERO,
            "exclusions_total": ZERO, "adjustments_total": ZERO, "open_error_count": 0}


async def deposit_totals_from_rows(session: AsyncSession,
                                   deposit_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The totals of each deposit as its rows sum today (three grouped queries)."""
    out = {dep_id: _zero() for dep_id in deposit_ids}
    dc, a, p, e = DepositClaim, DepositAdjustment, DepositProcedure, PostingError
    claims = (
        select(dc.deposit_id, func.count(),
               func.sum(case((dc.state == "posted", 1), else_=0)),
               func.sum(case((dc.excluded.is_(False), dc.paid), else_=0)),
               func.sum(case((dc.excluded.is_(True), dc.paid), else_=0)))
        .where(dc.deposit_id.in_(deposit_ids)).group_by(dc.deposit_id))
    for dep_id, n, posted, paid, excluded in (await session.execute(claims)).all():
        out[dep_id].update(claim_count=n, posted_claim_count=int(posted or 0),
                           payments_total=_cents(paid), exclusions_total=_cents(excluded))
    adjustments = (
        select(a.deposit_id, func.sum(a.amount))
        .join(dc, dc.id == a.deposit_claim_id)
        .outerjoin(p, p.id == a.deposit_procedure_id)
        .where(a.deposit_id.in_(deposit_ids), a.payment_type.in_(BALANCE_TYPES),
               dc.excluded.is_(False), or_(p.id.is_(None), p.excluded.is_(False)))
        .group_by(a.deposit_id))
    for dep_id, total in (await session.execute(adjustments)).all():
        out[dep_id]["adjustments_total"] = total or ZERO
    errors = (select(e.deposit_id, func.count())
              .where(e.deposit_id.in_(deposit_ids), e.resolved_at.is_(None))
              .group_by(e.deposit_id))
    for dep_id, n in (await session.execute(errors)).all():
        out[dep_id]["open_error_count"] = n
    return out


def _cents(raw: Any) -> Decimal:
    """A sum of a Money column through `case(...)` comes back as raw integer cents."""
    if raw is None:
        return ZERO
    if isinstance(raw, Decimal):
        return raw
    return (Decimal(int(raw)) / 100).quantize(Decimal("0.01"))


async def refresh_deposit_totals(session: AsyncSession, deposit_ids: Iterable[int]) -> None:
    """Recompute and store the totals of these deposits (in the caller's transaction)."""
    ids = sorted(set(deposit_ids))
    if not ids:
        return
    await session.flush()
    table: Table = Deposit.__table__  # type: ignore[assignment]  # a mapped class's Table
    stmt = (update(table).where(table.c.id == bindparam("b_id"))
            .values({col: bindparam(f"b_{col}") for col in TOTALS}))
    for i in range(0, len(ids), CHUNK):
        totals = await deposit_totals_from_rows(session, ids[i:i + CHUNK])
        await session.execute(stmt, [
            {"b_id": dep_id, **{f"b_{k}": v for k, v in row.items()}}
            for dep_id, row in totals.items()])
    loaded = [obj for obj in session.identity_map.values()
              if isinstance(obj, Deposit) and obj.id in set(ids)]
    for dep in loaded:  # objects the caller holds show what was stored
        await session.refresh(dep, attribute_names=list(TOTALS))
