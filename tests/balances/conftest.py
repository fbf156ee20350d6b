"""Fixtures for the balance tests: the vendors' fixture exports and a drop folder per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import create_connector
from tests.support.sftp_fixtures import sshd  # noqa: F401  (one real sshd per session, shared)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "balances"
VENDORS = ("compulink", "crystalpm", "officemate", "revolutionehr", "eyefinity")

_stamp = [1_800_000_000]


def drop(folder: Path, vendor: str, fixture: str) -> Path:
    """Put a fixture export into the drop folder as the newest file."""
    target = folder / f"{fixture}.csv"
    shutil.copyfile(FIXTURES / vendor / f"{fixture}.csv", target)
    _stamp[0] += 60
    os.utime(target, (_stamp[0], _stamp[0]))
    return target


MakeConnector = Callable[..., Coroutine[Any, Any, int]]


@pytest.fixture
def make_connector(session: AsyncSession, tmp_path: Path) -> MakeConnector:
    async def make(practice_id: int, vendor: str, *, name: str | None = None,
                   **balances: Any) -> int:
        folder = tmp_path / f"drop-{vendor}"
        folder.mkdir(exist_ok=True)
        source: dict[str, Any] = {"remote": {"transport": "local"}, "folder": str(folder)}
        source.update(balances)
        cid = await create_connector(session, practice_id, vendor, name or vendor,
                                     {"transport": "local", "balances": source})
        await session.commit()
        return cid

    return make
