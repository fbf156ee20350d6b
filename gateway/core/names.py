"""The one payer-name normaliser: "BLUE CROSS, INC.", "Blue Cross Inc" and "blue  cross" are one
payer. Everything that compares payer names (payers, aliases, aging, ERA import) uses it."""

from __future__ import annotations

import re
from functools import lru_cache

_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SUFFIXES = re.compile(r"\b(inc|llc|co|corp|corporation|company|ltd)\b")


@lru_cache(maxsize=10_000)  # a 100k-row aging file names a few dozen payers
def normalize_payer_name(name: str | None) -> str:
    """Case, punctuation, '&', company suffixes and spacing do not make a different payer;
    '' when the name has no letters or digits."""
    if not name:
        return ""
    s = _NOT_WORD.sub(" ", name.lower().replace("&", " and "))
    s = _SUFFIXES.sub(" ", s)
    return " ".join(s.split())


def normalize_payer_id(payer_id: str | None) -> str:
    """A clearinghouse / ERA payer id as compared: trimmed, upper case."""
    return (payer_id or "").strip().upper()
