"""Import one statement payment file: every payment once, every status once, posted per the
practice's settings, one Statement deposit for the money the file moved. Never commits.

Idempotency is the unique constraints' (`gateway.db.upsert.insert_if_absent`), never a check
first: the file by content hash (the same file again changes nothing), the payment by
(practice, transaction id), the status by (payment, status). When two gateway nodes import
the same file, or two files report the same payment, the node whose insert won acts on it.
A file the plugin could not read (`StatementPaymentFile.error`) is recorded as rejected and
nothing of it is written; one that fails part-way (its spool changed between the plugin's
check pass and the stream pass) raises a located `UserError`, and once the caller rolled the
import back `reject_failed` records it as rejected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal, cast

import msgspec
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import practice_settings
from gateway.core.errors import UserError
from gateway.core.money import ZERO
from gateway.core.records import StatementPayment, StatementPaymentFile
from gateway.db.models import ImportedFile, Patient
from gateway.db.upsert import insert_if_absent, insert_ignoring_conflicts
from gateway.posting.bulk import fetch_objects, update_by_id
from gateway.receipts import service as receipts
from gateway.receipts.enums import Behaviour
from gateway.receipts.schemas import ReceiptTypeIn
from gateway.statements import posting
from gateway.statements.deposits import FileDeposit
from gateway.statements.models import (
    PatientStatement,
    StatementPaymentEvent,
    StatementPaymentRecord,
)
from gateway.statements.schemas import FileResult

log = logging.getLogger("gateway.statements")

KIND = "statement_payments"
FLUSH_EVERY = 1000
P = cast(Table, StatementPaymentRecord.__table__)
E = cast(Table, StatementPaymentEvent.__table__)


async def ensure_receipt_type(session: AsyncSession, practice_id: int, actor: str) -> None:
    """The practice's "Statement Payment" receipt type (general behaviour), made once."""
    try:
        await receipts.resolve_type(session, practice_id, posting.RECEIPT_TYPE)
    except UserError:
        try:
            await receipts.create_type(session, practice_id, ReceiptTypeIn(
                name=posting.RECEIPT_TYPE, behaviour=Behaviour.GENERAL), actor)
        except UserError:
            pass  # another node made it at the same moment


async def _by_key(session: AsyncSession, column: Any, key_col: Any, value_col: Any,
                  practice_id: int, keys: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(keys))
    out: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        rows = await session.execute(select(key_col, value_col).where(
            column == practice_id, key_col.in_(wanted[i:i + 500])))
        out.update((k, v) for k, v in rows)
    return out


async def load_lookups(session: AsyncSession, practice_id: int, payments: list[StatementPayment],
                       today: dt.date | None, actor: str) -> posting.Lookups:
    """The practice's settings and the patients and statements `payments` name."""
    settings = await practice_settings(session, practice_id)
    look = posting.Lookups(patients={}, statements={}, settings=settings,
                           today=today or receipts.practice_today(settings), actor=actor)
    await lookup_names(session, practice_id, look, payments)
    return look


async def lookup_names(session: AsyncSession, practice_id: int, look: posting.Lookups,
                       payments: list[StatementPayment]) -> None:
    """The patients and statements these payments name (set-based; a chunk at a time, so
    the lookups never hold a whole file's)."""
    look.patients = await _by_key(session, Patient.practice_id, Patient.account, Patient.id,
                                  practice_id, (p.patient_account for p in payments))
    look.statements = await _by_key(
        session, PatientStatement.practice_id, PatientStatement.statement_id,
        PatientStatement.patient_id, practice_id,
        (p.statement_id for p in payments if p.statement_id))


async def _record_file(session: AsyncSession, practice_id: int, spf: StatementPaymentFile,
                       connector_id: int | None, status: str,
                       summary: dict[str, Any]) -> tuple[int | None, ImportedFile | None]:
    new_id = await insert_if_absent(session, cast(Table, ImportedFile.__table__), {
        "practice_id": practice_id, "connector_id": connector_id, "kind": KIND,
        "name": spf.file.name[:400], "sha256": spf.file.sha256, "size": spf.file.size,
        "status": status, "summary": summary,
    }, ["practice_id", "kind", "sha256"])
    if new_id is not None:
        return new_id, None
    existing = (await session.execute(select(ImportedFile).where(
        ImportedFile.practice_id == practice_id, ImportedFile.kind == KIND,
        ImportedFile.sha256 == spf.file.sha256))).scalar_one()
    return None, existing


def _payment_values(practice_id: int, connector_id: int | None,
                    p: StatementPayment) -> dict[str, Any]:
    return {
        "practice_id": practice_id, "connector_id": connector_id,
        "transaction_id": p.transaction_id, "status": p.status, "state": "waiting",
        "patient_account": p.patient_account, "statement_id": p.statement_id,
        "invoice_number": p.invoice_number, "amount": p.amount, "debit": p.debit,
        "paid_on": p.paid_on, "settle_on": p.settle_on, "method": p.method,
        "customer_id": p.customer_id, "payer_name": p.payer_name,
        "trace_number": p.trace_number,
    }


async def _records(session: AsyncSession, practice_id: int, connector_id: int | None,
                   chunk: list[StatementPayment]) -> tuple[dict[str, Any], set[str]]:
    """The chunk's payments (inserted when first seen; the unique constraint decides) locked
    for this transaction, by transaction id, and the ids this transaction inserted."""
    seen: dict[str, dict[str, Any]] = {}
    for p in chunk:
        seen.setdefault(p.transaction_id, _payment_values(practice_id, connector_id, p))
    # rows in key order, so two nodes inserting and locking overlapping payments take their
    # locks in the same order and wait for each other instead of deadlocking
    inserted = await session.execute(
        insert_ignoring_conflicts(session, P).returning(P.c.transaction_id),
        [seen[tx] for tx in sorted(seen)])
    first = {tx for (tx,) in inserted}
    recs = await fetch_objects(session, select(P).where(
        P.c.practice_id == practice_id, P.c.transaction_id.in_(list(seen)))
        .order_by(P.c.transaction_id).with_for_update())
    return {r.transaction_id: r for r in recs}, first


async def _new_events(session: AsyncSession, practice_id: int, file_id: int,
                      reported_on: dt.date, chunk: list[StatementPayment],
                      recs: dict[str, Any]) -> dict[tuple[int, str], int]:
    """Insert each (payment, status) not known yet; the ones this transaction inserted."""
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for p in chunk:
        key = (recs[p.transaction_id].id, p.status)
        rows.setdefault(key, {
            "practice_id": practice_id, "statement_payment_id": key[0], "status": p.status,
            "imported_file_id": file_id, "file_row": p.row, "reported_on": reported_on,
            "outcome": ""})
    inserted = await session.execute(
        insert_ignoring_conflicts(session, E)
        .returning(E.c.id, E.c.statement_payment_id, E.c.status),
        [rows[key] for key in sorted(rows)])
    return {(pid, status): event_id for event_id, pid, status in inserted}


async def _write_chunk(session: AsyncSession, events: list[dict[str, Any]],
                       touched: dict[int, Any], deposit: FileDeposit) -> None:
    """What a chunk changed on its payments, and its new history rows' outcomes and, for
    money, the file's deposit."""
    await update_by_id(session, P, [{**{c: getattr(rec, c) for c in posting.CHANGED},
                                     "b_id": rec.id} for rec in touched.values()])
    money = [e["_amount"] for e in events if e["_amount"] is not None]
    deposit_id = await deposit.take(session, sum(money, ZERO)) if money else None
    await update_by_id(session, E, [
        {"outcome": e["_outcome"], "deposit_amount": e["_amount"],
         "deposit_id": deposit_id if e["_amount"] is not None else None, "b_id": e["_id"]}
        for e in events])


async def _apply_rows(session: AsyncSession, practice_id: int, spf: StatementPaymentFile,
                      connector_id: int | None, look: posting.Lookups,
                      deposit: FileDeposit, result: FileResult) -> None:
    """Each row's payment and status, a chunk at a time as the plugin reads them (in a worker
    thread; a few statements per chunk, the changes written together, nothing of the chunk
    kept: memory is one chunk whatever the file's length)."""
    reported_on = spf.file_date or look.today
    chunks = spf.chunks(FLUSH_EVERY)
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            await _apply_chunk(session, practice_id, connector_id, chunk, reported_on, look,
                               deposit, result)
    finally:
        chunks.close()  # the plugin's file handle, also when a chunk failed


async def _apply_chunk(session: AsyncSession, practice_id: int, connector_id: int | None,
                       chunk: list[StatementPayment], reported_on: dt.date,
                       look: posting.Lookups, deposit: FileDeposit, result: FileResult) -> None:
    """One chunk: its payments and statuses inserted, each new status acted on, what changed
    written back, the session emptied."""
    events: list[dict[str, Any]] = []
    touched: dict[int, Any] = {}
    await lookup_names(session, practice_id, look, chunk)
    recs, first_seen = await _records(session, practice_id, connector_id, chunk)
    result.new_payments += len(first_seen)
    new = await _new_events(session, practice_id, deposit.imported_file_id, reported_on,
                           chunk, recs)
    with session.no_autoflush:
        for p in chunk:
            rec = recs[p.transaction_id]
            event_id = new.pop((rec.id, p.status), None)
            if event_id is None:
                continue  # this status of this payment is known: nothing changes
            if look.waits_for_receipt(p.transaction_id):
                await posting.post_pending(session, practice_id, look)
            first = p.transaction_id in first_seen
            first_seen.discard(p.transaction_id)
            touched[rec.id] = rec
            events.append(await _apply_one(session, practice_id, rec, p, look, first,
                                           event_id, result))
        await posting.post_pending(session, practice_id, look)
    await _write_chunk(session, events, touched, deposit)
    await session.flush()
    session.expunge_all()  # memory stays flat: the rows are written


async def _apply_one(session: AsyncSession, practice_id: int, rec: posting.PaymentRow,
                     p: StatementPayment, look: posting.Lookups, first: bool, event_id: int,
                     result: FileResult) -> dict[str, Any]:
    """Act on one newly reported status; its history row's outcome update."""
    result.new_statuses += 1
    waiting = len(look.pending)
    outcome = await posting.apply_status(session, practice_id, rec, p, look, first)
    money = p.status in posting.MONEY_IN or p.status in posting.REVERSALS
    event = {"_id": event_id, "_outcome": outcome,
             "_amount": (-p.amount if p.debit else p.amount) if money else None}
    if len(look.pending) > waiting:  # its receipt waits: the outcome gets the receipt id
        look.pending[-1].event = event
    result.posted += rec.state == "posted" and outcome.startswith("posted")
    result.reversed += rec.state == "reversed" and outcome.startswith("receipt")
    result.unprocessed += rec.state == "unprocessed" and outcome == rec.reason
    return event


async def import_payment_file(
    session: AsyncSession, practice_id: int, spf: StatementPaymentFile, *,
    connector_id: int | None = None, actor: str = "system", today: dt.date | None = None,
) -> FileResult:
    """Record the file by content hash and, when new and readable, every payment of it."""
    name = spf.file.name
    if spf.error is not None:
        new_id, existing = await _record_file(session, practice_id, spf, connector_id,
                                              "rejected", {"error": spf.error})
        why = spf.error if existing is None else f"rejected before: {spf.error}"
        log.info("statement file %s rejected", new_id or (existing and existing.id))
        return FileResult(imported_file_id=new_id or (existing.id if existing else None),
                          name=name, status="rejected", why=why)
    new_id, existing = await _record_file(session, practice_id, spf, connector_id, "imported",
                                          {"payments": spf.count, "total": str(spf.total)})
    if existing is not None:
        status: Literal["rejected", "duplicate"] = (
            "rejected" if existing.status == "rejected" else "duplicate")
        return FileResult(imported_file_id=existing.id, name=name, status=status,
                          why=(existing.summary or {}).get("error"), payments=spf.count)
    assert new_id is not None
    await ensure_receipt_type(session, practice_id, actor)
    look = await load_lookups(session, practice_id, [], today, actor)
    result = FileResult(imported_file_id=new_id, name=name, status="imported",
                        payments=spf.count)
    deposit = FileDeposit(practice_id, new_id, name, spf.file_date or look.today)
    await _apply_rows(session, practice_id, spf, connector_id, look, deposit, result)
    await deposit.settle(session, any_unprocessed=result.unprocessed > 0)
    result.deposit_id = deposit_id = deposit.id
    await session.execute(update(ImportedFile).where(ImportedFile.id == new_id).values(
        summary={"payments": spf.count, "total": str(spf.total),
                 "new_statuses": result.new_statuses, "deposit_id": deposit_id}))
    log.info("statement file %s imported: %s payments, %s new statuses, deposit %s",
             new_id, spf.count, result.new_statuses, deposit_id)
    return result


def _digest(path: str) -> tuple[str, int]:
    """sha256 and size of what the spool file holds now (empty when it is gone)."""
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
                size += len(block)
    except FileNotFoundError:
        pass
    return digest.hexdigest(), size


async def reject_failed(session: AsyncSession, practice_id: int, spf: StatementPaymentFile,
                        why: str, *, connector_id: int | None = None) -> FileResult:
    """A file whose import failed part-way (its spool changed between the check pass and the
    stream pass, or a row the check passed did not read again), after the caller rolled the
    import back: recorded as rejected with the located reason, under the hash and size the
    spool holds now. The same bytes are then never tried again, while the checked content,
    fetched again, still imports."""
    sha256, size = await asyncio.to_thread(_digest, spf.file.local_path)
    log.info("statement file %s failed while importing; rejected", spf.file.name[:40])
    changed = msgspec.structs.replace(spf, payments=[], reader=None, error=why,
                                      file=msgspec.structs.replace(spf.file, sha256=sha256,
                                                                   size=size))
    return await import_payment_file(session, practice_id, changed, connector_id=connector_id)


async def record_statements(session: AsyncSession, practice_id: int,
                            rows: Iterable[Any]) -> dict[str, int]:
    """Add the statements mailed to patients (StatementIn rows); one already known is kept."""
    added = known = 0
    for row in rows:
        patient_id = await session.scalar(select(Patient.id).where(
            Patient.practice_id == practice_id, Patient.account == row.patient_account))
        if patient_id is None:
            raise UserError(f"patient account {row.patient_account!r} not found",
                            where=f"statement {row.statement_id}")
        amount: Decimal | None = row.amount_due
        new_id = await insert_if_absent(session, cast(Table, PatientStatement.__table__), {
            "practice_id": practice_id, "statement_id": row.statement_id,
            "patient_id": patient_id, "statement_date": row.statement_date,
            "amount_due": amount,
        }, ["practice_id", "statement_id"])
        added += new_id is not None
        known += new_id is None
    return {"added": added, "known": known}
