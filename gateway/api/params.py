"""Shared, bounded request parameters: ids, pagination, amounts.

Every id the API accepts fits a signed 64-bit column (1..2^63-1), so no value reaches the
database that it cannot store; a list is paged through `Page` (limit 1..1000, offset >= 0)
and answered as Litestar's `OffsetPagination` with its total.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from litestar.di import NamedDependency, Provide
from litestar.pagination import OffsetPagination
from litestar.params import PathParameter, QueryParameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import UserError

MAX_ID = 2**63 - 1
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1

PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="An object id (1..2^63-1).")]
"""A path id; another practice's object answers 404, like a missing one."""

QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID,
                                               description="An object id (1..2^63-1).")]

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
QueryText = Annotated[str | None, QueryParameter(max_length=200, pattern=_PRINTABLE,
                                                 description="Text, at most 200 characters.")]
"""A free-text filter: bounded, no control characters (they reach workbooks and the database)."""

QueryTexts = Annotated[list[str] | None, QueryParameter(description="Repeatable text filter.")]

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size, 1..1000.")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip, >= 0.")]

T = TypeVar("T")


class Page:
    """A page request: at most `limit` rows after `offset`."""

    __slots__ = ("limit", "offset")

    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset

    def of(self, items: list[T], total: int) -> OffsetPagination[T]:
        return OffsetPagination(items=items, limit=self.limit, offset=self.offset, total=total)

    async def total(self, session: AsyncSession, query: Select[Any], *,
                    seen: int | None = None) -> int:
        """How many rows `query` has in all (the page's `total`). Given `seen` (the rows this
        page got), a short page that is not past the end is the last one: no count is run.
        A plain query is counted as itself (`count(*)` on its own FROM and WHERE, which an
        index answers) rather than as a subquery of every column."""
        if seen is not None and seen < self.limit and (seen > 0 or self.offset == 0):
            return self.offset + seen
        n = await session.scalar(count_of(query))
        return int(n or 0)

    async def run(self, session: AsyncSession, query: Select[Any]) -> tuple[list[Any], int]:
        """This page of `query`'s first column (ORM objects) and the count of all rows."""
        rows = (await session.scalars(query.limit(self.limit).offset(self.offset))).all()
        return list(rows), await self.total(session, query, seen=len(rows))

    async def of_practice(self, session: AsyncSession, model: Any,
                          practice_id: int) -> tuple[list[Any], int]:
        """This page of `model`'s rows of one practice, by id, and the count of all."""
        return await self.run(session, select(model).where(model.practice_id == practice_id)
                              .order_by(model.id))

    async def run_rows(self, session: AsyncSession,
                       query: Select[Any]) -> tuple[list[Any], int]:
        """This page of `query`'s rows (tuples) and the count of all of them."""
        rows = (await session.execute(query.limit(self.limit).offset(self.offset))).all()
        return list(rows), await self.total(session, query, seen=len(rows))


def count_of(query: Select[Any]) -> Select[Any]:
    """`SELECT count(*)` of `query`'s rows: directly on its FROM and WHERE when it is plain
    (no GROUP BY, DISTINCT, HAVING, LIMIT or OFFSET), else over it as a subquery."""
    plain = not (query._group_by_clauses or query._distinct or query._having_criteria
                 or query._limit_clause is not None or query._offset_clause is not None)
    if plain:
        return query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    return select(func.count()).select_from(query.order_by(None).subquery())


async def provide_page(limit: Limit = 100, offset: Offset = 0) -> Page:
    """The one pagination dependency every list uses (bounds checked by Litestar)."""
    return Page(limit, offset)


Paging = NamedDependency[Page]
"""Handler marker for the shared `page` dependency."""

PAGE_DEPENDENCY = {"page": Provide(provide_page)}

_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


def parse_amount(text: str | None, *, where: str = "amount") -> Decimal | None:
    """A finite decimal amount with at most 2 decimals (no NaN, no Infinity, no exponent)."""
    if text is None or text == "":
        return None
    candidate = text.strip()
    if re.fullmatch(r"-?\d+\.\d{3,}", candidate):
        raise UserError(f"{candidate[:40]!r} has a part of a cent", where=where)
    if not _AMOUNT.match(candidate):
        raise UserError(f"not an amount (digits with at most 2 decimals): {text[:40]!r}",
                        where=where)
    try:
        return Decimal(candidate)
    except InvalidOperation:  # pragma: no cover - the pattern admits only finite numbers
        raise UserError(f"not an amount: {text[:40]!r}", where=where) from None
