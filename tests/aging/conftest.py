"""Every in-process aging test runs twice: once through the reader's general path only, once
with runs of plain rows going through `fastrows` (compiled when the build compiled it)."""

from __future__ import annotations

import pytest

from gateway.aging import rows


@pytest.fixture(autouse=True, params=["general", "fastrows"])
def aging_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(rows, "_use_compiled", lambda: request.param == "fastrows")
    return str(request.param)
