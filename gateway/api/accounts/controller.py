"""Accounts: the synced balances of the practice's PMS accounts, and manual portion edits."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Literal

import msgspec
from litestar import Controller, Response, get, patch
from litestar.di import NamedDependency
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.filters import filtered
from gateway.api.params import Paging
from gateway.balances.collections import worklist
from gateway.balances.edits import set_portion
from gateway.balances.insurance import InsuranceDifference, insurance_differences
from gateway.balances.reports import ArSummary, ar_summary
from gateway.balances.schemas import AccountSummary, PortionEdit, summary
from gateway.balances.service import AccountFilter, AccountView, account_view, list_accounts
from gateway.core.errors import UserError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AccountQuery(msgspec.Struct, kw_only=True):
    """What the account list filters and sorts by (`sort=-total`: descending)."""

    bucket: Literal["0_30", "31_60", "61_90", "91_120", "120_plus"] | None = None
    portion: Literal["patient", "insurance"] | None = None
    location: str | None = None
    payer: str | None = None
    sort: str = "account"


def _filter(**values: object) -> AccountFilter:
    try:
        return msgspec.convert({k: v for k, v in values.items() if v is not None},
                               AccountFilter)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="query") from exc


class AccountController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]
    guards = [requires("viewer")]

    @get("/", **filtered(AccountQuery))
    async def list_accounts(self, db: DB, principal: Me, page: Paging,
                            filters: NamedDependency[AccountQuery]
                            ) -> OffsetPagination[AccountSummary]:
        """List accounts, a page at a time with the total (practice-scoped; filters by
        bucket, portion, location and payer; `sort=-total` sorts descending)."""
        flt = _filter(bucket=filters.bucket, portion=filters.portion,
                      location=filters.location, payer=filters.payer,
                      sort=filters.sort.lstrip("-"), descending=filters.sort.startswith("-"),
                      offset=page.offset, limit=page.limit)
        total, rows = await list_accounts(db, principal.practice_id, flt)
        return page.of([summary(a) for a in rows], total)

    @get("/ar-summary")
    async def get_ar_summary(self, db: DB, principal: Me) -> ArSummary:
        """Get ar summary (practice-scoped; another practice's id is a 404)."""
        return await ar_summary(db, principal.practice_id)

    @get("/insurance-differences")
    async def get_insurance_differences(self, db: DB, principal: Me
                                        ) -> list[InsuranceDifference]:
        """Get insurance differences (practice-scoped; another practice's id is a 404)."""
        return await insurance_differences(db, principal.practice_id)

    @get("/ar-summary.xlsx", media_type=XLSX)
    async def get_ar_summary_xlsx(self, db: DB, principal: Me) -> Response[bytes]:
        """Get ar summary xlsx (practice-scoped; another practice's id is a 404)."""
        from gateway.balances.workbooks import ar_summary_xlsx

        summary = await ar_summary(db, principal.practice_id)
        return _xlsx(await asyncio.to_thread(ar_summary_xlsx, summary), "ar-summary.xlsx")

    @get("/worklist.xlsx", media_type=XLSX)
    async def get_worklist_xlsx(self, db: DB, principal: Me) -> Response[bytes]:
        """Get worklist xlsx (practice-scoped; another practice's id is a 404)."""
        from gateway.balances.workbooks import worklist_xlsx

        entries = await worklist(db, principal.practice_id, dt.date.today())
        return _xlsx(await asyncio.to_thread(worklist_xlsx, entries), "worklist.xlsx")

    @get("/{account_id:int}")
    async def get_account(self, account_id: FromPath[int], db: DB, principal: Me) -> AccountView:
        """Get account (practice-scoped; another practice's id is a 404)."""
        return await account_view(db, principal.practice_id, account_id)

    @patch("/{account_id:int}", guards=[requires("biller")])
    async def edit_account(self, account_id: FromPath[int], data: JSONBody[PortionEdit], db: DB,
                           principal: Me) -> AccountView:
        """Edit account (practice-scoped; another practice's id is a 404)."""
        fields = {f: v for f in ("patient_portion", "insurance_portion")
                  if (v := getattr(data, f)) is not None}
        if not fields:
            raise UserError("give patient_portion or insurance_portion", where="body")
        for field, value in fields.items():
            await set_portion(db, principal.practice_id, account_id, field=field, value=value,
                              reason=data.reason, actor=principal.actor,
                              user_id=principal.user_id)
        await db.flush()
        return await account_view(db, principal.practice_id, account_id)


def _xlsx(content: bytes, name: str) -> Response[bytes]:
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTES = [AccountController]
