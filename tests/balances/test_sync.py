"""Every PMS plugin syncs its balance export from a drop folder; a changed snapshot creates,
changes and closes accounts with history kept; a bad file writes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances.models import AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.balances.service import account_view, sync_connector
from gateway.core.errors import UserError
from tests.balances.conftest import VENDORS, MakeConnector, drop


async def _accounts(session: AsyncSession, cid: int) -> dict[str, tuple[str, Decimal, Decimal]]:
    rows = (await session.scalars(
        select(AccountBalance).where(AccountBalance.connector_id == cid))).all()
    return {a.account: (a.status, a.total, a.patient_portion) for a in rows}


async def _count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("vendor", VENDORS)
async def test_vendor_sync_then_changed_snapshot(session, practice, make_connector: MakeConnector,
                                                 tmp_path: Path, vendor: str):
    cid = await make_connector(practice.practice_id, vendor)
    drop(tmp_path / f"drop-{vendor}", vendor, "snapshot1")
    first = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (first.created, first.changed, first.closed, first.problems) == (3, 0, 0, [])
    assert await _accounts(session, cid) == {
        "A1": ("open", Decimal("100.00"), Decimal("40.00")),
        "A2": ("open", Decimal("50.00"), Decimal("50.00")),
        "A3": ("open", Decimal("75.00"), Decimal("0.00")),
    }
    a1 = await session.scalar(select(AccountBalance).where(AccountBalance.account == "A1",
                                                           AccountBalance.connector_id == cid))
    assert a1 is not None
    assert (a1.bucket_0_30, a1.bucket_31_60, a1.bucket_61_90) == (
        Decimal("10.00"), Decimal("20.00"), Decimal("70.00"))
    assert a1.insurance_estimate == Decimal("55.00") and a1.payer_name == "VSP"

    drop(tmp_path / f"drop-{vendor}", vendor, "snapshot2")
    second = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (second.created, second.changed, second.closed) == (1, 1, 1)
    assert await _accounts(session, cid) == {
        "A1": ("open", Decimal("80.00"), Decimal("20.00")),
        "A2": ("open", Decimal("50.00"), Decimal("50.00")),
        "A3": ("closed", Decimal("0.00"), Decimal("0.00")),
        "A4": ("open", Decimal("30.00"), Decimal("30.00")),
    }
    view = await account_view(session, practice.practice_id, a1.id)
    assert [(h.change, h.total) for h in view.history] == [
        ("created", Decimal("100.00")), ("changed", Decimal("80.00"))]
    assert await _count(session, AccountBalanceHistory) == 3 + 3


async def test_same_file_again_writes_nothing(session, practice, make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "compulink")
    drop(tmp_path / "drop-compulink", "compulink", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    counts = (await _count(session, BalanceSync), await _count(session, AccountBalanceHistory))
    again = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert again.sync_id is None and (again.created, again.changed, again.closed) == (0, 0, 0)
    assert (await _count(session, BalanceSync),
            await _count(session, AccountBalanceHistory)) == counts == (1, 3)


async def test_bad_file_writes_nothing_and_last_snapshot_stays(session, practice, make_connector,
                                                               tmp_path):
    cid = await make_connector(practice.practice_id, "crystalpm")
    folder = tmp_path / "drop-crystalpm"
    drop(folder, "crystalpm", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    before = await _accounts(session, cid)
    bad = folder / "zz-bad.csv"
    bad.write_text("Patient ID,Total Balance\nA1,12.3.4\n")
    import os
    os.utime(bad, (1_900_000_000, 1_900_000_000))
    with pytest.raises(UserError) as err:
        await sync_connector(session, practice.practice_id, cid)
    await session.rollback()
    assert "zz-bad.csv, row 2, field total" in str(err.value) + str(err.value.where)
    assert await _accounts(session, cid) == before
    assert await _count(session, BalanceSync) == 1


async def test_file_without_the_vendor_header_is_refused(session, practice, make_connector,
                                                         tmp_path):
    cid = await make_connector(practice.practice_id, "officemate")
    (tmp_path / "drop-officemate" / "x.csv").write_text("something,else\n1,2\n")
    with pytest.raises(UserError, match="no header row"):
        await sync_connector(session, practice.practice_id, cid)


async def test_eyefinity_bucket_mismatch_is_a_row_problem_and_the_account_is_held(
        session, practice, make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "eyefinity")
    folder = tmp_path / "drop-eyefinity"
    drop(folder, "eyefinity", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    drop(folder, "eyefinity", "mismatch")
    result = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert [(p["account"], p["field"]) for p in result.problems] == [("A1", "buckets")]
    assert result.held == 1
    accounts = await _accounts(session, cid)
    assert accounts["A1"] == ("open", Decimal("100.00"), Decimal("40.00"))  # kept as it was
    assert accounts["A3"][0] == "closed" and accounts["A4"][0] == "open"


async def test_the_balance_source_is_stored_write_only(session, practice, make_connector):
    from gateway.db.models import Connector, ConnectorSecret

    cid = await make_connector(practice.practice_id, "eyefinity")
    conn = await session.get(Connector, cid)
    secret = await session.get(ConnectorSecret, cid)
    assert conn is not None and "balances" not in conn.config
    from gateway.core.secrets import unseal

    assert secret is not None and "remote" not in secret.secrets["balances"]  # sealed at rest
    assert "remote" in unseal(secret.secrets["balances"])
