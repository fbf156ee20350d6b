"""`gateway demo`: seed a demo practice so a newcomer has something to look at."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli._util import emit, in_session


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".data/demo"), show_default=True,
              help="Where the demo connector's local folders live.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def demo(ctx: click.Context, data_dir: Path, as_json: bool) -> None:
    """Create the demo practice (once) and print an admin API key for it."""
    from gateway.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    result = in_session(ctx, lambda s: seed_demo(s, data_dir.resolve()))
    emit(result, as_json, lambda r: (
        f"demo practice {r.practice_id} {'created' if r.created else 'already there'}\n"
        f"admin API key (shown once): {r.admin_key}\n"
        f"page sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
        f"try: curl -H 'Authorization: Bearer {r.admin_key}' http://127.0.0.1:8000/api/claims"))


def register(root: click.Group) -> None:
    root.add_command(demo)
