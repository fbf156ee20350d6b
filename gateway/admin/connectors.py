"""Connectors: a practice's configured plugins. Configs are validated against the plugin's
Struct; secret fields are split off into `ConnectorSecret`, encrypted there
(`gateway.core.secrets`), and never returned."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core import records
from gateway.core.errors import NotFound, UserError
from gateway.core.plugins import plugin_info
from gateway.core.secrets import seal, seal_all, unseal, unseal_all
from gateway.db.models import Connector, ConnectorSecret
from gateway.jobs.binding import bind_connector_jobs


def validate_config(plugin: str, config: dict[str, Any]) -> Any:
    """The plugin's config Struct built from `config`, or a UserError naming the field."""
    info = plugin_info(plugin)
    if info.config_type is None:
        raise UserError(f"plugin {plugin!r} takes no connector config", where="config")
    try:
        return msgspec.convert(config, info.config_type)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="config") from exc
    except (ValueError, TypeError) as exc:  # __post_init__ checks
        raise UserError(str(exc), where="config") from exc


def _split(plugin: str, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    secret_fields = set(plugin_info(plugin).secret_fields)
    public = {k: v for k, v in config.items() if k not in secret_fields}
    secrets = {k: v for k, v in config.items() if k in secret_fields and v is not None}
    return public, secrets


async def create_connector(
    session: AsyncSession, practice_id: int, plugin: str, name: str, config: dict[str, Any]
) -> int:
    validate_config(plugin, config)
    if await session.scalar(
        select(Connector.id).where(Connector.practice_id == practice_id, Connector.name == name)
    ):
        raise UserError(f"a connector named {name!r} already exists", where="name")
    public, secrets = _split(plugin, config)
    conn = Connector(practice_id=practice_id, plugin=plugin, name=name, config=public)
    session.add(conn)
    await session.flush()
    session.add(ConnectorSecret(connector_id=conn.id, secrets=seal_all(secrets)))
    await session.flush()
    await _schedule_balance_sync(session, conn, config)
    await bind_connector_jobs(session, conn.id)  # the default jobs it feeds, enabled
    return conn.id


async def _schedule_balance_sync(session: AsyncSession, conn: Connector,
                                 config: dict[str, Any]) -> None:
    """A PMS connector with a balance source gets its `sync_balances` job with it."""
    from gateway.balances.schedule import ensure_sync_job

    await ensure_sync_job(session, conn.practice_id, conn.id, conn.name,
                          validate_config(conn.plugin, config))


async def get_connector_row(
    session: AsyncSession, practice_id: int | None, ref: int | str
) -> Connector:
    """A connector by id or by name (names are unique within a practice)."""
    q = select(Connector)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        q = q.where(Connector.id == int(ref))
    else:
        q = q.where(Connector.name == ref)
    if practice_id is not None:
        q = q.where(Connector.practice_id == practice_id)
    rows = (await session.scalars(q)).all()
    if not rows:
        raise NotFound(f"no connector {ref!r}")
    if len(rows) > 1:
        raise UserError(f"several practices have a connector named {ref!r}: give --practice")
    return rows[0]


async def update_connector(
    session: AsyncSession, practice_id: int, ref: int | str, changes: dict[str, Any]
) -> Connector:
    """Merge `changes` into the config; a secret given as null is removed, omitted is kept."""
    conn = await get_connector_row(session, practice_id, ref)
    secret_row = await session.get(ConnectorSecret, conn.id)
    current = {**conn.config, **(unseal_all(secret_row.secrets) if secret_row else {})}
    merged = {**current, **changes}
    merged = {k: v for k, v in merged.items() if v is not None}
    validate_config(conn.plugin, merged)
    public, secrets = _split(conn.plugin, merged)
    conn.config = public
    if secret_row is None:
        session.add(ConnectorSecret(connector_id=conn.id, secrets=seal_all(secrets)))
    else:
        secret_row.secrets = seal_all(secrets)
    await session.flush()
    await _schedule_balance_sync(session, conn, merged)
    return conn


async def load_connector(
    session: AsyncSession, practice_id: int | None, ref: int | str
) -> records.Connector:
    """What a hook receives: the connector with its config Struct, secrets filled in."""
    conn = await get_connector_row(session, practice_id, ref)
    secret_row = await session.get(ConnectorSecret, conn.id)
    secrets = unseal_all(secret_row.secrets) if secret_row else {}
    config = validate_config(conn.plugin, {**conn.config, **secrets})
    return records.Connector(
        id=conn.id, practice_id=conn.practice_id, plugin=conn.plugin, name=conn.name, config=config
    )


async def secret_names(session: AsyncSession, connector_id: int) -> list[str]:
    """Which secrets are set (names only: the values are write-only)."""
    row = await session.get(ConnectorSecret, connector_id)
    return sorted(row.secrets) if row else []


async def reseal_all(session: AsyncSession, old: list[bytes], new: list[bytes]) -> int:
    """Every stored secret decrypted with `old` keys and encrypted with the first of `new`
    (plain values from before encryption are sealed too); the number of connectors."""
    rows = (await session.scalars(select(ConnectorSecret))).all()
    for row in rows:
        row.secrets = {name: seal(unseal(value, old), new) for name, value in row.secrets.items()}
    await session.flush()
    return len(rows)
