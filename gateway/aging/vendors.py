"""Which vendor reads an aging file, and reading it: the plugin parses (blocking: call from a
worker thread), `summarize` counts as the rows stream by; a location's vendor comes from the
practice's aging connector."""

from __future__ import annotations

import pluggy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.aging.schemas import ParseSummary
from gateway.core.errors import NotFound, UserError
from gateway.core.hooks import GatewayHooks
from gateway.core.money import ZERO
from gateway.core.names import normalize_payer_name
from gateway.core.plugins import get_plugin_manager, plugin_infos
from gateway.core.records import AgingContext, AgingExport, AgingSource
from gateway.db.models import Connector, Location

# --- parsing (blocking: call from a worker thread) -----------------------------------------


def aging_vendors(pm: pluggy.PluginManager | None = None) -> list[str]:
    """Names of the plugins that read aging exports."""
    return sorted(n for n, i in plugin_infos(pm).items() if "aging_export" in i.capabilities)


def parse_export(
    vendor: str,
    source: AgingSource,
    context: AgingContext | None = None,
    pm: pluggy.PluginManager | None = None,
) -> AgingExport:
    """The vendor's plugin reads the file (rows may still be streaming); UserError when no
    plugin reads this vendor's exports or the file is not its report."""
    pm = pm or get_plugin_manager()
    export = GatewayHooks(pm).parse_aging_export(vendor, source, context or AgingContext())
    if export is None:
        raise UserError(
            f"no plugin reads aging exports of vendor {vendor!r}; known: "
            f"{', '.join(aging_vendors(pm)) or 'none'}",
            where="vendor",
        )
    return export


def summarize(export: AgingExport) -> ParseSummary:
    """Count and total the rows as they stream by: memory does not grow with the row count."""
    rows = 0
    total = ZERO
    payers: dict[str, str] = {}
    spellings: set[str] = set()
    for row in export.iter_rows():
        rows += 1
        total += row.balance
        if row.payer_name and row.payer_name not in spellings:
            spellings.add(row.payer_name)
            payers.setdefault(normalize_payer_name(row.payer_name), row.payer_name)
    return ParseSummary(
        rows=rows, balance_total=total, payers=list(payers.values()), problems=list(export.problems)
    )


def parse_summary(
    vendor: str, source: AgingSource, context: AgingContext | None = None,
    pm: pluggy.PluginManager | None = None,
) -> ParseSummary:
    return summarize(parse_export(vendor, source, context, pm))


def read_all(
    vendor: str, source: AgingSource, context: AgingContext | None = None,
    pm: pluggy.PluginManager | None = None,
) -> AgingExport:
    """Parse and read every row (what an import needs)."""
    return parse_export(vendor, source, context, pm).materialize()


# --- which vendor ------------------------------------------------------------------------------


async def get_location(session: AsyncSession, practice_id: int, location_id: int) -> Location:
    loc = await session.get(Location, location_id)
    if loc is None or loc.practice_id != practice_id:
        raise NotFound(f"no location {location_id}")
    return loc


async def vendor_for_location(
    session: AsyncSession, practice_id: int, location_id: int,
    pm: pluggy.PluginManager | None = None,
) -> str:
    """The vendor of the practice's aging connector for this location: the one whose config
    names the location, else the only aging connector of the practice."""
    vendors = set(aging_vendors(pm))
    rows = (
        await session.scalars(
            select(Connector).where(Connector.practice_id == practice_id,
                                    Connector.enabled.is_(True)).order_by(Connector.id)
        )
    ).all()
    aging = [c for c in rows if c.plugin in vendors]
    mine = [c for c in aging if (c.config or {}).get("location_id") == location_id]
    unbound = [c for c in aging if (c.config or {}).get("location_id") is None]
    for candidates in (mine, unbound):
        plugins = {c.plugin for c in candidates}
        if len(plugins) == 1:
            return plugins.pop()
        if len(plugins) > 1:
            raise UserError(
                f"several aging connectors could serve location {location_id} "
                f"({', '.join(sorted(plugins))}): give the vendor",
                where="vendor",
            )
    raise UserError(
        f"no vendor given and no aging connector for location {location_id}; give one of "
        f"{', '.join(sorted(vendors))}",
        where="vendor",
    )

