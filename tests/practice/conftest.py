"""Fixtures for the practice-data tests: a drop folder with a vendor's export set, a
connector on it, and counting helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import create_connector
from gateway.db.models import Appointment, Coverage, ImportedFile, Patient
from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from tests.support.sftp_fixtures import sshd

__all__ = ["sshd"]  # a real sshd (tests/support) for the SFTP pulls

FIXTURES = Path(__file__).parents[1] / "fixtures" / "practice"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    path = tmp_path / "pms-drop"
    path.mkdir()
    return path


def copy_fixture(vendor: str, target: Path) -> list[Path]:
    out = []
    for src in sorted((FIXTURES / vendor).iterdir()):
        out.append(Path(shutil.copy(src, target / src.name)))
    return out


async def add_connector(session: AsyncSession, practice_id: int, plugin: str,
                        config: dict) -> int:
    cid = await create_connector(session, practice_id, plugin, f"{plugin} pull",
                                 {"stable_seconds": 0, **config})
    await session.commit()
    return cid


async def counts(session: AsyncSession, practice_id: int) -> dict[str, int]:
    async def n(stmt) -> int:
        return int(await session.scalar(stmt) or 0)

    return {
        "patients": await n(select(func.count()).select_from(Patient)
                            .where(Patient.practice_id == practice_id)),
        "coverages": await n(select(func.count()).select_from(Coverage)
                             .join(Patient, Patient.id == Coverage.patient_id)
                             .where(Patient.practice_id == practice_id)),
        "appointments": await n(select(func.count()).select_from(Appointment)
                                .where(Appointment.practice_id == practice_id)),
        "claims": await n(select(func.count()).select_from(Claim)
                          .where(Claim.practice_id == practice_id)),
        "claim_lines": await n(select(func.count()).select_from(ClaimLine)
                               .join(Claim, Claim.id == ClaimLine.claim_id)
                               .where(Claim.practice_id == practice_id)),
        "ledger": await n(select(func.count()).select_from(LedgerEntry)
                          .where(LedgerEntry.practice_id == practice_id)),
        "files": await n(select(func.count()).select_from(ImportedFile)
                         .where(ImportedFile.practice_id == practice_id)),
    }
