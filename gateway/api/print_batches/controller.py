"""Print batches of paper claims: list them, download the CMS-1500 PDF (the red pre-printed
form's data only, or the whole form for plain paper), mark one printed then mailed (audited);
and how many claim batches wait to be sent or printed (the dashboard's counter)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.openapi.spec import Example
from litestar.pagination import OffsetPagination
from litestar.params import Parameter

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId
from gateway.paper import service
from gateway.paper.schemas import PrintBatchOut, print_batch_out
from gateway.paper.service import WaitingBatches

PDF = "application/pdf"
FormQuery = Annotated[Literal["preprinted", "plain"], Parameter(
    query="form", description="preprinted: data aligned for the red CMS-1500; plain: the "
    "whole form drawn", examples=[Example(value="plain")])]
StatusQuery = Annotated[Literal["built", "printed", "mailed"] | None, Parameter(
    query="status", description="Only batches in this state.")]


class PrintBatchController(Controller):
    path = "/api/print-batches"
    tags = ["claims"]

    @get("/", guards=[requires("viewer")])
    async def index(self, db: DB, principal: Me, page: Paging,
                    status: StatusQuery = None) -> OffsetPagination[PrintBatchOut]:
        """The practice's print batches, newest first."""
        rows, total = await service.list_print_batches(
            db, principal.practice_id, (status,) if status else None, page.limit, page.offset)
        return page.of([print_batch_out(b) for b in rows], total)

    @get("/waiting", guards=[requires("viewer")])
    async def waiting(self, db: DB, principal: Me) -> WaitingBatches:
        """Claim batches waiting for a person: to send (electronic), to print, to mail."""
        return await service.waiting_batches(db, principal.practice_id)

    @get("/{batch_id:int}", guards=[requires("viewer")])
    async def show(self, batch_id: PathId, db: DB, principal: Me) -> PrintBatchOut:
        """One print batch (another practice's id is a 404)."""
        return print_batch_out(await service.get_print_batch(db, principal.practice_id,
                                                             batch_id))

    @get("/{batch_id:int}/pdf", guards=[requires("viewer")], media_type=PDF)
    async def pdf(self, batch_id: PathId, db: DB, principal: Me,
                  form: FormQuery = "preprinted") -> Response[bytes]:
        """The batch's CMS-1500 (02/12) forms as one PDF."""
        batch, data = await service.batch_pdf(db, principal.practice_id, batch_id, form)
        return Response(data, media_type=PDF, headers={
            "Content-Disposition": f'attachment; filename="{batch.name}-{form}.pdf"'})

    @post("/{batch_id:int}/printed", guards=[requires("biller")], status_code=200)
    async def printed(self, batch_id: PathId, db: DB, principal: Me) -> PrintBatchOut:
        """A biller printed the batch (audited)."""
        return print_batch_out(await service.mark_printed(
            db, principal.practice_id, batch_id, actor=principal.actor,
            user_id=principal.user_id))

    @post("/{batch_id:int}/mailed", guards=[requires("biller")], status_code=200)
    async def mailed(self, batch_id: PathId, db: DB, principal: Me) -> PrintBatchOut:
        """A biller mailed the printed batch (audited): its claims are billed."""
        return print_batch_out(await service.mark_mailed(
            db, principal.practice_id, batch_id, actor=principal.actor,
            user_id=principal.user_id))


ROUTES = [PrintBatchController]
