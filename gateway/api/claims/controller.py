"""Claims: create with lines (charges go to the ledger), list, show with balances."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId, QueryText
from gateway.ledger import service
from gateway.ledger.schemas import ClaimIn, ClaimOut


class ClaimController(Controller):
    path = "/api/claims"
    tags = ["claims"]

    @post("/", guards=[requires("biller")])
    async def create(self, data: JSONBody[ClaimIn], db: DB, principal: Me) -> ClaimOut:
        """Create a claim with its lines; each line's charge becomes a ledger row."""
        (claim_id,) = await service.create_claims(db, principal.practice_id, [data])
        return await service.show_claim(db, principal.practice_id, claim_id)

    @get("/", guards=[requires("viewer")])
    async def list_claims(
        self, db: DB, principal: Me, page: Paging, status: QueryText = None,
        patient_account: QueryText = None,
    ) -> list[ClaimOut]:
        """The practice's claims, filtered by status or patient account, a page at a time."""
        return await service.list_claims(
            db, principal.practice_id, status=status, patient_account=patient_account,
            limit=page.limit, offset=page.offset,
        )

    @get("/{claim_id:int}", guards=[requires("viewer")])
    async def show(self, claim_id: PathId, db: DB, principal: Me) -> ClaimOut:
        """A claim with its lines and balances derived from the ledger."""
        return await service.show_claim(db, principal.practice_id, claim_id)


ROUTES = [ClaimController]
