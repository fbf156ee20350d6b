"""Claims: create with lines (charges go to the ledger), list, show with balances; a biller
changes workflow fields (PATCH) and releases a corrected rejected claim for the next batch."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.filters import filtered
from gateway.api.params import Paging, PathId
from gateway.ledger import billing, service
from gateway.ledger.claim_page import claims_page
from gateway.ledger.schemas import ClaimIn, ClaimOut, ClaimUpdate, ReleaseIn


class ClaimFilter(msgspec.Struct, kw_only=True):
    """What the claim list filters by; every field optional."""

    status: str | None = None
    patient_account: str | None = None
    billing_state: str | None = None


class ClaimController(Controller):
    path = "/api/claims"
    tags = ["claims"]

    @post("/", guards=[requires("biller")])
    async def create(self, data: JSONBody[ClaimIn], db: DB, principal: Me) -> ClaimOut:
        """Create a claim with its lines; each line's charge becomes a ledger row. It is
        unbilled (the next batch takes it) unless `billed_by_pms` says the PMS billed it."""
        (claim_id,) = await service.create_claims(db, principal.practice_id, [data])
        return await service.show_claim(db, principal.practice_id, claim_id)

    @get("/", guards=[requires("viewer")], **filtered(ClaimFilter))
    async def list_claims(self, db: DB, principal: Me, page: Paging,
                          filters: NamedDependency[ClaimFilter]) -> OffsetPagination[ClaimOut]:
        """The practice's claims by id, filtered by status, billing state or patient account,
        a page at a time with the total."""
        query = service.claims_query(
            principal.practice_id, status=filters.status,
            patient_account=filters.patient_account, billing_state=filters.billing_state)
        items = await claims_page(db, query, page.limit, page.offset)
        return page.of(items, await page.total(db, query, seen=len(items)))

    @get("/{claim_id:int}", guards=[requires("viewer")])
    async def show(self, claim_id: PathId, db: DB, principal: Me) -> ClaimOut:
        """A claim with its lines and balances derived from the ledger."""
        return await service.show_claim(db, principal.practice_id, claim_id)

    @patch("/{claim_id:int}", guards=[requires("biller")])
    async def update(self, claim_id: PathId, data: JSONBody[ClaimUpdate], db: DB,
                     principal: Me) -> ClaimOut:
        """Change status, level, sub-status or invoice date (audited)."""
        await billing.update_claim(db, principal.practice_id, claim_id, data,
                                   actor=principal.actor, user_id=principal.user_id)
        return await service.show_claim(db, principal.practice_id, claim_id)

    @post("/{claim_id:int}/release", guards=[requires("biller")], status_code=200)
    async def release(self, claim_id: PathId, db: DB, principal: Me,
                      data: JSONBody[ReleaseIn | None] = None) -> ClaimOut:
        """A corrected rejected claim becomes unbilled, for the next batch (audited)."""
        await billing.release_claim(db, principal.practice_id, claim_id, actor=principal.actor,
                                    user_id=principal.user_id, note=data.note if data else None)
        return await service.show_claim(db, principal.practice_id, claim_id)


ROUTES = [ClaimController]
