"""Payment files fetched over a real sshd and from a drop folder, imported once, the remote
tidied only after the import committed; the scheduled job does the same."""

from __future__ import annotations

import hashlib
import itertools
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.admin.connectors import create_connector
from gateway.db.engine import make_sessionmaker
from gateway.db.models import ImportedFile
from gateway.jobs.models import JobDefinition
from gateway.jobs.service import run_now
from gateway.ledger.balances import line_balances
from gateway.posting.models import Deposit
from gateway.receipts.models import Receipt
from gateway.statements.connector import run_connector
from gateway.statements.jobs import schedule_connector
from gateway.statements.models import StatementPaymentEvent, StatementPaymentRecord
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


async def _changing_spool(monkeypatch, mangle):
    """The spool file is rewritten after the plugin's check pass, before the stream pass: a
    real write to the real file, at the one moment a test cannot otherwise reach."""
    from gateway.statements import connector as connector_module

    real = connector_module.import_payment_file

    async def import_after_change(session, practice_id, spf, **kw):
        path = Path(spf.file.local_path)
        path.write_text(mangle(path.read_text()))
        monkeypatch.setattr(connector_module, "import_payment_file", real)  # once
        return await real(session, practice_id, spf, **kw)

    monkeypatch.setattr(connector_module, "import_payment_file", import_after_change)


@pytest.mark.parametrize("mangle, why", [
    # still a good file (same count and total): only the hash tells
    (lambda t: t.replace("AUTHP1", "AUTHX1"), "epay.csv: the file changed after it was checked"),
    # a row the check passed no longer reads: the failure comes after a chunk was written
    (lambda t: t.replace(",7.50,", ",7.5O,"), "epay.csv, line 3, field amount"),
])
async def test_a_spool_file_that_changes_between_the_passes_is_rolled_back_and_rejected(
        engine, session, practice, tmp_path, monkeypatch, mangle, why):
    from gateway.statements import importer

    monkeypatch.setattr(importer, "FLUSH_EVERY", 1)
    pid = practice.practice_id
    cid = await _arrange(session, pid)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "epay.csv").write_text(GOOD)
    await create_connector(session, pid, "datamedia_statements", "Drop", {
        "transport": "local", "payments_dir": str(drop), "after_download": "delete"})
    await session.commit()
    maker = make_sessionmaker(engine)
    await _changing_spool(monkeypatch, mangle)
    out = await run_connector(maker, pid, "Drop", today=h.DAY)
    (res,) = out.files
    assert (out.imported, out.rejected, res.status) == (0, 1, "rejected")
    assert res.why.startswith(why), res.why
    changed = mangle(GOOD).encode()
    (row,) = (await session.scalars(select(ImportedFile).where(
        ImportedFile.kind == "statement_payments"))).all()
    assert (row.status, row.sha256, row.size) == (
        "rejected", hashlib.sha256(changed).hexdigest(), len(changed))
    assert row.summary["error"] == res.why
    for model in (StatementPaymentRecord, StatementPaymentEvent, Receipt, Deposit):
        assert await session.scalar(select(func.count()).select_from(model)) == 0
    assert [p.name for p in drop.iterdir()] == ["epay.csv"]  # left for the next run
    # fetched again, the file as it was checked imports: its hash was never rejected
    again = await run_connector(maker, pid, "Drop", today=h.DAY)
    assert (again.imported, again.rejected) == (1, 0)
    balances = await line_balances(session, [cid])
    assert sum(b.patient_balance for b in balances.values()) == D("10.00")
