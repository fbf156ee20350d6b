"""Per-claim detail of an account, when the PMS's balance export has it (the layouts with a
`claims` column say so: Compulink's and RevolutionEHR's).

The detail is one cell of the account's row: the account's open claims separated by `;`, each
`claim number|date of service|payer|insurance balance` (date and payer may be empty). It is
stored as JSON beside the account's amounts and in each history row (so the detail, too, can
be seen over time), money as cents-exact decimal strings, never floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from gateway.core.errors import UserError
from gateway.core.money import parse_money
from gateway.core.records import BalanceClaim


class ClaimView(msgspec.Struct, kw_only=True):
    claim: str
    service_date: dt.date | None
    payer_name: str | None
    balance: Decimal


def parse_claims(cell: str, where: str,
                 read_date: Callable[[str], dt.date | None]) -> tuple[BalanceClaim, ...]:
    """The claims of one cell; a part that is not `claim|date|payer|balance` is a located
    error (`where` names file, row and field)."""
    out: list[BalanceClaim] = []
    for number, item in enumerate((i for i in cell.split(";") if i.strip()), 1):
        parts = [p.strip() for p in item.split("|")]
        if len(parts) != 4 or not parts[0]:
            raise UserError(f"claim {number} is not 'claim|date of service|payer|balance': "
                            f"{len(parts)} part(s)", where=where)
        claim, service_date, payer, balance = parts
        out.append(BalanceClaim(claim=claim[:50], service_date=read_date(service_date),
                                payer_name=payer[:200] or None,
                                balance=parse_money(balance, where=where)))
    return tuple(out)


def claims_json(claims: tuple[BalanceClaim, ...]) -> list[dict[str, Any]]:
    """As stored: dates ISO, balances decimal strings (what `now.values` compares to)."""
    return [{"claim": c.claim, "service_date": c.service_date.isoformat() if c.service_date
             else None, "payer_name": c.payer_name, "balance": str(c.balance)} for c in claims]


def claim_views(stored: list[dict[str, Any]]) -> list[ClaimView]:
    return msgspec.convert(stored, list[ClaimView], strict=False)
