"""Connector -> jobs: when a connector exists, the practice's default jobs of what it can do
are bound to it and enabled (one mechanism for every kind).

What a connector can do (its plugin's capabilities) names the job kinds it feeds
(`KINDS_BY_CAPABILITY`). For each kind:
- a kind that talks through a connector (`NEEDS_CONNECTOR`): when no job of that kind is
  bound to this connector yet, the practice's unbound default jobs of the kind are bound and
  enabled; when a connector already took them, copies are made for this one (a job per
  connector, named after it);
- a practice-wide kind (auto-post, receipts): its default job is enabled once a connector
  feeding it exists.
A kind that is not installed is bound but left disabled. Running it again changes nothing, so
it also binds connectors that existed before (`bind_all_connectors`).
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.practices import practice_settings
from gateway.core.plugins import plugin_info
from gateway.db.models import Connector
from gateway.jobs.defaults import DEFAULT_JOBS, NEEDS_CONNECTOR, DefaultJob
from gateway.jobs.models import JobDefinition
from gateway.jobs.registry import job_kinds
from gateway.jobs.schedule import practice_today

KINDS_BY_CAPABILITY: dict[str, tuple[str, ...]] = {
    "submit_claims": ("batch_claims",),
    "fetch_eras": ("poll_eras", "auto_post_eras"),
    "fetch_acknowledgments": ("poll_acknowledgments",),
    # pull_balances -> sync_balances is left to the balances domain: its job is made with the
    # connector from the connector's own balance source (gateway.balances.schedule)
    "statement_payments": ("import_statement_payments",),
    "practice_data": ("reconcile_receipts",),
}


class Bound(msgspec.Struct, kw_only=True):
    job_id: int
    kind: str
    enabled: bool
    created: bool  # a copy made for this connector


def connector_kinds(plugin: str) -> list[str]:
    """The job kinds a connector of `plugin` feeds, in a stable order."""
    out: list[str] = []
    for capability in plugin_info(plugin).capabilities:
        out.extend(k for k in KINDS_BY_CAPABILITY.get(capability, ()) if k not in out)
    return out


# default jobs made before the kind had its final name
LEGACY_KINDS = {"import_statement_payments": ("statement_payments",)}


async def _jobs_of(session: AsyncSession, practice_id: int, kind: str) -> list[JobDefinition]:
    kinds = (kind, *LEGACY_KINDS.get(kind, ()))
    jobs = list((await session.scalars(select(JobDefinition).where(
        JobDefinition.practice_id == practice_id, JobDefinition.kind.in_(kinds))
        .order_by(JobDefinition.id))).all())
    for job in jobs:
        job.kind = kind
    return jobs


def _copy(default: DefaultJob, practice_id: int, conn: Connector,
          like: JobDefinition | None, today: dt.date) -> JobDefinition:
    return JobDefinition(
        practice_id=practice_id, name=f"{default.name}: {conn.name}"[:120], kind=default.kind,
        connector_id=conn.id, pattern=default.pattern, every=1,
        start_date=like.start_date if like else today,
        time_of_day=default.time_of_day, enabled=False, params=dict(default.params))


async def _bind_kind(session: AsyncSession, conn: Connector, kind: str) -> list[Bound]:
    installed = kind in job_kinds()
    jobs = await _jobs_of(session, conn.practice_id, kind)
    defaults = [d for d in DEFAULT_JOBS if d.kind == kind]
    if kind not in NEEDS_CONNECTOR:
        targets = [j for j in jobs if j.name in {d.name for d in defaults} and not j.enabled]
        for target in targets:
            target.enabled = installed
        return [Bound(job_id=j.id, kind=kind, enabled=j.enabled, created=False)
                for j in targets]
    if any(j.connector_id == conn.id for j in jobs):
        return []  # bound before: idempotent
    by_name = {j.name: j for j in jobs}
    out: list[Bound] = []
    today = practice_today((await practice_settings(session, conn.practice_id)).timezone)
    for default in defaults:
        existing = by_name.get(default.name)
        created = existing is None or existing.connector_id is not None
        job = _copy(default, conn.practice_id, conn, existing, today) if created else existing
        assert job is not None
        if created:
            session.add(job)
        job.connector_id = conn.id
        job.enabled = installed
        await session.flush()
        out.append(Bound(job_id=job.id, kind=kind, enabled=job.enabled, created=created))
    return out


async def bind_connector_jobs(session: AsyncSession, connector_id: int) -> list[Bound]:
    """Bind and enable the default jobs of everything this connector feeds."""
    conn = await session.get(Connector, connector_id)
    if conn is None:
        return []
    out: list[Bound] = []
    for kind in connector_kinds(conn.plugin):
        out.extend(await _bind_kind(session, conn, kind))
    return out


async def bind_all_connectors(session: AsyncSession,
                              practice_id: int | None = None) -> list[Bound]:
    """The same for every connector (of one practice), for connectors made before binding."""
    q = select(Connector.id).order_by(Connector.id)
    if practice_id is not None:
        q = q.where(Connector.practice_id == practice_id)
    out: list[Bound] = []
    for connector_id in (await session.scalars(q)).all():
        out.extend(await bind_connector_jobs(session, connector_id))
    return out
