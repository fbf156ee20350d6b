"""Payers of the caller's practice."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody
from sqlalchemy import select

from gateway.admin.audit import audit
from gateway.admin.payers import get_or_add_payer, get_payer
from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import Paging, PathId, QueryText
from gateway.core.errors import UserError
from gateway.db.models import Payer


class PayerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    payer_id: str | None = None
    financial_class: str | None = None
    accepts_electronic_claims: bool = True


class PayerUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    payer_id: str | None = None
    financial_class: str | None = None
    status: Literal["Active", "Inactive"] | None = None
    accepts_electronic_claims: bool | None = None


class PayerOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    payer_id: str | None
    financial_class: str | None
    status: str
    accepts_electronic_claims: bool
    source: str


def _out(p: Payer) -> PayerOut:
    return PayerOut(id=p.id, name=p.name, payer_id=p.payer_id, financial_class=p.financial_class,
                    status=p.status, accepts_electronic_claims=p.accepts_electronic_claims,
                    source=p.source)


class PayerController(Controller):
    path = "/api/payers"
    tags = ["payers"]

    @get("/", guards=[requires("viewer")])
    async def list_payers(self, db: DB, principal: Me, page: Paging,
                          status: QueryText = None) -> OffsetPagination[PayerOut]:
        """The practice's payers by name (`status`: Active or Inactive only)."""
        q = select(Payer).where(Payer.practice_id == principal.practice_id).order_by(
            Payer.name, Payer.id)
        if status:
            q = q.where(Payer.status == status)
        rows, total = await page.run(db, q)
        return page.of([_out(p) for p in rows], total)

    @post("/", guards=[requires("biller")])
    async def create(self, data: JSONBody[PayerIn], db: DB, principal: Me) -> PayerOut:
        """Add a payer; a name that matches an existing payer is refused."""
        payer, created = await get_or_add_payer(db, principal.practice_id, data.name, data.payer_id)
        if not created:
            raise UserError(f"payer {data.name!r} already exists (id {payer.id})", where="name")
        payer.financial_class = data.financial_class
        payer.accepts_electronic_claims = data.accepts_electronic_claims
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="payer.create", object_type="payer",
                    object_id=payer.id)
        return _out(payer)

    @get("/{payer_pk:int}", guards=[requires("viewer")])
    async def show(self, payer_pk: PathId, db: DB, principal: Me) -> PayerOut:
        """One payer of the practice."""
        return _out(await get_payer(db, principal.practice_id, payer_pk))

    @patch("/{payer_pk:int}", guards=[requires("biller")])
    async def update(self, payer_pk: PathId, data: JSONBody[PayerUpdate], db: DB,
                     principal: Me) -> PayerOut:
        """Change a payer's id, financial class, status or electronic-claims flag."""
        payer = await get_payer(db, principal.practice_id, payer_pk)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        for key, value in changes.items():
            setattr(payer, key, value)
        await audit(db, practice_id=principal.practice_id, actor=principal.actor,
                    user_id=principal.user_id, action="payer.update", object_type="payer",
                    object_id=payer.id, detail={"fields": sorted(changes)})
        return _out(payer)


ROUTES = [PayerController]
