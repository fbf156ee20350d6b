"""Payer aliases (remembered links from ERA / aging names to a practice payer), resolve_payer
for the posting engine, merging duplicates, and the one payer-name normaliser."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin import payers as payer_svc
from gateway.admin.models import PayerAlias
from gateway.admin.payer_merge import merge_payers, payer_references
from gateway.admin.payers import get_or_add_payer, link_alias, resolve_payer
from gateway.core import names
from gateway.core.errors import UserError
from gateway.db.models import AuditLog, Coverage, Payer
from gateway.ledger.models import Claim, LedgerEntry
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from tests.aging.test_import import csv, do_import
from tests.conftest import PracticeKeys


def test_one_payer_name_normaliser():
    from gateway.aging import service as aging
    from gateway.posting import era_import

    assert payer_svc.normalize_payer_name is names.normalize_payer_name
    assert aging.normalize_payer_name is names.normalize_payer_name
    assert era_import.normalize_payer_name is names.normalize_payer_name
    assert names.normalize_payer_name("BLUE CROSS, INC.") == "blue cross"
    assert names.normalize_payer_name("Vision & Eye Co") == "vision and eye"
    assert names.normalize_payer_name("***") == names.normalize_payer_name(None) == ""


async def test_resolve_payer_finds_an_aliased_era_payer(session: AsyncSession,
                                                        practice: PracticeKeys):
    pid = practice.practice_id
    vsp, _ = await get_or_add_payer(session, pid, "VSP Vision Care", "VSP01")
    assert await resolve_payer(session, pid, name="V.S.P. West", payer_id="99999") is None
    await link_alias(session, pid, vsp.id, actor="test", era_name="V.S.P. West",
                     era_payer_id=" 99999 ")
    by_id = await resolve_payer(session, pid, name="Someone Else", payer_id="99999")
    by_name = await resolve_payer(session, pid, name="v s p  west", payer_id=None)
    assert by_id is not None and by_name is not None and by_id.id == by_name.id == vsp.id
    # the payer's own id and name still resolve; another practice sees none of it
    assert (await resolve_payer(session, pid, name=None, payer_id="VSP01")).id == vsp.id
    other = await resolve_payer(session, pid + 1, name="V.S.P. West", payer_id="99999")
    assert other is None
    # linking again is a no-op; linking another payer's alias is refused
    await link_alias(session, pid, vsp.id, actor="test", era_name="v.s.p. WEST")
    eyemed, _ = await get_or_add_payer(session, pid, "EyeMed", "EYEMD")
    with pytest.raises(UserError, match="already linked to payer"):
        await link_alias(session, pid, eyemed.id, actor="test", era_payer_id="99999")
    assert await session.scalar(select(func.count()).select_from(PayerAlias)) == 2
    audits = (await session.scalars(select(AuditLog.action))).all()
    assert audits.count("payer.link_alias") == 2


async def test_aging_consults_aliases_before_adding_a_payer(
        engine: AsyncEngine, session: AsyncSession, practice: PracticeKeys):
    pid = practice.practice_id
    vsp, _ = await get_or_add_payer(session, pid, "VSP Vision Care", "VSP01")
    vsp_id = vsp.id
    await link_alias(session, pid, vsp_id, actor="test", aging_name="VSP")
    await session.commit()
    r = await do_import(engine, pid, practice.location_id, "one.csv", csv(
        "C1,A1,P,10/01/2026,VSP,100.00,0.00,100.00", "C2,A2,Q,10/02/2026,Aetna,50.00,0.00,50.00"))
    assert r.payers_added == ["Aetna"]
    session.expire_all()
    claim = await session.scalar(select(Claim).where(Claim.source_claim_id == "C1"))
    assert claim.payer_id == vsp_id
    assert (await session.scalars(select(Payer.name).order_by(Payer.id))).all() == [
        "VSP Vision Care", "Aetna"]


async def test_merge_moves_everything_to_the_survivor(session: AsyncSession,
                                                      practice: PracticeKeys):
    pid = practice.practice_id
    survivor, _ = await get_or_add_payer(session, pid, "VSP Vision Care", "VSP01")
    dup, _ = await get_or_add_payer(session, pid, "VSP", "VSP99")
    await link_alias(session, pid, dup.id, actor="test", era_name="VSP Northwest")
    patient = await get_or_create_patient(session, pid, PatientIn(account="M1"))
    session.add(Coverage(patient_id=patient, payer_id=dup.id, rank=1, member_id="X"))
    (claim_id,) = await create_claims(session, pid, [ClaimIn(
        patient=PatientIn(account="M1"), service_date_from=dt.date(2026, 10, 1),
        payer_id=dup.id, lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("90.00"))])])
    entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id))
    entry.payer_id = dup.id
    survivor_id, dup_id = survivor.id, dup.id
    with pytest.raises(UserError, match="into itself"):
        await merge_payers(session, pid, survivor_id, survivor_id, actor="test")

    r = await merge_payers(session, pid, survivor_id, dup_id, actor="test")
    assert r["moved"] == {"claims.payer_id": 1, "coverages.payer_id": 1,
                          "ledger_entries.payer_id": 1, "payer_aliases.payer_id": 1}
    session.expire_all()
    assert await session.get(Payer, dup_id) is None
    assert (await session.get(Claim, claim_id)).payer_id == survivor_id
    # the duplicate's name and id now find the survivor, and so does its old alias
    for name, payer_id in (("VSP", None), (None, "VSP99"), ("VSP Northwest", None)):
        assert (await resolve_payer(session, pid, name=name, payer_id=payer_id)).id == survivor_id
    assert (await resolve_payer(session, pid, name="VSP", payer_id=None,
                                source="aging")).id == survivor_id
    row = await session.scalar(select(AuditLog).where(AuditLog.action == "payer.merge"))
    assert (row.object_id, row.detail["duplicate_id"]) == (survivor_id, dup_id)
    refs = {f"{t.name}.{c.name}" for t, c in payer_references()}
    assert {"deposits.payer_id", "posting_rules.payer_id", "coverages.payer_id"} <= refs


async def test_payer_alias_and_merge_api(client: AsyncTestClient, session: AsyncSession,
                                         practice: PracticeKeys, other_practice: PracticeKeys):
    pid = practice.practice_id
    a, _ = await get_or_add_payer(session, pid, "EyeMed Vision Care", "EYEMD")
    b, _ = await get_or_add_payer(session, pid, "Eye Med", None)
    a_id, b_id = a.id, b.id
    await session.commit()
    url = f"/api/payers/{a_id}"
    r = await client.post(f"{url}/aliases", json={"era_name": "EYEMED INC", "era_payer_id": "E1"},
                          headers=practice.headers("biller"))
    assert r.status_code == 200, r.text
    assert sorted((x["kind"], x["alias"]) for x in r.json()) == [
        ("era_name", "eyemed"), ("era_payer_id", "E1")]
    r = await client.post(f"{url}/aliases", json={}, headers=practice.headers("biller"))
    assert r.status_code == 422 and "era_name" in r.text
    r = await client.get(f"{url}/aliases", headers=other_practice.headers("viewer"))
    assert r.status_code == 404
    r = await client.post(f"{url}/merge", json={"duplicate_id": b_id},
                          headers=practice.headers("biller"))
    assert r.status_code == 403
    r = await client.post(f"{url}/merge", json={"duplicate_id": b_id},
                          headers=practice.headers("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["survivor_id"] == a_id
    r = await client.get(f"/api/payers/{b_id}", headers=practice.headers("viewer"))
    assert r.status_code == 404


async def test_payers_cli(session: AsyncSession, practice: PracticeKeys, gateway):
    pid = practice.practice_id
    a, _ = await get_or_add_payer(session, pid, "Davis Vision", "DAV01")
    b, _ = await get_or_add_payer(session, pid, "Davis", None)
    a_id, b_id = a.id, b.id
    await session.commit()
    r = gateway("payers", "link", str(a_id), "--practice", str(pid), "--aging-name", "DV",
                "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out) == [{"kind": "aging_name", "alias": "dv", "payer_id": a_id}]
    r = gateway("payers", "merge", str(a_id), str(b_id), "--practice", str(pid))
    assert r.code == 0, r.err
    assert f"payer {b_id} merged into {a_id}" in r.out
    r = gateway("payers", "list", "--practice", str(pid), "--json")
    assert [p["name"] for p in json.loads(r.out)] == ["Davis Vision"]
    r = gateway("payers", "merge", str(a_id), str(b_id), "--practice", str(pid))
    assert r.code == 2 and f"no payer {b_id}" in r.err


async def test_a_linked_era_payer_is_found_by_every_later_era(session: AsyncSession,
                                                              practice: PracticeKeys):
    """Linking once (name + payer id) ends Payer Mismatch for that payer's later ERAs."""
    import datetime as _dt

    from gateway.clearinghouse.demo_era import EraClaim, EraLine, EraPayment, demo_era_text
    from gateway.posting.era_import import import_era_bytes
    from gateway.posting.models import Deposit, PostingError

    pid = practice.practice_id
    bcbs, _ = await get_or_add_payer(session, pid, "Blue Cross Blue Shield", "BCBS1")

    def era(trace: str, control: int) -> bytes:
        claim = EraClaim("X1", "Doe", "Jo", "M1", _dt.date(2026, 10, 1),
                         [EraLine("92014", [], Decimal("100.00"))])
        return demo_era_text([EraPayment("BCBS OF ILLINOIS", "BCBSIL", trace, [claim])],
                             _dt.date(2026, 11, 1), control).encode()

    await import_era_bytes(session, pid, era("T1", 1), "one.835", auto_post=False)
    first = (await session.scalars(select(PostingError.type))).all()
    assert "Payer Mismatch" in first
    await link_alias(session, pid, bcbs.id, actor="test", era_name="BCBS OF ILLINOIS",
                     era_payer_id="BCBSIL")
    await import_era_bytes(session, pid, era("T2", 2), "two.835", auto_post=False)
    second = await session.scalar(select(Deposit).where(Deposit.check_trace_id == "T2"))
    assert second.payer_id == bcbs.id
    types = (await session.scalars(select(PostingError.type).where(
        PostingError.deposit_id == second.id))).all()
    assert "Payer Mismatch" not in types
