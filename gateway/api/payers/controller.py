"""Payers of the caller's practice: create, update, aliases (what an ERA or aging export calls
them, once linked), merge a duplicate into a survivor."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody
from sqlalchemy import select

from gateway.admin.audit import audit
from gateway.admin.models import PayerAlias
from gateway.admin.payer_merge import merge_payers
from gateway.admin.payers import get_or_add_payer, get_payer, link_alias, list_aliases
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


class AliasIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What an ERA (N1*PR name, payer id) or an aging export (insurance column) calls it."""

    era_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    era_payer_id: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    aging_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class AliasOut(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    alias: str
    payer_id: int


class MergeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    duplicate_id: int


def _alias_out(a: PayerAlias) -> AliasOut:
    return AliasOut(id=a.id, kind=a.kind, alias=a.alias, payer_id=a.payer_id)


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

    @get("/{payer_pk:int}/aliases", guards=[requires("viewer")])
    async def aliases(self, payer_pk: PathId, db: DB, principal: Me) -> list[AliasOut]:
        """The ERA names, ERA payer ids and aging names remembered for this payer."""
        await get_payer(db, principal.practice_id, payer_pk)
        return [_alias_out(a) for a in await list_aliases(db, principal.practice_id, payer_pk)]

    @post("/{payer_pk:int}/aliases", guards=[requires("biller")], status_code=200)
    async def link(self, payer_pk: PathId, data: JSONBody[AliasIn], db: DB,
                   principal: Me) -> list[AliasOut]:
        """Remember that this ERA payer / aging name is this payer (audited)."""
        linked = await link_alias(db, principal.practice_id, payer_pk, actor=principal.actor,
                                  user_id=principal.user_id, era_name=data.era_name,
                                  era_payer_id=data.era_payer_id, aging_name=data.aging_name)
        return [_alias_out(a) for a in linked]

    @post("/{payer_pk:int}/merge", guards=[requires("admin")], status_code=200)
    async def merge(self, payer_pk: PathId, data: JSONBody[MergeIn], db: DB,
                    principal: Me) -> dict[str, object]:
        """Fold payer `duplicate_id` into this one: its claims, deposits, rules, coverages and
        aliases follow; its name and payer id become aliases (audited)."""
        return await merge_payers(db, principal.practice_id, payer_pk, data.duplicate_id,
                                  actor=principal.actor, user_id=principal.user_id)


ROUTES = [PayerController]
