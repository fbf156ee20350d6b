"""The posting error queues (deposit, claim, procedure) and their resolve actions."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId, QueryId, QueryText
from gateway.posting import queue
from gateway.posting.schemas import PostingErrorOut, ResolveIn, ResolveOut


class PostingErrorController(Controller):
    path = "/api/posting-errors"
    tags = ["posting"]

    @get("/", guards=[requires("viewer")])
    async def list_errors(
        self, db: DB, principal: Me, page: Paging,
        level: FromQuery[Literal["deposit", "claim", "procedure"] | None] = None,
        type: QueryText = None,  # noqa: A002
        deposit_id: QueryId = None, include_resolved: FromQuery[bool] = False,
    ) -> list[PostingErrorOut]:
        """Open errors (the queue), oldest first; each lists the actions that resolve it."""
        return await queue.list_errors(db, principal.practice_id, level=level, type=type,
                                       deposit_id=deposit_id, include_resolved=include_resolved,
                                       limit=page.limit, offset=page.offset)

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
