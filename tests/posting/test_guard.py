"""The posting guard on its own: rows that pay other than the payer paid, or use an
adjustment beyond its amount, are refused as a claim-level error (never raised)."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

from gateway.posting.context import ChunkData, ClaimCase, Decision
from gateway.posting.guard import check_posting
from gateway.posting.vocabulary import ErrorLevel, ErrorType


def _case(paid: str, procs: list[Any] | None = None) -> ClaimCase:
    dc = SimpleNamespace(id=1, paid=D(paid), claim_xref="X1", remit_status="1")
    return ClaimCase(dc=dc, procs=procs or [], claim_adjs=[], claim={},  # type: ignore[arg-type]
                     claim_lines=[])


def _rows(*payments: tuple[int, str]) -> dict[str, Any]:
    return {"rows": [{"kind": "insurance_payment", "claim_line_id": line, "amount": D(a)}
                     for line, a in payments]}


CTX: Any = SimpleNamespace(notification=False)


def test_the_payer_payment_passes():
    assert check_posting(CTX, ChunkData(), _case("150.00"), Decision(),
                         _rows((10, "100.00"), (11, "50.00"))) is None


def test_more_insurance_payment_than_clp04_is_refused():
    found = check_posting(CTX, ChunkData(), _case("150.00"), Decision(),
                          _rows((10, "130.00"), (11, "40.00")))
    assert found is not None
    assert (found.level, found.type) == (ErrorLevel.CLAIM, ErrorType.PAYMENT_GUARD)
    assert found.detail == {"posted": "170.00", "paid": "150.00"}


def test_a_line_paid_other_than_its_svc03_is_refused():
    proc = SimpleNamespace(id=7, paid=D("150.00"), excluded=False)
    d = Decision(mapping={7: 10})
    found = check_posting(CTX, ChunkData(), _case("150.00", [proc]), d,
                          _rows((10, "100.00"), (11, "50.00")))
    assert found is not None and "lines would not be paid" in found.message


def test_an_adjustment_posted_beyond_its_amount_is_refused():
    adj = SimpleNamespace(id=5, amount=D("50.00"), deposit_procedure_id=None)
    d = Decision()
    d.alloc[10] = [(adj, D("50.00"))]  # type: ignore[list-item]
    d.posted_by_adjustment[5] = D("100.00")  # posted twice
    found = check_posting(CTX, ChunkData(), _case("100.00"), d, _rows((10, "100.00")))
    assert found is not None and "adjustment 5" in found.message


def test_a_notification_pays_nothing():
    ctx: Any = SimpleNamespace(notification=True)
    assert check_posting(ctx, ChunkData(), _case("150.00"), Decision(), _rows()) is None
    assert check_posting(ctx, ChunkData(), _case("150.00"), Decision(),
                         _rows((10, "150.00"))) is not None
