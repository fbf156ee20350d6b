"""Shared paths for the X12 tests. Samples come from tests/fixtures/x12 (see its README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

X12_FIXTURES = Path(__file__).parent.parent / "fixtures" / "x12"


@pytest.fixture
def x12_dir() -> Path:
    return X12_FIXTURES
