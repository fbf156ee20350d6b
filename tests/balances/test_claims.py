"""Per-claim detail (Compulink's and RevolutionEHR's `Open Claims` column): stored with the
account and with each history row, a change in the detail alone is a change, the detail shows
in the account API and the CLI, and a detail that cannot be read is a located error with
nothing written."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.balances.models import AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.balances.service import account_view, sync_connector
from gateway.core.errors import UserError
from tests.balances.conftest import MakeConnector

HEADERS = {
    "compulink": "Acct #,Location,Primary Ins,Balance,Pat Bal,Ins Bal,Current,Open Claims\n",
    "revolutionehr": ("Patient ID,Location,Primary Payer,Total Balance,Patient Responsibility,"
                      "Insurance Responsibility,0-30,Open Claims\n"),
}
_stamp = [1_960_000_000]


def _write(folder: Path, name: str, vendor: str, rows: list[str]) -> None:
    target = folder / name
    target.write_text(HEADERS[vendor] + "".join(rows))
    _stamp[0] += 60
    os.utime(target, (_stamp[0], _stamp[0]))


@pytest.mark.parametrize("vendor", ["compulink", "revolutionehr"])
async def test_claim_detail_is_kept_per_sync_and_shown(session, practice, vendor: str,
                                                       make_connector: MakeConnector,
                                                       tmp_path: Path):
    cid = await make_connector(practice.practice_id, vendor)
    folder = tmp_path / f"drop-{vendor}"
    _write(folder, "day1.csv", vendor, [
        "A1,Main,VSP,100.00,20.00,80.00,100.00,C-1|11/02/2026|VSP|50.00;C-2||EyeMed|$30.00\n",
        "A2,Main,,10.00,10.00,0.00,10.00,\n"])
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    a1 = await session.scalar(select(AccountBalance.id).where(AccountBalance.account == "A1"))
    assert a1 is not None
    view = await account_view(session, practice.practice_id, a1)
    assert [(c.claim, str(c.service_date), c.payer_name, c.balance) for c in view.claims] == [
        ("C-1", "2026-11-02", "VSP", Decimal("50.00")), ("C-2", "None", "EyeMed",
                                                         Decimal("30.00"))]

    _write(folder, "day2.csv", vendor, [  # the same amounts; only a claim's balance moved
        "A1,Main,VSP,100.00,20.00,80.00,100.00,C-1|11/02/2026|VSP|80.00\n",
        "A2,Main,,10.00,10.00,0.00,10.00,\n"])
    second = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (second.changed, second.created, second.closed) == (1, 0, 0)
    view = await account_view(session, practice.practice_id, a1)
    assert [(c.claim, c.balance) for c in view.claims] == [("C-1", Decimal("80.00"))]
    assert [[(c.claim, c.balance) for c in h.claims] for h in view.history] == [
        [("C-1", Decimal("50.00")), ("C-2", Decimal("30.00"))], [("C-1", Decimal("80.00"))]]

    _write(folder, "day3.csv", vendor, ["A2,Main,,10.00,10.00,0.00,10.00,\n"])
    third = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert third.closed == 1
    view = await account_view(session, practice.practice_id, a1)
    assert view.claims == [] and view.history[-1].claims == []  # closed: no open claims


async def test_unreadable_claim_detail_is_located_and_writes_nothing(
        session, practice, make_connector: MakeConnector, tmp_path: Path):
    cid = await make_connector(practice.practice_id, "compulink")
    _write(tmp_path / "drop-compulink", "bad.csv", "compulink", [
        "A1,Main,VSP,100.00,20.00,80.00,100.00,C-1|11/02/2026|VSP|50.00\n",
        "A2,Main,VSP,100.00,20.00,80.00,100.00,C-9|11/02/2026|fifty\n"])
    with pytest.raises(UserError) as exc:
        await sync_connector(session, practice.practice_id, cid)
    assert "claim 1" in str(exc.value) and exc.value.where == "bad.csv, row 3, field claims"
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(BalanceSync)) == 0
    assert await session.scalar(select(func.count()).select_from(AccountBalanceHistory)) == 0


async def test_the_api_and_the_cli_show_the_claims(client, session, practice, gateway,
                                                   make_connector: MakeConnector,
                                                   tmp_path: Path):
    cid = await make_connector(practice.practice_id, "compulink")
    _write(tmp_path / "drop-compulink", "day1.csv", "compulink", [
        "A1,Main,VSP,100.00,20.00,80.00,100.00,C-1|2026-11-02|VSP|80.00\n"])
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    a1 = await session.scalar(select(AccountBalance.id))
    r = await client.get(f"/api/accounts/{a1}", headers=practice.headers("viewer"))
    assert r.status_code == 200, r.text
    assert r.json()["claims"] == [{"claim": "C-1", "service_date": "2026-11-02",
                                   "payer_name": "VSP", "balance": "80.00"}]
    out = gateway("accounts", "show", "--practice", str(practice.practice_id), str(a1))
    assert out.code == 0, out.err
    assert "claim C-1 2026-11-02 VSP 80.00" in out.out
