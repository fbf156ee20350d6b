"""Bulk inserts for big imports: one `executemany` per batch on the driver, no ORM, no per-row
SQLAlchemy parameter processing.

A 100k-row aging file writes some 400k rows (patients, claims, lines, ledger rows, snapshot
items); SQLAlchemy's per-parameter bind processing would cost more than the database does. The
values are converted here the way the column types would: money (`ScaledDecimal`) to integer
cents, JSON to text, dates to ISO text on SQLite. Columns not given take their server default
(`created_at`), so give every NOT NULL column that has only a Python-side default.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import JSON, Date, Table
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.types import ScaledDecimal

BATCH = 5000


def _converter(column: Any, dialect: str) -> Callable[[Any], Any] | None:
    t = column.type
    if isinstance(t, ScaledDecimal):
        def scaled(value: Any) -> int | None:
            if type(value) is not Decimal:
                if value is None:
                    return None
                if isinstance(value, float):
                    raise TypeError("money must be Decimal, not float")
                value = Decimal(value)
            scaled_value = value.scaleb(t.scale)
            as_int = int(scaled_value)
            if as_int != scaled_value:
                raise ValueError(f"{value} has more than {t.scale} decimals")
            return as_int

        return scaled
    if isinstance(t, JSON):
        return _json
    if isinstance(t, Date) and dialect == "sqlite":
        return lambda v: None if v is None else v.isoformat()
    return None


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if not value and isinstance(value, list | dict):
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, separators=(",", ":"))


def _placeholders(paramstyle: str, n: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * n)
    if paramstyle in ("numeric_dollar",):
        return ", ".join(f"${i}" for i in range(1, n + 1))
    if paramstyle == "numeric":
        return ", ".join(f":{i}" for i in range(1, n + 1))
    return ", ".join(["%s"] * n)


async def bulk_insert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict_do_nothing: Sequence[str] | None = None,
) -> None:
    """INSERT the rows (all with the same keys) in batches of `BATCH`."""
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    converters = [_converter(c, dialect.name) for c in columns]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({_placeholders(dialect.paramstyle, len(names))})"
    )
    if on_conflict_do_nothing:
        sql += f" ON CONFLICT ({', '.join(on_conflict_do_nothing)}) DO NOTHING"
    plain = [i for i, f in enumerate(converters) if f is None]
    if len(plain) == len(names):
        make = lambda row: tuple(row[n] for n in names)  # noqa: E731
    else:
        pairs = list(zip(names, converters, strict=True))

        def make(row: dict[str, Any]) -> tuple[Any, ...]:
            return tuple(row[n] if f is None else f(row[n]) for n, f in pairs)

    for start in range(0, len(rows), BATCH):
        params = [make(r) for r in rows[start : start + BATCH]]
        await conn.exec_driver_sql(sql, params)


def table_of(model: type) -> Table:
    """A model's Table (SQLAlchemy types `__table__` as the wider FromClause)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]  # a mapped class has it
