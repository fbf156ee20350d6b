"""Deposits: search, detail, ERA upload, manual EOBs, post, reset, remove, reconciliation."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.pagination import OffsetPagination
from litestar.params import FromQuery, JSONBody, QueryParameter

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.filters import filtered
from gateway.api.params import Offset, Paging, PathId, QueryId, QueryText
from gateway.core.errors import UserError
from gateway.posting import engine, report, reset, search
from gateway.posting.deposit_filter import DepositFilter
from gateway.posting.deposit_status import set_deposit_status
from gateway.posting.eob import create_eob_deposit
from gateway.posting.era_import import EraImportResult, import_era_bytes
from gateway.posting.schemas import DepositDetail, DepositOut, EobIn
from gateway.posting.send import send_to_posting

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatusIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: Literal["New", "Ignore"]


FileName = Annotated[str, QueryParameter(min_length=1, max_length=200,
                                         pattern=r"^[^\x00-\x1f\x7f/\\]+$")]
ClaimLimit = Annotated[int, QueryParameter(ge=1, le=5000, description="Claims per page.")]


class DepositController(Controller):
    path = "/api/deposits"
    tags = ["deposits"]

    @get("/", guards=[requires("viewer")], **filtered(DepositFilter))
    async def search_deposits(self, db: DB, principal: Me, page: Paging,
                              filters: NamedDependency[DepositFilter],
                              ) -> OffsetPagination[DepositOut]:
        """Deposit search, newest first, with the total; `errors` = any / deposit / claim /
        procedure / none."""
        deps, total = await page.run(db, search.deposits_query(principal.practice_id, filters))
        return page.of(await search.deposits_out(db, deps), total)

    @get("/{deposit_id:int}", guards=[requires("viewer")])
    async def show(self, deposit_id: PathId, db: DB, principal: Me,
                   claim_limit: ClaimLimit = 1000,
                   claim_offset: Offset = 0) -> DepositDetail:
        """A deposit with its claims (a page of them) and their procedures."""
        return await search.show_deposit(db, principal.practice_id, deposit_id,
                                         claim_limit=claim_limit,
                                         claim_offset=claim_offset)

    @post("/era", guards=[requires("biller")])
    async def import_era(self, request: Request, db: DB, principal: Me,
                         name: FileName = "upload.835") -> EraImportResult:
        """Upload an 835 as the request body (any content type)."""
        data = await request.body()
        if not data:
            raise UserError("the request body is empty; send the 835 file", where="body")
        return await import_era_bytes(db, principal.practice_id, data, name,
                                      owner=principal.actor)

    @post("/eob", guards=[requires("biller")])
    async def create_eob(self, data: JSONBody[EobIn], db: DB, principal: Me) -> DepositDetail:
        """A manual EOB: allowed computes CO-45 and CO-45 computes allowed."""
        dep_id = await create_eob_deposit(db, principal.practice_id, data,
                                          actor=principal.actor, user_id=principal.user_id)
        return await search.show_deposit(db, principal.practice_id, dep_id)

    @post("/{deposit_id:int}/post", guards=[requires("biller")], status_code=200)
    async def post_deposit(self, deposit_id: PathId, db: DB,
                           principal: Me) -> engine.PostResult:
        """Send to posting: every claim that can post posts; the rest go to the queue."""
        return await send_to_posting(db, principal.practice_id, deposit_id,
                                     actor=principal.actor, user_id=principal.user_id)

    @post("/{deposit_id:int}/reset", guards=[requires("biller")], status_code=200)
    async def reset_deposit(self, deposit_id: PathId, db: DB,
                            principal: Me) -> reset.ResetResult:
        """Undo a posted deposit's ledger rows (compensating rows) and take it back to New."""
        return await reset.reset_deposit(db, principal.practice_id, deposit_id,
                                         actor=principal.actor, user_id=principal.user_id)

    @post("/{deposit_id:int}/status", guards=[requires("biller")], status_code=200)
    async def set_status(self, deposit_id: PathId, data: JSONBody[StatusIn], db: DB,
                         principal: Me) -> DepositOut:
        """Ignore a deposit, or take it back to New (while nothing of it is posted)."""
        dep = await set_deposit_status(db, principal.practice_id, deposit_id, data.status,
                                       actor=principal.actor, user_id=principal.user_id)
        return (await search.deposits_out(db, [dep]))[0]

    @delete("/{deposit_id:int}", guards=[requires("biller")])
    async def remove(self, deposit_id: PathId, db: DB, principal: Me) -> None:
        """Remove a deposit that never posted."""
        await reset.remove_deposit(db, principal.practice_id, deposit_id,
                                   actor=principal.actor, user_id=principal.user_id)

    @get("/report.xlsx", guards=[requires("viewer")], media_type=XLSX)
    async def reconciliation(
        self, db: DB, principal: Me, date_from: FromQuery[dt.date],
        date_to: FromQuery[dt.date], owner: QueryText = None,
        status: QueryText = None, type: QueryText = None,  # noqa: A002
        imported_file_id: QueryId = None,
    ) -> Response[bytes]:
        """The Deposit Reconciliation workbook."""
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "deposit-reconciliation.xlsx"
            await report.reconciliation_report(
                db, principal.practice_id, out, date_from=date_from, date_to=date_to,
                owner=owner, status=status, type=type, imported_file_id=imported_file_id)
            data = out.read_bytes()
        return Response(data, media_type=XLSX, headers={
            "Content-Disposition": 'attachment; filename="deposit-reconciliation.xlsx"'})


ROUTES = [DepositController]
