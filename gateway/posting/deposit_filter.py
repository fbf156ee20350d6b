"""The deposit filter: one copy of the conditions the deposit search and the reconciliation
report both apply (dates, trace, payer, amount, statuses, file, owner, open errors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, exists, func, or_, select

from gateway.core.money import cents
from gateway.db.models import Payer
from gateway.posting.models import Deposit, PostingError

ErrorFilter = Literal["any", "deposit", "claim", "procedure", "none"]


class DepositFilter(msgspec.Struct, kw_only=True):
    """What a biller filters deposits by; every field is optional."""

    id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    check_trace_id: str | None = None
    payer: str | None = None
    amount: Decimal | None = None
    status: str | None = None
    posted_status: str | None = None
    type: str | None = None
    era_id: str | None = None
    file_name: str | None = None
    owner: str | None = None
    imported_file_id: int | None = None
    errors: ErrorFilter | None = None


def _payer_condition(practice_id: int, payer: str) -> ColumnElement[bool]:
    text = payer.strip()
    like = f"%{text.lower()}%"
    payer_ids = select(Payer.id).where(
        Payer.practice_id == practice_id,
        or_(func.lower(Payer.name).like(like), Payer.payer_id == text,
            *([Payer.id == int(text)] if text.isdigit() else [])),
    )
    return or_(Deposit.payer_id.in_(payer_ids), func.lower(Deposit.era_payer_name).like(like),
               Deposit.era_payer_id == text)


def _errors_condition(errors: ErrorFilter) -> ColumnElement[bool]:
    cond: list[Any] = [PostingError.deposit_id == Deposit.id, PostingError.resolved_at.is_(None)]
    if errors == "none":
        return ~exists().where(*cond)
    if errors != "any":
        cond.append(PostingError.level == errors)
    return exists().where(*cond)


def deposit_conditions(practice_id: int, f: DepositFilter) -> list[ColumnElement[bool]]:
    """WHERE conditions for the deposits of a practice that pass the filter."""
    conds: list[ColumnElement[bool]] = [Deposit.practice_id == practice_id]
    equal: list[tuple[Any, Any]] = [
        (Deposit.id, f.id), (Deposit.status, f.status or None),
        (Deposit.posted_status, f.posted_status or None), (Deposit.type, f.type or None),
        (Deposit.era_id, f.era_id or None), (Deposit.owner, f.owner or None),
        (Deposit.imported_file_id, f.imported_file_id),
    ]
    conds.extend(column == value for column, value in equal if value is not None)
    if f.date_from:
        conds.append(Deposit.deposit_date >= f.date_from)
    if f.date_to:
        conds.append(Deposit.deposit_date <= f.date_to)
    if f.check_trace_id:
        conds.append(Deposit.check_trace_id == f.check_trace_id.strip())
    if f.payer:
        conds.append(_payer_condition(practice_id, f.payer))
    if f.amount is not None:
        conds.append(Deposit.amount == cents(f.amount))
    if f.file_name:
        conds.append(func.lower(Deposit.file_name).like(f"%{f.file_name.lower()}%"))
    if f.errors:
        conds.append(_errors_condition(f.errors))
    return conds
