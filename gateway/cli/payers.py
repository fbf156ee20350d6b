"""`gateway payers list|link|merge`: the practice's payers, their aliases, merging duplicates
(the same audited services as `/api/payers`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import select

from gateway.cli._util import emit, in_session, practice_command

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ACTOR = "cli"


@click.group()
def payers() -> None:
    """Payers, aliases and merges."""


@practice_command(payers, "list")
def list_cmd(ctx: click.Context, practice_id: int, as_json: bool) -> None:
    """The practice's payers with their aliases."""
    from gateway.admin.payers import list_aliases
    from gateway.db.models import Payer

    async def listing(s: AsyncSession) -> list[dict[str, Any]]:
        rows = (await s.scalars(select(Payer).where(Payer.practice_id == practice_id)
                                .order_by(Payer.name))).all()
        aliases = await list_aliases(s, practice_id)
        return [{"id": p.id, "name": p.name, "payer_id": p.payer_id, "status": p.status,
                 "aliases": [{"kind": a.kind, "alias": a.alias} for a in aliases
                             if a.payer_id == p.id]} for p in rows]

    emit(in_session(ctx, listing), as_json, lambda rows: "\n".join(
        f"{r['id']:>5} {r['name']} ({r['payer_id'] or '-'})"
        + "".join(f"\n        {a['kind']}: {a['alias']}" for a in r["aliases"]) for r in rows))


@practice_command(payers, "link")
@click.argument("payer_pk", type=int)
@click.option("--era-name", default=None, help="The payer name an ERA uses (N1*PR).")
@click.option("--era-payer-id", default=None, help="The payer id an ERA uses.")
@click.option("--aging-name", default=None, help="The name an aging export uses.")
def link_cmd(ctx: click.Context, payer_pk: int, practice_id: int, era_name: str | None,
             era_payer_id: str | None, aging_name: str | None, as_json: bool) -> None:
    """Remember that an ERA payer / aging name is payer PAYER_PK (every later ERA and upload)."""
    from gateway.admin.payers import link_alias

    linked = in_session(ctx, lambda s: link_alias(
        s, practice_id, payer_pk, actor=ACTOR, era_name=era_name, era_payer_id=era_payer_id,
        aging_name=aging_name))
    rows = [{"kind": a.kind, "alias": a.alias, "payer_id": a.payer_id} for a in linked]
    emit(rows, as_json, lambda rows: f"payer {payer_pk}: {len(rows)} aliases")


@practice_command(payers, "merge")
@click.argument("survivor_pk", type=int)
@click.argument("duplicate_pk", type=int)
def merge_cmd(ctx: click.Context, survivor_pk: int, duplicate_pk: int, practice_id: int,
              as_json: bool) -> None:
    """Fold payer DUPLICATE_PK into SURVIVOR_PK (claims, deposits, rules, coverages follow)."""
    from gateway.admin.payer_merge import merge_payers

    merged = in_session(
        ctx, lambda s: merge_payers(s, practice_id, survivor_pk, duplicate_pk, actor=ACTOR))
    emit(merged, as_json, lambda r: f"payer {r['duplicate_id']} merged into "
         f"{r['survivor_id']}: " + (", ".join(f"{k} {v}" for k, v in r["moved"].items())
                                    or "nothing pointed at it"))


def register(root: click.Group) -> None:
    root.add_command(payers)
