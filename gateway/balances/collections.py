"""Automatic collection rules (data, one `CollectionRule` row each) and the worklist they
produce from the latest synced balances, with manual edits in force applied.

The worklist is worked out afresh on every run, so an account leaves it as soon as it no longer
matches. An account a `collections` rule lists is "in collections": rules with
`not_in_collections` skip it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.edits import active_edits, effective
from gateway.balances.layout import BUCKET_FIELDS
from gateway.balances.models import AccountBalance, CollectionRule
from gateway.balances.rules import Criteria, create_rule

BUCKET_NAMES = tuple(b.removeprefix("bucket_") for b in BUCKET_FIELDS)


class WorklistEntry(msgspec.Struct, kw_only=True):
    rule: str
    action: str
    account_id: int
    account: str
    location: str | None
    payer_name: str | None
    patient_portion: Decimal
    total: Decimal
    oldest_bucket: str | None
    last_payment: dt.date | None


async def add_rule(session: AsyncSession, practice_id: int, name: str, action: str,
                   criteria: dict[str, Any]) -> int:
    """A new rule (kept for callers of the first wave: `rules.create_rule`)."""
    return await create_rule(session, practice_id, name, action, criteria)


def oldest_bucket(account: AccountBalance) -> str | None:
    for field in reversed(BUCKET_FIELDS):
        if getattr(account, field) > 0:
            return field.removeprefix("bucket_")
    return None


def _matches(c: Criteria, account: AccountBalance, patient: Decimal, today: dt.date) -> bool:
    if c.min_patient_portion is not None and patient < c.min_patient_portion:
        return False
    if c.oldest_bucket_at_least is not None:
        oldest = oldest_bucket(account)
        if oldest is None or BUCKET_NAMES.index(oldest) < BUCKET_NAMES.index(
                c.oldest_bucket_at_least):
            return False
    if c.no_payment_days is not None and account.last_payment is not None:
        if (today - account.last_payment).days < c.no_payment_days:
            return False
    return True


async def worklist(session: AsyncSession, practice_id: int, today: dt.date
                   ) -> list[WorklistEntry]:
    """Every (rule, account) that matches now: collections rules first, then reminders."""
    rules = (await session.scalars(select(CollectionRule).where(
        CollectionRule.practice_id == practice_id)
        .order_by(CollectionRule.action, CollectionRule.id))).all()  # collections < reminder
    accounts = (await session.scalars(select(AccountBalance).where(
        AccountBalance.practice_id == practice_id, AccountBalance.status == "open")
        .order_by(AccountBalance.account))).all()
    edits: dict[int, list[Any]] = {}
    for e in await active_edits(session, [a.id for a in accounts]):
        edits.setdefault(e.account_balance_id, []).append(e)
    in_collections: set[int] = set()
    out: list[WorklistEntry] = []
    for rule in rules:
        c = msgspec.convert(rule.criteria, Criteria, strict=False)
        for a in accounts:
            if c.not_in_collections and a.id in in_collections:
                continue
            patient = effective(a, edits.get(a.id, []))["patient_portion"]
            if not _matches(c, a, patient, today):
                continue
            if rule.action == "collections":
                in_collections.add(a.id)
            out.append(WorklistEntry(
                rule=rule.name, action=rule.action, account_id=a.id, account=a.account,
                location=a.location, payer_name=a.payer_name, patient_portion=patient,
                total=a.total, oldest_bucket=oldest_bucket(a), last_payment=a.last_payment))
    return out
