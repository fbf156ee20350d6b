"""X12 commands: `gateway era parse FILE [--json]` and `gateway x12 check FILE`.

`era` is a click group that other modules extend (e.g. ``era import``)::

    from gateway.cli.x12 import era

    @era.command("import")
    def import_(...): ...

Bad X12 raises `X12Error` (a `UserError`): the main wrapper prints one line and exits 2.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import click

from gateway.cli._util import emit_json_stream
from gateway.core.errors import UserError
from gateway.core.money import format_money
from gateway.core.x12.errors import X12Error
from gateway.core.x12.model835 import Remittance
from gateway.core.x12.reader835 import iter_remittances, remittance_json, remittance_wire

_FILE = click.Path(exists=True, dir_okay=False, readable=True)


@click.group()
def era() -> None:
    """Electronic remittance advice (835) files."""


@era.command("parse")
@click.argument("file", type=_FILE)
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON array: one object per transaction."
)
@click.option("--pretty", is_flag=True, help="With --json: indent by two spaces.")
def era_parse(file: str, as_json: bool, pretty: bool) -> None:
    """Read an 835 file and print its payments, claims and balancing problems.

    Exit 0 when the file reads (balancing problems are listed in the output, not an error),
    2 when it is not a valid 835. Output is written one transaction at a time, so a bad
    transaction late in the file ends the output there with exit 2 and an error line.
    """
    if as_json:
        emit_json_stream(_transactions_json(file, remittance_wire), pretty=pretty)
        return
    for item in _transactions_json(file, remittance_json):
        click.echo(_human(item))


def _transactions_json(
    file: str, build: Callable[[Remittance], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """One transaction's JSON object at a time (`build`: `remittance_json`'s dicts, or its
    wire form for msgspec to encode), built with the cyclic collector paused.

    The objects are trees of dicts and strings (no cycles to collect); building a big
    transaction otherwise triggers thousands of useless collections (a fifth of the time).
    """
    for rem in iter_remittances(file):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            item = build(rem)
        finally:
            if was_enabled:
                gc.enable()
        yield item


def _human(item: dict[str, Any]) -> str:
    pay = item["payment"]
    lines = [
        f"payer {item['payer']['name']} ({item['payer']['id']}), trace {item['trace_number']}: "
        f"{pay['amount']} {pay['credit_debit']} by {pay['method']} on {pay['date']} "
        f"({len(item['claims'])} claims, {'balanced' if item['balanced'] else 'NOT balanced'})"
    ]
    for c in item["claims"]:
        lines.append(
            f"  claim {c['patient_control_number']} status {c['status_code']}: charge "
            f"{c['charge']} paid {c['paid']} patient {c['patient_responsibility']} "
            f"({len(c['lines'])} lines)"
        )
    for p in item["provider_adjustments"]:
        lines.append(f"  provider adjustment {p['reason']} {p['reference']}: {p['amount']}")
    lines.extend(f"  problem: {p}" for p in item["problems"])
    return "\n".join(lines)


@click.group()
def x12() -> None:
    """X12 EDI files (835, 837P, 999, 277CA)."""


@x12.command("check")
@click.argument("file", type=_FILE)
def x12_check(file: str) -> None:
    """Check envelopes (ISA/GS/ST control numbers and counts) and, for 835s, balancing.

    Exit 0 when clean, 2 when there are problems (listed on stdout, one per line).
    """
    problems = check_file(file)
    if problems:
        for p in problems:
            click.echo(p)
        raise UserError(f"{len(problems)} problem(s) found", where=file)
    click.echo(f"{file}: ok")


def check_file(file: str) -> list[str]:
    """Envelope problems of any X12 file, then 835 balancing problems; [] when clean.

    One pass for the usual case, a clean 835: the 835 reader (the compiled one when built)
    checks every ISA/GS/ST/SE/GE/IEA as it reads, strictly, so reading to the end without an
    error proves the envelopes clean, and the balancing problems come from that same pass.
    Anything else (a damaged envelope, another transaction type, a bad segment) it hands
    over to `check_file_reference`, which lists every envelope problem.
    """
    problems: list[str] = []
    try:
        for rem in iter_remittances(file, lean=True):
            problems.extend(_balancing(file, rem))
    except X12Error:
        return check_file_reference(file)
    return problems


def check_file_reference(file: str) -> list[str]:
    """The two-pass check: every envelope problem (pure Python), then the 835's balancing."""
    from gateway.core.x12.tokenizer import Envelope, iter_segments

    env = Envelope(strict=False, file=file)
    sets: set[str] = set()
    try:
        for _, el in iter_segments(file, envelope=env):
            if el[0] == "ST" and len(el) > 1:
                sets.add(el[1])
    except X12Error as exc:
        return env.problems + [str(exc)]
    if env.problems:
        return env.problems
    if sets == {"835"}:
        problems: list[str] = []
        for rem in iter_remittances(file):
            problems.extend(_balancing(file, rem))
        return problems
    return []


def _balancing(file: str, rem: Remittance) -> Iterator[str]:
    return (
        f"{file}: transaction {rem.control_number} (payment "
        f"{format_money(rem.amount)}): {p}"
        for p in rem.problems
    )


def register(root: click.Group) -> None:
    root.add_command(era)
    root.add_command(x12)
