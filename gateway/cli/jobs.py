"""`gateway jobs`: define scheduled jobs, run one by hand, read the history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import click
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.cli._util import database_url, emit, in_session, run
from gateway.core.errors import UserError
from gateway.db.engine import make_engine, make_sessionmaker
from gateway.jobs.models import PATTERNS
from gateway.jobs.service import Schedule


@click.group()
def jobs() -> None:
    """Scheduled jobs (batch claims, poll ERAs, sync balances, reconcile receipts...)."""


@jobs.command("kinds")
@click.option("--json", "as_json", is_flag=True)
def jobs_kinds(as_json: bool) -> None:
    """The job kinds installed."""
    from gateway.jobs.registry import job_kinds

    emit(sorted(job_kinds()), as_json, "\n".join)


def _keep(ctx: click.Context, param: click.Parameter, value: object) -> object:
    """Collect a schedule option into `ctx.meta["schedule"]` (parsed as one `Schedule`)."""
    ctx.meta.setdefault("schedule", {})[param.name] = value
    return value


def schedule_options(fn: Callable[..., None]) -> Callable[..., None]:
    """The pattern option group: --pattern --every --start --time --end --weekdays
    --month-day, handed to the command as `ctx.meta["schedule"]` (see `parse_schedule`)."""
    options = [
        click.option("--pattern", type=click.Choice(PATTERNS), default="daily",
                     show_default=True),
        click.option("--every", type=int, default=1, show_default=True),
        click.option("--start", "start_date", default=None, help="YYYY-MM-DD"),
        click.option("--time", "time_of_day", default="02:00", show_default=True,
                     help="HH:MM, practice time"),
        click.option("--end", "end_date", default=None, help="YYYY-MM-DD"),
        click.option("--weekdays", default=None, help="weekly: days, 0=Monday, e.g. 0,2,4"),
        click.option("--month-day", "month_day", type=int, default=None,
                     help="monthly/yearly: day of the month (31 = the month's last day)"),
    ]
    for option in reversed(options):
        fn = option(fn)
    for param in getattr(fn, "__click_params__", []):
        if param.name in SCHEDULE_FIELDS:
            param.expose_value = False
            param.callback = _keep
            param.is_eager = False
    return fn


SCHEDULE_FIELDS = frozenset(Schedule.__struct_fields__)


def parse_schedule(ctx: click.Context) -> Schedule:
    """The pattern options as one `Schedule`; a bad date or time is a located UserError."""
    raw = {k: v for k, v in ctx.meta.get("schedule", {}).items() if v is not None}
    raw["weekdays"] = parse_weekdays(raw.get("weekdays"))
    try:
        for key, parse in (("start_date", dt.date.fromisoformat),
                           ("end_date", dt.date.fromisoformat),
                           ("time_of_day", dt.time.fromisoformat)):
            if key in raw:
                raw[key] = parse(raw[key])
        return msgspec.convert(raw, Schedule)
    except (ValueError, msgspec.ValidationError) as exc:
        raise UserError(f"schedule: {exc}", where="--start/--time/--end") from exc


@jobs.command("add")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--name", required=True)
@click.option("--kind", required=True)
@schedule_options
@click.option("--connector", "connector_id", type=int, default=None)
@click.option("--params", default="{}", help="JSON object handed to the job")
@click.option("--disabled", is_flag=True, help="define it disabled")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_add(ctx: click.Context, practice_id: int, name: str, kind: str,
             connector_id: int | None, params: str, disabled: bool, as_json: bool) -> None:
    """Define a job."""
    from gateway.jobs.service import JobIn, define_job

    when = parse_schedule(ctx)
    try:
        extra = json.loads(params)
    except ValueError as exc:
        raise UserError(str(exc), where="--params") from exc
    data = JobIn(name=name, kind=kind, connector_id=connector_id, params=extra,
                 enabled=not disabled, **msgspec.structs.asdict(when))

    emit({"id": in_session(ctx, lambda s: define_job(s, practice_id, data))}, as_json,
         lambda d: f"job {d['id']} defined")


@jobs.command("list")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_list(ctx: click.Context, practice_id: int, as_json: bool) -> None:
    """Jobs of a practice with their next fire time."""
    from gateway.jobs.service import list_jobs, next_fires

    async def listed(s: AsyncSession) -> list[dict]:
        out = []
        for j in await list_jobs(s, practice_id):
            coming = await next_fires(s, j)
            nxt = coming[0] if coming else None
            out.append({"id": j.id, "name": j.name, "kind": j.kind, "pattern": j.pattern,
                        "every": j.every, "enabled": j.enabled,
                        "next_fire": nxt.isoformat() if nxt else None})
        return out

    emit(in_session(ctx, listed), as_json, lambda rows: "\n".join(
        f"{r['id']:>4} {r['name']:<24} {r['kind']:<20} next {r['next_fire']}" for r in rows))


@jobs.command("run")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_run(ctx: click.Context, job_id: int, as_json: bool) -> None:
    """Run a job now, outside its schedule."""
    from gateway.jobs.service import RunOutcome, run_now

    async def go() -> RunOutcome:
        engine = make_engine(database_url(ctx))
        try:
            return await run_now(make_sessionmaker(engine), None, job_id)
        finally:
            await engine.dispose()

    outcome = run(go)
    emit(outcome, as_json, lambda o: f"run {o.run_id}: {o.status} {o.error or ''}".strip())
    if outcome.status == "failed":
        raise SystemExit(1)


@jobs.command("tick")
@click.option("--now", "now_text", default=None,
              help="ISO time with offset the tick takes as now (default: the clock)")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_tick(ctx: click.Context, now_text: str | None, as_json: bool) -> None:
    """Run every due fire once, as the scheduler's tick does (any number of nodes at once:
    each fire is claimed by exactly one)."""
    from gateway.jobs.scheduler import tick
    from gateway.jobs.service import RunOutcome

    try:
        now = dt.datetime.fromisoformat(now_text) if now_text else None
    except ValueError as exc:
        raise UserError(str(exc), where="--now") from exc
    if now is not None and now.tzinfo is None:
        raise UserError("give --now with its UTC offset, e.g. 2026-11-20T15:00:00+00:00",
                        where="--now")

    async def go() -> list[RunOutcome]:
        engine = make_engine(database_url(ctx))
        try:
            return await tick(make_sessionmaker(engine), now)
        finally:
            await engine.dispose()

    emit(run(go), as_json, lambda runs: "\n".join(
        f"job {o.job_id} fire {o.fire_time.isoformat()}: {o.status}" for o in runs)
        or "nothing due")


def job_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A command on one job of a practice: `JOB_ID --practice ID [--json]`, then its own
    options, handed the click context."""

    def wrap(fn: Callable[..., None]) -> click.Command:
        for option in (click.pass_context, click.option("--json", "as_json", is_flag=True),
                       click.option("--practice", "practice_id", required=True, type=int),
                       click.argument("job_id", type=int)):
            fn = option(fn)
        return jobs.command(name)(fn)

    return wrap


@job_command("history")
def jobs_history(ctx: click.Context, job_id: int, practice_id: int, as_json: bool) -> None:
    """The latest runs of a job."""
    from gateway.jobs.service import history

    async def runs(s: AsyncSession) -> list[dict]:
        return [
            {"id": r.id, "fire_time": r.fire_time.isoformat(), "trigger": r.trigger,
             "node": r.node, "status": r.status, "result": r.result, "error": r.error}
            for r in await history(s, practice_id, job_id)
        ]

    emit(in_session(ctx, runs), as_json, lambda rows: "\n".join(
        f"{r['fire_time']} {r['status']:<8} {r['trigger']:<9} {r['node']}" for r in rows))


@click.option("--set", "changes", required=True,
              help='JSON object of the fields to change, e.g. {"time_of_day": "10:30"}')
@job_command("edit")
def jobs_edit(ctx: click.Context, job_id: int, practice_id: int, changes: str,
              as_json: bool) -> None:
    """Change a job's definition (only the fields given)."""
    from gateway.jobs.service import JobPatch, edit_job

    try:
        patch = msgspec.json.decode(changes.encode(), type=JobPatch)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="--set") from exc
    except msgspec.DecodeError as exc:
        raise UserError(f"not a JSON object: {exc}", where="--set") from exc

    async def edit(s: AsyncSession) -> int:
        return (await edit_job(s, practice_id, job_id, patch)).id

    emit({"id": in_session(ctx, edit)}, as_json, lambda d: f"job {d['id']} changed")


def _switch(enabled: bool) -> None:
    word = "enabled" if enabled else "disabled"

    @job_command("enable" if enabled else "disable")
    def command(ctx: click.Context, job_id: int, practice_id: int, as_json: bool) -> None:
        from gateway.jobs.service import set_enabled

        async def switch(s: AsyncSession) -> int:
            return (await set_enabled(s, practice_id, job_id, enabled)).id

        emit({"id": in_session(ctx, switch), "enabled": enabled}, as_json,
             lambda d: f"job {d['id']} {word}")

    command.help = "Enable a job." if enabled else "Disable a job (its history stays)."


_switch(True)
_switch(False)


@job_command("delete")
def jobs_delete(ctx: click.Context, job_id: int, practice_id: int, as_json: bool) -> None:
    """Delete a job and its run history."""
    from gateway.jobs.service import delete_job

    in_session(ctx, lambda s: delete_job(s, practice_id, job_id))
    emit({"id": job_id, "deleted": True}, as_json, lambda d: f"job {d['id']} deleted")


@jobs.command("bind-connectors")
@click.option("--practice", "practice_id", type=int, default=None, help="one practice only")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_bind(ctx: click.Context, practice_id: int | None, as_json: bool) -> None:
    """Bind and enable the default jobs of connectors made before binding (idempotent)."""
    from gateway.jobs.binding import bind_all_connectors

    bound = in_session(ctx, lambda s: bind_all_connectors(s, practice_id))
    emit(bound, as_json, lambda rows: "\n".join(
        f"job {b.job_id} {b.kind} {'enabled' if b.enabled else 'bound'}" for b in rows)
        or "nothing to bind")


def parse_weekdays(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise UserError("weekdays are numbers 0 (Monday) to 6, comma-separated",
                        where="--weekdays") from exc


def register(root: click.Group) -> None:
    root.add_command(jobs)


