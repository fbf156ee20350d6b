"""Factory settings that agree across engines (issue 11 item 6): a claim the posting engine
leaves with a patient balance is one a general patient payment finds, out of the box."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from gateway.admin.practices import practice_settings
from gateway.core.practice_settings import PracticeSettings
from gateway.posting.engine import post_deposit
from gateway.posting.matching import RANK_OF_STATUS
from gateway.posting.rules import DEFAULT_STATUS_RULES
from gateway.receipts import service
from gateway.receipts.schemas import ReceiptIn
from tests.posting import helpers as ph
from tests.posting.era835 import Clp, Pay, Svc, build_835
from tests.receipts import helpers as h


def test_every_status_posting_leaves_a_patient_balance_in_is_statement_ready():
    # outcome no_insurance = a payer paid (CLP02 1/2/3, crossover 19/20/21) and no next payer:
    # what is left is the patient's
    left_to_patient = {r.claim_status for r in DEFAULT_STATUS_RULES
                       if r.outcome == "no_insurance" and r.code in RANK_OF_STATUS}
    assert left_to_patient == {"Patient Balance"}
    assert left_to_patient <= set(PracticeSettings().receipt_statement_statuses)


async def test_general_payment_after_an_era_applies_with_factory_settings(session, practice,
                                                                           tmp_path):
    pid = practice.practice_id
    p = await ph.payers(session, pid)
    cid = await ph.claim(session, pid, "E1", [("92014", "150.00", []), ("92015", "50.00", [])],
                         payer_id=p["acme"], coverages=[(1, p["acme"], "M1")])
    era = build_835([Pay("T1", "120.00", [Clp("E1", "1", "200.00", "120.00", [
        Svc("92014", "150.00", "90.00", [("CO", "45", "40.00"), ("PR", "1", "20.00")]),
        Svc("92015", "50.00", "30.00", [("CO", "45", "10.00"), ("PR", "2", "10.00")]),
    ], icn="ICN-E1")])])
    (deposit,) = (await ph.import_text(session, pid, era, tmp_path)).deposits
    await post_deposit(session, pid, deposit.id)
    c = await ph.claim_row(session, cid)
    assert (c.status, c.level) == ("Patient Balance", "Patient")
    assert (await ph.balances(session, cid)).patient_balance == D("30.00")
    assert await practice_settings(session, pid) == PracticeSettings()  # factory settings

    rid = await service.create_receipt(
        session, pid, ReceiptIn(received_on=dt.date(2026, 2, 1), amount=D("30.00"),
                                type="General Payment", patient_account="A1"),
        actor="user:1", today=dt.date(2026, 2, 1))
    d = await service.show(session, pid, rid)
    assert (d.status, d.applied) == ("Completed", D("30.00")), d.status_reason
    assert {a.claim_id for a in d.applications} == {cid}
    assert sorted((await h.patient_balances(session, [cid])).values()) == [D("0.00"), D("0.00")]
