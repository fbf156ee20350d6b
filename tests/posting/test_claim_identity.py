"""Issue 11, item 4: one claim identity. CLP01 is tried against the claim's PMS claim number
and its patient control number first; a claim known only at claim level (an aging claim)
takes the ERA's service lines on its one line; an unknown billed amount (0.00) does not keep
a claim from matching on patient and date of service."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select

from gateway.ledger.models import Claim, ClaimLine, LedgerEntry
from gateway.posting.engine import post_deposit
from gateway.posting.models import DepositClaim
from gateway.posting.queue import list_errors
from tests.posting import helpers as h
from tests.posting.era835 import Clp, Pay, Svc, build_835

ERA_LINES = [Svc("92014", "150.00", "100.00", [("CO", "45", "50.00")]),
             Svc("92015", "50.00", "30.00", [("CO", "45", "20.00")])]


async def aging_claim(session, pid: int, pms_number: str, balance: str, *, payer_id: int,
                      billed: str = "0.00", rank: int = 1, account: str = "A1",
                      last: str = "DOE", first: str = "JANE") -> int:
    """A claim as an aging export leaves it: the PMS's claim number, no control number, one
    claim-level line (charge = the export's billed amount, 0.00 when it has none) and the
    balance as its ledger charge."""
    cid = await h.claim(session, pid, f"TMP-{pms_number}-{rank}", [("AGING", billed, [])],
                        payer_id=payer_id, rank=rank, account=account, last=last, first=first)
    c = await session.get(Claim, cid)
    c.patient_control_number, c.source_vendor, c.source_claim_id = None, "compulink", pms_number
    extra = D(balance) - D(billed)
    if extra:
        line = await session.scalar(select(ClaimLine).where(ClaimLine.claim_id == cid))
        session.add(LedgerEntry(practice_id=pid, claim_id=cid, claim_line_id=line.id,
                                kind="charge", amount=extra, source_type="aging", source_id=1))
    await session.flush()
    return cid


async def _post(session, pid, tmp_path, clp, name="era.835", payer="ACME HEALTH",
                payer_id="ACME1"):
    text = build_835([Pay("T-" + name, clp.paid, [clp], payer=payer, payer_id=payer_id)])
    (d,) = (await h.import_text(session, pid, text, tmp_path, name)).deposits
    await post_deposit(session, pid, d.id)
    return await session.scalar(select(DepositClaim).where(DepositClaim.deposit_id == d.id)
                                .execution_options(populate_existing=True))


async def test_pms_claim_number_matches_and_era_lines_post_to_the_claim_level_line(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await aging_claim(session, pid, "TKT-881", "200.00", payer_id=p["acme"])
    dc = await _post(session, pid, tmp_path, Clp("TKT-881", "1", "200.00", "130.00", ERA_LINES))
    assert (dc.claim_id, dc.match_method, dc.state) == (cid, "source_claim_id", "posted")
    assert await list_errors(session, pid) == []  # no Procedure Code Conflict
    b = await h.balances(session, cid)
    assert (b.insurance_paid, b.adjustments, b.balance) == (D("130.00"), D("70.00"), D("0.00"))


async def test_patient_control_number_still_matches(session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await h.claim(session, pid, "PCN-7", [("92014", "150.00", []), ("92015", "50.00", [])],
                        payer_id=p["acme"])
    dc = await _post(session, pid, tmp_path, Clp("PCN-7", "1", "200.00", "130.00", ERA_LINES))
    assert (dc.claim_id, dc.match_method, dc.state) == (cid, "patient_control_number", "posted")


async def test_one_pms_number_for_two_payers_is_settled_by_the_rank_that_paid(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    await aging_claim(session, pid, "TKT-9", "200.00", payer_id=p["acme"], rank=1)
    second = await aging_claim(session, pid, "TKT-9", "70.00", payer_id=p["second"], rank=2)
    dc = await _post(session, pid, tmp_path, Clp("TKT-9", "2", "70.00", "70.00", []),
                     payer="SECOND PLAN", payer_id="SEC1")
    assert (dc.claim_id, dc.match_method) == (second, "source_claim_id")


async def test_a_number_two_claims_answer_to_is_an_error_not_a_guess(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    a = await aging_claim(session, pid, "TKT-5", "200.00", payer_id=p["acme"], account="A1")
    b = await aging_claim(session, pid, "TKT-5", "200.00", payer_id=p["acme"], account="A2",
                          last="ROE")
    dc = await _post(session, pid, tmp_path, Clp("TKT-5", "1", "200.00", "130.00", ERA_LINES))
    assert dc.claim_id is None and dc.state == "error"
    (e,) = await list_errors(session, pid)
    assert (e.type, sorted(e.detail["candidates"])) == ("Claim Not Found", sorted([a, b]))


async def test_unknown_billed_amount_does_not_prevent_the_patient_and_date_match(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    cid = await aging_claim(session, pid, "TKT-1", "200.00", payer_id=p["acme"])
    dc = await _post(session, pid, tmp_path,
                     Clp("SOMETHING-ELSE", "1", "200.00", "130.00", ERA_LINES,
                         patient=("DOE", "JANE", "M100")))
    assert (dc.claim_id, dc.match_method, dc.state) == (cid, "patient_dos_total", "posted")


async def test_the_billed_amount_from_the_export_is_used_when_present(
        session, practice, tmp_path):
    pid = practice.practice_id
    p = await h.payers(session, pid)
    billed = await aging_claim(session, pid, "TKT-2", "200.00", payer_id=p["acme"],
                               billed="200.00")
    await aging_claim(session, pid, "TKT-3", "80.00", payer_id=p["acme"], billed="80.00")
    dc = await _post(session, pid, tmp_path,
                     Clp("SOMETHING-ELSE", "1", "200.00", "130.00", ERA_LINES))
    assert (dc.claim_id, dc.match_method) == (billed, "patient_dos_total")
