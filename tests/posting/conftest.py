from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult


@pytest.fixture
def gw(gateway: Callable[..., CliResult]) -> Callable[..., CliResult]:
    """The real `gateway` command (tests/conftest.py), under the name these tests use."""
    return gateway
