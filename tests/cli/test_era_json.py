"""`gateway era parse --json` streams: the same JSON as the old whole-file `json.dumps`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gateway.cli import root
from gateway.cli._util import emit_json_stream
from gateway.core.x12.generate835 import write_835
from gateway.core.x12.reader835 import iter_remittances, remittance_json
from tests.x12.conftest import X12_FIXTURES

SAMPLES = [
    X12_FIXTURES / "generated/gen835_c25_s7.835",
    X12_FIXTURES / "835/lfh_medicare-part-a.835",
    X12_FIXTURES / "835/lfh_tertiary-payment.835",
]


def _old_output(path: str) -> str:
    """What `era parse --json` printed before it streamed."""
    return json.dumps([remittance_json(r) for r in iter_remittances(path)], indent=2) + "\n"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_pretty_is_byte_for_byte_the_old_output(path: Path) -> None:
    result = CliRunner().invoke(root, ["era", "parse", str(path), "--json", "--pretty"])
    assert result.exit_code == 0, result.output
    assert result.output == _old_output(str(path))


def test_compact_is_the_same_json_over_several_transactions(tmp_path: Path) -> None:
    path = str(tmp_path / "three.835")
    write_835(path, 2500, seed=3)  # 1000 claims per transaction set: three of them
    result = CliRunner().invoke(root, ["era", "parse", path, "--json"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1  # compact: one line
    parsed = json.loads(result.output)
    assert len(parsed) == 3
    assert parsed == json.loads(_old_output(path))


def test_no_items_is_an_empty_array_both_ways() -> None:
    @click.command()
    @click.option("--pretty", is_flag=True)
    def empty(pretty: bool) -> None:
        emit_json_stream(iter(()), pretty=pretty)

    assert CliRunner().invoke(empty, []).output == "[]\n"
    assert CliRunner().invoke(empty, ["--pretty"]).output == json.dumps([], indent=2) + "\n"
