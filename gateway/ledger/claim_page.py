"""One page of the claim list as plain rows straight into `ClaimOut` (the API's list).

The list used to load ORM `Claim` objects, then patients and balances in two more queries:
at 100k claims its first page took 15x a /health answer. Here one statement reads the page's
claim columns, the patient's chart number and the ledger sums per kind (a grouped join over
the page's ids only), and each row becomes a `ClaimOut` with no ORM object in between.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.money import ZERO
from gateway.db.models import Patient
from gateway.ledger.balances import _FIELD_OF_KIND, Balances
from gateway.ledger.models import Claim, LedgerEntry
from gateway.ledger.schemas import ClaimOut

COLUMNS = ("id", "patient_control_number", "patient_id", "location_id", "payer_id",
           "payer_rank", "service_date_from", "service_date_to", "billing", "level", "status",
           "sub_status", "invoice_date", "diagnosis_codes", "source_claim_id", "billing_state",
           "billed_by", "billed_at", "rejection_reason", "origin")
"""The `Claim` columns a `ClaimOut` carries as they are."""


def _page_statement(query: Select[Any], limit: int, offset: int) -> Select[Any]:
    """The page of `query` (a `claims_query`) with chart numbers and ledger sums per kind."""
    page = query.with_only_columns(Claim.id).limit(limit).offset(offset).subquery()
    sums = [func.sum(case((LedgerEntry.kind == kind, LedgerEntry.amount))).label(kind)
            for kind in _FIELD_OF_KIND]
    return (select(*(getattr(Claim, c) for c in COLUMNS), Patient.account, *sums)
            .join(page, page.c.id == Claim.id)
            .outerjoin(Patient, Patient.id == Claim.patient_id)
            .outerjoin(LedgerEntry, LedgerEntry.claim_id == Claim.id)
            .group_by(Claim.id, Patient.account)
            .order_by(Claim.id))


async def claims_page(session: AsyncSession, query: Select[Any], limit: int,
                      offset: int) -> list[ClaimOut]:
    """`limit` claims of `query` after `offset`, each with its balances from the ledger."""
    out: list[ClaimOut] = []
    width = len(COLUMNS)
    for row in await session.execute(_page_statement(query, limit, offset)):
        values: dict[str, Any] = dict(zip(COLUMNS, row[:width], strict=True))
        balances = Balances(**{field: total if total is not None else ZERO for field, total
                               in zip(_FIELD_OF_KIND.values(), row[width + 1:], strict=True)})
        values.update(balances.as_dict())
        del values["patient_adjustments"]
        values["diagnosis_codes"] = list(values["diagnosis_codes"] or [])
        values["patient_account"] = row[width] or ""
        out.append(ClaimOut(**values))
    return out
