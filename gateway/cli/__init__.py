"""The `gateway` command: a stable contract for scripts and scheduled jobs.

Each module in this package contributes its commands through a module-level `register(root)`
function, so a domain adds its commands without editing a central list. The modules are read,
not imported, to list the commands (`_lazy`): a command's module is imported only when it runs,
so `gateway --help` starts without SQLAlchemy or Litestar. Errors end as one line
on stderr: exit 2 for bad input (`UserError`), 1 for a failure, never a traceback.
"""

from __future__ import annotations

import logging
import sys

import click

from gateway.cli._lazy import LazyGroup, register_package
from gateway.core.errors import Failure, UserError

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
    ctx.obj = {"database_url": database_url}


assert isinstance(root, LazyGroup)
register_package(root, __name__, __path__)


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
    except Exception as exc:  # last resort: still one line; the traceback goes to debug logs
        log.debug("unexpected error", exc_info=True)
        click.echo(f"failed: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    sys.exit(0)
