"""Deposits: search, details with the balancing pop-up, Send to Posting, Ignore, Reset,
Remove, a deposit claim with its human-readable ERA view, and the reconciliation workbook."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast, get_args

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.core.errors import NotFound, UserError
from gateway.posting import engine, report, reset, search, send
from gateway.posting.deposit_filter import DepositFilter, ErrorFilter
from gateway.posting.deposit_status import Status, set_deposit_status
from gateway.posting.models import DEPOSIT_STATUSES, DEPOSIT_TYPES, POSTED_STATUSES, DepositClaim
from gateway.web import era_words
from gateway.web.paging import make_page, window
from gateway.web.render import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLAIMS_PER_PAGE = 50
SEARCH_FIELDS = ("id", "date_from", "date_to", "check_trace_id", "payer", "amount", "status",
                 "posted_status", "type", "era_id", "file_name", "errors")


def _date(text: str | None, where: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"not a date (YYYY-MM-DD): {text!r}", where=where) from None


def _amount(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        raise UserError(f"not an amount: {text!r}", where="amount") from None


def _int(text: str | None, where: str) -> int | None:
    if not text:
        return None
    if not text.strip().isdigit():
        raise UserError(f"not a number: {text!r}", where=where)
    return int(text)


@get("/deposits", guards=[requires("viewer")], name="deposits")
async def deposit_list(request: Request[Any, Any, Any], db: DB, principal: Me,
                       page_no: FromQuery[int] = 1) -> Template:
    q = {k: (request.query_params.get(k) or "").strip() for k in SEARCH_FIELDS}
    n, limit, offset = window(page_no)
    errors = cast(ErrorFilter, q["errors"]) if q["errors"] in get_args(ErrorFilter) else None
    filters = DepositFilter(
        id=_int(q["id"], "id"),
        date_from=_date(q["date_from"], "date_from"), date_to=_date(q["date_to"], "date_to"),
        check_trace_id=q["check_trace_id"] or None, payer=q["payer"] or None,
        amount=_amount(q["amount"]), status=q["status"] or None,
        posted_status=q["posted_status"] or None, type=q["type"] or None,
        era_id=q["era_id"] or None, file_name=q["file_name"] or None, errors=errors)
    rows = await search.search_deposits(db, principal.practice_id, filters,
                                        limit=limit, offset=offset)
    return page(request, "deposits.html", q=q, rows=make_page(rows, n),
                statuses=DEPOSIT_STATUSES, posted_statuses=POSTED_STATUSES, types=DEPOSIT_TYPES,
                today=dt.date.today())


@get("/deposits/{deposit_id:int}", guards=[requires("viewer")], name="deposit")
async def deposit_detail(request: Request[Any, Any, Any], db: DB, principal: Me,
                         deposit_id: FromPath[int], page_no: FromQuery[int] = 1) -> Template:
    n, limit, offset = window(page_no, CLAIMS_PER_PAGE)
    detail = await search.show_deposit(db, principal.practice_id, deposit_id,
                                       claim_limit=limit, claim_offset=offset, with_lines=False)
    claims = make_page(detail.claims, n, CLAIMS_PER_PAGE)
    open_errors = [e for e in detail.errors if e.resolved_at is None]
    return page(request, "deposit.html", d=detail.deposit, claims=claims,
                plbs=detail.provider_adjustments, errors=open_errors,
                done=request.query_params.get("done"), words=era_words)


async def _owned_claim_sequence(db: DB, practice_id: int, deposit_id: int,
                                deposit_claim_id: int) -> int:
    await engine.get_deposit(db, practice_id, deposit_id)
    seq = await db.scalar(select(DepositClaim.sequence).where(
        DepositClaim.id == deposit_claim_id, DepositClaim.deposit_id == deposit_id))
    if seq is None:
        raise NotFound(f"no claim {deposit_claim_id} on deposit {deposit_id}")
    return seq


@get("/deposits/{deposit_id:int}/claims/{claim_id:int}", guards=[requires("viewer")])
async def deposit_claim(request: Request[Any, Any, Any], db: DB, principal: Me,
                        deposit_id: FromPath[int], claim_id: FromPath[int]) -> Template:
    seq = await _owned_claim_sequence(db, principal.practice_id, deposit_id, claim_id)
    offset = int(await db.scalar(select(func.count()).select_from(DepositClaim).where(
        DepositClaim.deposit_id == deposit_id, DepositClaim.sequence < seq)) or 0)
    detail = await search.show_deposit(db, principal.practice_id, deposit_id, claim_limit=1,
                                       claim_offset=offset)
    (dc,) = detail.claims
    errors = [e for e in detail.errors if e.deposit_claim_id == dc.id]
    return page(request, "deposit_claim.html", d=detail.deposit, c=dc, errors=errors,
                words=era_words)


def _back(deposit_id: int, done: str) -> Redirect:
    return Redirect(f"/deposits/{deposit_id}?done={done}", status_code=303)


@post("/deposits/{deposit_id:int}/post", guards=[requires("biller")], status_code=303)
async def send_to_posting(db: DB, principal: Me, deposit_id: FromPath[int]) -> Redirect:
    result = await send.send_to_posting(db, principal.practice_id, deposit_id,
                                        actor=principal.actor, user_id=principal.user_id)
    return _back(deposit_id, f"posted:{result.posted_claims}:{result.error_claims}")


@post("/deposits/{deposit_id:int}/status", guards=[requires("biller")], status_code=303)
async def set_status(request: Request[Any, Any, Any], db: DB, principal: Me,
                     deposit_id: FromPath[int]) -> Redirect:
    """The deposit's Edit, as far as the API allows one: Ignore it, or take it back to New
    (the same service as `POST /api/deposits/{id}/status`)."""
    status = (await request.form()).get("status")
    if status not in get_args(Status):
        raise UserError("status must be New or Ignore", where="status")
    await set_deposit_status(db, principal.practice_id, deposit_id, cast(Status, status),
                             actor=principal.actor, user_id=principal.user_id)
    return _back(deposit_id, f"status:{status}")


@post("/deposits/{deposit_id:int}/reset", guards=[requires("biller")], status_code=303)
async def reset_deposit(db: DB, principal: Me, deposit_id: FromPath[int]) -> Redirect:
    await reset.reset_deposit(db, principal.practice_id, deposit_id, actor=principal.actor,
                              user_id=principal.user_id)
    return _back(deposit_id, "reset")


@post("/deposits/{deposit_id:int}/remove", guards=[requires("biller")], status_code=303)
async def remove_deposit(db: DB, principal: Me, deposit_id: FromPath[int]) -> Redirect:
    await reset.remove_deposit(db, principal.practice_id, deposit_id, actor=principal.actor,
                               user_id=principal.user_id)
    return Redirect(f"/deposits?done=removed:{deposit_id}", status_code=303)


@get("/deposits/report.xlsx", guards=[requires("viewer")], media_type=XLSX)
async def reconciliation(db: DB, principal: Me, date_from: FromQuery[str] = "",
                         date_to: FromQuery[str] = "") -> Response[bytes]:
    start = _date(date_from, "date_from")
    end = _date(date_to, "date_to")
    if start is None or end is None:
        raise UserError("choose the first and the last deposit date", where="date_from")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "deposit-reconciliation.xlsx"
        await report.reconciliation_report(db, principal.practice_id, out, date_from=start,
                                           date_to=end)
        data = out.read_bytes()
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="deposit-reconciliation-{start}-{end}.xlsx"'})


ROUTES = [deposit_list, deposit_detail, deposit_claim, send_to_posting, set_status,
          reset_deposit, remove_deposit, reconciliation]
