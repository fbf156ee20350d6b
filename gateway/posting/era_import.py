"""ERA (835) -> deposits: one deposit per payment (BPR/TRN), its claims, lines and adjustments.

Entry points:

* `create_deposits_from_era(session, practice_id, imported_file_id, source)` -- for a file
  already recorded as an `ImportedFile` (the SFTP fetch does this in its own transaction);
* `import_era_file(session, practice_id, path)` -- records the `ImportedFile` (kind "era") by
  content hash, then the above; the same content a second time writes nothing.

Duplicates are blocked by unique constraints, never by a check before an insert: one imported
file yields each of its transaction sets once (`imported_file_id`, `file_sequence`), and the
same payment (payer + trace number + amount + date) is one deposit per practice. A second copy
of a payment that arrives in a different file is recorded as an *ignored* deposit with a
"Duplicate Deposit" error pointing at the first, so a biller sees it but it can never post.

A file that is not valid X12 raises `X12Error` (a `UserError`) from the reader; the caller's
transaction rolls back, so nothing of a bad file is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.payers import find_payer, normalize_payer_name
from gateway.core.money import format_money
from gateway.core.progress import OnProgress, report
from gateway.core.x12.model835 import ClaimPayment, Remittance
from gateway.core.x12.reader835 import iter_remittances
from gateway.db.models import ImportedFile
from gateway.db.upsert import insert_if_absent
from gateway.posting.deposit_totals import refresh_deposit_totals
from gateway.posting.era_rows import insert_claims, insert_plb
from gateway.posting.models import (
    Deposit,
    PostingError,
)
from gateway.posting.vocabulary import ErrorLevel, ErrorType

log = logging.getLogger("gateway.posting.era")

BATCH = 1000
HANDLING_PAYMENT = {"C": "Payment", "I": "Payment", "U": "Payment", "H": "Notification"}
HANDLING_IGNORED = {"D": "Payment only", "P": "Prenotification", "X": "Split (handler option)"}


class DepositSummary(msgspec.Struct, kw_only=True):
    id: int
    check_trace_id: str | None
    amount: Decimal
    status: str
    claims: int
    errors: list[str]
    duplicate_of_id: int | None = None
    already_imported: bool = False


class EraImportResult(msgspec.Struct, kw_only=True):
    imported_file_id: int
    file_name: str
    duplicate_file: bool = False
    deposits: list[DepositSummary] = []
    claims: int = 0
    auto_posted: list[int] = []


def _insert(session: AsyncSession, table: Any) -> Any:
    name = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql if name == "postgresql" else sqlite).insert(table)


def dedupe_key(rem: Remittance) -> str | None:
    """payer + trace number + amount + date; None without a trace number (never deduped)."""
    if not rem.trace_number.strip():
        return None
    payer = rem.payer.id or rem.originator_id or normalize_payer_name(rem.payer.name)
    signed = rem.amount if rem.credit_debit != "D" else -rem.amount
    day = rem.payment_date.isoformat() if rem.payment_date else ""
    return f"{payer}|{rem.trace_number.strip()}|{format_money(signed)}|{day}"


def _remittances(source: Any, name: str | None) -> Iterator[Remittance]:
    if isinstance(source, Remittance):
        yield source
    elif isinstance(source, (str, Path, bytes)) or hasattr(source, "read"):
        yield from iter_remittances(source, name=name)
    else:
        yield from source


async def create_deposits_from_era(
    session: AsyncSession,
    practice_id: int,
    imported_file_id: int,
    remittances_or_path: Iterable[Remittance] | Remittance | str | Path | bytes,
    *,
    file_name: str | None = None,
    owner: str | None = None,
    auto_post: bool = True,
    on_progress: OnProgress | None = None,
) -> EraImportResult:
    """Create one deposit per 835 transaction set of an imported ERA file, in the caller's
    transaction (never commits). Safe to call again for the same file: transaction sets already
    made into deposits are reported (`already_imported`) and not written twice.

    `remittances_or_path`: a path, the file's bytes, a stream, or `Remittance` Structs already
    read (`gateway.core.x12.reader835.iter_remittances`). With `auto_post`, deposits due under
    the practice's auto-post setting (delay 0) are sent to posting at once.
    """
    file_row = await session.get(ImportedFile, imported_file_id)
    if file_row is None or file_row.practice_id != practice_id:
        from gateway.core.errors import NotFound

        raise NotFound(f"no imported file {imported_file_id}")
    name = file_name or file_row.name
    result = EraImportResult(imported_file_id=imported_file_id, file_name=name)
    for seq, rem in enumerate(_remittances(remittances_or_path, name), start=1):
        summary = await _create_deposit(session, practice_id, file_row, seq, rem, name, owner)
        result.deposits.append(summary)
        result.claims += summary.claims
        report(on_progress, summary.claims)
    log.info("era file %s: %d deposits, %d claims", imported_file_id, len(result.deposits),
             result.claims)
    await refresh_deposit_totals(session, [d.id for d in result.deposits])
    if auto_post:
        from gateway.posting.autopost import post_due_deposits

        new_ids = [d.id for d in result.deposits if not d.already_imported]
        result.auto_posted = await post_due_deposits(
            session, practice_id, deposit_ids=new_ids, actor="era_import"
        )
    return result


async def import_era_file(
    session: AsyncSession,
    practice_id: int,
    path: str | Path,
    *,
    owner: str | None = None,
    connector_id: int | None = None,
    auto_post: bool = True,
    on_progress: OnProgress | None = None,
) -> EraImportResult:
    """Record the file by content hash and create its deposits; the same content again is a
    `duplicate_file` result with nothing written. `on_progress` hears each deposit's claims."""
    p = Path(path)
    # hashed and read as a stream: memory does not grow with the size of the file
    digest = hashlib.sha256()
    size = 0
    with p.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    return await _import_era(session, practice_id, _Upload(p, digest.hexdigest(), size, p.name),
                             owner=owner, connector_id=connector_id, auto_post=auto_post,
                             on_progress=on_progress)


async def import_era_bytes(
    session: AsyncSession,
    practice_id: int,
    data: bytes,
    name: str,
    *,
    owner: str | None = None,
    connector_id: int | None = None,
    auto_post: bool = True,
) -> EraImportResult:
    """`import_era_file` for content already in memory (an API upload)."""
    upload = _Upload(data, hashlib.sha256(data).hexdigest(), len(data), name)
    return await _import_era(session, practice_id, upload, owner=owner,
                             connector_id=connector_id, auto_post=auto_post)


@dataclass(frozen=True)
class _Upload:
    """An ERA to import: its content (a path or bytes), content hash, size and name."""

    source: bytes | Path
    digest: str
    size: int
    name: str


async def _import_era(
    session: AsyncSession,
    practice_id: int,
    upload: _Upload,
    *,
    owner: str | None,
    connector_id: int | None,
    auto_post: bool,
    on_progress: OnProgress | None = None,
) -> EraImportResult:
    source, digest, size, name = upload.source, upload.digest, upload.size, upload.name
    new_id = await insert_if_absent(
        session,
        ImportedFile.__table__,  # type: ignore[arg-type]
        {
            "practice_id": practice_id,
            "connector_id": connector_id,
            "kind": "era",
            "name": name,
            "sha256": digest,
            "size": size,
            "status": "imported",
            "summary": {},
        },
        ["practice_id", "kind", "sha256"],
    )
    if new_id is None:
        existing = (
            await session.execute(
                select(ImportedFile.id).where(
                    ImportedFile.practice_id == practice_id,
                    ImportedFile.kind == "era",
                    ImportedFile.sha256 == digest,
                )
            )
        ).scalar_one()
        return EraImportResult(imported_file_id=existing, file_name=name, duplicate_file=True)
    result = await create_deposits_from_era(
        session, practice_id, new_id, source, file_name=name, owner=owner, auto_post=auto_post,
        on_progress=on_progress)
    file_row = await session.get(ImportedFile, new_id)
    assert file_row is not None
    file_row.summary = {
        "deposits": [d.id for d in result.deposits],
        "claims": result.claims,
    }
    return result


Problems = list[tuple[ErrorType, str, dict[str, Any]]]


def _deposit_problems(rem: Remittance, payer_found: bool, trace: str | None, signed: Decimal,
                      plb_total: Decimal) -> tuple[str, Problems]:
    """The deposit-level errors of a payment, and the status they give it (New or Ignore)."""
    errors: Problems = []
    status = "New"
    handling = rem.handling_code
    if rem.credit_debit == "D":
        status = "Ignore"
        errors.append((ErrorType.DEBIT_ERA,
                       "the payment is a debit (BPR03 = D): nothing to post", {}))
    if handling in HANDLING_IGNORED:
        status = "Ignore"
        errors.append((
            ErrorType.INVALID_HANDLING_CODE,
            f"handling code {handling} ({HANDLING_IGNORED[handling]}) carries no remittance "
            "to post",
            {"handling_code": handling},
        ))
    elif handling not in HANDLING_PAYMENT:
        status = "Ignore"
        errors.append((ErrorType.INVALID_HANDLING_CODE, f"unknown handling code {handling!r}",
                       {"handling_code": handling}))
    if not payer_found:
        errors.append((
            ErrorType.PAYER_MISMATCH,
            "the ERA payer maps to no payer of this practice",
            {"era_payer_name": rem.payer.name, "era_payer_id": rem.payer.id},
        ))
    if trace is None:
        errors.append((ErrorType.MISSING_TRACE, "the ERA has no TRN trace number", {}))
    expected = rem.claim_paid_total() - plb_total
    if signed != expected:
        errors.append((
            ErrorType.DEPOSIT_DOES_NOT_BALANCE,
            f"deposit amount {format_money(signed)} but claims paid "
            f"{format_money(rem.claim_paid_total())} - provider adjustments "
            f"{format_money(plb_total)} = {format_money(expected)}",
            {"difference": format_money(signed - expected)},
        ))
    return status, errors


def _deposit_values(practice_id: int, file_row: ImportedFile, seq: int, rem: Remittance,
                    name: str, owner: str | None, payer_id: int | None) -> dict[str, Any]:
    """The deposit row of one payment (status and dedupe key set by the caller)."""
    handling = rem.handling_code
    return {
        "practice_id": practice_id,
        "type": "ERA",
        "posted_status": "Not Disbursed",
        "deposit_date": rem.payment_date or rem.production_date or dt.date.today(),
        "issued_date": rem.production_date or rem.payment_date,
        "check_trace_id": rem.trace_number.strip() or None,
        "payer_id": payer_id,
        "era_payer_name": rem.payer.name or None,
        "era_payer_id": rem.payer.id or None,
        "payment_method": rem.method or None,
        "payment_type": HANDLING_PAYMENT.get(handling) or HANDLING_IGNORED.get(handling),
        "handling_code": handling or None,
        "credit_debit": rem.credit_debit or "C",
        "amount": rem.amount if rem.credit_debit != "D" else -rem.amount,
        "plb_total": rem.provider_adjustment_total(),
        "owner": owner,
        "imported_file_id": file_row.id,
        "file_sequence": seq,
        "era_id": "-".join(filter(None, (rem.interchange_control_number, rem.control_number))),
        "file_name": name,
    }


async def _create_deposit(
    session: AsyncSession,
    practice_id: int,
    file_row: ImportedFile,
    seq: int,
    rem: Remittance,
    name: str,
    owner: str | None,
) -> DepositSummary:
    payer = await find_payer(session, practice_id, rem.payer.name, rem.payer.id or None)
    values = _deposit_values(practice_id, file_row, seq, rem, name, owner,
                             payer.id if payer else None)
    trace, signed, key = values["check_trace_id"], values["amount"], dedupe_key(rem)
    status, errors = _deposit_problems(rem, payer is not None, trace, signed,
                                       values["plb_total"])
    values.update(status=status, dedupe_key=key)
    dep_id = await _insert_deposit(session, values)
    duplicate_of = None
    if dep_id is None:
        same_file = await session.scalar(
            select(Deposit.id).where(
                Deposit.imported_file_id == file_row.id, Deposit.file_sequence == seq
            )
        )
        if same_file is not None:
            d = await session.get(Deposit, same_file)
            assert d is not None
            return DepositSummary(id=d.id, check_trace_id=d.check_trace_id, amount=d.amount,
                                  status=d.status, claims=0, errors=[], already_imported=True)
        duplicate_of = await session.scalar(
            select(Deposit.id).where(Deposit.practice_id == practice_id,
                                     Deposit.dedupe_key == key)
        )
        values.update(dedupe_key=None, status="Ignore", duplicate_of_id=duplicate_of)
        errors.append((
            ErrorType.DUPLICATE_DEPOSIT,
            f"the same payment (payer, trace {trace}, amount {format_money(signed)}, date) is "
            f"deposit {duplicate_of}; this copy is ignored",
            {"duplicate_of_id": duplicate_of},
        ))
        dep_id = await _insert_deposit(session, values)
        if dep_id is None:  # another process recorded this file's transaction set meanwhile
            d_id = await session.scalar(select(Deposit.id).where(
                Deposit.imported_file_id == file_row.id, Deposit.file_sequence == seq))
            return DepositSummary(id=d_id or 0, check_trace_id=trace, amount=signed,
                                  status="Ignore", claims=0, errors=[], already_imported=True)
    count = await _deposit_rows(session, practice_id, dep_id, rem, errors)
    log.info("deposit %s: %d claims, status %s, errors %s", dep_id, count, status,
             [e[0] for e in errors])
    return DepositSummary(id=dep_id, check_trace_id=trace, amount=signed, status=values["status"],
                          claims=count, errors=[e[0] for e in errors],
                          duplicate_of_id=duplicate_of)


async def _insert_deposit(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """INSERT the deposit unless a unique key (file + sequence, or the payment) has it."""
    dep_table = Deposit.__table__
    dep_id: int | None = (
        await session.execute(
            _insert(session, dep_table).values(**values).on_conflict_do_nothing()
            .returning(dep_table.c.id)
        )
    ).scalar_one_or_none()
    return dep_id


async def _deposit_rows(session: AsyncSession, practice_id: int, dep_id: int, rem: Remittance,
                        errors: Problems) -> int:
    """The deposit's errors, PLBs and claims (in batches); returns the number of claims."""
    if errors:
        await session.execute(
            insert(PostingError),
            [
                {
                    "practice_id": practice_id,
                    "deposit_id": dep_id,
                    "level": ErrorLevel.DEPOSIT.value,
                    "type": t.value,
                    "message": m,
                    "detail": d,
                }
                for t, m, d in errors
            ],
        )
    await insert_plb(session, dep_id, rem)
    count = 0
    batch: list[ClaimPayment] = []
    for claim in rem.claims:
        batch.append(claim)
        if len(batch) >= BATCH:
            await insert_claims(session, practice_id, dep_id, count, batch)
            count += len(batch)
            batch = []
    if batch:
        await insert_claims(session, practice_id, dep_id, count, batch)
        count += len(batch)
    return count
