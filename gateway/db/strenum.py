"""StrEnum columns: a closed vocabulary stored as its text, handed to Python as the enum.

`StrEnumType(ReceiptStatus, 20)` is a VARCHAR(20) in the database (migrations and the
model-vs-migration comparison see a plain string), refuses a value outside the enum before
it is written, and loads rows as enum members. `check_in` writes the matching CHECK
constraint's SQL, so the database refuses what the code would.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class StrEnumType(TypeDecorator[StrEnum]):
    """A StrEnum stored as VARCHAR(length)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return str(self.enum(value))  # ValueError for a value outside the vocabulary

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self


def check_in(column: str, enum: type[StrEnum], *, nullable: bool = False) -> str:
    """SQL for a CHECK that `column` holds one of the enum's values."""
    values = ", ".join("'" + m.value.replace("'", "''") + "'" for m in enum)
    sql = f"{column} IN ({values})"
    return f"{column} IS NULL OR {sql}" if nullable else sql
