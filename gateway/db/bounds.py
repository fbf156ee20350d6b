"""Values bounded before they reach the database, so SQLite and PostgreSQL refuse and accept
the same things.

PostgreSQL refuses a NUL character in any text value, a string longer than its column, an
integer past its column's width and a number with more digits than its column holds; SQLite
silently stores them all. One engine hook (`install`) checks every statement's values against
the column types it binds them to, on both databases, before the driver sees them: a refused
value is a `UserError` naming the table and column (400/422 in the API, exit 2 in the CLI),
and the transaction rolls back, so nothing of the write is kept. The message never carries
the value itself (it may be patient data).

Lengths and ranges are checked for the columns an INSERT or UPDATE writes (a longer search
text in a WHERE clause is no error on either database); NUL characters in every statement,
raw SQL (`text()`, `exec_driver_sql`) included. Rows written by COPY (gateway.db.bulk) pass
`check_rows`: the same checks per column, the error naming the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator, TypeEngine

from gateway.core.errors import UserError

_INT_BOUNDS: tuple[tuple[type[sqltypes.Integer], int], ...] = (
    (sqltypes.SmallInteger, 2**15), (sqltypes.BigInteger, 2**63), (sqltypes.Integer, 2**31))

# (bind key, "table.column", kind, bound); kind: "str" (bound = max length or 0), "int"
# (values in -bound..bound-1), "num" (|value| < bound), "nul" (only the NUL check)
Check = tuple[str, str, str, Any]


def _base(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def _column_check(key: str, name: str, type_: TypeEngine[Any], written: bool) -> Check | None:
    base = _base(type_)
    if isinstance(base, sqltypes.String):
        return (key, name, "str", (base.length or 0) if written else 0)
    if not written:
        return None
    if isinstance(base, sqltypes.Integer):
        bound = next(b for t, b in _INT_BOUNDS if isinstance(base, t))
        return (key, name, "int", bound)
    if isinstance(base, sqltypes.Numeric) and base.precision and not isinstance(
            base, sqltypes.Float):
        return (key, name, "num", Decimal(10) ** (base.precision - (base.scale or 0)))
    return None


def _checks(compiled: Any, context: Any) -> list[Check]:
    """The checks of one compiled statement (kept on it: compiled statements are cached)."""
    cached = getattr(compiled, "_gateway_bounds", None)
    if cached is not None:
        return list(cached)
    writes = bool(context.isinsert or context.isupdate)
    table = getattr(compiled.statement, "table", None)
    columns = set(table.c.keys()) if writes and table is not None else set()
    prefix = f"{getattr(table, 'name', '')}." if table is not None else ""
    checks: list[Check] = []
    for key, bind in compiled.binds.items():
        written = key in columns  # a column's value is bound under the column's key
        check = _column_check(key, prefix + key if written else key, bind.type, written)
        if check is not None:
            checks.append(check)
    try:
        compiled._gateway_bounds = tuple(checks)
    except AttributeError:  # pragma: no cover - a compiled form that takes no attributes
        pass
    return checks


def _refuse(name: str, why: str) -> UserError:
    return UserError(f"the value {why}", where=name)


def _check_value(check: Check, value: Any, row: int | None = None) -> None:
    _, name, kind, bound = check
    if row is not None:
        name = f"{name}, row {row}"
    if kind == "str":
        if not isinstance(value, str):
            return
        if "\x00" in value:
            raise _refuse(name, "holds a NUL character")
        if bound and len(value) > bound:
            raise _refuse(name, f"is {len(value)} characters long, over the {bound} its "
                                "column holds")
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool) and not (
                -bound <= value < bound):
            raise _refuse(name, "is out of the range its column holds")
    elif isinstance(value, Decimal) and value.is_finite() and abs(value) >= bound:
        raise _refuse(name, "has more digits than its column holds")


def check_parameters(context: Any) -> None:
    """Every value of one execution against its column's bounds; UserError on the first."""
    compiled = getattr(context, "compiled", None)
    if (compiled is None or not hasattr(compiled, "binds")  # DDL binds no values
            or getattr(context, "_gateway_checked", False)):
        return
    checks = _checks(compiled, context)
    if checks:
        for params in context.compiled_parameters:
            for check in checks:
                value = params.get(check[0])
                if value is not None:
                    _check_value(check, value)
    context._gateway_checked = True  # insertmanyvalues runs one context in several batches


def check_rows(table: Any, cols: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows about to be COPYed into `table` (a Core Table), bounded exactly as an INSERT of
    them would be; UserError naming the table, column and row (counted from 1)."""
    checks = [c for c in (_column_check(col, f"{table.name}.{col}", table.c[col].type, True)
                          for col in cols) if c is not None]
    if not checks:
        return
    rows = list(rows)
    failing = [c for c in checks if not _column_fits(c, [r.get(c[0]) for r in rows])]
    for number, row in enumerate(rows if failing else (), 1):  # locate the first bad row
        for check in failing:
            value = row.get(check[0])
            if value is not None:
                _check_value(check, value, number)


def _column_fits(check: Check, values: list[Any]) -> bool:
    """Whether every value of one column passes `check`, tested a column at a time (a COPY
    of an ERA binds a million values: one C-level pass per column, not a call per value);
    False sends the caller to the per-row check that names the row."""
    _, _, kind, bound = check
    if kind == "str":
        texts = [v for v in values if isinstance(v, str)]
        return "\x00" not in "".join(texts) and not (
            bound and max(map(len, texts), default=0) > bound)
    if kind == "int":
        ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        return not ints or (-bound <= min(ints) and max(ints) < bound)
    amounts = [abs(v) for v in values if isinstance(v, Decimal) and v.is_finite()]
    return max(amounts, default=Decimal(0)) < bound


def _nul_free(values: Any) -> None:
    """Raw SQL's parameters (a tuple, a dict, or a list of them): no NUL in any text."""
    if isinstance(values, str):
        if "\x00" in values:
            raise _refuse("statement", "holds a NUL character")
    elif isinstance(values, Mapping):
        for v in values.values():
            _nul_free(v)
    elif isinstance(values, (list, tuple)):
        for v in values:
            _nul_free(v)


def install(engine: Engine) -> None:
    """Check values on every statement `engine` runs (make_engine calls this)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _bounded(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
        if context is not None and getattr(context, "compiled", None) is not None:
            check_parameters(context)
        if context is None or isinstance(getattr(context.compiled, "statement", None),
                                         TextClause) or context.compiled is None:
            _nul_free(parameters)  # raw SQL: no column types to check against, only NUL
