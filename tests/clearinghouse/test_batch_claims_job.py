"""The `batch_claims` job honours each criterion, uploads after batching only when told,
never takes claims in an open reference batch, and says in its run history how many claims
it batched and why it left the others out (ids only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.connectors import create_connector
from gateway.admin.payers import get_or_add_payer
from gateway.admin.practices import create_location
from gateway.clearinghouse import batches
from gateway.clearinghouse.criteria import BatchCriteria
from gateway.clearinghouse.models import ClaimBatch, ClaimBatchClaim
from gateway.clearinghouse.reference import close_reference_batch, open_reference_batch
from gateway.core.errors import UserError
from gateway.db.engine import make_sessionmaker
from gateway.db.models import Appointment, Coverage
from gateway.jobs.service import JobIn, define_job, history, list_jobs, run_fire
from gateway.ledger.models import Claim
from gateway.ledger.schemas import ClaimIn, ClaimLineIn, PatientIn
from gateway.ledger.service import create_claims, get_or_create_patient
from tests.clearinghouse.conftest import Remote
from tests.clearinghouse.test_batches import EDI

FIRE = dt.datetime.now(dt.UTC).replace(microsecond=0)
VARIANTS = ("base", "payer", "location", "provider", "status", "rank", "early", "late",
            "paper", "young")
DOS = {"early": dt.date(2026, 10, 1), "late": dt.date(2026, 11, 20)}


async def _world(session: AsyncSession, practice_id: int, location_id: int) -> dict[str, int]:
    """One claim that every criterion below takes, and one per criterion that differs from it
    in that criterion only."""
    a, _ = await get_or_add_payer(session, practice_id, "Vision Benefits of America", "VBA01")
    b, _ = await get_or_add_payer(session, practice_id, "Eye Med Plan", "EMP02")
    other_location = await create_location(session, practice_id, "Uptown")
    ids = {"payer_a": a.id, "location_a": location_id}
    for n, variant in enumerate(VARIANTS, 1):
        payer = b if variant == "payer" else a
        rank = 2 if variant == "rank" else 1
        pid = await get_or_create_patient(session, practice_id, PatientIn(
            account=f"A{n}", first_name="Pat", last_name=f"Test{n}", dob=dt.date(1980, 1, n)))
        session.add(Coverage(patient_id=pid, payer_id=payer.id, rank=rank, member_id=f"M{n}"))
        loc = other_location if variant == "location" else location_id
        appt = Appointment(practice_id=practice_id, patient_id=pid, location_id=loc,
                           starts_at=FIRE - dt.timedelta(days=20),
                           provider="Dr B" if variant == "provider" else "Dr A")
        session.add(appt)
        await session.flush()
        (cid,) = await create_claims(session, practice_id, [ClaimIn(
            patient=PatientIn(account=f"A{n}"), payer_id=payer.id, payer_rank=rank,
            service_date_from=DOS.get(variant, dt.date(2026, 11, 2)), location_id=loc,
            patient_control_number=f"PCN{n}",
            diagnosis_codes=["H52.13"],
            lines=[ClaimLineIn(procedure_code="92014", charge=Decimal("165.00"),
                               diagnosis_pointers=[1])])])
        claim = await session.get(Claim, cid)
        assert claim is not None
        claim.appointment_id = appt.id
        claim.status = "Hold" if variant == "status" else "Open"
        claim.billing = "paper" if variant == "paper" else "electronic"
        claim.created_at = FIRE - (dt.timedelta(hours=1) if variant == "young"
                                   else dt.timedelta(days=10))
        ids[variant] = cid
    await session.commit()
    return ids


CRITERIA = {
    "payer": ("payer_ids", "payer not selected"),
    "location": ("location_ids", "location not selected"),
    "provider": ("providers", "provider not selected"),
    "status": ("claim_statuses", "claim status not selected"),
    "rank": ("payer_ranks", "payer rank not selected"),
    "early": ("service_date_from", "date of service before the range"),
    "late": ("service_date_to", "date of service after the range"),
    "paper": ("billing_methods", "billing method not selected"),
    "young": ("min_age_days", "younger than the minimum age"),
}


def _criterion(name: str, ids: dict[str, int]) -> dict[str, object]:
    """The one criterion that leaves out the `name` variant."""
    values: dict[str, object] = {
        "payer_ids": [ids["payer_a"]], "location_ids": [ids["location_a"]],
        "providers": ["Dr A"], "claim_statuses": ["Open"], "payer_ranks": [1],
        "service_date_from": "2026-10-15", "service_date_to": "2026-11-10",
        "billing_methods": ["electronic"], "min_age_days": 3}
    key = CRITERIA[name][0]
    return {key: values[key]}


async def _run(engine: AsyncEngine, session: AsyncSession, practice_id: int, connector: int,
               params: dict[str, object], name: str = "batch") -> dict:
    job_id = await define_job(session, practice_id, JobIn(
        name=name, kind="batch_claims", pattern="daily", start_date=dt.date(2026, 11, 1),
        connector_id=connector, params=params))
    await session.commit()
    out = await run_fire(make_sessionmaker(engine), job_id, FIRE)
    assert out.status == "ok", out.error
    return out.result


@pytest.fixture
async def world(session, practice, local_remote: Remote) -> dict[str, int]:
    ids = await _world(session, practice.practice_id, practice.location_id)
    ids["connector"] = await create_connector(session, practice.practice_id,
                                              "clearinghouse_sftp", "ch",
                                              local_remote.config_dict(edi=EDI))
    await session.commit()
    return ids


@pytest.mark.parametrize("variant", sorted(CRITERIA))
async def test_each_criterion_leaves_out_only_its_claim(engine, session, practice, world,
                                                        variant):
    key, reason = CRITERIA[variant]
    result = await _run(engine, session, practice.practice_id, world["connector"],
                        {"criteria": _criterion(variant, world)})
    assert result["reasons"][reason] == [world[variant]]
    session.expire_all()
    (job,) = [j for j in await list_jobs(session, practice.practice_id) if j.name == "batch"]
    (run,) = await history(session, practice.practice_id, job.id)
    assert run.result["reasons"] == result["reasons"]  # the history says why, ids only
    assert all(isinstance(i, int) for ids in run.result["reasons"].values() for i in ids)
    base = await session.get(Claim, world["base"])
    assert base is not None and base.billing_state == "in_batch"
    left = await session.get(Claim, world[variant])
    assert left is not None and left.billing_state == "unbilled"


async def test_all_criteria_together_take_the_base_claim_only(engine, session, practice, world,
                                                              local_remote: Remote):
    criteria: dict[str, object] = {}
    for variant in CRITERIA:
        criteria.update(_criterion(variant, world))
    result = await _run(engine, session, practice.practice_id, world["connector"],
                        {"criteria": criteria, "upload_after_batching": True})
    assert result["batched"] == 1 and result["uploaded"] == 1
    assert result["left_out"] == len(CRITERIA)
    assert sorted(i for ids in result["reasons"].values() for i in ids) == sorted(
        world[v] for v in CRITERIA)
    (sent,) = list(local_remote.claims.iterdir())
    assert "CLM*PCN1*" in sent.read_text() and "PCN2" not in sent.read_text()


def test_every_criterion_has_its_case():
    assert {key for key, _ in CRITERIA.values()} == set(BatchCriteria.__struct_fields__)


async def test_upload_off_leaves_the_batch_for_a_biller(engine, session, practice, world,
                                                        local_remote: Remote):
    result = await _run(engine, session, practice.practice_id, world["connector"],
                        {"criteria": {"payer_ranks": [1]}, "upload_after_batching": False})
    assert result["uploaded"] == 0 and result["batched"] == 9  # all but the rank-2 claim
    assert result["print_batch"]["claims"] == 1  # the paper one, printed not uploaded
    assert [b["status"] for b in result["batches"]] == ["built"]
    assert list(local_remote.claims.iterdir()) == []
    batch = await session.scalar(select(ClaimBatch))
    assert batch is not None and batch.status == "built"


async def test_a_run_larger_than_a_batch_builds_batch_after_batch(
        engine, session, practice, world, monkeypatch):
    monkeypatch.setattr(batches, "MAX_CLAIMS_PER_BATCH", 3)
    result = await _run(engine, session, practice.practice_id, world["connector"],
                        {"criteria": {"payer_ranks": [1]}})
    assert [b["claims"] for b in result["batches"]] == [3, 3, 2]
    assert result["batched"] == 9 and result["print_batch"]["claims"] == 1
    in_batches = (await session.scalars(select(ClaimBatchClaim.claim_id))).all()
    assert len(in_batches) == len(set(in_batches)) == 8  # each claim in one batch only


async def test_claims_in_an_open_reference_batch_wait_until_it_closes(engine, session,
                                                                      practice, world):
    ref = await open_reference_batch(session, practice.practice_id, "review", [world["base"]],
                                     actor="test")
    await session.commit()
    result = await _run(engine, session, practice.practice_id, world["connector"],
                        {"criteria": {"payer_ids": [world["payer_a"]]}})
    assert result["reasons"]["in an open reference batch"] == [world["base"]]
    session.expire_all()
    assert (await session.get(Claim, world["base"])).billing_state == "unbilled"
    await close_reference_batch(session, practice.practice_id, ref, actor="test")
    await session.commit()
    result = await _run(engine, session, practice.practice_id, world["connector"],
                        {"criteria": {"payer_ids": [world["payer_a"]]}}, name="again")
    assert result["batched"] == 1
    session.expire_all()
    assert (await session.get(Claim, world["base"])).billing_state == "in_batch"


async def test_bad_params_are_refused_when_the_job_is_defined(session, practice, world):
    for params in ({"criteria": {"payers": [1]}}, {"criteria": {"min_age_days": -1}},
                   {"upload": True}):
        with pytest.raises(UserError, match="params"):
            await define_job(session, practice.practice_id, JobIn(
                name="bad", kind="batch_claims", connector_id=world["connector"],
                params=params))
