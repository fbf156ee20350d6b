"""Pieces every receipt service shares: the practice's today, the clock, chunking, the locked
lookup of one receipt, and the receipt's history (messages)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType, TypeDecorator

from gateway.core.errors import NotFound, UserError
from gateway.core.practice_settings import PracticeSettings
from gateway.posting.bulk import insert_rows
from gateway.receipts.enums import ReceiptStatus
from gateway.receipts.models import Receipt, ReceiptMessage

CHUNK = 1000  # receipts (and ids) per bulk statement
MESSAGES = cast(Table, ReceiptMessage.__table__)
RECEIPTS = cast(Table, Receipt.__table__)

# (receipt id, actor, status after the step, text, the engine's "today")
MessageRow = tuple[int, str, ReceiptStatus, str, dt.date | None]


class Decoded(dict[Any, Any]):
    """Stored values decoded once per distinct value: money, dates and vocabularies repeat
    across a chunk's rows, so a bulk read takes them raw (`type_coerce` to the column's
    storage type: no result processor per row) and looks each one up here. Decoded values
    are immutable (Decimal, str enums), so rows may share them."""

    def __init__(self, decode: Any) -> None:
        super().__init__()
        self._decode = decode

    def __missing__(self, raw: Any) -> Any:
        value = self[raw] = None if raw is None else self._decode(raw)
        return value


def _from_cents(raw: Any) -> Decimal:
    return Decimal(int(raw)).scaleb(-2)  # stored cents: exactly two decimals, like Money()


def cents_decoder() -> Decoded:
    """Stored integer cents (or a SQL sum of them) -> Decimal, for one read (a memo per
    read, so a long-lived process never accumulates every amount it saw)."""
    return Decoded(_from_cents)


def _from_stored_date(raw: Any) -> dt.date:
    return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(raw)


def date_decoder() -> Decoded:
    """A stored date (ISO text on SQLite, a date from asyncpg) -> date, for one read."""
    return Decoded(_from_stored_date)


def stored(column: Any) -> Any:
    """`column` read as the driver returns it, without its type's per-row result processor
    (decode it with a `Decoded`); labelled with its own name."""
    return type_coerce(column, column.type.impl if isinstance(column.type, TypeDecorator)
                       else NullType()).label(column.name)


def practice_today(settings: PracticeSettings) -> dt.date:
    """Today in the practice's time zone (the date a biller would write)."""
    try:
        return dt.datetime.now(ZoneInfo(settings.timezone)).date()
    except Exception:  # an unknown zone name: fall back to UTC rather than fail a night run
        return dt.datetime.now(dt.UTC).date()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def loose_key(text: object) -> str:
    """Lower-case letters and digits only: how names typed by people are matched."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


T = TypeVar("T")


def chunks(ids: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


async def write_messages(session: AsyncSession, rows: Sequence[MessageRow]) -> None:
    """Add lines to receipts' histories, in one statement."""
    if rows:
        at = now()
        await insert_rows(session, MESSAGES, [
            {"receipt_id": rid, "actor": actor, "status": status, "text": text, "run_on": day,
             "created_at": at}
            for rid, actor, status, text, day in rows
        ])


async def locked_receipt(session: AsyncSession, practice_id: int, receipt_id: int) -> Receipt:
    """The receipt, locked for update; NotFound when it is another practice's."""
    r = await session.get(Receipt, receipt_id, with_for_update=True, populate_existing=True)
    if r is None or r.practice_id != practice_id:
        raise NotFound(f"no receipt {receipt_id}")
    return r


async def owned(session: AsyncSession, model: Any, obj_id: int | None, practice_id: int,
                where: str) -> Any:
    """The practice's object `obj_id` of `model` (None for None); UserError at `where` when it
    does not exist or is another practice's."""
    if obj_id is None:
        return None
    obj = await session.get(model, obj_id)
    if obj is None or obj.practice_id != practice_id:
        raise UserError(f"no {model.__tablename__[:-1]} {obj_id} in this practice", where=where)
    return obj
