"""Merging two payers of a practice: everything that points at the duplicate (claims, ledger
rows, deposits, posting rules, coverages, aliases — every column with a foreign key to
`payers.id`, found from the metadata so a new domain's tables follow too) moves to the
survivor, the duplicate's name and payer id become aliases of the survivor, and the duplicate
row goes. One audited action in the caller's transaction; no money moves (ledger rows keep
their amounts and sources, only the payer they name changes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.admin.models import AliasKind, PayerAlias
from gateway.admin.payers import get_payer, normalize_alias, remember_alias
from gateway.core.errors import UserError
from gateway.db.models import Payer


def payer_references() -> list[tuple[Table, Column[Any]]]:
    """Every (table, column) with a foreign key to payers.id, aliases last."""
    from gateway.db.metadata import metadata  # all models; imported late: it imports every domain
    refs = [
        (table, col)
        for table in metadata.sorted_tables
        for col in table.columns
        if any(fk.column.table.name == "payers" and fk.column.name == "id"
               for fk in col.foreign_keys)
    ]
    return sorted(refs, key=lambda ref: ref[0].name == PayerAlias.__tablename__)


async def merge_payers(
    session: AsyncSession, practice_id: int, survivor_pk: int, duplicate_pk: int, *,
    actor: str, user_id: int | None = None,
) -> dict[str, Any]:
    """Fold payer `duplicate_pk` into `survivor_pk`; what moved, per table.column."""
    if survivor_pk == duplicate_pk:
        raise UserError("a payer cannot be merged into itself", where="duplicate_id")
    survivor = await get_payer(session, practice_id, survivor_pk)
    duplicate = await get_payer(session, practice_id, duplicate_pk)
    moved: dict[str, int] = {}
    await _drop_colliding_aliases(session, practice_id, survivor.id, duplicate.id)
    for table, col in payer_references():
        try:
            async with session.begin_nested():
                result = await session.execute(
                    update(table).where(col == duplicate.id).values({col.name: survivor.id})
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError as exc:
            raise UserError(
                f"cannot merge: {table.name} already has rows for payer {survivor.id} that "
                f"would collide with payer {duplicate.id}'s ({exc.orig})",
                where="duplicate_id",
            ) from exc
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            moved[f"{table.name}.{col.name}"] = count
    gone_name, gone_id = duplicate.name, duplicate.payer_id
    gone = {"name": gone_name, "payer_id": gone_id}
    await session.delete(duplicate)
    await session.flush()
    for kind in (AliasKind.ERA_NAME, AliasKind.AGING_NAME):
        await _alias_if_free(session, practice_id, survivor, kind, gone_name)
    if gone_id and gone_id != survivor.payer_id:
        await _alias_if_free(session, practice_id, survivor, AliasKind.ERA_PAYER_ID, gone_id)
    detail = {"duplicate_id": duplicate_pk, **gone, "moved": moved}
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="payer.merge", object_type="payer", object_id=survivor.id, detail=detail)
    await session.flush()
    return {"survivor_id": survivor.id, **detail}


async def _drop_colliding_aliases(session: AsyncSession, practice_id: int, survivor: int,
                                  duplicate: int) -> None:
    """An alias both payers have would collide on the unique (practice, kind, alias) when it
    moves; the survivor's copy stays."""
    from sqlalchemy import delete, select

    theirs = select(PayerAlias.kind, PayerAlias.alias).where(PayerAlias.payer_id == survivor)
    both = {(k, a) for k, a in (await session.execute(theirs)).all()}
    for kind, alias in both:
        await session.execute(delete(PayerAlias).where(
            PayerAlias.practice_id == practice_id, PayerAlias.payer_id == duplicate,
            PayerAlias.kind == kind, PayerAlias.alias == alias))


async def _alias_if_free(session: AsyncSession, practice_id: int, survivor: Payer,
                         kind: AliasKind, text: str) -> None:
    """Remember the duplicate's name / id for the survivor, unless it is the survivor's own."""
    own = normalize_alias(kind, survivor.payer_id if kind is AliasKind.ERA_PAYER_ID
                          else survivor.name)
    if not normalize_alias(kind, text) or normalize_alias(kind, text) == own:
        return
    await remember_alias(session, practice_id, survivor, kind, text)
