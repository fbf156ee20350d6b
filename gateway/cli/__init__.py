"""The `gateway` command: a stable contract for scripts and scheduled jobs.

Each module in this package contributes its commands through a module-level `register(root)`
function, so a domain adds its commands without editing a central list. The modules are read,
not imported, to list the commands (`_lazy`): a command's module is imported only when it runs,
so `gateway --help` starts without SQLAlchemy or Litestar. Errors end as one line
on stderr: exit 2 for bad input (`UserError`), 1 for a failure, never a traceback.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from typing import Any

import click

from gateway.cli._lazy import LazyGroup, register_package
from gateway.core.errors import Failure, UserError, raised_at

log = logging.getLogger("gateway.cli")


@click.group(cls=LazyGroup)
@click.option(
    "--database-url",
    envvar="GATEWAY_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL; default GATEWAY_DATABASE_URL or sqlite file ./gateway.db.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages to stderr.")
@click.pass_context
def root(ctx: click.Context, database_url: str | None, verbose: bool) -> None:
    """Eye-care integration gateway."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # SQL statements at -v, never their values (the engine hides parameters too)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO if verbose else logging.WARNING)
    ctx.obj = {"database_url": database_url}


class RegularFile(click.Path):
    """A `click.Path` that refuses an existing path that is not a regular file (a device such
    as /dev/zero, a FIFO, a socket) at once, instead of hanging or reading forever."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        if path == "-" and self.allow_dash:
            return path
        try:
            mode = os.stat(os.fsdecode(path)).st_mode
        except OSError:
            return path  # missing: the command's own check (exists=...) decides
        if not stat.S_ISREG(mode):
            self.fail(f"{os.fsdecode(path)!r} is not a regular file", param, ctx)
        return path


def _regular_files_only(command: click.Command) -> None:
    """Every file argument of every command (not folders) becomes a `RegularFile`."""
    for param in command.params:
        kind = param.type
        if isinstance(kind, click.Path) and not isinstance(kind, RegularFile) and not kind.dir_okay:
            regular = RegularFile(exists=kind.exists, dir_okay=False, writable=kind.writable,
                                  readable=kind.readable, resolve_path=kind.resolve_path,
                                  allow_dash=kind.allow_dash, path_type=kind.type)
            param.type = regular
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _regular_files_only(sub)


assert isinstance(root, LazyGroup)
register_package(root, __name__, __path__)
root.on_load = _regular_files_only  # each command as it is loaded (most never are)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the group and turns errors into one line and an exit code."""
    try:
        root.main(args=argv, standalone_mode=False, prog_name="gateway")
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError | click.BadParameter) else exc.exit_code)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Failure as exc:
        click.echo(f"failed: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # last resort: one line naming the type, never the values
        log.debug("unexpected %s at %s", type(exc).__name__, raised_at(exc))
        click.echo(f"failed: {type(exc).__name__} (run with -v for where)", err=True)
        sys.exit(1)
    sys.exit(0)
