"""Accounts: the synced PMS balances, filtered and paged, and one account with its synced and
effective portions side by side; a biller overrides a portion with a reason. The same
services as `/api/accounts` (gateway.balances)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.balances.edits import set_portion
from gateway.balances.service import SORTS, AccountFilter, account_view, list_accounts
from gateway.core.errors import UserError
from gateway.core.money import parse_money
from gateway.web import queries
from gateway.web.paging import PAGE_SIZE, Page
from gateway.web.render import page

FILTERS = ("bucket", "portion", "location", "payer", "sort")
BUCKET_CHOICES = {"0_30": "0-30", "31_60": "31-60", "61_90": "61-90", "91_120": "91-120",
                  "120_plus": "120+"}
PORTIONS = {"patient_portion": "Patient portion", "insurance_portion": "Insurance portion"}


def _filter(q: dict[str, str], offset: int) -> AccountFilter:
    sort = q["sort"] or "account"
    values: dict[str, Any] = {k: v for k, v in q.items() if v and k != "sort"}
    try:
        return msgspec.convert({**values, "sort": sort.lstrip("-"),
                                "descending": sort.startswith("-"), "offset": offset,
                                "limit": PAGE_SIZE}, AccountFilter)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc).split(" - at ")[0],
                        where=str(exc).rsplit("`$.", 1)[-1].rstrip("`")) from None


@get("/accounts", guards=[requires("viewer")], name="accounts")
async def accounts(request: Request[Any, Any, Any], db: DB, principal: Me,
                   page_no: FromQuery[int] = 1) -> Template:
    q = {k: (request.query_params.get(k) or "").strip() for k in FILTERS}
    n = max(page_no, 1)
    total, rows = await list_accounts(db, principal.practice_id,
                                      _filter(q, (n - 1) * PAGE_SIZE))
    listing = Page(items=list(rows), page=n, size=PAGE_SIZE, has_next=n * PAGE_SIZE < total)
    return page(request, "accounts.html", q=q, rows=listing, total=total,
                buckets=BUCKET_CHOICES, sorts=SORTS)


@get("/accounts/{account_id:int}", guards=[requires("viewer")], name="account")
async def account(request: Request[Any, Any, Any], db: DB, principal: Me,
                  account_id: FromPath[int]) -> Template:
    view = await account_view(db, principal.practice_id, account_id)
    names = await queries.actor_names(db, principal.practice_id, [e.actor for e in view.edits])
    return page(request, "account.html", a=view, portions=PORTIONS, names=names,
                done=request.query_params.get("done"))


@post("/accounts/{account_id:int}/portion", guards=[requires("biller")], status_code=303)
async def edit_portion(request: Request[Any, Any, Any], db: DB, principal: Me,
                       account_id: FromPath[int]) -> Redirect:
    form = await request.form()
    field = str(form.get("field") or "")
    text = str(form.get("value") or "").strip()
    if not text:
        raise UserError("give the new amount", where="value")
    value = parse_money(text, where="value")
    await set_portion(db, principal.practice_id, account_id, field=field, value=value,
                      reason=str(form.get("reason") or ""), actor=principal.actor,
                      user_id=principal.user_id)
    return Redirect(f"/accounts/{account_id}?done={field}", status_code=303)


ROUTES = [accounts, account, edit_portion]
