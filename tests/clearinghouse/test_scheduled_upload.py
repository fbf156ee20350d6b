"""Done when: through a real sshd, a scheduled Batch Claims job with upload after batching
puts an 837P on the clearinghouse at its fire time, exactly once, with three gateway
processes ticking on one PostgreSQL. The clock is driven (`gateway jobs tick --now`), never
waited for: a tick just before the fire does nothing, three ticks just after it at once
make one run and one file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from sqlalchemy import select

from gateway.admin.connectors import create_connector
from gateway.clearinghouse.models import ClaimBatch
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.jobs.models import JobDefinition, JobRun
from gateway.jobs.service import JobIn, define_job, next_fires
from gateway.ledger.models import Claim
from tests.clearinghouse.conftest import Remote
from tests.clearinghouse.test_batches import EDI, _claims
from tests.conftest import make_practice


def _ticks(pg_url: str, now: dt.datetime, nodes: int) -> list[list[dict]]:
    """`nodes` gateway processes ticking at the same moment; each one's runs."""
    env = {**os.environ, "GATEWAY_DATABASE_URL": pg_url}
    procs = [subprocess.Popen([sys.executable, "-m", "gateway", "jobs", "tick", "--now",
                               now.isoformat(), "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(nodes)]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr
        out.append(json.loads(stdout))
    return out


async def test_three_nodes_upload_the_scheduled_batch_once(pg_url: str, remote: Remote):
    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as session:
            practice = await make_practice(session, "Clearview Eye")
            pid = practice.practice_id
            claims = await _claims(session, pid)
            connector = await create_connector(session, pid, "clearinghouse_sftp", "ch",
                                               remote.config_dict(edi=EDI))
            # only this job may fire: the connector's default jobs stay out of the way
            defaults = (await session.scalars(select(JobDefinition).where(
                JobDefinition.practice_id == pid))).all()
            for job in defaults:
                job.enabled = False
            job_id = await define_job(session, pid, JobIn(
                name="Batch claims at ten", kind="batch_claims", pattern="daily",
                time_of_day=dt.time(10, 0), start_date=dt.date.today(),
                connector_id=connector, params={"upload_after_batching": True}))
            await session.commit()
            job = await session.get(JobDefinition, job_id)
            assert job is not None
            (fire,) = await next_fires(session, job)
        before = _ticks(pg_url, fire - dt.timedelta(seconds=1), 1)
        assert before == [[]] and list(remote.claims.iterdir()) == []
        runs = _ticks(pg_url, fire + dt.timedelta(seconds=30), 3)
        claimed = [r for node in runs for r in node]
        assert len(claimed) == 1 and claimed[0]["status"] == "ok", runs
        electronic = [claims["PCN1"], claims["PCN2"]]  # PCN3 is billed on paper
        assert claimed[0]["result"]["uploaded"] == len(electronic)
        assert claimed[0]["result"]["print_batch"]["claims"] == 1
        files = list(remote.claims.iterdir())
        assert len(files) == 1
        text = files[0].read_text()
        assert text.startswith("ISA*") and text.count("\nCLM*") == len(electronic)
        async with make_sessionmaker(engine)() as session:
            fires = (await session.scalars(select(JobRun.fire_time).where(
                JobRun.job_id == job_id))).all()
            assert [f.astimezone(dt.UTC) for f in fires] == [fire.astimezone(dt.UTC)]
            batch = await session.scalar(select(ClaimBatch))
            assert batch is not None and batch.status == "submitted"
            states = (await session.scalars(select(Claim.billing_state).where(
                Claim.id.in_(electronic)))).all()
            assert set(states) == {"billed"}
        again = _ticks(pg_url, fire + dt.timedelta(minutes=5), 3)
        assert again == [[], [], []] and len(list(remote.claims.iterdir())) == 1
    finally:
        await engine.dispose()
