"""Declarative base with a naming convention, so migrations name constraints the same way on
SQLite and PostgreSQL (batch migrations on SQLite need named constraints)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # every timestamp is timezone-aware: `Mapped[dt.datetime]` alone says so
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Timestamped:
    """`created_at` set by the database at insert."""

    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class Keyed:
    """The integer primary key every table has (first in the table, as the migrations have it)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)


class PracticeScoped(Keyed, Timestamped):
    """`id`, `practice_id` (indexed) and `created_at`: the columns of a row a practice owns,
    the row `gateway.db.scoped.get_scoped` loads."""

    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id"), index=True, sort_order=-1
    )


class BatchClaim(Keyed):
    """A claim's place in a batch (claim, reference or print batch): each claim once per batch.
    The class adds `batch_id`, the foreign key to its batch table (indexed)."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("batch_id", "claim_id"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)


class ProcedureCoded:
    """The procedure of a service line, as billed (a claim line) or as adjudicated (an 835
    SVC): its code and modifiers."""

    procedure_code: Mapped[str] = mapped_column(String(20))
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
