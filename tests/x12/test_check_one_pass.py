"""`x12 check` in one pass gives exactly what the two-pass reference gives, on every sample."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.cli.x12 import check_file, check_file_reference
from gateway.core.x12.errors import X12Error
from gateway.core.x12.generate835 import generate_835
from tests.x12.conftest import X12_FIXTURES

SAMPLES = sorted(p for p in X12_FIXTURES.rglob("*") if p.is_file() and p.suffix != ".md")


def _outcome(check: object, path: Path) -> tuple[str, object]:
    try:
        return "problems", check(str(path))  # type: ignore[operator]  # either check_file
    except X12Error as exc:
        return "error", str(exc)


@pytest.fixture(params=["compiled", "pure"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GATEWAY_PURE_PYTHON", "1" if request.param == "pure" else "0")
    return str(request.param)


def test_conformance_samples_agree(reader: str) -> None:
    assert len(SAMPLES) > 40
    for path in SAMPLES:
        assert _outcome(check_file, path) == _outcome(check_file_reference, path), path.name


def _damage(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def _segments(text: str) -> list[str]:
    return text.split("~")


def _damaged_files() -> dict[str, str]:
    text, _ = generate_835(claims=2500, seed=11)  # three transaction sets
    segs = _segments(text)
    se = [i for i, s in enumerate(segs) if s.startswith("SE*")]
    ge = next(i for i, s in enumerate(segs) if s.startswith("GE*"))
    iea = next(i for i, s in enumerate(segs) if s.startswith("IEA*"))
    st = [i for i, s in enumerate(segs) if s.startswith("ST*")]
    bpr = next(i for i, s in enumerate(segs) if s.startswith("BPR*") and i > st[1])
    clp = next(i for i, s in enumerate(segs) if s.startswith("CLP*") and i > st[1])
    svc = next(i for i, s in enumerate(segs) if s.startswith("SVC*") and i > st[2])

    def edit(index: int, value: str | None) -> str:
        copy = list(segs)
        if value is None:
            del copy[index]
        else:
            copy[index] = value
        return "~".join(copy)

    se01, se02 = segs[se[1]].split("*")[1:3]
    return {
        "clean": text,
        "SE01 count off": edit(se[1], f"SE*{int(se01) + 1}*{se02}"),
        "SE02 mismatch": edit(se[1], f"SE*{se01}*9999"),
        "SE missing": edit(se[1], None),
        "ST02 empty": edit(st[2], "ST*835*"),
        "GE01 count off": edit(ge, "GE*7*" + segs[ge].split("*")[2]),
        "GE02 mismatch": edit(ge, "GE*3*424242"),
        "GE missing": edit(ge, None),
        "IEA01 count off": edit(iea, "IEA*2*" + segs[iea].split("*")[2]),
        "IEA02 mismatch": edit(iea, "IEA*1*000000999"),
        "IEA missing": edit(iea, None),
        "segment between sets": edit(st[1], "REF*EV*OUTSIDE~" + segs[st[1]]),
        "second ISA unclosed": edit(iea, segs[0]),
        "version 4010": _damage(text, "*005010X221A1~", "*004010X091A1~"),
        "GS06 not numeric": edit(1, "*".join(segs[1].split("*")[:6] + ["ABC"]
                                             + segs[1].split("*")[7:])),
        "claim segment between sets": edit(st[2], "CAS*CO*45*1.00~" + segs[st[2]]),
        "truncated in a set": "~".join(segs[: se[2] - 5]) + "~",
        # balancing: the lean compiled pass hands these over to the pure reader to word them
        "payment does not balance": edit(bpr, _bumped(segs[bpr], 2)),
        "claim does not balance": edit(clp, _bumped(segs[clp], 3)),
        "line does not balance": edit(svc, _bumped(segs[svc], 3)),
    }


def _bumped(segment: str, index: int) -> str:
    """The segment with element `index` (an amount) one dollar more."""
    el = segment.split("*")
    el[index] = str(Decimal(el[index]) + 1)
    return "*".join(el)


@pytest.mark.parametrize("name", sorted(_damaged_files()))
def test_damaged_envelopes_agree(name: str, reader: str, tmp_path: Path) -> None:
    path = tmp_path / "damaged.835"
    path.write_text(_damaged_files()[name])
    fast, reference = _outcome(check_file, path), _outcome(check_file_reference, path)
    assert fast == reference
    if name == "clean":
        assert fast == ("problems", [])
    else:
        assert fast != ("problems", []), "the damage went unnoticed"


def test_generated_files_agree(reader: str, tmp_path: Path) -> None:
    for claims, seed in ((1, 1), (25, 7), (1001, 3), (3000, 5)):
        path = tmp_path / f"gen{claims}.835"
        path.write_text(generate_835(claims=claims, seed=seed)[0])
        assert _outcome(check_file, path) == _outcome(check_file_reference, path) == (
            "problems", []), path.name
