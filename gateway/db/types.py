"""Column types that keep money exact on every backend.

SQLite has no decimal type (SQLAlchemy's Numeric round-trips through float there), so money is
stored as an integer number of cents and handed to Python as a cents-quantized `Decimal`.
Sums in SQL stay exact integers on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as an integer of 10**-scale units (cents for money)."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        d = Decimal(value)
        scaled = d * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{d} has more than {self.scale} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        # exact and already at the column's scale (Decimal(16500).scaleb(-2) == 165.00); the
        # bounds were checked when it was written, and reads are hot (a batch reads 100k)
        return Decimal(int(value)).scaleb(-self.scale)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in column definitions
    """Money in cents."""
    return ScaledDecimal(2)


def Quantity() -> ScaledDecimal:  # noqa: N802
    """Units and other quantities, three decimals."""
    return ScaledDecimal(3)
