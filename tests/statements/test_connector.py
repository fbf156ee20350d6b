"""Payment files fetched over a real sshd and from a drop folder, imported once, the remote
tidied only after the import committed; the scheduled job does the same."""

from __future__ import annotations

import itertools
from decimal import Decimal as D
from pathlib import Path

from sqlalchemy import func, select

from gateway.admin.connectors import create_connector
from gateway.db.engine import make_sessionmaker
from gateway.jobs.models import JobDefinition
from gateway.jobs.service import run_now
from gateway.ledger.balances import line_balances
from gateway.receipts.models import Receipt
from gateway.statements.connector import run_connector
from gateway.statements.jobs import schedule_connector
from gateway.statements.models import StatementPaymentRecord
from tests.statements import helpers as h

_case = itertools.count(1)
GOOD = h.text(h.row("P1", "Settled", "20.00"), h.row("P2", "Pending", "7.50"))
BAD = GOOD.replace(",20.00,", ",20.0O,")


async def _arrange(session, pid):
    cid, _ = await h.patient_with_claim(session, pid, "A1", "30.00")
    return cid


async def test_files_over_sftp_are_imported_once_and_archived_after_commit(
        engine, session, practice, sshd, spool):
    pid = practice.practice_id
    cid = await _arrange(session, pid)
    prefix = f"stmt{next(_case)}"
    payments, archive = sshd.folder(f"{prefix}/payments"), sshd.folder(f"{prefix}/archive")
    (payments / "epay-1.csv").write_text(GOOD)
    (payments / "epay-2.csv").write_text(BAD)
    config = sshd.config(payments_dir=f"{prefix}/payments", after_download="move",
                         archive_dir=f"{prefix}/archive")
    for key in ("era_dir", "ack_dir", "claims_dir"):
        config.pop(key)
    await create_connector(session, pid, "datamedia_statements", "Data Media", config)
    await session.commit()
    maker = make_sessionmaker(engine)
    out = await run_connector(maker, pid, "Data Media", today=h.DAY)
    assert (out.seen, out.imported, out.rejected) == (2, 1, 1)
    bad = next(f for f in out.files if f.status == "rejected")
    assert bad.why.startswith("epay-2.csv, line 2, field amount"), bad.why
    assert [p.name for p in archive.iterdir()] == ["epay-1.csv"]
    assert [p.name for p in payments.iterdir()] == ["epay-2.csv"]  # left for a person
    assert list(spool.iterdir()) == []
    balances = await line_balances(session, [cid])
    assert sum(b.patient_balance for b in balances.values()) == D("10.00")
    again = await run_connector(maker, pid, "Data Media", today=h.DAY)
    assert (again.imported, again.rejected) == (0, 1)
    assert await session.scalar(select(func.count()).select_from(Receipt)) == 1


async def test_a_drop_folder_through_the_hourly_job(engine, session, practice, tmp_path):
    pid = practice.practice_id
    await _arrange(session, pid)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "epay.csv").write_text(GOOD)
    connector_id = await create_connector(session, pid, "datamedia_statements", "Drop", {
        "transport": "local", "payments_dir": str(drop), "after_download": "delete"})
    job_id = await schedule_connector(session, pid, connector_id)
    job = await session.get(JobDefinition, job_id)
    assert (job.kind, job.pattern, job.connector_id) == (
        "import_statement_payments", "hourly", connector_id)
    await session.commit()
    maker = make_sessionmaker(engine)
    run = await run_now(maker, pid, job_id)
    assert run.status == "ok", run.error
    assert run.result["imported"] == 1 and list(drop.iterdir()) == []
    states = dict((await session.execute(select(
        StatementPaymentRecord.transaction_id, StatementPaymentRecord.state))).tuples().all())
    assert states == {"P1": "posted", "P2": "waiting"}


FIXTURES = Path(__file__).parent.parent / "fixtures" / "datamedia"


async def test_the_fixture_files_over_sftp_every_status_handled(engine, session, practice,
                                                                sshd):
    pid = practice.practice_id
    cid, _ = await h.patient_with_claim(session, pid, "A1", "300.00", "200.00")
    prefix = f"stmt{next(_case)}"
    payments = sshd.folder(f"{prefix}/payments")
    config = {k: v for k, v in sshd.config(payments_dir=f"{prefix}/payments",
                                           after_download="delete").items()
              if not k.endswith(("era_dir", "ack_dir", "claims_dir"))}
    await create_connector(session, pid, "datamedia_statements", "DM", config)
    await session.commit()
    maker = make_sessionmaker(engine)
    for name in ("epay-2026-11-20.csv", "epay-2026-11-21.csv"):
        (payments / name).write_bytes((FIXTURES / name).read_bytes())
        out = await run_connector(maker, pid, "DM", today=h.DAY)
        assert (out.imported, out.rejected) == (1, 0), out
        assert list(payments.iterdir()) == []
    states = dict((await session.execute(select(
        StatementPaymentRecord.transaction_id, StatementPaymentRecord.state))).tuples().all())
    assert states == {
        "P01": "posted", "P02": "waiting", "P03": "posted", "P04": "not_posted",
        "P05": "not_posted", "P06": "waiting", "P07": "waiting",
        **{f"P{n:02d}": "reversed" for n in range(8, 13)}}
    balances = await line_balances(session, [cid])
    assert sum(b.patient_balance for b in balances.values()) == D("468.00")  # 500 - 17 - 15
