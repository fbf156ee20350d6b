"""End to end: claims imported; an 835 with paid, partly paid, denied, reversed (take-back +
re-payment), secondary, crossover and PLB cases imported and posted; balances, statuses, the
error queue and the Deposit Reconciliation workbook checked cell by cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from sqlalchemy import select

from gateway.ledger.models import LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.queue import list_errors, queue_counts, resolve_error
from gateway.posting.report import CLAIM_COLUMNS, DEPOSIT_COLUMNS, reconciliation_report
from gateway.posting.schemas import ResolveIn
from gateway.posting.search import search_deposits, show_deposit
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835
from tests.posting.xlsx import read_sheet, row


def _serial(d: dt.date) -> str:
    return str((d - dt.date(1899, 12, 30)).days)


async def test_end_to_end(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    acme, second = p["acme"], p["second"]
    c_paid = await h.claim(session, pid, "E-PAID", [("92014", "150.00", [])], payer_id=acme,
                           account="P1", last="ALPHA")
    c_part = await h.claim(session, pid, "E-PART", [("92014", "150.00", []),
                                                    ("92015", "50.00", [])],
                           payer_id=acme, account="P2", last="BRAVO")
    c_deny = await h.claim(session, pid, "E-DENY", [("92250", "60.00", ["RT"])], payer_id=acme,
                           account="P3", last="CHARLIE")
    c_rev = await h.claim(session, pid, "E-REV", [("92012", "100.00", [])], payer_id=acme,
                          account="P4", last="DELTA")
    c_sec = await h.claim(session, pid, "E-SEC", [("92014", "100.00", [])], payer_id=second,
                          account="P5", last="ECHO",
                          coverages=[(1, second, "S5"), (2, acme, "A5")])
    c_xo = await h.claim(session, pid, "E-XO", [("92004", "100.00", [])], payer_id=acme,
                         account="P6", last="FOXTROT",
                         coverages=[(1, acme, "A6"), (2, second, "S6")])
    await session.commit()

    # earlier ERAs: Acme paid E-REV (to be reversed); Second Plan paid E-SEC as primary
    era_a = build_835([Pay("A1", "80.00", [Clp("E-REV", "1", "100.00", "80.00", [
        Svc("92012", "100.00", "80.00", [("CO", "45", "20.00")])], icn="ICN-REV",
        patient=("DELTA", "D", "A4"))], date="20260110")], control=11)
    era_b = build_835([Pay("B1", "60.00", [Clp("E-SEC", "1", "100.00", "60.00", [
        Svc("92014", "100.00", "60.00", [("CO", "45", "20.00"), ("PR", "2", "20.00")])],
        pr="20.00", icn="ICN-SEC1", patient=("ECHO", "E", "S5"))],
        payer="SECOND PLAN", payer_id="SEC1", date="20260112")], control=12)
    for name, text in (("a.835", era_a), ("b.835", era_b)):
        res = await h.import_text(session, pid, text, tmp_path, name)
        await post_deposit(session, pid, res.deposits[0].id, actor="user:1")
    sec = await h.claim_row(session, c_sec)
    assert (sec.level, sec.status, sec.payer_id, sec.payer_rank) == (
        "Secondary", "Ready to Bill", acme, 2)
    assert (await h.balances(session, c_sec)).insurance_balance == D("20.00")  # held for Acme

    main = build_835([Pay("MAIN1", "304.00", [
        Clp("E-PAID", "1", "150.00", "100.00", [
            Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")], allowed="100.00")],
            icn="ICN-1", patient=("ALPHA", "A", "A1")),
        Clp("E-PART", "1", "200.00", "110.00", [
            Svc("92014", "150.00", "90.00", [("CO", "45", "40.00"), ("PR", "2", "20.00")]),
            Svc("92015", "50.00", "20.00", [("CO", "45", "20.00"), ("PR", "3", "10.00")])],
            pr="30.00", icn="ICN-2", patient=("BRAVO", "B", "A2")),
        Clp("E-DENY", "4", "60.00", "0", [
            Svc("92250", "60.00", "0", [("CO", "50", "60.00")], mods=["RT"])],
            icn="ICN-3", patient=("CHARLIE", "C", "A3")),
        Clp("E-REV", "22", "-100.00", "-80.00", [
            Svc("92012", "-100.00", "-80.00", [("CO", "45", "-20.00")])],
            icn="ICN-REV", patient=("DELTA", "D", "A4")),
        Clp("E-REV", "1", "100.00", "70.00", [
            Svc("92012", "100.00", "70.00", [("CO", "45", "30.00")])],
            icn="ICN-REV2", patient=("DELTA", "D", "A4")),
        Clp("E-SEC", "2", "100.00", "16.00", [
            Svc("92014", "100.00", "16.00", [("OA", "23", "80.00"), ("PR", "2", "4.00")])],
            pr="4.00", icn="ICN-SEC2", patient=("ECHO", "E", "A5")),
        Clp("E-XO", "19", "100.00", "70.00", [
            Svc("92004", "100.00", "70.00", [("CO", "45", "10.00"), ("PR", "1", "20.00")])],
            pr="20.00", icn="ICN-XO", patient=("FOXTROT", "F", "A6"), crossover="SECOND PLAN"),
        Clp("E-UNKNOWN", "1", "30.00", "25.00", [
            Svc("92014", "30.00", "25.00", [("CO", "45", "5.00")])],
            icn="ICN-9", patient=("NOBODY", "N", "Z9")),
    ], plb=[("L6", "INT1", "-5.00"), ("WO", "OLDICN", "12.00")], date="20260120")],
        control=13)
    res = await h.import_text(session, pid, main, tmp_path, "main.835")
    (d,) = res.deposits
    assert (d.claims, d.errors, d.amount) == (8, [], D("304.00"))
    r = await post_deposit(session, pid, d.id, actor="user:1")
    assert (r.posted_claims, r.error_claims, r.posted_status) == (7, 1, "Not Disbursed")

    async def state(cid):
        c = await h.claim_row(session, cid)
        b = await h.balances(session, cid)
        return (c.level, c.status, c.payer_rank, b.insurance_paid, b.adjustments,
                b.insurance_balance, b.patient_balance)

    assert await state(c_paid) == ("Primary", "Paid", 1, D("100.00"), D("50.00"), D("0.00"),
                                   D("0.00"))
    assert await state(c_part) == ("Patient", "Patient Balance", 1, D("110.00"), D("60.00"),
                                   D("0.00"), D("30.00"))
    # a denial is never written off: the whole charge stays with insurance, claim Denied
    assert await state(c_deny) == ("Primary", "Denied", 1, D("0.00"), D("0.00"), D("60.00"),
                                   D("0.00"))
    assert (await h.claim_row(session, c_deny)).sub_status == "Not medically necessary"
    # take-back (compensating rows) + re-payment net: paid 70, write-off 30
    assert await state(c_rev) == ("Primary", "Paid", 1, D("70.00"), D("30.00"), D("0.00"),
                                  D("0.00"))
    comp = (await session.scalars(select(LedgerEntry).where(
        LedgerEntry.claim_id == c_rev, LedgerEntry.reverses_id.is_not(None)))).all()
    assert sorted((e.kind, e.amount) for e in comp) == [
        ("insurance_adjustment", D("-20.00")), ("insurance_payment", D("-80.00"))]
    # secondary: only Acme's money (OA-23 is information), the rest to the patient
    assert await state(c_sec) == ("Patient", "Patient Balance", 2, D("76.00"), D("20.00"),
                                  D("0.00"), D("4.00"))
    # crossover: the next payer is already billed; PR-1 stays with insurance for it
    xo = await h.claim_row(session, c_xo)
    assert (xo.level, xo.status, xo.payer_id, xo.payer_rank) == (
        "Secondary", "Crossed Over", second, 2)
    assert (await h.balances(session, c_xo)).insurance_balance == D("20.00")

    # the error queue: exactly the unmatched claim
    (e,) = await list_errors(session, pid)
    assert (e.level, e.type, e.claim_xref, e.detail) == ("claim", "Claim Not Found",
                                                         "E-UNKNOWN", {"candidates": []})
    assert await queue_counts(session, pid) == {"deposit": {}, "claim": {"Claim Not Found": 1},
                                               "procedure": {}}
    detail = await show_deposit(session, pid, d.id)
    assert detail.deposit.payments == D("311.00") and detail.deposit.plb_adjustments == D("7.00")
    # Adjustments ($): what changed the claims' balances, not the PLB (issue 16)
    assert detail.deposit.adjustments == sum(c.adjustments for c in detail.claims) == D("130.00")
    assert detail.deposit.difference == D("0.00")
    part = next(c for c in detail.claims if c.claim_xref == "E-PART")
    assert (part.coinsurance, part.copay, part.adjustments) == (D("20.00"), D("10.00"),
                                                                D("60.00"))
    deny = next(c for c in detail.claims if c.claim_xref == "E-DENY")
    assert (deny.denied, deny.adjustments, deny.result_status) == (D("60.00"), D("0.00"),
                                                                   "Denied")

    # workbook while the error is open
    out = tmp_path / "recon.xlsx"
    totals = await reconciliation_report(session, pid, out, date_from=dt.date(2026, 1, 1),
                                         date_to=dt.date(2026, 1, 31))
    assert totals["deposits"] == 3
    cells = read_sheet(out, "Deposit Reconciliation")
    assert cells["A1"] == "Deposit Reconciliation"
    assert cells["A2"] == "Deposit dates 2026-01-01 to 2026-01-31"
    w = len(DEPOSIT_COLUMNS)
    assert row(cells, 4, w) == DEPOSIT_COLUMNS
    ids = [dep.id for dep in sorted(await search_deposits(session, pid), key=lambda x: x.id)]
    assert row(cells, 5, w) == [str(ids[0]), "ERA", "Sent to Posting", "Disbursed",
                                _serial(dt.date(2026, 1, 10)), "A1", "Acme Health", "tester",
                                "a.835", "80", "80", "20", "0", "0", "0", "1", "1", "0"]
    assert row(cells, 6, w) == [str(ids[1]), "ERA", "Sent to Posting", "Disbursed",
                                _serial(dt.date(2026, 1, 12)), "B1", "Second Plan", "tester",
                                "b.835", "60", "60", "20", "0", "0", "0", "1", "1", "0"]
    assert row(cells, 7, w) == [str(d.id), "ERA", "Sent to Posting", "Not Disbursed",
                                _serial(dt.date(2026, 1, 20)), "MAIN1", "Acme Health",
                                "tester", "main.835", "304", "311", "130", "7", "0", "0", "8",
                                "7", "1"]
    assert row(cells, 8, w) == ["Totals", None, None, None, None, None, None, None, None,
                                "444", "451", "170", "7", "0", "0", "10", "9", "1"]
    claims_sheet = read_sheet(out, "Claims")
    assert row(claims_sheet, 1, len(CLAIM_COLUMNS)) == CLAIM_COLUMNS
    assert row(claims_sheet, 6, len(CLAIM_COLUMNS)) == [
        str(d.id), "E-DENY", str(c_deny), "ICN-3", "4", "60", "0", None, "0", "0", "0", "0",
        "60", "posted", "Denied", "Primary"]

    # the biller excludes the unknown claim: the deposit is disbursed
    out_r = await resolve_error(session, pid, e.id, ResolveIn(action="exclude"),
                                actor="user:2")
    assert out_r.posted_status == "Disbursed"
    assert await list_errors(session, pid) == []
    await reconciliation_report(session, pid, out, date_from=dt.date(2026, 1, 1),
                                date_to=dt.date(2026, 1, 31))
    cells = read_sheet(out, "Deposit Reconciliation")
    assert row(cells, 7, w)[3:4] + row(cells, 7, w)[10:] == [
        "Disbursed", "286", "130", "7", "25", "0", "8", "7", "0"]
    # posting everything again changes nothing
    before = (await session.execute(select(LedgerEntry.id))).all()
    await post_deposit(session, pid, d.id)
    assert (await session.execute(select(LedgerEntry.id))).all() == before
