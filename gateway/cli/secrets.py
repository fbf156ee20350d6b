"""`gateway secrets rotate`: a new key for the connector secrets stored in the database."""

from __future__ import annotations

import os

import click

from gateway.admin.connectors import reseal_all
from gateway.cli._util import database_url, emit
from gateway.core import secrets as keys
from gateway.db.engine import session_scope


@click.group()
def secrets() -> None:
    """Connector secrets at rest (Fernet; the key lives outside the database)."""


@secrets.command("rotate")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rotate(ctx: click.Context, as_json: bool) -> None:
    """Re-encrypt every connector secret under a fresh key. With a key file, the file gets
    the new key first (old keys kept until every row is re-encrypted, then dropped); with
    GATEWAY_SECRET_KEY, the new key is printed: put it first in the variable."""
    import asyncio

    new, old = keys.new_key_first()
    from_env = bool(os.environ.get(keys.ENV_KEY, "").strip())
    if not from_env:
        keys.write_key_file(new)  # a crash from here on still decrypts with either key

    async def go() -> int:
        async with session_scope(database_url(ctx)) as session:
            return await reseal_all(session, old, new)

    count = asyncio.run(go())
    if not from_env:
        keys.write_key_file(new[:1])
    result = {"connectors": count, "key_file": None if from_env else str(keys.key_file())}
    if from_env:
        result["new_key"] = new[0].decode()
    emit(result, as_json, lambda r: f"re-encrypted the secrets of {r['connectors']} "
         f"connector(s); " + (f"new key written to {r['key_file']}" if r["key_file"]
                              else f"set GATEWAY_SECRET_KEY={r['new_key']}"))


def register(root: click.Group) -> None:
    root.add_command(secrets)
