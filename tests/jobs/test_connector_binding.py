"""A connector binds and enables the practice's default jobs of what it feeds, once (running
the binding again changes nothing); a second connector of the same kind gets jobs of its own;
connectors made before binding are bound by `bind_all_connectors` / `gateway jobs
bind-connectors`."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import create_connector
from gateway.admin.practices import create_practice
from gateway.core.plugins import plugin_info
from gateway.jobs.binding import bind_all_connectors, bind_connector_jobs
from gateway.jobs.models import JobDefinition
from gateway.jobs.service import list_jobs


def _config(plugin: str, tmp_path) -> dict:
    config = dict(plugin_info(plugin).example_config or {})
    for key in list(config):
        if key.endswith("_dir"):
            folder = tmp_path / f"{plugin}-{key}"
            folder.mkdir(exist_ok=True)
            config[key] = str(folder)
    return config


def _state(jobs: list[JobDefinition]) -> dict[str, tuple[bool, int | None]]:
    return {j.name: (j.enabled, j.connector_id) for j in jobs}


async def test_each_connector_binds_the_jobs_of_its_kind_once(session: AsyncSession, tmp_path):
    pid = await create_practice(session, "Bright Eyes")
    ch = await create_connector(session, pid, "clearinghouse_sftp", "ch",
                                _config("clearinghouse_sftp", tmp_path))
    state = _state(await list_jobs(session, pid))
    for name in ("Batch claims mid-morning", "Batch claims after the workday",
                 "Poll ERAs hourly", "Poll acknowledgments hourly"):
        assert state[name] == (True, ch), name
    assert state["Auto-post due ERAs"][0] is True  # practice-wide, enabled by its feed
    for name in ("Statement payments hourly", "Reconcile receipts nightly"):
        assert state[name] == (False, None), name
    assert await bind_connector_jobs(session, ch) == []  # idempotent
    dm = await create_connector(session, pid, "datamedia_statements", "DM",
                                _config("datamedia_statements", tmp_path))
    state = _state(await list_jobs(session, pid))
    assert state["Statement payments hourly"] == (True, dm)
    job = await session.scalar(select(JobDefinition).where(
        JobDefinition.name == "Statement payments hourly"))
    assert job is not None and job.kind == "import_statement_payments"
    ch2 = await create_connector(session, pid, "clearinghouse_sftp", "ch2",
                                 _config("clearinghouse_sftp", tmp_path))
    state = _state(await list_jobs(session, pid))
    assert state["Batch claims mid-morning: ch2"] == (True, ch2)
    assert state["Poll ERAs hourly: ch2"] == (True, ch2)
    assert state["Batch claims mid-morning"] == (True, ch)  # the first keeps its own


async def test_connectors_made_before_binding_are_bound_later(session: AsyncSession, tmp_path,
                                                             gateway, db_url):
    pid = await create_practice(session, "Clear Sight")
    ch = await create_connector(session, pid, "clearinghouse_sftp", "ch",
                                _config("clearinghouse_sftp", tmp_path))
    # as a database from before binding had it: defaults unbound and disabled
    await session.execute(update(JobDefinition).where(JobDefinition.practice_id == pid)
                          .values(enabled=False, connector_id=None))
    await session.commit()
    out = gateway("jobs", "bind-connectors", "--json")
    assert out.code == 0, out
    assert {b["kind"] for b in out.json()} == {"batch_claims", "poll_eras",
                                                "poll_acknowledgments", "auto_post_eras"}
    session.expire_all()
    state = _state(await list_jobs(session, pid))
    assert state["Poll ERAs hourly"] == (True, ch)
    again = gateway("jobs", "bind-connectors", "--json")
    assert again.json() == []
    assert await bind_all_connectors(session, pid) == []
