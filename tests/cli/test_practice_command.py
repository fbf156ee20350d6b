"""The shared command pieces of gateway/cli/_util.py: `practice_command` gives every practice
command the same --practice / --json options, and the lazy root knows a module that adds
commands to another module's group through it."""

from __future__ import annotations

import click
from click.testing import CliRunner

from gateway.cli._lazy import read_module
from gateway.cli._util import practice_command


def _group() -> click.Group:
    @click.group()
    def things() -> None:
        """Things."""

    @practice_command(things, "show")
    @click.argument("thing_id", type=int)
    def show(ctx: click.Context, practice_id: int, thing_id: int, as_json: bool) -> None:
        """Show a thing."""
        click.echo(f"{ctx.command.name} {practice_id} {thing_id} {as_json}")

    return things


def test_practice_command_takes_the_context_practice_and_json():
    runner = CliRunner()
    ok = runner.invoke(_group(), ["show", "--practice", "3", "7", "--json"])
    assert ok.exit_code == 0 and ok.output == "show 3 7 True\n"
    plain = runner.invoke(_group(), ["show", "--practice", "3", "7"])
    assert plain.output == "show 3 7 False\n"
    missing = runner.invoke(_group(), ["show", "7"])
    assert missing.exit_code == 2 and "--practice" in missing.output


def test_the_lazy_root_reads_practice_command_as_extending_a_group():
    source = (
        "import click\n"
        "from gateway.cli.admin import claims\n"
        "from gateway.cli._util import practice_command\n"
        "@practice_command(claims, 'release')\n"
        "def claims_release(ctx, practice_id, as_json):\n"
        "    'Release.'\n"
        "def register(root):\n"
        "    pass\n"
    )
    assert read_module("m", source).extends == {"claims"}
