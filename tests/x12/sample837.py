"""Claim batches used by the 837P tests (eye-care flavoured, fictitious people)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.core.x12.writer837p import (
    Address,
    AdjustmentInput,
    BillingProvider,
    ClaimBatchInput,
    ClaimInput,
    LineAdjudication,
    OtherPayer,
    Payer,
    Person,
    Receiver,
    RenderingProvider,
    ServiceLineInput,
    Submitter,
)

ADDR = Address(line1="100 MAIN ST", line2="SUITE 2", city="SPRINGFIELD", state="IL",
               zip="627011234")
PROVIDER = BillingProvider(name="Bright Eyes Optometry", npi="1234567893", tin="123456789",
                           address=ADDR, taxonomy="152W00000X")
PRIMARY = Payer(name="Vision Benefits of America", payer_id="VBA01",
                address=Address(line1="PO BOX 1", city="PITTSBURGH", state="PA", zip="15222"))
SECONDARY = Payer(name="Medicare Part B", payer_id="03402")
SUBSCRIBER = Person(last_name="Smith", first_name="Jane", member_id="JS00111223333",
                    address=ADDR, birth_date=dt.date(1960, 5, 1), gender="F")
CHILD = Person(last_name="Smith", first_name="Ted", address=ADDR,
               birth_date=dt.date(2012, 5, 1), gender="M")


def claim(pcn: str = "PT0000001", *, patient: Person | None = None,
          lines: int = 2, secondary: bool = False) -> ClaimInput:
    codes = [("92014", ()), ("92134", ("RT",)), ("92083", ()), ("V2020", ("LT", "GY"))]
    svc = tuple(
        ServiceLineInput(
            procedure_code=codes[i % 4][0], modifiers=codes[i % 4][1],
            charge=Decimal("150.00") + i, units=Decimal(1), diagnosis_pointers=(1, 2)[: 1 + i % 2],
            service_date=dt.date(2024, 3, 1), control_number=f"{pcn}-{i + 1}",
            prior_payment=LineAdjudication(
                paid=Decimal("80.00"),
                adjustments=(AdjustmentInput("CO", "45", Decimal("50.00")),
                             AdjustmentInput("PR", "2", Decimal(20) + i)),
                adjudication_date=dt.date(2024, 3, 20),
            ) if secondary else None,
        )
        for i in range(lines)
    )
    other = (
        OtherPayer(payer=PRIMARY, subscriber=SUBSCRIBER, paid=Decimal("80.00") * lines,
                   adjudication_date=dt.date(2024, 3, 20)),
    ) if secondary else ()
    return ClaimInput(
        patient_control_number=pcn,
        payer=SECONDARY if secondary else PRIMARY,
        subscriber=SUBSCRIBER,
        patient=patient,
        responsibility="S" if secondary else "P",
        group_number="GRP100",
        filing_indicator="MB" if secondary else "CI",
        diagnosis_codes=("H52.13", "H40.013"),
        lines=svc,
        rendering_provider=RenderingProvider(last_name="Patel", first_name="Anita",
                                             npi="1245319599", taxonomy="152W00000X"),
        other_payers=other,
    )


def batch(*claims: ClaimInput) -> ClaimBatchInput:
    return ClaimBatchInput(
        submitter=Submitter(name="Bright Eyes Optometry", id="TGJ23", contact_name="Jerry Doe",
                            phone="3055552222"),
        receiver=Receiver(name="Key Clearinghouse", id="66783JJT"),
        billing_provider=PROVIDER,
        claims=claims or (claim(),),
        sender_id="TGJ23",
        receiver_id="66783JJT",
        created=dt.datetime(2024, 3, 25, 10, 23),
    )
