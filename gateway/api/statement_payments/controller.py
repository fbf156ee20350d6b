"""Statement ePayments (Data Media): the view opened from Deposits. By default the unprocessed
payments not yet reviewed, with the reason; with a date range every payment and what it
became; a payment's status history; Mark Reviewed (one or many); the .xlsx export; the
unprocessed count (the dashboard counter, and what opens the view by itself).

Reads need a viewer key, Mark Reviewed a biller key; everything is scoped to the key's
practice and another practice's payment answers 404.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, FromQuery, JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.filters import filtered
from gateway.api.params import Paging
from gateway.core.errors import UserError
from gateway.statements import review
from gateway.statements.schemas import (
    PaymentDetail,
    PaymentOut,
    PaymentSearch,
    RetryResult,
    ReviewIn,
    ReviewResult,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PaymentQuery(msgspec.Struct, kw_only=True):
    """What the payment list filters by; every field optional."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    became: str | None = None
    patient_account: str | None = None


class CountOut(msgspec.Struct, kw_only=True):
    unprocessed: int


def _filters(date_from: dt.date | None, date_to: dt.date | None, state: str | None,
             patient_account: str | None, limit: int, offset: int) -> PaymentSearch:
    try:
        return msgspec.convert(dict(date_from=date_from, date_to=date_to, state=state,
                                    patient_account=patient_account, limit=limit,
                                    offset=offset), PaymentSearch, strict=False)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="query") from exc


class StatementPaymentController(Controller):
    path = "/api/statement-payments"
    tags = ["statement payments"]

    @get("/", guards=[requires("viewer")], **filtered(PaymentQuery))
    async def search(self, db: DB, principal: Me, page: Paging,
                     filters: NamedDependency[PaymentQuery]) -> OffsetPagination[PaymentOut]:
        """No dates: the unprocessed payments not yet reviewed; dates: every payment; a page
        at a time with the total. `became` filters by what a payment became (posted,
        unprocessed, waiting...)."""
        f = _filters(filters.date_from, filters.date_to, filters.became,
                     filters.patient_account, page.limit, page.offset)
        items = await review.search(db, principal.practice_id, f)
        return page.of(items, await page.total(db, review.search_query(principal.practice_id,
                                                                       f), seen=len(items)))

    @get("/count", guards=[requires("viewer")])
    async def count(self, db: DB, principal: Me) -> CountOut:
        """Unprocessed payments not yet reviewed (the dashboard counter)."""
        return CountOut(unprocessed=await review.unprocessed_count(db, principal.practice_id))

    @get("/export.xlsx", guards=[requires("viewer")], media_type=XLSX)
    async def export(
        self, db: DB, principal: Me, date_from: FromQuery[dt.date | None] = None,
        date_to: FromQuery[dt.date | None] = None, became: FromQuery[str | None] = None,
        patient_account: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The same view as a workbook."""
        f = _filters(date_from, date_to, became, patient_account, 10_000, 0)
        data = await review.export_xlsx(db, principal.practice_id, f)
        return Response(data, media_type=XLSX, headers={
            "Content-Disposition": 'attachment; filename="statement-epayments.xlsx"'})

    @get("/{payment_id:int}", guards=[requires("viewer")])
    async def show(self, payment_id: FromPath[int], db: DB, principal: Me) -> PaymentDetail:
        """A payment with its status history (each status as first reported, what it did)."""
        return await review.show(db, principal.practice_id, payment_id)

    @post("/review", guards=[requires("biller")], status_code=200)
    async def mark_reviewed(self, data: JSONBody[ReviewIn], db: DB,
                            principal: Me) -> ReviewResult:
        """Mark Reviewed: one or many unprocessed payments (who and when, audited)."""
        return await review.mark_reviewed(db, principal.practice_id, data.ids,
                                          actor=principal.actor, user_id=principal.user_id)

    @post("/retry", guards=[requires("biller")], status_code=200)
    async def retry(self, data: JSONBody[ReviewIn], db: DB, principal: Me) -> RetryResult:
        """Post again the unprocessed payments named, once what stopped them is fixed."""
        from gateway.statements.retry import retry

        return await retry(db, principal.practice_id, data.ids, actor=principal.actor)


ROUTES = [StatementPaymentController]
