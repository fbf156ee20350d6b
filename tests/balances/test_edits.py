"""Manual edits: kept across an unchanged sync, superseded (and the editor notified) when
the PMS reports a new value, audited; the account view shows synced and effective values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.balances.edits import set_portion
from gateway.balances.models import AccountBalance, BalanceEdit
from gateway.balances.service import account_view, sync_connector
from gateway.core.errors import NotFound, UserError
from gateway.db.models import AuditLog, Notification, User
from tests.balances.conftest import drop


async def _setup(session, practice, make_connector, tmp_path):
    cid = await make_connector(practice.practice_id, "compulink")
    drop(tmp_path / "drop-compulink", "compulink", "snapshot1")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    ids = dict((await session.execute(select(AccountBalance.account, AccountBalance.id))).all())
    user_id = await session.scalar(select(User.id).where(User.practice_id == practice.practice_id))
    return cid, ids, user_id


async def test_edit_stays_across_unchanged_sync_and_is_audited(session, practice, make_connector,
                                                               tmp_path):
    cid, ids, uid = await _setup(session, practice, make_connector, tmp_path)
    # A2 is the same in both snapshots: the edit of its patient portion must survive
    edit = await set_portion(session, practice.practice_id, ids["A2"], field="patient_portion",
                             value=Decimal("45"), reason="payment plan agreed", actor=f"user:{uid}",
                             user_id=uid)
    await session.commit()
    drop(tmp_path / "drop-compulink", "compulink", "snapshot2")
    result = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert result.changed == 1 and result.superseded_edits == 0
    view = await account_view(session, practice.practice_id, ids["A2"])
    assert (view.patient_portion.synced, view.patient_portion.effective) == (
        Decimal("50.00"), Decimal("45.00"))
    assert view.patient_portion.edit_id == edit.id
    assert view.insurance_portion.synced == view.insurance_portion.effective == Decimal("0.00")
    entry = await session.scalar(select(AuditLog).where(AuditLog.action == "account.edit"))
    assert entry is not None and entry.object_id == ids["A2"]
    assert entry.detail == {"edit_id": edit.id, "field": "patient_portion", "old": "50.00",
                            "new": "45.00", "synced": "50.00"}


async def test_changed_pms_value_supersedes_and_notifies_the_editor(session, practice,
                                                                    make_connector, tmp_path):
    cid, ids, uid = await _setup(session, practice, make_connector, tmp_path)
    await set_portion(session, practice.practice_id, ids["A1"], field="patient_portion",
                      value=Decimal("35.00"), reason="adjustment pending", actor=f"user:{uid}",
                      user_id=uid)
    # A1's insurance portion stays 60.00 in snapshot2: that edit stands
    await set_portion(session, practice.practice_id, ids["A1"], field="insurance_portion",
                      value=Decimal("65.00"), reason="estimate", actor=f"user:{uid}",
                      user_id=uid)
    await session.commit()
    drop(tmp_path / "drop-compulink", "compulink", "snapshot2")
    result = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert result.superseded_edits == 1
    view = await account_view(session, practice.practice_id, ids["A1"])
    assert (view.patient_portion.synced, view.patient_portion.effective) == (
        Decimal("20.00"), Decimal("20.00"))
    assert view.insurance_portion.effective == Decimal("65.00")
    assert [(e.field, e.status) for e in view.edits] == [
        ("patient_portion", "superseded"), ("insurance_portion", "active")]
    notes = (await session.scalars(select(Notification).where(
        Notification.kind == "balance_edit_superseded"))).all()
    assert [(n.user_id, n.object_id) for n in notes] == [(uid, ids["A1"])]
    assert await session.scalar(select(AuditLog.id).where(
        AuditLog.action == "account.edit_superseded")) is not None


async def test_closing_an_account_supersedes_its_edit(session, practice, make_connector,
                                                      tmp_path):
    cid, ids, uid = await _setup(session, practice, make_connector, tmp_path)
    await set_portion(session, practice.practice_id, ids["A3"], field="insurance_portion",
                      value=Decimal("70.00"), reason="payer cap", actor="cli", user_id=None)
    await session.commit()
    drop(tmp_path / "drop-compulink", "compulink", "snapshot2")
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    status = await session.scalar(select(BalanceEdit.status))
    assert status == "superseded"


async def test_a_second_edit_replaces_the_first_and_records_the_old_value(
        session, practice, make_connector, tmp_path):
    _, ids, uid = await _setup(session, practice, make_connector, tmp_path)
    for value in ("45.00", "42.50"):
        await set_portion(session, practice.practice_id, ids["A2"], field="patient_portion",
                          value=Decimal(value), reason="plan", actor="cli", user_id=None)
    await session.commit()
    rows = (await session.execute(select(BalanceEdit.status, BalanceEdit.old_value,
                                         BalanceEdit.new_value).order_by(BalanceEdit.id))).all()
    assert rows == [("replaced", Decimal("50.00"), Decimal("45.00")),
                    ("active", Decimal("45.00"), Decimal("42.50"))]


async def test_bad_edits_are_refused(session, practice, other_practice, make_connector, tmp_path):
    _, ids, _ = await _setup(session, practice, make_connector, tmp_path)
    with pytest.raises(UserError, match="can be edited"):
        await set_portion(session, practice.practice_id, ids["A1"], field="total",
                          value=Decimal("1"), reason="x", actor="cli", user_id=None)
    with pytest.raises(UserError, match="reason"):
        await set_portion(session, practice.practice_id, ids["A1"], field="patient_portion",
                          value=Decimal("1"), reason="  ", actor="cli", user_id=None)
    with pytest.raises(NotFound):
        await set_portion(session, other_practice.practice_id, ids["A1"],
                          field="patient_portion", value=Decimal("1"), reason="x",
                          actor="cli", user_id=None)
