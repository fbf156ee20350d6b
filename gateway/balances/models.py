"""Account balances as the PMS reports them, their history per sync, and manual edits.

`AccountBalance` holds the latest synced values of one account of one connector (its PMS);
`BalanceSync` is one applied snapshot (claimed by `(connector_id, seq)`, so two nodes never
apply two snapshots at once); `AccountBalanceHistory` keeps the values an account took at each
sync. `BalanceEdit` is a person's override of one portion: in force while the PMS keeps
reporting `synced_value`, superseded when the PMS reports something else.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, PracticeScoped
from gateway.db.types import Money

# The synced values compared between snapshots, in this order.
VALUE_FIELDS = (
    "location", "payer_name", "total", "patient_portion", "insurance_portion",
    "insurance_estimate", "bucket_0_30", "bucket_31_60", "bucket_61_90", "bucket_91_120",
    "bucket_120_plus", "last_statement", "last_payment", "claims",
)
EDITABLE = ("patient_portion", "insurance_portion")


class BalanceAmounts:
    """The money of an account as the PMS reports it (total, portions, estimate, the five
    buckets, the per-claim detail): one copy, for the account and for its history."""

    total: Mapped[Decimal] = mapped_column(Money())
    patient_portion: Mapped[Decimal] = mapped_column(Money())
    insurance_portion: Mapped[Decimal] = mapped_column(Money())
    insurance_estimate: Mapped[Decimal] = mapped_column(Money())
    bucket_0_30: Mapped[Decimal] = mapped_column(Money())
    bucket_31_60: Mapped[Decimal] = mapped_column(Money())
    bucket_61_90: Mapped[Decimal] = mapped_column(Money())
    bucket_91_120: Mapped[Decimal] = mapped_column(Money())
    bucket_120_plus: Mapped[Decimal] = mapped_column(Money())
    # open claims when the export details them (`gateway.balances.claims`: claim, service
    # date, payer, balance as a cents-exact decimal string); [] when it does not
    claims: Mapped[list[Any]] = mapped_column(JSON, default=list)


class BalanceSync(PracticeScoped, Base):
    __tablename__ = "balance_syncs"
    __table_args__ = (UniqueConstraint("connector_id", "seq"),)

    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"))
    seq: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    created: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    accounts: Mapped[int] = mapped_column(Integer, default=0)  # lines in the export
    held: Mapped[int] = mapped_column(Integer, default=0)  # of them held by a row problem
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the connector's open balance by bucket after this sync ("total" and BUCKET names, as
    # strings of cents-exact decimals): the A/R trend reads these
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the open accounts' fingerprint digest after this sync ([lines, high sum, low sum],
    # gateway.balances.unchanged); None when an open account had no fingerprint
    digest: Mapped[list[int] | None] = mapped_column(JSON)


class AccountBalance(BalanceAmounts, PracticeScoped, Base):
    __tablename__ = "account_balances"
    __table_args__ = (UniqueConstraint("connector_id", "account"),)

    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"))
    account: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / closed
    location: Mapped[str | None] = mapped_column(String(120))
    payer_name: Mapped[str | None] = mapped_column(String(200))
    last_statement: Mapped[dt.date | None] = mapped_column(Date)
    last_payment: Mapped[dt.date | None] = mapped_column(Date)
    last_sync_id: Mapped[int] = mapped_column(ForeignKey("balance_syncs.id"))
    # a digest of the export line last applied (None: closed, or synced before digests): a
    # line with the same digest says the same, so a re-sync neither parses nor writes it
    fingerprint: Mapped[int | None] = mapped_column(BigInteger)


class AccountBalanceHistory(BalanceAmounts, Keyed, Base):
    __tablename__ = "account_balance_history"
    __table_args__ = (UniqueConstraint("account_balance_id", "sync_id"),)

    account_balance_id: Mapped[int] = mapped_column(ForeignKey("account_balances.id"))
    sync_id: Mapped[int] = mapped_column(ForeignKey("balance_syncs.id"), index=True)
    change: Mapped[str] = mapped_column(String(10))  # created / changed / closed


class BalanceEdit(PracticeScoped, Base):
    __tablename__ = "balance_edits"

    account_balance_id: Mapped[int] = mapped_column(ForeignKey("account_balances.id"),
                                                    index=True)
    field: Mapped[str] = mapped_column(String(30))  # EDITABLE
    synced_value: Mapped[Decimal] = mapped_column(Money())  # what the PMS said when edited
    old_value: Mapped[Decimal] = mapped_column(Money())  # the effective value before
    new_value: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active/superseded/replaced
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    superseded_by_sync_id: Mapped[int | None] = mapped_column(ForeignKey("balance_syncs.id"))


class CollectionRule(PracticeScoped, Base):
    """An automatic collection rule, as data: which accounts go on the `action` worklist.

    `criteria` (all optional, all must hold): `min_patient_portion` (a decimal string),
    `oldest_bucket_at_least` ("0_30" .. "120_plus"), `no_payment_days` (int),
    `not_in_collections` (bool: skip accounts a `collections` rule already lists).
    """

    __tablename__ = "collection_rules"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))  # reminder / collections
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
