"""Small helpers shared by the command modules: JSON output, running coroutines in one
database session, the options every practice command takes."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def emit(data: Any, as_json: bool, human: Callable[[Any], str] | None = None) -> None:
    """Print `data` as JSON (stable, for scripts) or as a short human text."""
    if as_json:
        click.echo(msgspec.json.encode(data, enc_hook=_enc_hook).decode())
    elif human is not None:
        click.echo(human(data))
    else:
        click.echo(json.dumps(msgspec.to_builtins(data, enc_hook=_enc_hook), indent=2))


def emit_json_stream(items: Iterable[Any], pretty: bool = False) -> int:
    """Print `items` as one JSON array, encoding and writing one item at a time.

    Memory stays that of one item however many there are (an 835's transaction sets, a long
    listing). Compact by default; `pretty` indents by two spaces exactly as
    `json.dumps(items, indent=2)` does (non-ASCII text is written as UTF-8, not escaped).
    Returns how many items were written.
    """
    sys.stdout.flush()
    out = sys.stdout.buffer
    encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
    opening, between, closing = (b"[\n  ", b",\n  ", b"\n]\n") if pretty else (b"[", b",", b"]\n")
    count = 0
    for item in items:
        chunk = encoder.encode(item)
        if pretty:  # JSON strings hold no raw newline, so every newline here is layout
            chunk = msgspec.json.format(chunk, indent=2).replace(b"\n", b"\n  ")
        out.write(between if count else opening)
        out.write(chunk)
        count += 1
    out.write(closing if count else b"[]\n")
    out.flush()
    return count


def _enc_hook(obj: Any) -> Any:
    # Decimals never get here: msgspec writes them as strings itself (amounts are quantized
    # to cents before they are emitted, so they print with two decimals).
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


def run(coro_fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run an async service function from a click command."""
    import asyncio  # here: the commands that read files only (x12, era) never need it

    return asyncio.run(coro_fn(*args, **kwargs))  # type: ignore[arg-type]


def in_session(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction of the command's database (committed when it returns,
    rolled back when it raises); what it returns must not need the session any more."""
    from gateway.db.engine import session_scope  # here: file-only commands never load it

    async def go() -> T:
        async with session_scope(database_url(ctx)) as session:
            return await work(session)

    return run(go)


def practice_command(
    group: click.Group, name: str
) -> Callable[[Callable[..., None]], click.Command]:
    """`group`'s command `name` taking what every practice command takes: the click context
    (first), `--practice` (required, as `practice_id`) and `--json` (as `as_json`)."""

    def make(fn: Callable[..., None]) -> click.Command:
        fn = click.pass_context(fn)
        fn = click.option("--json", "as_json", is_flag=True)(fn)
        fn = click.option("--practice", "practice_id", required=True, type=int)(fn)
        return group.command(name)(fn)

    return make


def iso_date(_: Any, __: Any, value: str | None) -> dt.date | None:
    """click callback: an optional YYYY-MM-DD option as a date, or a usage error."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from exc


def database_url(ctx: click.Context) -> str | None:
    """The --database-url given to the root group (or its environment variable)."""
    root = ctx.find_root()
    return (root.obj or {}).get("database_url")
