"""The posting error queues (deposit, claim, procedure) and their resolve actions."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.filters import filtered
from gateway.api.params import Paging, PathId
from gateway.posting import queue
from gateway.posting.schemas import PostingErrorOut, ResolveIn, ResolveOut


class ErrorFilter(msgspec.Struct, kw_only=True):
    """What the error queue filters by; every field optional."""

    level: Literal["deposit", "claim", "procedure"] | None = None
    type: str | None = None
    deposit_id: int | None = None
    include_resolved: bool = False


class PostingErrorController(Controller):
    path = "/api/posting-errors"
    tags = ["posting"]

    @get("/", guards=[requires("viewer")], **filtered(ErrorFilter))
    async def list_errors(self, db: DB, principal: Me, page: Paging,
                          filters: NamedDependency[ErrorFilter],
                          ) -> OffsetPagination[PostingErrorOut]:
        """Open errors (the queue), oldest first, with the total; each lists the actions
        that resolve it."""
        query = queue.errors_query(principal.practice_id, level=filters.level,
                                   type=filters.type, deposit_id=filters.deposit_id,
                                   include_resolved=filters.include_resolved)
        rows, total = await page.run_rows(db, query)
        return page.of([queue.error_out(e, dc) for e, dc in rows], total)

    @get("/counts", guards=[requires("viewer")])
    async def counts(self, db: DB, principal: Me) -> dict[str, dict[str, int]]:
        """Open errors counted by level and type."""
        return await queue.queue_counts(db, principal.practice_id)

    @post("/{error_id:int}/resolve", guards=[requires("biller")], status_code=200)
    async def resolve(self, error_id: PathId, data: JSONBody[ResolveIn], db: DB,
                      principal: Me) -> ResolveOut:
        """Resolve one error (link_claim, link_procedure, payment_type, allocate, exclude,
        ignore, link_payer, set_trace); audited with who and when."""
        return await queue.resolve_error(db, principal.practice_id, error_id, data,
                                         actor=principal.actor, user_id=principal.user_id)


ROUTES = [PostingErrorController]
