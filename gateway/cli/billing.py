"""`gateway claims release|update`: a biller's billing-state and workflow changes from the shell
(the same audited services as `POST /api/claims/{id}/release` and `PATCH /api/claims/{id}`).
The commands join the `claims` group the foundation module defines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click
import msgspec

from gateway.cli._util import emit, in_session, iso_date, practice_command
from gateway.cli.admin import claims
from gateway.core.errors import UserError

if TYPE_CHECKING:  # the database layers load only when a command runs (fast `--help`)
    from sqlalchemy.ext.asyncio import AsyncSession

    from gateway.ledger.schemas import ClaimOut


def _changed(ctx: click.Context, practice_id: int, claim_id: int,
             change: Callable[[AsyncSession], Awaitable[None]]) -> ClaimOut:
    """Make `change` to the claim and read it back, in one transaction."""
    from gateway.ledger import service as claim_svc

    async def change_and_show(s: AsyncSession) -> ClaimOut:
        await change(s)
        return await claim_svc.show_claim(s, practice_id, claim_id)

    return in_session(ctx, change_and_show)


def _human(c: ClaimOut) -> str:
    return (f"claim {c.id} ({c.patient_control_number}) {c.level}/{c.status}"
            f"{' / ' + c.sub_status if c.sub_status else ''}: billing state {c.billing_state}")


@practice_command(claims, "release")
@click.argument("claim_id", type=int)
@click.option("--note", default=None, help="What was corrected (kept in the audit log).")
def claims_release(ctx: click.Context, claim_id: int, practice_id: int, note: str | None,
                   as_json: bool) -> None:
    """Release a corrected rejected claim: unbilled again, so the next batch sends it."""
    from gateway.ledger import billing

    async def release(s: AsyncSession) -> None:
        await billing.release_claim(s, practice_id, claim_id, actor="cli", note=note)

    emit(_changed(ctx, practice_id, claim_id, release), as_json, _human)


@practice_command(claims, "update")
@click.argument("claim_id", type=int)
@click.option("--status", default=None)
@click.option("--level", default=None)
@click.option("--sub-status", default=None, help="Text, or '' to clear it.")
@click.option("--invoice-date", default=None, callback=iso_date, help="YYYY-MM-DD")
def claims_update(ctx: click.Context, claim_id: int, practice_id: int, status: str | None,
                  level: str | None, sub_status: str | None, invoice_date: dt.date | None,
                  as_json: bool) -> None:
    """Change a claim's status, level, sub-status or invoice date (audited)."""
    fields: dict[str, object] = {k: v for k, v in (("status", status), ("level", level),
                                                   ("invoice_date", invoice_date)) if v is not None}
    if sub_status is not None:
        fields["sub_status"] = sub_status or None
    try:
        from gateway.ledger.schemas import ClaimUpdate

        changes = msgspec.convert(fields, ClaimUpdate)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="options") from exc

    from gateway.ledger import billing

    async def update(s: AsyncSession) -> None:
        await billing.update_claim(s, practice_id, claim_id, changes, actor="cli")

    emit(_changed(ctx, practice_id, claim_id, update), as_json, _human)


def register(root: click.Group) -> None:
    """Nothing to add at the root: the commands above join `claims` (gateway/cli/admin.py)
    when this module is imported, which the lazy root does only when `claims` is used."""
