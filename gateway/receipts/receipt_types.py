"""Receipt types: the five built-in ones (with the names people type for them) and a
practice's own, each following one behaviour."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.core.errors import UserError
from gateway.db.upsert import insert_if_absent
from gateway.receipts.common import loose_key
from gateway.receipts.enums import Behaviour
from gateway.receipts.models import BUILTIN_TYPES, ReceiptType
from gateway.receipts.schemas import ReceiptTypeIn, ReceiptTypeOut

# loose name -> (type name, behaviour)
TypeTable = dict[str, tuple[str, Behaviour]]

BUILTIN_ALIASES: TypeTable = {
    **{loose_key(k): (k, v) for k, v in BUILTIN_TYPES.items()},
    "copay": ("Co-Pay", Behaviour.COPAY),
    "coinsurance": ("Patient Coinsurance", Behaviour.COINSURANCE),
    "deductible": ("Patient Deductible", Behaviour.DEDUCTIBLE),
    "general": ("General Payment", Behaviour.GENERAL),
    "payment": ("General Payment", Behaviour.GENERAL),
    "prepayment": ("Pre-Pay", Behaviour.PREPAY),
}


async def type_table(session: AsyncSession, practice_id: int) -> TypeTable:
    """Every type the practice may name, by loose name (the import looks rows up in it)."""
    table = dict(BUILTIN_ALIASES)
    rows = await session.execute(
        select(ReceiptType.name, ReceiptType.behaviour).where(
            ReceiptType.practice_id == practice_id, ReceiptType.active.is_(True)
        )
    )
    for name, behaviour in rows:
        table[loose_key(name)] = (name, behaviour)
    return table


async def resolve_type(session: AsyncSession, practice_id: int, name: str,
                       where: str = "type") -> tuple[str, Behaviour]:
    """(type name, behaviour) of a built-in or practice-defined type; UserError if unknown."""
    found = await type_table(session, practice_id)
    hit = found.get(loose_key(name))
    if hit is None:
        known = ", ".join(sorted({n for n, _ in found.values()}))
        raise UserError(f"unknown receipt type {name!r} (known: {known})", where=where)
    return hit


async def list_types(session: AsyncSession, practice_id: int) -> list[ReceiptTypeOut]:
    out = [ReceiptTypeOut(id=None, name=k, behaviour=v, builtin=True)
           for k, v in BUILTIN_TYPES.items()]
    rows = await session.scalars(
        select(ReceiptType).where(ReceiptType.practice_id == practice_id,
                                  ReceiptType.active.is_(True)).order_by(ReceiptType.name)
    )
    out += [ReceiptTypeOut(id=t.id, name=t.name, behaviour=t.behaviour, builtin=False)
            for t in rows]
    return out


async def create_type(session: AsyncSession, practice_id: int, data: ReceiptTypeIn,
                      actor: str) -> ReceiptTypeOut:
    """A practice-defined receipt type following one of the five behaviours."""
    name = data.name.strip()
    behaviour = Behaviour(data.behaviour)
    if loose_key(name) in BUILTIN_ALIASES or not loose_key(name):
        raise UserError(f"{name!r} is a built-in receipt type", where="name")
    new_id = await insert_if_absent(
        session, cast(Table, ReceiptType.__table__),
        {"practice_id": practice_id, "name": name, "behaviour": behaviour, "active": True},
        ["practice_id", "name"],
    )
    if new_id is None:
        raise UserError(f"receipt type {name!r} already exists", where="name")
    await audit(session, practice_id=practice_id, actor=actor, action="receipt_type.create",
                object_type="receipt_type", object_id=new_id,
                detail={"behaviour": str(behaviour)})
    return ReceiptTypeOut(id=new_id, name=name, behaviour=behaviour, builtin=False)
