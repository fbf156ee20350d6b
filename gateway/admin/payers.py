"""Payers of a practice. Identity is the normalised name (`gateway.core.names`) or the
clearinghouse payer id, so "BLUE CROSS, INC." and "Blue Cross Inc" are one payer, never
duplicated, never overwritten; and what a biller once linked (an ERA payer name + id, an aging
payer name: `gateway.admin.models.PayerAlias`) is found again by every later ERA and upload.

Lookup order (`resolve_payer`): an alias of the payer id, the payer id itself, an alias of the
name (the source's own kind first), the normalised name.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.models import AliasKind, PayerAlias
from gateway.core.errors import UserError
from gateway.core.names import normalize_payer_id, normalize_payer_name
from gateway.db.models import Payer
from gateway.db.scoped import get_scoped
from gateway.db.upsert import insert_if_absent

__all__ = ["normalize_payer_name", "find_payer", "resolve_payer", "get_or_add_payer",
           "get_payer", "link_alias", "list_aliases"]

Source = Literal["era", "aging"]
_NAME_KINDS: dict[str, tuple[AliasKind, ...]] = {
    "era": (AliasKind.ERA_NAME, AliasKind.AGING_NAME),
    "aging": (AliasKind.AGING_NAME, AliasKind.ERA_NAME),
}


def normalize_alias(kind: AliasKind | str, text: str | None) -> str:
    """The text an alias of this kind is stored and looked up as."""
    if AliasKind(kind) is AliasKind.ERA_PAYER_ID:
        return normalize_payer_id(text)
    return normalize_payer_name(text)


async def _aliased(session: AsyncSession, practice_id: int, kind: AliasKind,
                   text: str | None) -> Payer | None:
    alias = normalize_alias(kind, text)
    if not alias:
        return None
    return await session.scalar(
        select(Payer).join(PayerAlias, PayerAlias.payer_id == Payer.id).where(
            PayerAlias.practice_id == practice_id, PayerAlias.kind == kind.value,
            PayerAlias.alias == alias)
    )


async def resolve_payer(
    session: AsyncSession, practice_id: int, *, name: str | None, payer_id: str | None,
    source: Source = "era",
) -> Payer | None:
    """The practice's payer an ERA (or, with source="aging", an aging row) names: through a
    remembered alias first, then by payer id, then by normalised name; None when unknown."""
    if payer_id:
        found = await _aliased(session, practice_id, AliasKind.ERA_PAYER_ID, payer_id)
        if found is None:
            found = await session.scalar(
                select(Payer).where(Payer.practice_id == practice_id,
                                    Payer.payer_id == payer_id.strip())
                .order_by(Payer.id).limit(1)
            )
        if found is not None:
            return found
    if name:
        for kind in _NAME_KINDS[source]:
            found = await _aliased(session, practice_id, kind, name)
            if found is not None:
                return found
        return await session.scalar(
            select(Payer).where(Payer.practice_id == practice_id,
                                Payer.normalized_name == normalize_payer_name(name))
        )
    return None


async def find_payer(
    session: AsyncSession, practice_id: int, name: str | None, payer_id: str | None = None
) -> Payer | None:
    """The practice's payer with this clearinghouse id, else with this name (aliases count)."""
    return await resolve_payer(session, practice_id, name=name, payer_id=payer_id)


async def get_or_add_payer(
    session: AsyncSession,
    practice_id: int,
    name: str,
    payer_id: str | None = None,
    *,
    source: str = "manual",
) -> tuple[Payer, bool]:
    """The matching payer (aliases consulted first), or a new Active one; (payer, created).
    Concurrent adds of the same payer by two processes end with one row: the unique
    constraint decides."""
    existing = await resolve_payer(session, practice_id, name=name, payer_id=payer_id,
                                   source="aging" if source == "aging" else "era")
    if existing is not None:
        return existing, False
    normalized = normalize_payer_name(name)
    if not normalized:
        raise UserError(f"payer name {name!r} has no letters or digits", where="payer")
    new_id = await insert_if_absent(
        session,
        Payer.__table__,  # type: ignore[arg-type]  # a mapped class's __table__ is its Table
        {
            "practice_id": practice_id,
            "name": name.strip(),
            "normalized_name": normalized,
            "payer_id": payer_id or None,
            "status": "Active",
            "accepts_electronic_claims": True,
            "source": source,
        },
        ["practice_id", "normalized_name"],
    )
    payer = await resolve_payer(session, practice_id, name=name, payer_id=None)
    assert payer is not None
    return payer, new_id is not None


async def get_payer(session: AsyncSession, practice_id: int, payer_pk: int) -> Payer:
    return await get_scoped(session, Payer, practice_id, payer_pk, what="payer")


async def remember_alias(session: AsyncSession, practice_id: int, payer: Payer, kind: AliasKind,
                     text: str) -> str:
    """Remember one alias (idempotent); UserError when it already points at another payer."""
    alias = normalize_alias(kind, text)
    if not alias:
        raise UserError(f"{kind.value} {text!r} has no letters or digits", where=kind.value)
    await insert_if_absent(
        session,
        PayerAlias.__table__,  # type: ignore[arg-type]  # a mapped class's __table__ is its Table
        {"practice_id": practice_id, "kind": kind.value, "alias": alias, "payer_id": payer.id},
        ["practice_id", "kind", "alias"],
    )
    owner = await session.scalar(select(PayerAlias.payer_id).where(
        PayerAlias.practice_id == practice_id, PayerAlias.kind == kind.value,
        PayerAlias.alias == alias))
    if owner != payer.id:
        raise UserError(f"{kind.value} {text!r} is already linked to payer {owner}",
                        where=kind.value)
    return alias


async def link_alias(
    session: AsyncSession, practice_id: int, payer_pk: int, *, actor: str,
    user_id: int | None = None, era_name: str | None = None, era_payer_id: str | None = None,
    aging_name: str | None = None,
) -> list[PayerAlias]:
    """Link what an ERA (name and/or payer id) or an aging export called a payer to the
    practice's payer `payer_pk`, for every later ERA and upload; audited. Linking the same
    text again is a no-op; linking text another payer owns is a UserError."""
    payer = await get_payer(session, practice_id, payer_pk)
    wanted = [(k, t) for k, t in ((AliasKind.ERA_NAME, era_name),
                                  (AliasKind.ERA_PAYER_ID, era_payer_id),
                                  (AliasKind.AGING_NAME, aging_name)) if t]
    if not wanted:
        raise UserError("give era_name, era_payer_id or aging_name", where="body")
    linked = {k.value: await remember_alias(session, practice_id, payer, k, t) for k, t in wanted}
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="payer.link_alias", object_type="payer", object_id=payer.id,
                detail=linked)
    return await list_aliases(session, practice_id, payer.id)


async def list_aliases(session: AsyncSession, practice_id: int,
                       payer_pk: int | None = None) -> list[PayerAlias]:
    q = select(PayerAlias).where(PayerAlias.practice_id == practice_id)
    if payer_pk is not None:
        q = q.where(PayerAlias.payer_id == payer_pk)
    return list((await session.scalars(q.order_by(PayerAlias.id))).all())
