"""`era parse --json` from the compiled builder (`remittance_wire`) is byte for byte what the
pure builder (`json835.remittance_json`, encoded by msgspec) gives: on every 835 sample, on
generated files, compact and pretty, and for any amount or text hypothesis makes up."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.cli import root
from gateway.core.x12 import _fast835
from gateway.core.x12.errors import X12Error
from gateway.core.x12.generate835 import generate_835, write_835
from gateway.core.x12.json835 import _claim_json, remittance_json
from gateway.core.x12.model835 import ClaimPayment, Remittance
from gateway.core.x12.reader835 import iter_remittances, read_remittances, remittance_wire
from tests.x12.conftest import X12_FIXTURES

ENCODER = msgspec.json.Encoder()
SAMPLES = sorted(p for folder in ("835", "generated") for p in (X12_FIXTURES / folder).rglob("*")
                 if p.is_file() and p.suffix != ".md")


def _encoded(path: str, build: Callable[[Remittance], Any]) -> list[bytes] | str:
    try:
        return [ENCODER.encode(build(rem)) for rem in iter_remittances(path)]
    except X12Error as exc:  # a broken sample: both ways end at the same error
        return str(exc)


def _pure_bytes(path: str) -> list[bytes] | str:
    return _encoded(path, remittance_json)


def _wire_bytes(path: str) -> list[bytes] | str:
    return _encoded(path, remittance_wire)


def test_the_compiled_builder_is_used() -> None:
    assert _fast835.DIRECT_DECIMALS  # else every amount takes the money_text way
    rem = read_remittances(X12_FIXTURES / "generated/gen835_c25_s7.835")[0]
    assert isinstance(remittance_wire(rem)["claims"], msgspec.Raw)


def test_every_sample_encodes_to_the_same_bytes() -> None:
    assert len(SAMPLES) > 10
    assert sum(isinstance(_pure_bytes(str(p)), list) for p in SAMPLES) > 10
    for path in SAMPLES:
        assert _wire_bytes(str(path)) == _pure_bytes(str(path)), path.name


def test_generated_files_encode_to_the_same_bytes(tmp_path: Path) -> None:
    for claims, seed in ((1, 1), (40, 7), (2500, 3)):
        path = tmp_path / f"gen{claims}.835"
        path.write_text(generate_835(claims=claims, seed=seed)[0])
        assert _wire_bytes(str(path)) == _pure_bytes(str(path))


@pytest.mark.parametrize("pretty", [[], ["--pretty"]], ids=["compact", "pretty"])
def test_the_command_prints_what_the_pure_reader_prints(
    pretty: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "three.835")
    write_835(path, 2500, seed=5)
    args = ["era", "parse", path, "--json", *pretty]
    compiled = CliRunner().invoke(root, args)
    monkeypatch.setenv("GATEWAY_PURE_PYTHON", "1")
    pure = CliRunner().invoke(root, args)
    assert compiled.exit_code == pure.exit_code == 0, compiled.output
    assert compiled.output == pure.output
    assert compiled.output.count("\n") > 1000 if pretty else compiled.output.count("\n") == 1


CLAIM = read_remittances(X12_FIXTURES / "generated/gen835_c25_s7.835")[0].claims[0]
AMOUNTS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9),
    st.builds(lambda d, e: Decimal(d).scaleb(e), st.integers(-10**14, 10**14),
              st.integers(-4, 2)),
    st.sampled_from([Decimal("-0.00"), Decimal("-0"), Decimal("-0.0"), Decimal("0")]),
)


@settings(max_examples=300)
@given(AMOUNTS, AMOUNTS, st.text(), st.text(max_size=3), st.lists(st.text(max_size=2)))
def test_any_amount_or_text_encodes_the_same(
    charge: Decimal, paid: Decimal, control: str, code: str, modifiers: list[str]
) -> None:
    line = msgspec.structs.replace(CLAIM.lines[0], charge=paid, procedure_code=code,
                                   modifiers=tuple(modifiers))
    claim: ClaimPayment = msgspec.structs.replace(
        CLAIM, charge=charge, patient_responsibility=paid, patient_control_number=control,
        lines=[line, *CLAIM.lines[1:]],
    )
    assert _fast835.claims_json([claim]) == ENCODER.encode([_claim_json(claim)])
