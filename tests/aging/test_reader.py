"""The vendor fixtures parse to the expected rows and totals; the reader's quirks one by one."""

from __future__ import annotations

import codecs
import datetime as dt
import importlib
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.aging.cells import bucket_for_label, parse_date
from gateway.aging.reader import read_aging
from gateway.aging.sources import sniff
from gateway.core.errors import UserError
from gateway.core.plugins import get_plugin_manager
from gateway.core.records import AgingContext, AgingSource
from gateway.testing import assert_conformant
from tests.aging.helpers import parse, total, xlsx

D = Decimal
VENDORS = ("compulink", "crystalpm", "officemate", "revolutionehr", "eyefinity")
PLUGINS = Path(__file__).parent.parent.parent / "gateway" / "plugins"


def buckets(row) -> tuple[Decimal, ...]:  # type: ignore[no-untyped-def]
    return (row.bucket_0_30, row.bucket_31_60, row.bucket_61_90, row.bucket_91_120,
            row.bucket_120_plus)


# --- the five vendors' fixtures ----------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "name", "rows", "balance", "payers", "export_date"),
    [
        ("compulink", "compulink_ins_receivables.xls", 5, "550.50",
         ["VSP", "EyeMed Vision Care"], dt.date(2026, 11, 30)),
        ("compulink", "compulink_ins_receivables_xml.xls", 3, "249.95",
         ["VSP", "Blue Shield"], dt.date(2026, 11, 30)),
        ("crystalpm", "crystalpm_insurance_receivable.csv", 6, "2073.50",
         ["Blue Cross, Inc.", "VSP", "BLUE CROSS INC", "Aetna"], dt.date(2026, 11, 30)),
        ("officemate", "officemate_insurance_aging.csv", 6, "1315.25",
         ["VSP", "Davis Vision", "MEDICARE"], dt.date(2026, 11, 30)),
        ("revolutionehr", "revolutionehr_aging.csv", 5, "1407.80",
         ["UnitedHealthcare", "VSP", "Medicare"], None),
        ("eyefinity", "eyefinity_ar_detail.xls", 5, "584.99",
         ["VSP", "EyeMed", "Davis Vision", "Medicare Part B"], None),
        ("eyefinity", "eyefinity_ar_detail_html.xls", 3, "1254.99",
         ["VSP", "Davis Vision"], dt.date(2026, 11, 30)),
    ],
)
def test_fixture_parses_to_expected_rows_and_total(vendor, name, rows, balance, payers,
                                                   export_date):
    export = parse(vendor, name)
    assert export.problems == []
    assert len(export.rows) == rows
    assert total(export) == D(balance)
    seen: list[str] = []
    for r in export.rows:
        if r.payer_name not in seen:
            seen.append(r.payer_name)
    assert seen == payers
    if export_date:
        assert export.export_date == export_date
    for r in export.rows:
        assert sum(buckets(r), D("0.00")) == r.balance, r.source_row
        assert isinstance(r.balance, Decimal)


def test_compulink_grouped_biff_details():
    export = parse("compulink", "compulink_ins_receivables.xls")
    rows = {(r.source_row): r for r in export.rows}
    # rows 6 (group), 10 (labelled subtotal), 11 (group), 14 (unlabelled subtotal) and 15
    # (grand total) are not detail rows
    assert sorted(rows) == [7, 8, 9, 12, 13]
    first = rows[7]
    assert (first.claim_id, first.patient_account, first.payer_name) == ("50001", "1001", "VSP")
    assert first.service_date == dt.date(2026, 11, 10)  # an Excel serial number
    assert first.billed == D("150.00")
    assert rows[9].service_date == dt.date(2026, 8, 20)  # a date cell
    assert rows[13].service_date == dt.date(2026, 9, 30)  # text
    assert rows[12].payer_name == "EyeMed Vision Care"  # "Payor: EyeMed Vision Care"
    assert buckets(rows[13]) == (D("0.00"), D("110.50"), D("100.00"), D("0.00"), D("0.00"))
    assert export.raw_dict(rows[7])["Last Billed"] == "2026-11-12"
    assert export.grain == "claim_line"


def test_compulink_xml_spreadsheet_has_payer_column_and_ranks():
    export = parse("compulink", "compulink_ins_receivables_xml.xls")
    ranks = [(r.claim_id, r.payer_rank, r.payer_name) for r in export.rows]
    assert ranks == [("T-77", 1, "VSP"), ("T-77", 2, "Blue Shield"), ("T-78", 1, "VSP")]
    assert export.rows[2].service_date == dt.date(2026, 6, 27)  # serial 46200 as a Number
    assert export.rows[2].bucket_91_120 == D("99.95")


def test_crystalpm_title_lines_quoted_fields_locations():
    export = parse("crystalpm", "crystalpm_insurance_receivable.csv")
    by_claim = {r.claim_id: r for r in export.rows}
    assert by_claim["C-9001"].balance == D("1250.00")
    assert by_claim["C-9001"].payer_name == "Blue Cross, Inc."
    assert by_claim["C-9002"].status == "Pending\nresubmitted 11/25, see note"
    assert by_claim["C-9002"].patient_dob == dt.date(1945, 3, 4)  # M/D/YY of an older patient
    assert by_claim["C-9003"].patient_dob == dt.date(1988, 7, 9)  # ISO
    assert by_claim["C-9004"].balance == D("-12.00")  # "($12.00)"
    # no bucket columns: Days Past decides
    assert by_claim["C-9001"].bucket_31_60 == D("1250.00")  # 60 days
    assert by_claim["C-9003"].bucket_120_plus == D("150.00")  # 138 days
    assert by_claim["C-9004"].bucket_61_90 == D("-12.00")  # 90 days
    assert {r.location for r in export.rows} == {"Clearview Eye Main", "Downtown"}
    # a quoted newline does not shift row numbers: C-9101 is the 10th record
    assert by_claim["C-9101"].source_row == 10


def test_officemate_groups_footers_and_lower_bound_buckets():
    export = parse("officemate", "officemate_insurance_aging.csv")
    rows = {r.claim_id: r for r in export.rows}
    assert rows["FS1002"].bucket_61_90 == D("40.00")  # column "60"
    assert rows["FS1004"].bucket_31_60 == D("60.00")  # column "30"
    assert rows["FS1005"].bucket_91_120 == D("-15.00")  # "(15.00)" in column "90"
    assert rows["FS1003"].bucket_120_plus == D("125.25")
    assert rows["FS1006"].payer_name == "MEDICARE"
    assert rows["FS1006"].balance == D("1020.00")
    assert export.grain == "fee_slip"


def test_revolutionehr_bom_semicolon_and_90_120():
    export = parse("revolutionehr", "revolutionehr_aging.csv")
    rows = {r.claim_id: r for r in export.rows}
    assert rows["INV-30001"].balance == D("1200.00")
    assert rows["INV-30003"].bucket_91_120 == D("88.80")  # "90-120"
    assert rows["INV-30004"].bucket_120_plus == D("35.00")  # ">120"
    assert rows["INV-30001"].patient_dob == dt.date(1979, 2, 3)
    assert export.grain == "invoice"


def test_eyefinity_labels_fold_and_credit():
    export = parse("eyefinity", "eyefinity_ar_detail.xls")
    rows = {r.claim_id: r for r in export.rows}
    assert rows["EF1002"].bucket_31_60 == D("120.00")  # "31-45"
    assert rows["EF1003"].bucket_31_60 == D("99.99")  # "46-60"
    assert rows["EF1004"].balance == D("-25.00")
    assert rows["EF1004"].bucket_120_plus == D("-25.00")
    assert rows["EF1004"].paid == D("125.00")
    assert rows["EF1001"].plan_name == "VSP Choice"
    assert rows["EF1005"].status == "Denied"


def test_eyefinity_xlsx_made_with_openpyxl():
    header = ["Location", "Patient", "Patient #", "DOB", "Claim #", "DOS", "Carrier Name",
              "Plan Name", "Claim Status", "Billed", "Paid", "Balance", "Aging Bucket", "Days"]
    rows = [
        ["AR Detail Table"],
        [],
        header,
        ["Main", "A, B", "P1", dt.date(1970, 1, 1), "X1", dt.date(2026, 11, 1), "VSP", "Choice",
         "Open", 100, 0, 100, "0-30", 29],
        ["Main", "C, D", "P2", dt.date(1971, 1, 1), "X2", dt.date(2026, 9, 1), "VSP", "Choice",
         "Open", 50.5, 0, 50.5, "61-90", 90],
        ["Main", "C, D", "P2", dt.date(1971, 1, 1), "X3", dt.date(2026, 5, 1), "Aetna", "PPO",
         "Open", 10, 30, -20, ">120", 200],
    ]
    export = parse("eyefinity", "ar.xlsx", xlsx(rows))
    assert export.problems == []
    assert [r.claim_id for r in export.rows] == ["X1", "X2", "X3"]
    assert [r.source_row for r in export.rows] == [4, 5, 6]
    assert total(export) == D("130.50")
    assert export.rows[1].bucket_61_90 == D("50.50")
    assert export.rows[0].service_date == dt.date(2026, 11, 1)


def test_compulink_grouped_xlsx_with_empty_bucket_cells():
    rows = [
        ["Ins. Receivables by Payor"],
        ["As of 12/31/2026"],
        ["Acct #", "Patient", "Claim #", "Svc Date", "Billed", "Ins Balance", "Current", "31-60",
         "61-90", "91-120", "120+"],
        ["Davis Vision"],
        [7, "X, Y", 900, dt.date(2026, 12, 1), 80, 80, 80, None, None, None, None],
        [8, "Z, W", 901, 46000, 70, 70, None, None, None, None, 70],
        ["Subtotal", None, None, None, 150, 150],
        ["Page 2 of 2"],
        ["Acct #", "Patient", "Claim #", "Svc Date", "Billed", "Ins Balance", "Current", "31-60",
         "61-90", "91-120", "120+"],
        ["VSP"],
        [9, "Q, R", 902, dt.date(2026, 11, 15), 10, 10, 10],
        ["Grand Total", None, None, None, 160, 160],
    ]
    export = parse("compulink", "grouped.xlsx", xlsx(rows))
    assert export.problems == []
    assert [(r.claim_id, r.payer_name) for r in export.rows] == [
        ("900", "Davis Vision"), ("901", "Davis Vision"), ("902", "VSP")]
    assert export.rows[1].service_date == dt.date(2025, 12, 9)  # serial 46000
    assert export.export_date == dt.date(2026, 12, 31)


# --- text formats ------------------------------------------------------------------------------

CRYSTAL = (
    "Patient{d}Account{d}Claim #{d}DOS{d}Insurance{d}Balance\n"
    "\"Doe, Jane\"{d}A1{d}C1{d}10/01/2026{d}VSP{d}\"1,234.56\"\n"
    "\"Müller, Jürgen\"{d}A2{d}C2{d}10/02/26{d}Aetna{d}12.00-\n"
)


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_delimiters_and_encodings(delim, encoding):
    content = CRYSTAL.format(d=delim).encode(encoding)
    export = parse("crystalpm", "x.txt", content,
                   AgingContext(export_date=dt.date(2026, 11, 30)))
    assert export.problems == []
    assert [r.claim_id for r in export.rows] == ["C1", "C2"]
    assert export.rows[0].balance == D("1234.56")
    assert export.rows[1].balance == D("-12.00")  # trailing minus
    assert export.rows[1].patient_name == "Müller, Jürgen"
    assert export.rows[1].service_date == dt.date(2026, 10, 2)
    # buckets derived from the date of service and the export date
    assert export.rows[0].bucket_31_60 == D("1234.56")  # 60 days
    assert export.rows[1].bucket_31_60 == D("-12.00")  # 59 days


def test_crlf_and_blank_lines_and_ragged_rows():
    content = (b"Claim #,Account,Patient,DOS,Insurance,Balance\r\n\r\n"
               b"C1,A1,P,11/01/2026,VSP,10\r\nC2,A2,P,11/02/2026,VSP\r\n")
    export = parse("crystalpm", "x.csv", content, AgingContext(export_date=dt.date(2026, 11, 30)))
    assert [r.claim_id for r in export.rows] == ["C1", "C2"]
    assert export.rows[1].balance == D("0.00")  # blank = 0


def test_date_formats():
    ref = dt.date(2026, 11, 30)
    assert parse_date("11/30/2026", ref) == dt.date(2026, 11, 30)
    assert parse_date("1/2/26", ref) == dt.date(2026, 1, 2)
    assert parse_date("1/2/45", ref) == dt.date(1945, 1, 2)
    assert parse_date("2026-01-02", ref) == dt.date(2026, 1, 2)
    assert parse_date("2026-01-02 00:00:00", ref) == dt.date(2026, 1, 2)
    assert parse_date("20260102", ref) == dt.date(2026, 1, 2)
    assert parse_date(46024, ref) == dt.date(2026, 1, 2)
    assert parse_date("46024", ref) == dt.date(2026, 1, 2)
    assert parse_date("Jan 2, 2026", ref) == dt.date(2026, 1, 2)
    assert parse_date("", ref) is None
    with pytest.raises(ValueError):
        parse_date("soon", ref)
    with pytest.raises(ValueError):
        parse_date("13/45/2026", ref)


@pytest.mark.parametrize(("label", "bucket"), [
    ("0-30", "bucket_0_30"), ("Current", "bucket_0_30"), ("31-45", "bucket_31_60"),
    ("46-60", "bucket_31_60"), ("61-90", "bucket_61_90"), ("90-120", "bucket_91_120"),
    ("91-120", "bucket_91_120"), (">120", "bucket_120_plus"), ("120+", "bucket_120_plus"),
    ("Over 120", "bucket_120_plus"), ("121+ days", "bucket_120_plus"), ("later", None),
])
def test_bucket_labels(label, bucket):
    assert bucket_for_label(label) == bucket


# --- row problems ------------------------------------------------------------------------------


def test_row_problems_are_located_and_rows_kept():
    content = (
        "Claim #,Acct #,Patient,Svc Date,Payor,Ins Balance,Current,31-60\n"
        "C1,A1,P,11/01/2026,VSP,100.00,90.00,5.00\n"  # buckets 95 != 100
        "C2,A2,P,someday,VSP,20.00,20.00,\n"  # bad date
        "C3,A3,P,11/01/2026,VSP,lots,,\n"  # bad balance: row not usable
        "C4,,P,11/01/2026,,5.00,5.00,\n"  # no account, no payer
        "Total,,,,,1.00,,\n"  # total that does not match
    )
    export = parse("compulink", "p.csv", content.encode(),
                   AgingContext(export_date=dt.date(2026, 11, 30)))
    assert [r.claim_id for r in export.rows] == ["C1", "C2", "C4"]
    assert export.unreadable == [("C3", 1)]
    problems = {(p.row, p.column): p.why for p in export.problems}
    assert "add up to 95.00 but the balance is 100.00" in problems[(2, "Ins Balance")]
    assert "not a date: 'someday'" in problems[(3, "Svc Date")]
    assert "not an amount: 'lots'" in problems[(4, "Ins Balance")]
    assert problems[(5, "Acct #")] == "no patient account"
    assert "no payer" in problems[(5, "Payor")]
    assert "says 1.00 but the rows above add up to 125.00" in problems[(6, "Ins Balance")]


def test_duplicate_claim_rows_of_a_claim_grain_report_are_flagged():
    content = ("Claim #,Account,Patient,DOS,Insurance,Balance\n"
               "C1,A1,P,11/01/2026,VSP,10\nC1,A1,P,11/01/2026,VSP,5\n")
    export = parse("crystalpm", "d.csv", content.encode())
    assert len(export.rows) == 2
    assert any("also on row 2" in p.why for p in export.problems)


def test_missing_dos_without_buckets_is_a_problem():
    content = "Claim #,Account,Patient,DOS,Insurance,Balance\nC1,A1,P,,VSP,10\n"
    export = parse("crystalpm", "d.csv", content.encode())
    assert export.rows[0].service_date is None
    whys = [p.why for p in export.problems]
    assert "no date of service: cannot age the balance" in whys
    assert "no date of service" in whys


# --- whole-file rejections -----------------------------------------------------------------


def test_no_header_says_what_was_expected_and_found():
    content = b"Name,Amount\nfoo,1\nbar,2\n"
    with pytest.raises(UserError) as err:
        parse("compulink", "report.csv", content)
    msg = str(err.value)
    assert msg.startswith("report.csv: no header row found in the first 30 rows")
    assert "expected columns like 'Claim #', 'Ins Balance', 'Payor'" in msg
    assert "'Name', 'Amount'" in msg


def test_another_vendors_file_names_the_missing_columns():
    with pytest.raises(UserError) as err:
        parse("officemate", "revolutionehr_aging.csv")
    msg = str(err.value)
    assert "closest was row 1" in msg
    assert "lacks 'Fee Slip #', 'Ins Balance'" in msg


def test_header_beyond_the_search_window_is_not_found():
    content = ("title\n" * 30 + "Claim #,Account,Patient,DOS,Insurance,Balance\n").encode()
    with pytest.raises(UserError, match="no header row found in the first 30 rows"):
        parse("crystalpm", "late.csv", content)


@pytest.mark.parametrize(("content", "why"), [
    (b"", "the file is empty"),
    (b"   \n\n", "the file is empty"),
    (b"%PDF-1.7\n...", "this is a PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a spreadsheet or text file"),
    (b"PK\x03\x04garbage-zip", "cannot read the Excel (.xlsx) workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1garbage", "cannot read the Excel 97-2003 (.xls) workbook"),
    (b"<?xml version='1.0'?><root/>", "not an Excel 2003 XML spreadsheet"),
])
def test_unreadable_files(content, why):
    with pytest.raises(UserError, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse("eyefinity", "x.xls", content)


def test_format_comes_from_the_bytes_not_the_name():
    assert sniff((Path(__file__).parent.parent / "fixtures/aging/eyefinity_ar_detail_html.xls")
                 .read_bytes()) == "html"
    assert sniff(b"<?xml version='1.0'?><Workbook xmlns='urn:schemas-microsoft-com:office:"
                 b"spreadsheet'/>") == "spreadsheetml"
    assert sniff(codecs.BOM_UTF8 + b"a,b\n") == "text"
    assert sniff(xlsx([["a"]])) == "xlsx"


# --- the plugins ---------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_plugin_conforms_and_answers_only_for_its_vendor(vendor):
    module = importlib.import_module(f"gateway.plugins.{vendor}")
    assert_conformant(module)
    src = AgingSource(name="x.csv", content=b"a,b\n")
    for other in VENDORS:
        if other != vendor:
            assert module.gateway_parse_aging_export(other, src, AgingContext()) is None
    assert "aging_export" in module.gateway_plugin_info().capabilities


def test_hook_dispatches_to_the_named_vendor():
    pm = get_plugin_manager()
    content = (PLUGINS.parent.parent
               / "tests/fixtures/aging/officemate_insurance_aging.csv").read_bytes()
    export = pm.hook.gateway_parse_aging_export(
        vendor="officemate", source=AgingSource(name="o.csv", content=content),
        context=AgingContext())
    assert export.vendor == "officemate"
    assert pm.hook.gateway_parse_aging_export(
        vendor="nobody", source=AgingSource(name="o.csv", content=content),
        context=AgingContext()) is None


@pytest.mark.parametrize("vendor", VENDORS)
def test_readme_documents_every_alias_of_the_profile(vendor):
    profile = importlib.import_module(f"gateway.plugins.{vendor}.format").PROFILE
    readme = (PLUGINS / vendor / "README.md").read_text()
    assert profile.markdown_table() in readme


def test_rows_stream_from_the_reader():
    content = ("Claim #,Account,Patient,DOS,Insurance,Balance\n"
               + "".join(f"C{i},A{i},P,11/01/2026,VSP,1.00\n" for i in range(1000))).encode()
    profile = importlib.import_module("gateway.plugins.crystalpm.format").PROFILE
    export = read_aging(profile, AgingSource(name="s.csv", content=content), AgingContext())
    assert export.rows == [] and export.stream is not None
    first = next(export.iter_rows())
    assert first.claim_id == "C0"
