"""The Data Media layout: the README's example reads as documented; every way a file can be
wrong is a located error; writing and reading agree (hypothesis)."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.errors import UserError
from gateway.plugins.datamedia_statements import format as fmt
from tests.statements import helpers as h

README = Path(fmt.__file__).with_name("README.md")


def test_the_readme_example_reads_as_documented():
    example = re.search(r"Example:\n\n```\n(.*?)```", README.read_text(), re.S).group(1)
    parsed = fmt.read_lines("example.csv", example.splitlines(keepends=True))
    assert (parsed.client_id, parsed.file_date) == ("CLIENT1", dt.date(2026, 11, 20))
    assert [(p.transaction_id, p.status, p.amount, p.debit) for p in parsed.payments] == [
        ("P1001", "Settled", D("35.00"), False), ("P1002", "Pending", D("12.50"), False),
        ("P0950", "ChargeBack", D("20.00"), True)]
    assert (parsed.count, parsed.total) == (3, D("27.50"))
    first = parsed.payments[0]
    assert (first.statement_id, first.patient_account, first.method, first.trace_number) == (
        "S-A1", "A1", "card", "AUTH991")
    assert first.narration == "Statement payment, thank you"


GOOD = h.text(h.row("P1", "Settled", "10.00"), h.row("P2", "Pending", "5.00"))


@pytest.mark.parametrize("text, where", [
    ("", "x.csv, line 1: no trailer"),
    ("NOPE\n", "x.csv, line 1: not a Data Media ePayment file"),
    (GOOD.replace("DMEPAY,1,", "DMEPAY,2,"), "x.csv, line 1, field version"),
    (GOOD.replace("\nTRL,2,15.00\n", "\n"), "x.csv, line 3: no trailer"),
    (GOOD + "PMT\n", "x.csv, line 5: a line after the trailer"),
    (GOOD.replace("PMT,P2", "XXX,P2"), "x.csv, line 3, field record type"),
    (GOOD.replace(",CC,", ",CASH,", 1), "x.csv, line 2, field payment_type"),
    (GOOD.replace(",10.00,", ",-10.00,"), "x.csv, line 2, field amount"),
    (GOOD.replace(",10.00,", ",0.00,"), "x.csv, line 2, field amount"),
    (GOOD.replace(",0,10.00,", ",2,10.00,"), "x.csv, line 2, field is_debit"),
    (GOOD.replace("2026-11-20,2026-11-22", "2026-13-20,2026-11-22", 1),
     "x.csv, line 2, field payment_date"),
    (GOOD.replace("PMT,P1,", "PMT,,"), "x.csv, line 2, field payment_id"),
    (GOOD.replace("TRL,2,15.00", "TRL,2,15"), "x.csv, line 4, field total"),
    (GOOD.replace(',"Statement payment, thank you"', "", 1),
     "x.csv, line 2: a PMT line has 16 fields"),
])
def test_every_malformed_file_is_a_located_error(text, where):
    with pytest.raises(UserError) as err:
        fmt.read_lines("x.csv", text.splitlines(keepends=True))
    assert str(err.value).startswith(where), str(err.value)


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda n: D(n) / 100)
rows = st.lists(st.tuples(st.sampled_from(sorted(h.CODES)), cents, st.booleans()),
                max_size=30)


@settings(suppress_health_check=[HealthCheck.too_slow])  # a shared, loaded machine
@given(rows)
def test_what_is_written_reads_back_with_a_matching_trailer(spec):
    written = h.text(*[h.row(f"P{n}", status, f"{amount:.2f}", debit=debit)
                       for n, (status, amount, debit) in enumerate(spec)])
    parsed = fmt.read_lines("w.csv", written.splitlines(keepends=True))
    assert [(p.status, p.amount, p.debit) for p in parsed.payments] == spec
    assert parsed.total == sum((-a if d else a for _, a, d in spec), D("0.00"))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=25)
@given(rows, st.integers(min_value=1, max_value=7))
def test_the_streamed_chunks_are_the_file_in_order_and_the_check_keeps_no_payment(spec, size):
    written = h.text(*[h.row(f"P{n}", status, f"{amount:.2f}", debit=debit)
                       for n, (status, amount, debit) in enumerate(spec)])
    whole = fmt.read_lines("w.csv", written.splitlines(keepends=True))
    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp) / "w.csv"
        spool.write_text(written)
        checked = fmt.check_file("w.csv", str(spool))
        chunks = list(fmt.read_chunks("w.csv", str(spool), size))
    assert checked.payments == [] and (checked.count, checked.total) == (whole.count, whole.total)
    assert all(len(c) == size for c in chunks[:-1]) and all(0 < len(c) <= size for c in chunks)
    assert [p for c in chunks for p in c] == whole.payments


def test_a_bad_trailer_is_found_by_the_check_before_any_chunk_is_asked_for(tmp_path):
    spool = tmp_path / "bad.csv"
    spool.write_text(GOOD.replace("TRL,2,15.00", "TRL,2,15.01"))
    with pytest.raises(UserError) as err:
        fmt.check_file("bad.csv", str(spool))
    assert str(err.value).startswith("bad.csv, line 4, field total: "), str(err.value)
    spf = h.as_file(tmp_path, "bad2.csv", spool.read_text())
    assert spf.error is not None and spf.reader is None and list(spf.chunks(10)) == []
