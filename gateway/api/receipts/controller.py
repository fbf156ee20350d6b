"""Receipts: record, search (default: the Error queue), export, reconcile, and the biller's
actions (status, hold, apply by hand, reverse, ignore), import from .xlsx, receipt types.

Reads need a viewer key, writes a biller key (types: admin); everything is scoped to the key's
practice and another practice's receipt answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody, MultipartBody, QueryParameter

from gateway.api.auth import requires
from gateway.api.deps import DB, Me, database_url_of
from gateway.api.filters import filter_dependency, filter_operation
from gateway.api.params import Paging, PathId
from gateway.core.errors import UserError
from gateway.core.offload import with_session_in_process
from gateway.receipts import service
from gateway.receipts.importer import import_receipts
from gateway.receipts.schemas import (
    ApplyIn,
    HoldIn,
    IdsIn,
    ImportResult,
    ReceiptDetail,
    ReceiptIn,
    ReceiptOut,
    ReceiptSearch,
    ReceiptTypeIn,
    ReceiptTypeOut,
    ReconcileIn,
    ReconcileResult,
    StatusChangeIn,
)
from gateway.receipts.search import search_query

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024
ExportLimit = Annotated[int, QueryParameter(ge=1, le=100_000, description="Rows, 1..100000.")]


class ReverseOut(msgspec.Struct, kw_only=True):
    receipt: ReceiptDetail
    reversal: ReceiptDetail


class ChangedOut(msgspec.Struct, kw_only=True):
    changed: int


@dataclass
class ImportForm:
    file: UploadFile


SEARCH_OPERATION = filter_operation(ReceiptSearch)
SEARCH_FILTERS = {"filters": filter_dependency(ReceiptSearch)}
"""The shared filter dependency reads the search from the query string (and documents it)."""


class ReceiptController(Controller):
    path = "/api/receipts"
    tags = ["receipts"]

    @post("/", guards=[requires("biller")])
    async def create(self, data: JSONBody[ReceiptIn], db: DB, principal: Me) -> ReceiptDetail:
        """Record a receipt; the engine runs on it at once (see its status and messages)."""
        rid = await service.create_receipt(db, principal.practice_id, data,
                                           actor=principal.actor)
        return await service.show(db, principal.practice_id, rid)

    @get("/", guards=[requires("viewer")], operation_class=SEARCH_OPERATION,
         dependencies=SEARCH_FILTERS)
    async def search(self, db: DB, principal: Me, page: Paging,
                     filters: NamedDependency[ReceiptSearch]) -> OffsetPagination[ReceiptOut]:
        """Search receipts, with the total; with no status the Error queue, `status=all` for
        every status; `amount` in whole cents."""
        f = msgspec.structs.replace(filters, limit=page.limit, offset=page.offset)
        items = await service.search(db, principal.practice_id, f)
        return page.of(items, await page.total(db, search_query(principal.practice_id, f),
                                              seen=len(items)))

    @get("/export.xlsx", guards=[requires("viewer")], media_type=XLSX,
         operation_class=SEARCH_OPERATION,
         dependencies=SEARCH_FILTERS)
    async def export(self, state: State, principal: Me,
                     filters: NamedDependency[ReceiptSearch],
                     limit: ExportLimit = 100_000) -> Response[bytes]:
        """The same search as a workbook (built in the worker process, off the server)."""
        f = msgspec.structs.replace(filters, limit=limit, offset=0)
        data = await with_session_in_process(database_url_of(state), service.export_xlsx,
                                             principal.practice_id, f)
        return Response(data, media_type=XLSX, headers={
            "Content-Disposition": 'attachment; filename="receipts.xlsx"'})

    @get("/{receipt_id:int}", guards=[requires("viewer")])
    async def show(self, receipt_id: PathId, db: DB, principal: Me) -> ReceiptDetail:
        """A receipt with its applications and what the engine did and why."""
        return await service.show(db, principal.practice_id, receipt_id)

    @post("/reconcile", guards=[requires("biller")], status_code=200)
    async def reconcile(self, data: JSONBody[ReconcileIn], db: DB,
                        principal: Me) -> ReconcileResult:
        """Run the engine now on the selected receipts (or all New and Hold ones)."""
        if data.all == bool(data.ids):
            raise UserError("give either ids or all=true", where="ids")
        return await service.reconcile(db, principal.practice_id,
                                       None if data.all else data.ids, actor=principal.actor)

    @post("/status", guards=[requires("biller")], status_code=200)
    async def change_status(self, data: JSONBody[StatusChangeIn], db: DB,
                            principal: Me) -> ChangedOut:
        """Move receipts among New, Hold, Ignore and Error (optionally with a hold date)."""
        n = await service.change_status(db, principal.practice_id, data.ids, data.status,
                                        actor=principal.actor, hold_until=data.hold_until)
        return ChangedOut(changed=n)

    @post("/ignore", guards=[requires("biller")], status_code=200)
    async def ignore(self, data: JSONBody[IdsIn], db: DB, principal: Me) -> ChangedOut:
        """Set the given receipts to Ignore."""
        return ChangedOut(changed=await service.ignore(db, principal.practice_id, data.ids,
                                                       actor=principal.actor))

    @post("/{receipt_id:int}/hold", guards=[requires("biller")], status_code=200)
    async def hold(self, receipt_id: PathId, data: JSONBody[HoldIn], db: DB,
                   principal: Me) -> ReceiptDetail:
        """Hold until a date, or until the patient's next appointment."""
        await service.hold(db, principal.practice_id, receipt_id, actor=principal.actor,
                           until=data.until, next_appointment=data.next_appointment)
        return await service.show(db, principal.practice_id, receipt_id)

    @post("/{receipt_id:int}/apply", guards=[requires("biller")], status_code=200)
    async def apply(self, receipt_id: PathId, data: JSONBody[ApplyIn], db: DB,
                    principal: Me) -> ReceiptDetail:
        """Apply parts of the receipt to chosen claim lines."""
        await service.apply_by_hand(db, principal.practice_id, receipt_id, data.applications,
                                    actor=principal.actor)
        return await service.show(db, principal.practice_id, receipt_id)

    @post("/{receipt_id:int}/reverse", guards=[requires("biller")], status_code=200)
    async def reverse(self, receipt_id: PathId, db: DB, principal: Me) -> ReverseOut:
        """Undo the receipt's applications and add the equal negative receipt."""
        neg = await service.reverse(db, principal.practice_id, receipt_id,
                                    actor=principal.actor)
        return ReverseOut(receipt=await service.show(db, principal.practice_id, receipt_id),
                          reversal=await service.show(db, principal.practice_id, neg))

    @post("/import", guards=[requires("biller")], status_code=200)
    async def import_file(self, data: MultipartBody[ImportForm], state: State,
                          principal: Me) -> ImportResult:
        """Import an .xlsx workbook (form field `file`); see the result's problems by row.
        The whole import (parse, inserts, reconcile) runs in the worker process on its own
        session and commits there: the server's event loop does none of it."""
        content = await data.file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            raise UserError("the file is larger than 20 MB", where=data.file.filename)
        run = partial(import_receipts, filename=data.file.filename or "receipts.xlsx",
                      actor=principal.actor)
        return await with_session_in_process(database_url_of(state), run,
                                             principal.practice_id, content)

    @get("/types", guards=[requires("viewer")])
    async def types(self, db: DB, principal: Me) -> list[ReceiptTypeOut]:
        """The built-in receipt types and the practice's own, each with its behaviour."""
        return await service.list_types(db, principal.practice_id)

    @post("/types", guards=[requires("admin")])
    async def create_type(self, data: JSONBody[ReceiptTypeIn], db: DB,
                          principal: Me) -> ReceiptTypeOut:
        """A practice-defined receipt type following one of the five behaviours."""
        return await service.create_type(db, principal.practice_id, data, actor=principal.actor)


ROUTES = [ReceiptController]
