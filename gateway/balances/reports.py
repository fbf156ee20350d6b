"""The A/R summary: open balance by bucket x payer and x location from the latest synced
balances, and its trend over the last syncs (totals kept on each sync)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.layout import BUCKET_FIELDS
from gateway.balances.models import AccountBalance, BalanceSync

BUCKETS = tuple(b.removeprefix("bucket_") for b in BUCKET_FIELDS)
NONE_LABEL = "(none)"


class TrendPoint(msgspec.Struct, kw_only=True):
    sync_id: int
    connector_id: int
    synced_at: dt.datetime
    total: Decimal
    buckets: dict[str, Decimal]


class ArSummary(msgspec.Struct, kw_only=True):
    buckets: tuple[str, ...]
    total: Decimal
    by_payer: dict[str, dict[str, Decimal]]
    by_location: dict[str, dict[str, Decimal]]
    trend: list[TrendPoint]


async def _grid(session: AsyncSession, practice_id: int, column: str
                ) -> dict[str, dict[str, Decimal]]:
    group = getattr(AccountBalance, column)
    sums = [func.sum(getattr(AccountBalance, b)) for b in BUCKET_FIELDS]
    rows = await session.execute(
        select(group, *sums).where(AccountBalance.practice_id == practice_id,
                                   AccountBalance.status == "open")
        .group_by(group).order_by(group))
    return {(r[0] or NONE_LABEL): dict(zip(BUCKETS, (v or Decimal("0.00") for v in r[1:]),
                                           strict=True)) for r in rows}


async def ar_summary(session: AsyncSession, practice_id: int, last: int = 12) -> ArSummary:
    by_payer = await _grid(session, practice_id, "payer_name")
    by_location = await _grid(session, practice_id, "location")
    syncs = (await session.scalars(select(BalanceSync).where(
        BalanceSync.practice_id == practice_id).order_by(BalanceSync.id.desc())
        .limit(last))).all()
    trend = [TrendPoint(sync_id=s.id, connector_id=s.connector_id, synced_at=s.created_at,
                        total=Decimal(s.totals.get("total", "0.00")),
                        buckets={b: Decimal(s.totals.get(f"bucket_{b}", "0.00"))
                                 for b in BUCKETS}) for s in reversed(syncs)]
    total = sum((sum(v.values(), Decimal("0.00")) for v in by_payer.values()), Decimal("0.00"))
    return ArSummary(buckets=BUCKETS, total=total, by_payer=by_payer, by_location=by_location,
                     trend=trend)
