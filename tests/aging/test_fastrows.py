"""`fastrows` builds exactly the rows the reader's general path builds, and stops where it must.

Every file is read three ways: the general path alone, with `fastrows` as imported (compiled
when the build compiled it) and with `fastrows` interpreted from its source; rows (raw cells
included), problems and unreadable claims must be the same.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.aging import fastrows
from gateway.aging import rows as aging_rows
from gateway.aging.profile import NOISE_RE
from gateway.core.plugins import get_plugin_manager
from gateway.core.records import AgingContext, AgingSource
from tests.aging.helpers import FIXTURES

VENDORS = ("compulink", "crystalpm", "officemate", "revolutionehr", "eyefinity")
FIXTURE_VENDORS = [
    ("compulink", "compulink_ins_receivables.xls"),
    ("compulink", "compulink_ins_receivables_xml.xls"),
    ("crystalpm", "crystalpm_insurance_receivable.csv"),
    ("eyefinity", "eyefinity_ar_detail.xls"),
    ("eyefinity", "eyefinity_ar_detail_html.xls"),
    ("officemate", "officemate_insurance_aging.csv"),
    ("revolutionehr", "revolutionehr_aging.csv"),
]


@pytest.fixture(autouse=True)
def aging_path() -> str:
    """Overrides the package's two-way fixture: these tests choose the path themselves."""
    return "chosen per read"


def _interpreted() -> ModuleType:
    path = Path(fastrows.__file__).with_name("fastrows.py")
    spec = importlib.util.spec_from_file_location("fastrows_interpreted", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not module.COMPILED
    return module


INTERPRETED = _interpreted()


def read(vendor: str, content: bytes, way: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(aging_rows, "_use_compiled", lambda: way != "general")
        if way == "interpreted":
            m.setattr(aging_rows, "fastrows", INTERPRETED)
        export = get_plugin_manager().hook.gateway_parse_aging_export(
            vendor=vendor, source=AgingSource(name="upload", content=content),
            context=AgingContext(),
        )
        export.materialize()
    return (
        msgspec.to_builtins(export.rows),
        msgspec.to_builtins(export.problems),
        list(export.unreadable),
    )


def assert_same_three_ways(vendor: str, content: bytes, monkeypatch: pytest.MonkeyPatch) -> Any:
    general = read(vendor, content, "general", monkeypatch)
    assert read(vendor, content, "fastrows", monkeypatch) == general
    assert read(vendor, content, "interpreted", monkeypatch) == general
    return general


@pytest.mark.parametrize(("vendor", "name"), FIXTURE_VENDORS)
def test_vendor_fixtures_read_the_same_every_way(
    vendor: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, _, _ = assert_same_three_ways(vendor, (FIXTURES / name).read_bytes(), monkeypatch)
    assert rows


def test_plain_rows_go_through_fastrows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a stub: on a plain file the fast path builds every row itself."""
    calls: list[int] = []
    built: list[int] = []
    real = INTERPRETED.plain_rows

    def spy(block: list, start: int, cols: Any, totals: Any, out: list) -> int:
        calls.append(start)
        before = len(out)
        stop = real(block, start, cols, totals, out)
        built.append(len(out) - before)
        return stop

    content = _csv([HEADER] + [_plain(i) for i in range(1200)])
    monkeypatch.setattr(INTERPRETED, "plain_rows", spy)
    rows, problems, _ = read("compulink", content, "interpreted", monkeypatch)
    assert len(rows) == 1200 and not problems
    assert sum(built) == 1200  # none left to the general path
    # one run per block of the reader
    assert calls == [0] * -(-1200 // aging_rows.BLOCK_ROWS)


def test_labels_and_stamps_never_start_with_a_digit() -> None:
    """What lets `fastrows` skip the noise and group-header patterns for rows whose first cell
    starts with a digit."""
    for vendor in VENDORS:
        module = importlib.import_module(f"gateway.plugins.{vendor}.format")
        for label in module.PROFILE.group_labels:
            assert label[0].isalpha(), (vendor, label)
    for text in ("1 Page 2", "2026 printed", "0 continued", "9 *** end of report"):
        assert not NOISE_RE.search(text)


# --- generated files -----------------------------------------------------------------------

SUPPRESSED = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
HEADER = ["Acct #", "Patient", "Claim #", "Svc Date", "Payor", "Rank", "Billed", "Ins Balance",
          "Current", "31-60", "61-90", "91-120", "120+", "Last Billed"]
PAYERS = ["VSP", "EyeMed", "Davis Vision", "Medicare B"]


def _plain(i: int) -> list[str]:
    cents = 1000 + i * 37 % 9000
    amount = f"{cents // 100}.{cents % 100:02d}"
    buckets = ["", "", "", "", ""]
    buckets[i % 5] = amount
    return [str(1000 + i // 2), f"PATIENT {i}", str(50000 + i), f"{1 + i % 12}/{1 + i % 28}/2026",
            PAYERS[i % 4], "", f"{cents * 2 // 100}.{cents % 100:02d}", amount, *buckets,
            "11/05/2026"]


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([["Ins. Receivables by Payor"], ["As of 11/30/2026"]] + rows)
    return buf.getvalue().encode()


MONEY_VALUES = ["", "12.34", "-5.00", "0.00", "-0.00", "$1,234.56", "(12.00)", "12.3", "7",
                "12.345", " 8.10 ", "abc", "1e3", "NaN", "١٢.٣٤"]
DATE_VALUES = ["11/02/2026", "2026-10-01", "3/4/26", "", "13/45/2026", "46000", "Jan 5, 2026",
               " 10/10/2026 "]
CLAIM_VALUES = ["50001", "50002", " 50003 ", "A7", "", "Total", "Claim #", "7X", "\u00b2", "60000"]
TEXT_VALUES = ["", "1001", " 1003", "Smith, Ann", "Page 2 of 3", "Payor: VSP", "VSP", "Total",
               "Grand Total", "Printed 11/30/2026", "   ", "Insurance - Humana"]
PAYER_VALUES = PAYERS + ["", "Payor: Aetna"]
RANK_VALUES = ["", "1", "P", "Secondary", "2", "x"]
MONEY, DATES, CLAIMS, TEXT, RANKS = (st.sampled_from(v) for v in (
    MONEY_VALUES, DATE_VALUES, CLAIM_VALUES, TEXT_VALUES, RANK_VALUES))
# the values tried in each column of HEADER
POOLS = [TEXT_VALUES, TEXT_VALUES, CLAIM_VALUES, DATE_VALUES, PAYER_VALUES, RANK_VALUES,
         *[MONEY_VALUES] * 7, DATE_VALUES]


@pytest.mark.parametrize("col", range(len(HEADER)), ids=HEADER)
def test_each_cell_changed_in_a_plain_row_reads_the_same_every_way(
    col: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stop of the fast path, one at a time: a plain file with one cell of one row
    changed to each odd value its column may hold."""
    for value in POOLS[col]:
        row = _plain(3)
        row[col] = value
        content = _csv([HEADER, _plain(1), _plain(2), row, _plain(4)])
        assert_same_three_ways("compulink", content, monkeypatch)


@st.composite
def detail_row(draw: st.DrawFn) -> list[str]:
    row = [draw(TEXT), draw(TEXT), draw(CLAIMS), draw(DATES), draw(st.sampled_from(PAYERS + [""])),
           draw(RANKS), draw(MONEY), draw(MONEY)]
    row += [draw(MONEY) for _ in range(5)] + [draw(DATES)]
    width = draw(st.sampled_from([14, 14, 14, 10, 16]))
    return (row + [""] * 2)[:width]




@st.composite
def mutant_row(draw: st.DrawFn) -> list[str]:
    """A plain row with one cell changed: each of the fast path's stops, one at a time."""
    row = _plain(draw(st.integers(0, 50)))
    col = draw(st.integers(0, len(row) - 1))
    row[col] = draw(st.sampled_from(POOLS[col]))
    return row


@st.composite
def any_row(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["plain", "plain", "mutant", "mutant", "detail", "group",
                                 "total", "noise", "blank", "header"]))
    if kind == "plain":
        return _plain(draw(st.integers(0, 50)))
    if kind == "mutant":
        return draw(mutant_row())
    if kind == "detail":
        return draw(detail_row())
    if kind == "group":
        return [draw(st.sampled_from(["Payor: Aetna", "Cigna", "Insurance - Humana"]))]
    if kind == "total":
        return ["", draw(st.sampled_from(["Total", "VSP Total:", "Subtotal"])), "", "", "", "",
                "", draw(MONEY)]
    if kind == "noise":
        return [draw(st.sampled_from(["Page 3 of 9", "Printed 11/30/2026", "Continued"]))]
    if kind == "header":
        return list(HEADER)
    return []


@settings(max_examples=150, deadline=None, suppress_health_check=SUPPRESSED)
@given(rows=st.lists(any_row(), min_size=1, max_size=40), drop_payer=st.booleans())
def test_generated_compulink_files_read_the_same_every_way(
    rows: list[list[str]], drop_payer: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = list(HEADER)
    if drop_payer:  # payers come from group headers only
        header[4] = "Note"
    assert_same_three_ways("compulink", _csv([header] + rows), monkeypatch)


EYEFINITY_HEADER = ["Location", "Patient Name", "Account #", "DOB", "Claim Number", "DOS",
                    "Carrier Name", "Plan Name", "Claim Status", "Billed Amount", "Paid Amount",
                    "Balance", "Aging Bucket", "Days"]


@st.composite
def eyefinity_row(draw: st.DrawFn) -> list[str]:
    return ["Main", draw(TEXT), draw(st.sampled_from(["1001", "1002", ""])), draw(DATES),
            draw(CLAIMS), draw(DATES), draw(st.sampled_from(PAYERS + [""])), "Plan A", "Open",
            draw(MONEY), draw(MONEY), draw(MONEY),
            draw(st.sampled_from(["0-30", "31-45", "46-60", ">120", "", "later"])),
            draw(st.sampled_from(["", "12", "400", "x"]))]


@settings(max_examples=100, deadline=None, suppress_health_check=SUPPRESSED)
@given(rows=st.lists(eyefinity_row(), min_size=1, max_size=30),
       with_days=st.booleans(), with_label=st.booleans())
def test_generated_label_and_days_files_read_the_same_every_way(
    rows: list[list[str]], with_days: bool, with_label: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = list(EYEFINITY_HEADER)
    if not with_label:
        header[12] = "Memo"
    if not with_days:
        header[13] = "Remark"
    assert_same_three_ways("eyefinity", _csv([header] + rows), monkeypatch)


def test_is_cents_is_the_money_fast_path_shape() -> None:
    shape = re.compile(r"-?[0-9]+\.[0-9][0-9]")
    for text in ["1.00", "-1.00", "12345.67", "", "-", ".00", "1.0", "1.000", "-.50", "1,00",
                 "a.bc", "1.0a", "--1.00", "1.-0", "٣.٠٠"]:
        assert INTERPRETED._is_cents(text) == bool(shape.fullmatch(text)), text


def test_the_installed_fastrows_is_compiled() -> None:
    """`scripts/test` installs the package with its extensions: CI must not silently measure
    or test the interpreted module only."""
    assert fastrows.COMPILED, fastrows.__file__
    assert aging_rows._use_compiled() or aging_rows.os.environ.get("GATEWAY_PURE_PYTHON") == "1"
