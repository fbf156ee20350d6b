"""Small helpers shared by the command modules: JSON output, running coroutines."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import msgspec

T = TypeVar("T")


def emit(data: Any, as_json: bool, human: Callable[[Any], str] | None = None) -> None:
    """Print `data` as JSON (stable, for scripts) or as a short human text."""
    if as_json:
        click.echo(msgspec.json.encode(data, enc_hook=_enc_hook).decode())
    elif human is not None:
        click.echo(human(data))
    else:
        click.echo(json.dumps(msgspec.to_builtins(data, enc_hook=_enc_hook), indent=2))


def _enc_hook(obj: Any) -> Any:
    from decimal import Decimal

    from gateway.core.money import format_money

    if isinstance(obj, Decimal):
        return format_money(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


def run(coro_fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run an async service function from a click command."""
    return asyncio.run(coro_fn(*args, **kwargs))  # type: ignore[arg-type]


def database_url(ctx: click.Context) -> str | None:
    """The --database-url given to the root group (or its environment variable)."""
    root = ctx.find_root()
    return (root.obj or {}).get("database_url")
