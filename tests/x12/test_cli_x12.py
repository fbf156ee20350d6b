"""`gateway era parse` and `gateway x12 check`: output shape and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from gateway.cli import root
from gateway.cli.x12 import era
from tests.x12.conftest import X12_FIXTURES

GATEWAY = [sys.executable, "-m", "gateway"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATEWAY, *args], capture_output=True, text=True, timeout=60)


def test_era_parse_json_end_to_end() -> None:
    proc = run("era", "parse", str(X12_FIXTURES / "generated/gen835_c25_s7.835"), "--json")
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)
    assert item["payer"] == {"name": "MEDICARE PART B JURISDICTION F", "id": "03402"}
    assert item["payment"]["amount"] == "1148.89" and item["trace_number"] == "1471213455"
    assert item["balanced"] is True and item["problems"] == []
    assert len(item["claims"]) == 25
    line = item["claims"][0]["lines"][0]
    assert line["adjustments"][2] == {"group": "PR", "reason": "1", "amount": "50.00"}
    assert item["provider_adjustments"] == [
        {"reason": "WO", "reference": "66242540000020002", "amount": "32.56"}]


def test_era_parse_bad_file_exits_2_with_one_line() -> None:
    proc = run("era", "parse", str(X12_FIXTURES / "835/oopfactory_4010_Example1_GripElements.txt"))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "4010" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_x12_check_exit_codes() -> None:
    clean = run("x12", "check", str(X12_FIXTURES / "999/imsweb_x12_999_rejected.txt"))
    assert clean.returncode == 0 and clean.stdout.strip().endswith(": ok")
    bad = run("x12", "check", str(X12_FIXTURES / "999/imsweb_x12_999_accepted.txt"))
    assert bad.returncode == 2
    assert "IEA02 '000000001' does not match ISA13 '000000286'" in bad.stdout
    assert "1 problem(s)" in bad.stderr


def test_x12_check_reports_balancing_problems(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(root, ["x12", "check", str(X12_FIXTURES / "generated/gen835_c25_s7.835")])
    assert ok.exit_code == 0, ok.output
    tertiary = str(X12_FIXTURES / "835/lfh_tertiary-payment.835")
    result = runner.invoke(root, ["x12", "check", tertiary])
    assert result.exit_code != 0
    assert "charge 24599.00 - paid 1766.50" in result.output


def test_era_parse_human_output() -> None:
    medicare = str(X12_FIXTURES / "835/lfh_medicare-part-a.835")
    result = CliRunner().invoke(root, ["era", "parse", medicare])
    assert result.exit_code == 0, result.output
    assert "INSURANCE COMPANY OF TIMBUCKTU" in result.output
    assert "provider adjustment CV CP: -1.27" in result.output


def test_era_group_can_be_extended() -> None:
    @era.command("hello-test")
    def hello() -> None:
        click.echo("extended")

    try:
        result = CliRunner().invoke(root, ["era", "hello-test"])
        assert result.output == "extended\n"
    finally:
        era.commands.pop("hello-test")
