"""Read-side queries the pages need that no domain service answers yet: counts for the
dashboard, connector tiles, the resolution history, A/R by bucket of a location's latest
aging snapshot. Read only; every query is scoped to the practice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.aging.models import AgingSnapshot, AgingSnapshotItem
from gateway.aging.service import BUCKETS
from gateway.core.money import ZERO
from gateway.db.base import utcnow
from gateway.db.models import (
    Appointment,
    AuditLog,
    Connector,
    ImportedFile,
    Location,
    Notification,
    Payer,
    User,
)
from gateway.jobs.models import JobDefinition, JobRun
from gateway.jobs.service import plan_of
from gateway.posting.models import PostingError
from gateway.receipts.models import Receipt

BUCKET_LABELS = {"bucket_0_30": "0-30", "bucket_31_60": "31-60", "bucket_61_90": "61-90",
                 "bucket_91_120": "91-120", "bucket_120_plus": "120+"}


class ConnectorTile(msgspec.Struct, kw_only=True):
    id: int
    name: str
    plugin: str
    enabled: bool
    last_run: dt.datetime | None = None
    last_status: str | None = None
    next_run: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    files_in_today: int = 0


def receipt_errors_query(practice_id: int) -> Select[Any]:
    return select(func.count()).select_from(Receipt).where(
        Receipt.practice_id == practice_id, Receipt.status == "Error")


def unread_notifications_query(practice_id: int, user_id: int) -> Select[Any]:
    return select(func.count()).select_from(Notification).where(
        Notification.practice_id == practice_id, Notification.user_id == user_id,
        Notification.read_at.is_(None))


def open_posting_errors_query(practice_id: int, level: str) -> Select[Any]:
    """Open posting errors of one level (an index-only count, ix_posting_errors_queue)."""
    return select(func.count()).select_from(PostingError).where(
        PostingError.practice_id == practice_id, PostingError.resolved_at.is_(None),
        PostingError.level == level)


async def connector_tiles(session: AsyncSession, practice_id: int) -> list[ConnectorTile]:
    """One tile per connector: its jobs' latest run and next fire, the latest failure, and
    the files it brought in today (UTC). Connectors and their files in one query, every
    connector's jobs in one more; runs only for connectors that have jobs."""
    now = utcnow()
    today = dt.datetime.combine(now.date(), dt.time.min, tzinfo=dt.UTC)
    files_today = (select(func.count()).select_from(ImportedFile).where(
        ImportedFile.connector_id == Connector.id, ImportedFile.created_at >= today)
        .correlate(Connector).scalar_subquery())
    rows = (await session.execute(
        select(Connector.id, Connector.name, Connector.plugin, Connector.enabled, files_today)
        .where(Connector.practice_id == practice_id).order_by(Connector.name))).all()
    jobs_of: dict[int, list[JobDefinition]] = {}
    if rows:
        for j in (await session.scalars(select(JobDefinition).where(
                JobDefinition.practice_id == practice_id,
                JobDefinition.connector_id.in_([r[0] for r in rows])))).all():
            jobs_of.setdefault(cast(int, j.connector_id), []).append(j)
    tiles = []
    for cid, name, plugin, enabled, files in rows:
        tile = ConnectorTile(id=cid, name=name, plugin=plugin, enabled=enabled,
                             files_in_today=int(files or 0))
        if cid in jobs_of:
            await _job_runs(session, tile, jobs_of[cid], now)
        tiles.append(tile)
    return tiles


async def _job_runs(session: AsyncSession, tile: ConnectorTile, jobs: list[JobDefinition],
                    now: dt.datetime) -> None:
    """The tile's latest run, latest failure and next fire, from its connector's jobs."""
    job_ids = [j.id for j in jobs]
    last = (await session.execute(
        select(JobRun.started_at, JobRun.status).where(JobRun.job_id.in_(job_ids))
        .order_by(JobRun.started_at.desc()).limit(1))).first()
    if last:
        tile.last_run, tile.last_status = last
    failed = (await session.execute(
        select(JobRun.started_at, JobRun.error).where(
            JobRun.job_id.in_(job_ids), JobRun.status == "failed")
        .order_by(JobRun.started_at.desc()).limit(1))).first()
    if failed:
        tile.last_error_at, tile.last_error = failed
    fires = [(await plan_of(session, j)).next_fire(now) for j in jobs if j.enabled]
    tile.next_run = min((f for f in fires if f is not None), default=None)


class Resolution(msgspec.Struct, kw_only=True):
    at: dt.datetime
    actor: str
    action: str
    error_type: str | None
    deposit_id: int | None
    object_id: int | None


async def resolution_history(session: AsyncSession, practice_id: int, *, limit: int,
                             offset: int = 0) -> list[Resolution]:
    """Who resolved which posting error how, newest first (from the audit log)."""
    rows = (await session.scalars(
        select(AuditLog).where(AuditLog.practice_id == practice_id,
                               AuditLog.action.like("posting_error.%"))
        .order_by(AuditLog.id.desc()).limit(limit).offset(offset))).all()
    emails = await actor_names(session, practice_id, [r.actor for r in rows])
    return [Resolution(at=r.created_at, actor=emails.get(r.actor, r.actor),
                       action=r.action.split(".", 1)[1],
                       error_type=(r.detail or {}).get("type"),
                       deposit_id=(r.detail or {}).get("deposit_id"), object_id=r.object_id)
            for r in rows]


async def actor_names(session: AsyncSession, practice_id: int,
                      actors: list[str]) -> dict[str, str]:
    """"user:12" -> that user's email (other actors, like jobs, stay as they are)."""
    ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    if not ids:
        return {}
    rows = (await session.execute(select(User.id, User.email).where(
        User.id.in_(ids), User.practice_id == practice_id))).all()
    return {f"user:{i}": e for i, e in rows}


async def open_error_count(session: AsyncSession, practice_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(PostingError).where(
        PostingError.practice_id == practice_id, PostingError.resolved_at.is_(None))) or 0)


class Buckets(msgspec.Struct, kw_only=True):
    snapshot_id: int | None
    export_date: dt.date | None
    totals: list[tuple[str, Decimal]]


async def ar_buckets(session: AsyncSession, practice_id: int, location_id: int) -> Buckets:
    """A/R by aging bucket of the location's latest snapshot."""
    snap = (await session.execute(
        select(AgingSnapshot.id, AgingSnapshot.export_date).where(
            AgingSnapshot.practice_id == practice_id, AgingSnapshot.location_id == location_id)
        .order_by(AgingSnapshot.export_date.desc(), AgingSnapshot.id.desc()).limit(1))).first()
    if snap is None:
        return Buckets(snapshot_id=None, export_date=None, totals=[])
    sums = (await session.execute(select(
        *[func.sum(getattr(AgingSnapshotItem, b)) for b in BUCKETS]
    ).where(AgingSnapshotItem.snapshot_id == snap[0]))).one()
    totals = [(BUCKET_LABELS[b], v if v is not None else ZERO)
              for b, v in zip(BUCKETS, sums, strict=True)]
    return Buckets(snapshot_id=snap[0], export_date=snap[1], totals=totals)


async def practice_payers(session: AsyncSession, practice_id: int) -> list[tuple[int, str]]:
    """(id, name) of the practice's payers, for drop-downs."""
    return [(i, n) for i, n in (await session.execute(
        select(Payer.id, Payer.name).where(Payer.practice_id == practice_id)
        .order_by(Payer.name))).all()]


async def practice_connectors(session: AsyncSession, practice_id: int) -> list[tuple[int, str]]:
    """(id, name) of the practice's connectors, for drop-downs."""
    return [(i, n) for i, n in (await session.execute(
        select(Connector.id, Connector.name).where(Connector.practice_id == practice_id)
        .order_by(Connector.name))).all()]


async def practice_locations(session: AsyncSession, practice_id: int) -> list[Location]:
    return list((await session.scalars(select(Location).where(
        Location.practice_id == practice_id).order_by(Location.name))).all())


class Visit(msgspec.Struct, kw_only=True):
    id: int
    starts_at: dt.datetime
    status: str
    location: str | None


async def patient_appointments(session: AsyncSession, practice_id: int, patient_id: int,
                               *, limit: int = 10) -> tuple[list[Visit], list[Visit]]:
    """The patient's most recent past and nearest future appointments (for a receipt)."""
    now = utcnow()
    base = (select(Appointment.id, Appointment.starts_at, Appointment.status, Location.name)
            .outerjoin(Location, Location.id == Appointment.location_id)
            .where(Appointment.practice_id == practice_id, Appointment.patient_id == patient_id))
    past = (await session.execute(base.where(Appointment.starts_at < now)
                                  .order_by(Appointment.starts_at.desc()).limit(limit))).all()
    future = (await session.execute(base.where(Appointment.starts_at >= now)
                                    .order_by(Appointment.starts_at).limit(limit))).all()
    return ([Visit(id=i, starts_at=s, status=st, location=loc) for i, s, st, loc in past],
            [Visit(id=i, starts_at=s, status=st, location=loc) for i, s, st, loc in future])


def rejected_claims_query(practice_id: int) -> Select[Any]:
    from gateway.clearinghouse.models import ClaimBatch, ClaimBatchClaim

    return (select(func.count()).select_from(ClaimBatchClaim)
            .join(ClaimBatch, ClaimBatch.id == ClaimBatchClaim.batch_id)
            .where(ClaimBatch.practice_id == practice_id, ClaimBatchClaim.status == "rejected"))


class RejectedRow(msgspec.Struct, kw_only=True):
    batch_id: int
    batch_name: str
    claim_id: int
    patient_control_number: str
    reason: str


async def rejected_claims(session: AsyncSession, practice_id: int, *, limit: int,
                          offset: int) -> list[RejectedRow]:
    from gateway.clearinghouse.models import ClaimBatch, ClaimBatchClaim

    rows = (await session.execute(
        select(ClaimBatch.id, ClaimBatch.name, ClaimBatchClaim.claim_id,
               ClaimBatchClaim.patient_control_number, ClaimBatchClaim.detail)
        .join(ClaimBatch, ClaimBatch.id == ClaimBatchClaim.batch_id)
        .where(ClaimBatch.practice_id == practice_id, ClaimBatchClaim.status == "rejected")
        .order_by(ClaimBatchClaim.id.desc()).limit(limit).offset(offset))).all()
    return [RejectedRow(batch_id=b, batch_name=n, claim_id=c, patient_control_number=p,
                        reason=_rejection(d or {})) for b, n, c, p, d in rows]


def _rejection(detail: dict[str, object]) -> str:
    """The acknowledgment's words: '999: error codes I5, IK3' or '277CA: A7/21'."""
    source = str(detail.get("source") or "")
    codes = detail.get("error_codes")
    if isinstance(codes, list) and codes:
        return f"{source}: error codes {', '.join(map(str, codes))}"
    statuses = detail.get("statuses")
    if isinstance(statuses, list) and statuses:
        return f"{source}: " + ", ".join(f"{s.get('category')}/{s.get('code')}"
                                         for s in statuses if isinstance(s, dict))
    return source


async def claim_line_choices(session: AsyncSession, practice_id: int,
                             claim_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """claim id -> [(line id, "1: 92014-RT 150.00")] for the link-procedure drop-down."""
    from gateway.ledger.models import Claim, ClaimLine
    from gateway.web.render import money

    if not claim_ids:
        return {}
    out: dict[int, list[tuple[int, str]]] = {}
    for cid, lid, number, code, mods, charge in (await session.execute(
        select(ClaimLine.claim_id, ClaimLine.id, ClaimLine.line_number,
               ClaimLine.procedure_code, ClaimLine.modifiers, ClaimLine.charge)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(Claim.practice_id == practice_id, ClaimLine.claim_id.in_(claim_ids))
        .order_by(ClaimLine.claim_id, ClaimLine.line_number))).all():
        label = "-".join([code, *(mods or [])])
        out.setdefault(cid, []).append((lid, f"{number}: {label} {money(charge)}"))
    return out


def waiting_batches_query(practice_id: int) -> Select[Any]:
    """`gateway.paper.service.waiting_batches(...).total` as one SELECT (its statuses)."""
    from gateway.clearinghouse.models import ClaimBatch
    from gateway.paper.models import PrintBatch
    from gateway.paper.service import WAITING_TO_PRINT, WAITING_TO_SEND

    to_send = select(func.count()).select_from(ClaimBatch).where(
        ClaimBatch.practice_id == practice_id, ClaimBatch.status.in_(WAITING_TO_SEND))
    to_print = select(func.count()).select_from(PrintBatch).where(
        PrintBatch.practice_id == practice_id, PrintBatch.status.in_(WAITING_TO_PRINT))
    return select(to_send.scalar_subquery() + to_print.scalar_subquery())
