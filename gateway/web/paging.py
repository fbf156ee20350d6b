"""Server-side pagination: every list fetches one page plus one row to know if there is more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
PAGE_SIZE = 50


class Page(msgspec.Struct, Generic[T], kw_only=True):
    items: list[T]
    page: int
    size: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last_row(self) -> int:
        return (self.page - 1) * self.size + len(self.items)


def window(page: int, size: int = PAGE_SIZE) -> tuple[int, int, int]:
    """(page, limit to fetch = size + 1, offset) for a 1-based page number."""
    page = max(page, 1)
    return page, size + 1, (page - 1) * size


def make_page(rows: Sequence[Any], page: int, size: int = PAGE_SIZE) -> Page[Any]:
    return Page(items=list(rows[:size]), page=page, size=size, has_next=len(rows) > size)
