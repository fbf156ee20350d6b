"""Checks an aging file must pass before anything is written: its rows are this location's, and
its export date is neither in the future (beyond a day) nor older than the last snapshot."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.aging import stage
from gateway.aging.models import AgingSnapshot
from gateway.core.errors import UserError
from gateway.core.records import RowProblem
from gateway.db.models import Location


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())



async def rows_of_location(
    session: AsyncSession, practice_id: int, loc: Location, values: set[str],
    problems: list[RowProblem],
) -> tuple[int, set[str] | None]:
    """Keep the staged rows of this location (gateway.aging.stage; `values`: the file's
    location values): (how many were dropped, the values kept; None: every one). A file
    with one location value is this location's export unless that value names another
    location of the practice; a file with several keeps the rows whose value is this
    location's name or code (and the rows without one)."""
    if not values:
        return 0, None
    mine = {_norm(loc.name), _norm(loc.code)} - {""}
    others = (
        await session.execute(
            select(Location.id, Location.name, Location.code).where(
                Location.practice_id == practice_id, Location.id != loc.id)
        )
    ).all()
    if len(values) == 1:
        (value,) = values
        if _norm(value) not in mine:
            for other_id, other_name, other_code in others:
                if _norm(value) in {_norm(other_name), _norm(other_code)} - {""}:
                    raise UserError(
                        f"the file's rows are for location {value!r} (location {other_id}), not "
                        f"{loc.name!r}: upload it to that location",
                        where="Location",
                    )
        return 0, None
    kept = {v for v in values if _norm(v) in mine}
    if not kept and not await stage.unlocated_rows(session):
        shown = ", ".join(repr(v) for v in sorted(values)[:6])
        raise UserError(
            f"the file has rows for several locations ({shown}) and none is this location "
            f"{loc.name!r}" + (f" (code {loc.code!r})" if loc.code else "")
            + ": give the location the name or code the export uses",
            where="Location",
        )
    skipped = await stage.drop_locations(session, kept)
    other_values = sorted(values - kept)
    problems.append(RowProblem(
        None, "Location",
        f"{skipped} rows of other locations ({', '.join(other_values[:6])}) skipped",
    ))
    return skipped, kept


FUTURE_TOLERANCE = dt.timedelta(days=1)  # an export made "tomorrow" in another time zone


def refuse_future(export_date: dt.date, name: str) -> None:
    """An export dated beyond tomorrow is a misread title ("As of 12/31/9999") or a typo:
    importing it would make every real export after it look stale, locking the location."""
    latest_allowed = dt.date.today() + FUTURE_TOLERANCE
    if export_date > latest_allowed:
        raise UserError(
            f"{name}: the export is dated {export_date.isoformat()}, later than tomorrow "
            f"({latest_allowed.isoformat()}): check the report's 'As of' title, or give the "
            "real date (--export-date / export_date)",
            where="export_date",
        )


async def refuse_stale(session: AsyncSession, location_id: int, export_date: dt.date) -> None:
    latest = (
        await session.execute(
            select(AgingSnapshot.id, AgingSnapshot.export_date)
            .where(AgingSnapshot.location_id == location_id, AgingSnapshot.removed_at.is_(None))
            .order_by(AgingSnapshot.export_date.desc(), AgingSnapshot.id.desc()).limit(1)
        )
    ).first()
    if latest is not None and export_date < latest[1]:
        raise UserError(
            f"this export is dated {export_date.isoformat()}, older than the last import for this "
            f"location ({latest[1].isoformat()}, snapshot {latest[0]}): importing it would undo "
            "newer changes",
            where="export_date",
        )

