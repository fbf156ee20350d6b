"""Receipts: the error queue by default, search, details with the linked procedures and the
patient's appointments, Change Status for many (with a hold date), force reconciliation, hold,
apply by hand, and import from Excel with the problems shown row by row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.core.errors import UserError
from gateway.receipts import service
from gateway.receipts.importer import import_receipts
from gateway.receipts.models import BULK_STATUSES, STATUSES
from gateway.receipts.schemas import ManualApplicationIn, ReceiptSearch, StatusChangeIn
from gateway.web import queries
from gateway.web.forms import struct_from_form
from gateway.web.paging import make_page, window
from gateway.web.render import page

MAX_UPLOAD = 20 * 1024 * 1024
SEARCH_FIELDS = ("status", "date_from", "date_to", "chart_number", "patient", "payer",
                 "amount", "receipt_id", "type")


def _filters(request: Request[Any, Any, Any], limit: int, offset: int) -> ReceiptSearch:
    q = {k: (request.query_params.get(k) or "").strip() for k in SEARCH_FIELDS}
    data: dict[str, Any] = {k: v for k, v in q.items() if v and k != "status"}
    if q["status"]:
        data["status"] = [q["status"]]
    return struct_from_form({**data, "limit": limit, "offset": offset}, ReceiptSearch)


@get("/receipts", guards=[requires("viewer")], name="receipts")
async def receipt_list(request: Request[Any, Any, Any], db: DB, principal: Me,
                       page_no: FromQuery[int] = 1) -> Template:
    n, limit, offset = window(page_no)
    rows = await service.search(db, principal.practice_id, _filters(request, limit, offset))
    q = {k: (request.query_params.get(k) or "").strip() for k in SEARCH_FIELDS}
    return page(request, "receipts.html", q=q, rows=make_page(rows, n), statuses=STATUSES,
                bulk_statuses=BULK_STATUSES, done=request.query_params.get("done"))


def _ids(form: Any) -> list[int]:
    ids = [v for v in form.getall("ids") if isinstance(v, str) and v.isdigit()] \
        if "ids" in form else []
    if not ids:
        raise UserError("tick at least one receipt", where="ids")
    return [int(v) for v in ids]


@post("/receipts/status", guards=[requires("biller")], status_code=303)
async def change_status(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    form = await request.form()
    fields: dict[str, Any] = {"ids": _ids(form), "status": form.get("status")}
    if form.get("hold_until"):
        fields["hold_until"] = form.get("hold_until")
    body = struct_from_form(fields, StatusChangeIn)
    n = await service.change_status(db, principal.practice_id, body.ids, body.status,
                                    actor=principal.actor, hold_until=body.hold_until)
    return Redirect(f"/receipts?done=status:{n}:{body.status}", status_code=303)


@post("/receipts/reconcile", guards=[requires("biller")], status_code=303)
async def reconcile(request: Request[Any, Any, Any], db: DB, principal: Me) -> Redirect:
    """Force reconciliation of the ticked receipts now."""
    result = await service.reconcile(db, principal.practice_id, _ids(await request.form()),
                                     actor=principal.actor)
    return Redirect(f"/receipts?done=reconciled:{result.completed}:{result.hold}:"
                    f"{result.error}:{len(result.skipped)}", status_code=303)


@get("/receipts/{receipt_id:int}", guards=[requires("viewer")])
async def receipt_detail(request: Request[Any, Any, Any], db: DB, principal: Me,
                         receipt_id: FromPath[int]) -> Template:
    r = await service.show(db, principal.practice_id, receipt_id)
    past, future = ([], []) if r.patient_id is None else await queries.patient_appointments(
        db, principal.practice_id, r.patient_id)
    return page(request, "receipt.html", r=r, past=past, future=future,
                bulk_statuses=BULK_STATUSES, done=request.query_params.get("done"),
                today=dt.date.today())


@post("/receipts/{receipt_id:int}/hold", guards=[requires("biller")], status_code=303)
async def hold(request: Request[Any, Any, Any], db: DB, principal: Me,
               receipt_id: FromPath[int]) -> Redirect:
    form = await request.form()
    until_text = form.get("until") or ""
    until = None
    if until_text:
        try:
            until = dt.date.fromisoformat(str(until_text))
        except ValueError:
            raise UserError(f"not a date: {until_text!r}", where="until") from None
    held = await service.hold(db, principal.practice_id, receipt_id, actor=principal.actor,
                              until=until, next_appointment=form.get("next_appointment") == "on")
    return Redirect(f"/receipts/{receipt_id}?done=held:{held}", status_code=303)


@post("/receipts/{receipt_id:int}/apply", guards=[requires("biller")], status_code=303)
async def apply(request: Request[Any, Any, Any], db: DB, principal: Me,
                receipt_id: FromPath[int]) -> Redirect:
    form = await request.form()
    item = struct_from_form({"claim_line_id": form.get("claim_line_id") or None,
                             "amount": form.get("amount") or None,
                             "credit": form.get("credit") == "on"}, ManualApplicationIn)
    await service.apply_by_hand(db, principal.practice_id, receipt_id, [item],
                                actor=principal.actor)
    return Redirect(f"/receipts/{receipt_id}?done=applied", status_code=303)


@get("/receipts/import", guards=[requires("biller")])
async def import_form(request: Request[Any, Any, Any]) -> Template:
    return page(request, "receipts_import.html", result=None, filename="")


@post("/receipts/import", guards=[requires("biller")], status_code=200,
      request_max_body_size=MAX_UPLOAD + 1024 * 1024)
async def import_file(request: Request[Any, Any, Any], db: DB, principal: Me) -> Template:
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UserError("choose an .xlsx file to import", where="file")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise UserError("the file is larger than 20 MB", where=upload.filename)
    result = await import_receipts(db, principal.practice_id, content,
                                   filename=upload.filename, actor=principal.actor)
    return page(request, "receipts_import.html", result=msgspec.to_builtins(result),
                filename=upload.filename)


ROUTES = [receipt_list, change_status, reconcile, receipt_detail, hold, apply, import_form,
          import_file]
