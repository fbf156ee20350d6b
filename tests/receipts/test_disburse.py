"""Every branch of the disbursement algorithm, each setting on and off, on a fixed clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from gateway.core.practice_settings import PracticeSettings
from gateway.receipts.disburse import (
    Application,
    ClaimView,
    Line,
    ReceiptView,
    Rules,
    commit,
    decide,
)

TODAY = dt.date(2026, 3, 10)
VISIT = dt.date(2026, 3, 9)

_ids = iter(range(1000, 100000))


def claim(cid: int, dos: dt.date = VISIT, *balances: str, copay_line: int | None = None,
          appointment_id: int | None = None, level: str = "Primary", status: str = "Open",
          invoice_date: dt.date | None = None) -> ClaimView:
    c = ClaimView(cid, dos, appointment_id, level, status, invoice_date)
    for n, b in enumerate(balances or ("0.00",), start=1):
        c.lines.append(Line(cid * 10 + n, cid, n, f"9201{n}", n == copay_line, D(b)))
    return c


def receipt(behaviour: str, amount: str, *, received: dt.date = VISIT, appointment_id=None,
            visit_date=None, known: bool = True) -> ReceiptView:
    return ReceiptView(next(_ids), behaviour, received, D(amount), known, appointment_id,
                       visit_date)


def apps(decision) -> list[tuple[int, str, bool]]:
    return [(a.claim_line_id, str(a.amount), a.credit) for a in decision.applications]


R = Rules()


# --- before any claim search -------------------------------------------------------------

def test_patient_not_known_is_an_error():
    d = decide(receipt("general", "10.00", known=False), [], R, TODAY)
    assert d.status == "Error" and d.applications == []
    assert "patient is not known" in d.message


def test_nothing_left_to_apply_is_completed():
    d = decide(receipt("general", "0.00"), [claim(1, VISIT, "5.00", level="Statement")], R, TODAY)
    assert d.status == "Completed" and d.applications == []


def test_prepay_is_held_while_younger_than_credit_hold_days():
    c = claim(1, VISIT, "50.00", level="Statement")
    d = decide(receipt("prepay", "20.00"), [c], R, TODAY)
    assert d.status == "Hold" and d.applications == []
    assert d.hold_until == VISIT + dt.timedelta(days=30)


def test_prepay_becomes_an_error_once_credit_hold_days_passed():
    c = claim(1, VISIT, "50.00", level="Statement")
    d = decide(receipt("prepay", "20.00"), [c], R, VISIT + dt.timedelta(days=30))
    assert d.status == "Error" and d.applications == []
    assert "within 30 days" in d.message


def test_prepay_hold_follows_the_credit_hold_days_setting():
    rules = Rules(credit_hold_days=5)
    d = decide(receipt("prepay", "20.00"), [], rules, VISIT + dt.timedelta(days=4))
    assert d.status == "Hold" and d.hold_until == VISIT + dt.timedelta(days=5)
    d = decide(receipt("prepay", "20.00"), [], rules, VISIT + dt.timedelta(days=5))
    assert d.status == "Error"


# --- the visit's claim ------------------------------------------------------------------------

def test_copay_applies_to_the_appointments_claim():
    c1 = claim(1, VISIT, "40.00", appointment_id=7)
    c2 = claim(2, VISIT, "40.00")  # same date: the appointment decides
    d = decide(receipt("copay", "25.00", appointment_id=7), [c1, c2], R, TODAY)
    assert d.status == "Completed"
    assert apps(d) == [(11, "25.00", False)]
    assert "appointment 7" in d.message


def test_several_claims_for_the_appointment_is_an_error():
    c1 = claim(1, VISIT, "40.00", appointment_id=7)
    c2 = claim(2, VISIT, "40.00", appointment_id=7)
    d = decide(receipt("copay", "25.00", appointment_id=7), [c1, c2], R, TODAY)
    assert d.status == "Error" and d.applications == []
    assert "claims 1, 2" in d.message


def test_appointment_without_claim_searches_the_appointment_date():
    apt_day = dt.date(2026, 3, 5)
    c1 = claim(1, apt_day, "40.00")
    c2 = claim(2, VISIT, "40.00")  # the receipt's own date: not the visit
    r = receipt("copay", "25.00", appointment_id=8, visit_date=apt_day)
    d = decide(r, [c1, c2], R, TODAY)
    assert d.status == "Completed" and apps(d) == [(11, "25.00", False)]


def test_copay_applies_to_the_one_claim_on_the_receipt_date():
    c1 = claim(1, VISIT, "40.00")
    c2 = claim(2, VISIT - dt.timedelta(days=20), "40.00")
    d = decide(receipt("copay", "25.00"), [c1, c2], R, TODAY)
    assert d.status == "Completed" and apps(d) == [(11, "25.00", False)]


def test_several_claims_on_the_receipt_date_is_an_error():
    d = decide(receipt("copay", "25.00"), [claim(1, VISIT, "40"), claim(2, VISIT, "40")], R,
               TODAY)
    assert d.status == "Error" and d.applications == []
    assert "2 claims match date of service 2026-03-09" in d.message


def test_no_claim_yet_holds_while_younger_than_copay_hold_days():
    d = decide(receipt("copay", "25.00"), [claim(1, VISIT - dt.timedelta(days=1), "40")], R,
               VISIT + dt.timedelta(days=2))
    assert d.status == "Hold" and d.hold_until == VISIT + dt.timedelta(days=3)
    assert d.applications == []


def test_no_claim_becomes_an_error_after_copay_hold_days():
    d = decide(receipt("copay", "25.00"), [], R, VISIT + dt.timedelta(days=3))
    assert d.status == "Error" and "within 3 days" in d.message


def test_copay_hold_days_setting_changes_the_hold():
    rules = Rules(copay_hold_days=0)
    d = decide(receipt("copay", "25.00"), [], rules, VISIT)
    assert d.status == "Error"
    rules = Rules(copay_hold_days=10)
    d = decide(receipt("copay", "25.00"), [], rules, VISIT + dt.timedelta(days=9))
    assert d.status == "Hold" and d.hold_until == VISIT + dt.timedelta(days=10)


def test_claim_in_a_skip_status_is_never_chosen():
    rules = Rules(skip_statuses=frozenset({"Collections"}))
    c = claim(1, VISIT, "40.00", status="Collections")
    d = decide(receipt("copay", "25.00"), [c], rules, TODAY)
    assert d.status == "Error" and d.applications == []
    assert "skip auto-association" in d.message
    # with the setting off the same claim takes the co-pay
    d = decide(receipt("copay", "25.00"), [c], R, TODAY)
    assert d.status == "Completed" and apps(d) == [(11, "25.00", False)]


def test_skip_status_claim_does_not_make_a_date_ambiguous():
    rules = Rules(skip_statuses=frozenset({"Collections"}))
    c1 = claim(1, VISIT, "40.00", status="Collections")
    c2 = claim(2, VISIT, "40.00")
    d = decide(receipt("copay", "25.00"), [c1, c2], rules, TODAY)
    assert d.status == "Completed" and apps(d) == [(21, "25.00", False)]


# --- the co-pay procedure rule ------------------------------------------------------------

def test_copay_fills_the_copay_flagged_procedure_first():
    c = claim(1, VISIT, "100.00", "30.00", copay_line=2)
    d = decide(receipt("copay", "25.00"), [c], R, TODAY)
    assert apps(d) == [(12, "25.00", False)] and d.status == "Completed"


def test_copay_without_flag_fills_the_highest_balance():
    c = claim(1, VISIT, "10.00", "60.00", "30.00")
    d = decide(receipt("copay", "25.00"), [c], R, TODAY)
    assert apps(d) == [(12, "25.00", False)]


def test_copay_flagged_line_without_balance_falls_to_the_highest_balance():
    c = claim(1, VISIT, "0.00", "60.00", copay_line=1)
    d = decide(receipt("copay", "25.00"), [c], R, TODAY)
    assert apps(d) == [(12, "25.00", False)]


def test_copay_fills_one_procedure_and_the_rest_is_a_general_payment():
    visit = claim(1, VISIT, "10.00", "60.00", copay_line=1)
    old = claim(2, VISIT - dt.timedelta(days=40), "30.00", level="Statement")
    d = decide(receipt("copay", "25.00"), [visit, old], R, TODAY)
    # 10 on the co-pay line; 15 as general: oldest statement claim first
    assert apps(d) == [(11, "10.00", False), (21, "15.00", False)]
    assert d.status == "Completed"
    assert "treated as a general payment" in d.message


def test_copay_rest_can_go_to_the_visit_claim_as_general():
    visit = claim(1, VISIT, "10.00", "60.00", copay_line=1)
    d = decide(receipt("copay", "25.00"), [visit], R, TODAY)
    assert apps(d) == [(11, "10.00", False), (12, "15.00", False)]


def test_copays_across_procedures_on_spreads_over_the_claim():
    rules = Rules(copays_across=True)
    c = claim(1, VISIT, "10.00", "8.00", "20.00", copay_line=2)
    d = decide(receipt("copay", "30.00"), [c], rules, TODAY)
    # flagged first, then highest balance
    assert apps(d) == [(12, "8.00", False), (13, "20.00", False), (11, "2.00", False)]
    assert d.status == "Completed"


def test_copays_across_procedures_off_fills_only_one():
    c = claim(1, VISIT, "10.00", "8.00", "20.00", copay_line=2)
    stmt = claim(2, VISIT - dt.timedelta(days=60), "100.00", level="Statement")
    d = decide(receipt("copay", "30.00"), [c, stmt], R, TODAY)
    # 8 on the co-pay line, the 22 left is general: oldest first is the statement claim
    assert apps(d) == [(12, "8.00", False), (21, "22.00", False)]


def test_copays_limited_applies_when_the_copay_fits():
    rules = Rules(copays_limited=True)
    c = claim(1, VISIT, "100.00", "30.00", copay_line=2)
    d = decide(receipt("copay", "30.00"), [c], rules, TODAY)
    assert d.status == "Completed" and apps(d) == [(12, "30.00", False)]


def test_copays_limited_larger_than_the_copay_balance_pays_it_and_the_rest_is_general():
    # issue 16: a co-pay larger than the co-pay procedure's balance used to apply nothing
    rules = Rules(copays_limited=True)
    c = claim(1, VISIT, "100.00", "30.00", copay_line=2)
    d = decide(receipt("copay", "30.01"), [c], rules, TODAY)
    assert d.status == "Completed"
    assert apps(d) == [(12, "30.00", False), (11, "0.01", False)]
    assert "(co-pay procedure)" in d.message and "treated as a general payment" in d.message


def test_copays_limited_pays_the_first_flagged_procedure_in_claim_order():
    # issue 16: the flagged procedure with the highest balance used to be chosen
    rules = Rules(copays_limited=True)
    c = ClaimView(1, VISIT, None, "Primary", "Open", None, [
        Line(11, 1, 1, "92014", False, D("100.00")),
        Line(12, 1, 2, "99213", True, D("10.00")),
        Line(13, 1, 3, "92015", True, D("50.00")),
    ])
    d = decide(receipt("copay", "25.00"), [c], rules, TODAY)
    # 10 on line 2 (the first flagged); line 3 is no co-pay procedure now: the 15 left is a
    # general payment on the visit's claim, lines in line order
    assert d.status == "Completed"
    assert apps(d) == [(12, "10.00", False), (11, "15.00", False)]


def test_copays_limited_first_flagged_without_balance_sends_it_all_on_as_general():
    rules = Rules(copays_limited=True)
    c = ClaimView(1, VISIT, None, "Primary", "Open", None, [
        Line(11, 1, 1, "99213", True, D("0.00")),
        Line(12, 1, 2, "92015", True, D("50.00")),
    ])
    d = decide(receipt("copay", "20.00"), [c], rules, TODAY)
    assert d.status == "Completed" and apps(d) == [(12, "20.00", False)]
    assert "has no patient balance" in d.message


def test_copays_limited_without_a_copay_procedure_is_an_error():
    rules = Rules(copays_limited=True)
    d = decide(receipt("copay", "5.00"), [claim(1, VISIT, "100.00")], rules, TODAY)
    assert d.status == "Error" and "no co-pay procedure" in d.message


def test_copays_limited_and_across_still_fill_only_the_first_flagged_procedure():
    rules = Rules(copays_limited=True, copays_across=True)
    c = ClaimView(1, VISIT, None, "Primary", "Open", None, [
        Line(11, 1, 1, "92014", False, D("100.00")),
        Line(12, 1, 2, "99213", True, D("20.00")),
        Line(13, 1, 3, "92015", True, D("15.00")),
    ])
    d = decide(receipt("copay", "30.00"), [c], rules, TODAY)
    assert d.status == "Completed"
    assert apps(d) == [(12, "20.00", False), (11, "10.00", False)]
    d = decide(receipt("copay", "135.01"), [c], rules, TODAY)
    assert d.status == "Hold" and d.applied == D("135.00")  # 0.01 more than the patient owes
    assert apps(d) == [(12, "20.00", False), (11, "100.00", False), (13, "15.00", False)]


def test_copay_on_a_claim_without_patient_balance_holds_as_credit():
    # insurance has not moved anything to the patient yet: nothing to fill, the money waits
    c = claim(1, VISIT, "0.00", copay_line=1)
    d = decide(receipt("copay", "25.00"), [c], R, TODAY)
    assert d.status == "Hold" and d.applications == []
    assert d.hold_until == VISIT + dt.timedelta(days=30)
    assert "no patient balance yet" in d.message


# --- coinsurance and deductible -------------------------------------------------------------

def test_coinsurance_fills_the_visit_claim_in_line_order():
    c = claim(1, VISIT, "10.00", "60.00", copay_line=2)
    d = decide(receipt("coinsurance", "30.00"), [c], R, TODAY)
    assert apps(d) == [(11, "10.00", False), (12, "20.00", False)]
    assert d.status == "Completed"


def test_deductible_fills_the_visit_claim_and_the_rest_is_general():
    c = claim(1, VISIT, "10.00", "5.00")
    old = claim(2, VISIT - dt.timedelta(days=90), "50.00", invoice_date=VISIT)
    d = decide(receipt("deductible", "30.00"), [c, old], R, TODAY)
    assert apps(d) == [(11, "10.00", False), (12, "5.00", False), (21, "15.00", False)]


def test_coinsurance_without_claim_holds_then_errors():
    d = decide(receipt("coinsurance", "30.00"), [], R, VISIT + dt.timedelta(days=1))
    assert d.status == "Hold"
    d = decide(receipt("coinsurance", "30.00"), [], R, VISIT + dt.timedelta(days=3))
    assert d.status == "Error"


def test_coinsurance_is_not_limited_by_the_copay_setting():
    rules = Rules(copays_limited=True)
    c = claim(1, VISIT, "10.00", "60.00")
    d = decide(receipt("coinsurance", "30.00"), [c], rules, TODAY)
    assert d.status == "Completed" and apps(d) == [(11, "10.00", False), (12, "20.00", False)]


# --- general payments ---------------------------------------------------------------------

def test_general_without_statement_claims_is_an_error():
    d = decide(receipt("general", "30.00"), [claim(1, VISIT, "50.00")], R, TODAY)
    assert d.status == "Error" and d.applications == []
    assert "no claim at statement level" in d.message


def test_general_finds_claims_by_level_status_or_invoice_date():
    by_level = claim(1, dt.date(2026, 1, 1), "5.00", level="Statement")
    by_status = claim(2, dt.date(2026, 1, 2), "5.00", status="Patient Statement")
    by_invoice = claim(3, dt.date(2026, 1, 3), "5.00", invoice_date=dt.date(2026, 2, 1))
    not_yet = claim(4, dt.date(2026, 1, 4), "5.00")
    d = decide(receipt("general", "20.00", received=TODAY),
               [by_level, by_status, by_invoice, not_yet], R, TODAY)
    assert [a[0] for a in apps(d)] == [11, 21, 31]
    assert d.status == "Hold"  # 5.00 beyond what is owed on statement claims


def test_statement_statuses_setting_decides_which_statuses_count():
    c = claim(1, VISIT, "5.00", status="Billed to Patient")
    d = decide(receipt("general", "5.00"), [c], R, TODAY)
    assert d.status == "Error"
    rules = Rules(statement_statuses=frozenset({"Billed to Patient"}))
    d = decide(receipt("general", "5.00"), [c], rules, TODAY)
    assert d.status == "Completed" and apps(d) == [(11, "5.00", False)]


def test_general_skips_claims_in_skip_statuses():
    rules = Rules(skip_statuses=frozenset({"Collections"}))
    coll = claim(1, dt.date(2025, 1, 1), "50.00", level="Statement", status="Collections")
    other = claim(2, dt.date(2025, 6, 1), "50.00", level="Statement")
    d = decide(receipt("general", "20.00"), [coll, other], rules, TODAY)
    assert apps(d) == [(21, "20.00", False)]
    d = decide(receipt("general", "20.00"), [coll, other], R, TODAY)
    assert apps(d) == [(11, "20.00", False)]


def _three_statement_claims():
    return [
        claim(1, dt.date(2025, 5, 1), "10.00", level="Statement"),
        claim(2, dt.date(2025, 9, 1), "15.00", "25.00", level="Statement"),
        claim(3, dt.date(2025, 7, 1), "20.00", level="Statement"),
    ]


def test_general_order_oldest_first_is_the_default():
    d = decide(receipt("general", "35.00"), _three_statement_claims(), R, TODAY)
    assert apps(d) == [(11, "10.00", False), (31, "20.00", False), (21, "5.00", False)]
    assert d.status == "Completed"


def test_general_order_newest_first():
    rules = Rules(order="newest_first")
    d = decide(receipt("general", "35.00"), _three_statement_claims(), rules, TODAY)
    assert apps(d) == [(21, "15.00", False), (22, "20.00", False)]


def test_general_order_highest_balance_first():
    rules = Rules(order="highest_balance_first")
    d = decide(receipt("general", "55.00"), _three_statement_claims(), rules, TODAY)
    # claim 2 owes 40, claim 3 owes 20, claim 1 owes 10
    assert apps(d) == [(21, "15.00", False), (22, "25.00", False), (31, "15.00", False)]


def test_general_exactly_the_balance_completes():
    d = decide(receipt("general", "70.00"), _three_statement_claims(), R, TODAY)
    assert d.status == "Completed" and d.applied == D("70.00")


def test_general_more_than_owed_pays_to_zero_and_holds_the_rest():
    d = decide(receipt("general", "100.00"), _three_statement_claims(), R, TODAY)
    assert d.status == "Hold"
    assert d.applied == D("70.00")
    assert d.hold_until == VISIT + dt.timedelta(days=30)
    assert d.claim_status == {}
    assert "$30.00 is more than the patient owes" in d.message


def test_general_rest_goes_on_the_most_recent_claim_as_credit_after_hold_days():
    d = decide(receipt("general", "100.00"), _three_statement_claims(), R,
               VISIT + dt.timedelta(days=30))
    assert d.status == "Completed"
    assert apps(d)[-1] == (21, "30.00", True)  # claim 2 has the latest service date
    assert d.applied == D("100.00")
    assert d.claim_status == {2: "Credit Balance"}


def test_credit_goes_on_the_patients_most_recent_claim_not_the_latest_statement_claim():
    # issue 16: the credit went on the latest claim at statement level
    stmt = claim(1, VISIT - dt.timedelta(days=90), "20.00", level="Statement")
    recent = claim(2, VISIT, "0.00", level="Primary")
    same_day = claim(3, VISIT, "0.00", level="Primary")
    skipped = claim(4, VISIT + dt.timedelta(days=5), "0.00", status="Collections")
    rules = Rules(credit_hold_days=0, skip_statuses=frozenset({"Collections"}))
    d = decide(receipt("general", "50.00"), [stmt, recent, same_day, skipped], rules, VISIT)
    assert d.status == "Completed"
    assert apps(d) == [(11, "20.00", False), (31, "30.00", True)]  # DOS tie: the higher id
    assert d.claim_status == {3: "Credit Balance"}


def test_credit_claim_status_follows_the_setting():
    rules = Rules(credit_status="Patient Credit", credit_hold_days=0)
    d = decide(receipt("general", "5.00"), [claim(1, VISIT, "0.00", level="Statement")], rules,
               VISIT)
    assert d.status == "Completed" and apps(d) == [(11, "5.00", True)]
    assert d.claim_status == {1: "Patient Credit"}


def test_negative_line_balance_is_never_paid_further():
    c = claim(1, VISIT, "-5.00", "10.00", level="Statement")
    d = decide(receipt("general", "10.00"), [c], R, TODAY)
    assert apps(d) == [(12, "10.00", False)]


def test_rules_from_settings_follow_every_field():
    s = PracticeSettings(
        copay_hold_days=1, credit_receipt_hold_days=2, credit_receipt_claim_status="CB",
        disbursement_order="newest_first", copays_limited_to_copay_procedures=True,
        copays_across_procedures=True, receipt_statement_statuses=["S"],
        receipt_skip_auto_association_statuses=["X"],
    )
    assert Rules.from_settings(s) == Rules(1, 2, "CB", "newest_first", True, True,
                                           frozenset({"S"}), frozenset({"X"}))
    assert Rules.from_settings(PracticeSettings()) == Rules()


def test_commit_moves_balances_and_claim_status_for_the_next_receipt():
    claims = _three_statement_claims()
    d1 = decide(receipt("general", "35.00"), claims, R, TODAY)
    commit(d1, claims)
    d2 = decide(receipt("general", "35.00"), claims, R, TODAY)
    assert apps(d2) == [(21, "10.00", False), (22, "25.00", False)]
    commit(d2, claims)
    assert all(x.patient_balance == 0 for c in claims for x in c.lines)
    d3 = decide(receipt("general", "1.00"), claims, Rules(credit_hold_days=0), TODAY)
    commit(d3, claims)
    assert claims[1].status == "Credit Balance"
    assert claims[1].lines[0].patient_balance == D("-1.00")
    assert isinstance(d3.applications[0], Application)
