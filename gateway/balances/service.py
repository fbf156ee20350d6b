"""Balance services the job, the API and the CLI share: sync a connector, list accounts, show
one account with its synced and effective portions side by side."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import load_connector
from gateway.balances.claims import ClaimView, claim_views
from gateway.balances.edits import active_edits, effective, get_account
from gateway.balances.models import (
    AccountBalance,
    AccountBalanceHistory,
    BalanceEdit,
    BalanceSync,
)
from gateway.balances.schemas import AccountHead
from gateway.balances.sync import SyncResult, apply_snapshot
from gateway.core.errors import UserError
from gateway.core.hooks import get_hooks

BUCKETS = ("bucket_0_30", "bucket_31_60", "bucket_61_90", "bucket_91_120", "bucket_120_plus")
SORTS = ("account", "total", "patient_portion", "insurance_portion")


async def sync_connector(session: AsyncSession, practice_id: int, connector_ref: int | str
                         ) -> SyncResult:
    """Pull the connector's newest balance export and apply it (one transaction: the
    caller's). A file that cannot be read raises before anything is written."""
    connector = await load_connector(session, practice_id, connector_ref)
    snapshot = await get_hooks().pull_balances(connector)
    if snapshot is None:
        raise UserError(f"plugin {connector.plugin!r} does not pull balances",
                        where="connector")
    return await apply_snapshot(session, practice_id, connector.id, snapshot)


class AccountFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    bucket: Literal["0_30", "31_60", "61_90", "91_120", "120_plus"] | None = None
    portion: Literal["patient", "insurance"] | None = None
    location: str | None = None
    payer: str | None = None
    include_closed: bool = False
    sort: str = "account"
    descending: bool = False
    offset: int = 0
    limit: int = 50


async def list_accounts(session: AsyncSession, practice_id: int, flt: AccountFilter
                        ) -> tuple[int, list[AccountBalance]]:
    """Accounts with a balance in `bucket` / the `portion`, at `location`, of `payer`."""
    if flt.sort not in SORTS:
        raise UserError(f"sort must be one of {', '.join(SORTS)}", where="sort")
    if not 1 <= flt.limit <= 500 or flt.offset < 0:
        raise UserError("limit is 1..500 and offset at least 0", where="limit")
    q = select(AccountBalance).where(AccountBalance.practice_id == practice_id)
    if not flt.include_closed:
        q = q.where(AccountBalance.status == "open")
    if flt.bucket:
        q = q.where(getattr(AccountBalance, f"bucket_{flt.bucket}") != 0)
    if flt.portion:
        q = q.where(getattr(AccountBalance, f"{flt.portion}_portion") != 0)
    if flt.location:
        q = q.where(AccountBalance.location == flt.location)
    if flt.payer:
        q = q.where(AccountBalance.payer_name == flt.payer)
    total = await session.scalar(select(func.count()).select_from(q.subquery())) or 0
    column = getattr(AccountBalance, flt.sort)
    q = q.order_by(column.desc() if flt.descending else column, AccountBalance.id)
    rows = (await session.scalars(q.offset(flt.offset).limit(flt.limit))).all()
    return total, list(rows)


class PortionView(msgspec.Struct, kw_only=True):
    synced: Decimal
    effective: Decimal
    edit_id: int | None = None


class EditView(msgspec.Struct, kw_only=True):
    id: int
    field: str
    synced_value: Decimal
    old_value: Decimal
    new_value: Decimal
    reason: str
    actor: str
    status: str
    created_at: dt.datetime
    superseded_by_sync_id: int | None


class HistoryView(msgspec.Struct, kw_only=True):
    sync_id: int
    synced_at: dt.datetime
    change: str
    total: Decimal
    patient_portion: Decimal
    insurance_portion: Decimal
    claims: list[ClaimView]  # the per-claim detail this sync reported


class AccountView(AccountHead, kw_only=True):
    insurance_estimate: Decimal
    buckets: dict[str, Decimal]
    patient_portion: PortionView
    insurance_portion: PortionView
    last_statement: dt.date | None
    last_payment: dt.date | None
    claims: list[ClaimView]  # per-claim detail, when the PMS export has it
    edits: list[EditView]
    history: list[HistoryView]


async def account_view(session: AsyncSession, practice_id: int, account_id: int) -> AccountView:
    """One account: synced and effective portions side by side, its edits and history."""
    a = await get_account(session, practice_id, account_id)
    in_force = await active_edits(session, [a.id])
    values = effective(a, in_force)
    edit_of = {e.field: e.id for e in in_force}
    edits = (await session.scalars(select(BalanceEdit).where(
        BalanceEdit.account_balance_id == a.id).order_by(BalanceEdit.id))).all()
    history = (await session.execute(
        select(AccountBalanceHistory, BalanceSync.created_at)
        .join(BalanceSync, BalanceSync.id == AccountBalanceHistory.sync_id)
        .where(AccountBalanceHistory.account_balance_id == a.id)
        .order_by(AccountBalanceHistory.sync_id))).all()
    return AccountView(
        id=a.id, account=a.account, connector_id=a.connector_id, status=a.status,
        location=a.location, payer_name=a.payer_name, total=a.total,
        insurance_estimate=a.insurance_estimate,
        buckets={b.removeprefix("bucket_"): getattr(a, b) for b in BUCKETS},
        patient_portion=PortionView(synced=a.patient_portion,
                                    effective=values["patient_portion"],
                                    edit_id=edit_of.get("patient_portion")),
        insurance_portion=PortionView(synced=a.insurance_portion,
                                      effective=values["insurance_portion"],
                                      edit_id=edit_of.get("insurance_portion")),
        last_statement=a.last_statement, last_payment=a.last_payment,
        claims=claim_views(a.claims),
        edits=[EditView(id=e.id, field=e.field, synced_value=e.synced_value,
                        old_value=e.old_value, new_value=e.new_value, reason=e.reason,
                        actor=e.actor, status=e.status, created_at=e.created_at,
                        superseded_by_sync_id=e.superseded_by_sync_id) for e in edits],
        history=[HistoryView(sync_id=h.sync_id, synced_at=at, change=h.change, total=h.total,
                             patient_portion=h.patient_portion,
                             insurance_portion=h.insurance_portion,
                             claims=claim_views(h.claims)) for h, at in history],
    )

