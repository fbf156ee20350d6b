"""`gateway --help` starts without the heavy libraries, and its list matches the real commands."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from gateway.cli import root
from gateway.cli._lazy import LazyGroup, _Unreadable, read_module
from tests.x12.conftest import X12_FIXTURES

_SAMPLE = X12_FIXTURES / "generated/gen835_c25_s7.835"

_PROBE = """
import sys
from gateway.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"litestar", "sqlalchemy", "openpyxl",
                                                          "paramiko", "uvicorn"})
print("HEAVY", ",".join(heavy))
"""


def test_help_imports_no_heavy_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout
    assert "Commands:" in out and "era" in out and "deposits" in out
    assert out.strip().splitlines()[-1] == "HEAVY"


def test_every_listed_command_is_the_real_one() -> None:
    assert isinstance(root, LazyGroup)
    ctx = click.Context(root)
    stubs = dict(root._stubs)
    assert {"era", "x12", "deposits", "aging", "serve"} <= set(stubs)
    for name, stub in stubs.items():
        real = root.get_command(ctx, name)
        assert real is not None and real is not stub, name
        assert real.name == name
        assert real.get_short_help_str() == stub.get_short_help_str(), name
        assert isinstance(real, click.Group) == isinstance(stub, click.Group), name
    era = root.get_command(ctx, "era")
    assert isinstance(era, click.Group) and {"parse", "import"} <= set(era.commands)


def test_a_register_it_cannot_follow_is_unreadable() -> None:
    source = "import click\ndef register(root):\n    root.add_command(make())\n"
    with pytest.raises(_Unreadable):
        read_module("m", source)
    with pytest.raises(_Unreadable):
        read_module("m", "import click\n")


def test_reads_names_docs_loops_and_extensions() -> None:
    source = '''
import click
from elsewhere import era

@click.group("things")
def things_group():
    """Things to do.

    More."""

@click.command()
def do_it_command():
    """Does it."""

@click.command("sub")
def sub():
    """A subcommand of someone else's group."""

def register(root):
    for command in (things_group, do_it_command):
        root.add_command(command)
    era.add_command(sub)
'''
    found = read_module("m", source)
    assert sorted(found.stubs) == ["do-it", "things"]
    assert found.stubs["things"].get_short_help_str() == "Things to do."
    assert found.extends == {"era"}


def test_era_parse_does_not_import_what_era_import_needs() -> None:
    probe = (
        "import sys\nfrom gateway.cli import main\n"
        f"sys.argv = ['gateway', 'era', 'parse', {str(_SAMPLE)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print('CODE', code, 'SQLA', 'sqlalchemy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "CODE 0 SQLA False"
    listing = subprocess.run(
        [sys.executable, "-m", "gateway", "era", "--help"], capture_output=True, text=True
    ).stdout
    assert "import" in listing and "parse" in listing


def test_a_decorator_on_an_imported_group_extends_it() -> None:
    source = (
        "import click\nfrom gateway.cli.x12 import era\n\n"
        "@click.group()\ndef local():\n    'Mine.'\n\n"
        "@local.command('sub')\ndef sub():\n    'Sub.'\n\n"
        "@era.command('extra')\ndef extra():\n    'Extra.'\n\n"
        "def register(root):\n    root.add_command(local)\n"
    )
    found = read_module("m", source)
    assert found.extends == {"era"}
    assert sorted(found.stubs) == ["local"]
