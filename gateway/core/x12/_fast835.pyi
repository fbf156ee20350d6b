# Type stub of the compiled 835 reader (`_fast835.pyx`, built by setup.py): what
# `reader835` calls of it. mypy cannot read a Cython extension; keep this in step with the
# .pyx's `def`s and `cdef public` attributes.
from collections.abc import Sequence
from typing import Any, overload

from gateway.core.x12.model835 import ClaimPayment, Remittance
from gateway.core.x12.tokenizer import Delimiters, Envelope

DIRECT_DECIMALS: bool

class Unhandled(Exception): ...

class Segments(Sequence[str]):
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...  # a slice is a list

class Parser:
    next: int
    lean: bool
    def __init__(self, env: Envelope, file: str | None) -> None: ...
    def feed(
        self, segments: Sequence[str], start: int, base: int, delims: Delimiters
    ) -> Remittance | None: ...

def split_segments(body: str, term: str, joiner: str) -> Segments | None: ...
def find_segment(body: str, key: str, term: str) -> int | None: ...
def remittance_wire(rem: Remittance) -> dict[str, Any]: ...
def claims_json(claims: Sequence[ClaimPayment]) -> bytes: ...
