"""`gateway print-batches`: the paper claims' CMS-1500 print batches: list, PDF, printed,
mailed, and how many claim batches wait to be sent or printed."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.cli._util import emit, in_session


@click.group("print-batches")
def print_batches() -> None:
    """Print batches of paper claims (CMS-1500): list, PDF, mark printed, mark mailed."""


@print_batches.command("list")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--status", type=click.Choice(["built", "printed", "mailed"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def pb_list(ctx: click.Context, practice_id: int, status: str | None, as_json: bool) -> None:
    """The practice's print batches, newest first."""
    from gateway.paper.schemas import PrintBatchOut, print_batch_out
    from gateway.paper.service import list_print_batches

    async def listed(s: AsyncSession) -> list[PrintBatchOut]:
        rows, _ = await list_print_batches(s, practice_id, (status,) if status else None,
                                           limit=1000)
        return [print_batch_out(b) for b in rows]

    emit(in_session(ctx, listed), as_json, lambda rows: "\n".join(
        f"{b.id:>5} {b.name:<36} {b.status:<8} {b.claim_count:>5} claims {b.page_count:>5} "
        f"pages" for b in rows) or "no print batches")


@print_batches.command("pdf")
@click.argument("batch_id", type=int)
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--form", type=click.Choice(["preprinted", "plain"]), default="preprinted",
              show_default=True, help="preprinted: data for the red form; plain: whole form")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.pass_context
def pb_pdf(ctx: click.Context, batch_id: int, practice_id: int, form: str,
           out_path: str) -> None:
    """Write the batch's CMS-1500 forms to a PDF file."""
    from gateway.paper.service import batch_pdf

    _, data = in_session(ctx, lambda s: batch_pdf(s, practice_id, batch_id, form))
    Path(out_path).write_bytes(data)
    size = len(data)
    click.echo(f"{out_path}: {size} bytes")


def _mark(to: str) -> click.Command:
    @click.argument("batch_id", type=int)
    @click.option("--practice", "practice_id", required=True, type=int)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_context
    def command(ctx: click.Context, batch_id: int, practice_id: int, as_json: bool) -> None:
        from gateway.paper import service
        from gateway.paper.schemas import PrintBatchOut, print_batch_out

        mark = service.mark_printed if to == "printed" else service.mark_mailed

        async def marked(s: AsyncSession) -> PrintBatchOut:
            return print_batch_out(await mark(s, practice_id, batch_id, actor="cli"))

        emit(in_session(ctx, marked), as_json, lambda b: f"print batch {b.id} {b.status}")

    command.__doc__ = ("Mark a built batch printed (audited)." if to == "printed" else
                       "Mark a printed batch mailed (audited): its claims are billed.")
    return click.command(to)(command)


print_batches.add_command(_mark("printed"))
print_batches.add_command(_mark("mailed"))


@print_batches.command("waiting")
@click.option("--practice", "practice_id", required=True, type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def pb_waiting(ctx: click.Context, practice_id: int, as_json: bool) -> None:
    """How many claim batches wait to be sent (electronic), printed or mailed."""
    from gateway.paper.service import waiting_batches

    counts = in_session(ctx, lambda s: waiting_batches(s, practice_id))
    emit(counts, as_json, lambda w: f"{w.total} waiting: {w.to_send} to send, "
         f"{w.to_print} to print, {w.to_mail} to mail")


def register(root: click.Group) -> None:
    root.add_command(print_batches)
