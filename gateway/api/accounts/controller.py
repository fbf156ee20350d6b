"""Accounts: the synced balances of the practice's PMS accounts, and manual portion edits."""

from __future__ import annotations

import asyncio
import datetime as dt

from litestar import Controller, Response, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.balances.collections import worklist
from gateway.balances.edits import set_portion
from gateway.balances.insurance import InsuranceDifference, insurance_differences
from gateway.balances.reports import ArSummary, ar_summary
from gateway.balances.schemas import AccountPage, PortionEdit, summary
from gateway.balances.service import AccountFilter, AccountView, account_view, list_accounts
from gateway.core.errors import UserError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def provide_account_filter(
    bucket: FromQuery[str | None] = None, portion: FromQuery[str | None] = None,
    location: FromQuery[str | None] = None, payer: FromQuery[str | None] = None,
    sort: FromQuery[str] = "account", offset: FromQuery[int] = 0, limit: FromQuery[int] = 50,
) -> AccountFilter:
    """The account list's query, one parameter per filter (`sort=-total`: descending)."""
    return _filter(bucket=bucket, portion=portion, location=location, payer=payer,
                   sort=sort.lstrip("-"), descending=sort.startswith("-"), offset=offset,
                   limit=limit)


def _filter(**values: object) -> AccountFilter:
    import msgspec

    try:
        return msgspec.convert({k: v for k, v in values.items() if v is not None},
                               AccountFilter)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="query") from exc


class AccountController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]
    guards = [requires("viewer")]

    @get("/", dependencies={"flt": Provide(provide_account_filter)})
    async def list_accounts(self, db: DB, principal: Me,
                            flt: NamedDependency[AccountFilter]) -> AccountPage:
        """List accounts (practice-scoped; another practice's id is a 404)."""
        total, rows = await list_accounts(db, principal.practice_id, flt)
        return AccountPage(total=total, offset=flt.offset, limit=flt.limit,
                           items=[summary(a) for a in rows])

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
