"""The small objects posting passes around instead of long parameter lists.

`PostingContext`: one deposit's posting (deposit, rules, actor, time, result).
`ChunkData`: what one chunk of deposit claims loaded in bulk, and the updates it collects.
`ClaimCase`: one deposit claim with its lines, adjustments and matched claim.
`Decision`: what evaluation decided for one claim (line mapping, payments, allocations, payment
types), which building turns into ledger rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from gateway.core.money import ZERO
from gateway.db.base import utcnow
from gateway.ledger.balances import Balances
from gateway.posting.matching import Line
from gateway.posting.models import Deposit, DepositAdjustment, DepositClaim, DepositProcedure
from gateway.posting.rules import ReasonRule, RuleSet
from gateway.posting.vocabulary import ErrorLevel, ErrorType


class PostResult(msgspec.Struct, kw_only=True):
    deposit_id: int
    posted_status: str
    posted_claims: int = 0
    error_claims: int = 0
    skipped_claims: int = 0
    ledger_rows: int = 0
    plb_applied: int = 0


class Problem(msgspec.Struct):
    """A posting error found while evaluating a claim (not yet stored)."""

    level: str
    type: str
    message: str
    detail: dict[str, Any]
    proc_id: int | None = None
    adj_id: int | None = None

    def key(self) -> tuple[str, int | None, int | None]:
        return (self.type, self.proc_id, self.adj_id)


def problem(
    error_type: ErrorType, message: str, detail: dict[str, Any], *,
    proc_id: int | None = None, adj_id: int | None = None, level: ErrorLevel | None = None,
) -> Problem:
    """A `Problem` at its type's level (or `level` where a type is raised at another one)."""
    return Problem(str(level or error_type.level), str(error_type), message, detail,
                   proc_id=proc_id, adj_id=adj_id)


class PostingContext:
    """What one deposit's posting needs everywhere."""

    def __init__(self, deposit: Deposit, rules: RuleSet, actor: str) -> None:
        self.deposit = deposit
        self.rules = rules
        self.actor = actor
        self.now = utcnow()
        self.notification = deposit.handling_code == "H"
        self.result = PostResult(deposit_id=deposit.id, posted_status=deposit.posted_status)
        # what this run posted, by fingerprint: a repeat within one deposit is a repeat too
        self.posted_now: dict[tuple[Any, ...], int] = {}


ErrorKey = tuple[str, int | None, int | None]


@dataclass
class ChunkData:
    """One chunk's bulk-loaded state, and the row updates evaluation collects for it."""

    procs_by_dc: dict[int, list[DepositProcedure]] = field(
        default_factory=lambda: defaultdict(list))
    claim_adjs: dict[int, list[DepositAdjustment]] = field(
        default_factory=lambda: defaultdict(list))
    line_adjs: dict[int, list[DepositAdjustment]] = field(
        default_factory=lambda: defaultdict(list))
    candidates: dict[int, list[int]] = field(default_factory=dict)
    claims: dict[int, dict[str, Any]] = field(default_factory=dict)
    lines: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))
    balances: dict[int, Balances] = field(default_factory=dict)
    coverages: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    earlier: dict[int, DepositClaim] = field(default_factory=dict)
    earlier_rows: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    crossover_payers: dict[str, int | None] = field(default_factory=dict)
    open_errors: dict[int, dict[ErrorKey, int]] = field(default_factory=lambda: defaultdict(dict))
    # postings in effect of the chunk's claims, by fingerprint (gateway.posting.repeats)
    posted_before: dict[tuple[Any, ...], int] = field(default_factory=dict)
    proc_updates: list[dict[str, Any]] = field(default_factory=list)
    adj_updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ClaimCase:
    """One deposit claim as evaluation and building see it."""

    dc: DepositClaim
    procs: list[DepositProcedure]
    claim_adjs: list[DepositAdjustment]
    claim: dict[str, Any]
    claim_lines: list[Line]

    @property
    def active(self) -> list[DepositProcedure]:
        return [p for p in self.procs if not p.excluded]

    @property
    def reversal(self) -> bool:
        return self.dc.remit_status == "22"

    @property
    def denied_claim(self) -> bool:
        return self.dc.remit_status == "4"


Allocation = list[tuple[DepositAdjustment, Decimal]]


@dataclass
class Decision:
    """What evaluation decided for one claim; building writes it."""

    mapping: dict[int, int] = field(default_factory=dict)  # deposit procedure id -> line id
    payment_by_line: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    alloc: dict[int, Allocation] = field(default_factory=lambda: defaultdict(list))
    ptype_of: dict[int, str] = field(default_factory=dict)  # adjustment id -> payment type
    rule_of: dict[int, ReasonRule | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # the claim-level CAS are taken from the lines' payments (see gateway.core.x12.balancing)
    claim_cas_from_lines: bool = False
    # lines whose payment a biller accepted beyond their open balance: already settled, so
    # their adjustments and patient transfers are not posted again (only the payment is)
    overpaid_lines: set[int] = field(default_factory=set)
    # what building posted: adjustment id -> amount written off / transferred with it
    posted_by_adjustment: dict[int, Decimal] = field(default_factory=dict)
    # what makes this claim's adjudication itself (gateway.posting.repeats)
    fingerprint: tuple[Any, ...] = ()
