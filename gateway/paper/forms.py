"""A claim's CMS-1500 data (`ClaimForm`) from the ledger: patient, the billed coverage, its
lines, the billing provider (the connector's `edi.billing_provider`), and for a secondary or
tertiary claim the prior payer (boxes 9, 9a, 9d, 11d) and what it paid (box 29) from its
posted ERA, as the electronic COB claim states it.

A claim that cannot be printed raises `UserError` saying why (the run history groups them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clearinghouse import cob
from gateway.core.errors import UserError
from gateway.db.models import Coverage, Location, Patient, Payer
from gateway.ledger.models import Claim, ClaimLine

from .cms1500 import BOXES, ClaimForm, FormLine, money_boxes

LETTERS = "ABCDEFGHIJKL"


class Provider(msgspec.Struct, kw_only=True):
    """Box 25 / 33 / 33a: who bills (the same settings an 837P's loop 2010AA is built from)."""

    name: str
    npi: str
    tin: str
    street: str = ""
    city_state_zip: str = ""
    phone: str = ""


def provider_from_edi(edi: dict[str, Any] | None) -> Provider:
    bp = (edi or {}).get("billing_provider")
    if not bp or not bp.get("npi") or not bp.get("tin"):
        raise UserError("no billing provider (npi, tin) in the connector's edi settings: "
                        "paper claims need box 25 and 33", where="config.edi.billing_provider")
    address = bp.get("address") or {}
    return Provider(
        name=" ".join(p for p in (bp.get("first_name", ""), bp["name"]) if p),
        npi=bp["npi"], tin=bp["tin"], street=address.get("line1", ""),
        city_state_zip=" ".join(p for p in (address.get("city", ""), address.get("state", ""),
                                           address.get("zip", "")) if p),
        phone=(edi or {}).get("contact_phone", ""),
    )


def _date(d: dt.date | None, year_digits: int = 4) -> str:
    if d is None:
        return ""
    return d.strftime("%m %d %Y" if year_digits == 4 else "%m %d %y")


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _form_line(ln: ClaimLine, claim: Claim, npi: str) -> FormLine:
    served = ln.service_date or claim.service_date_from
    pointers = "".join(LETTERS[p - 1] for p in (ln.diagnosis_pointers or [1])[:4]
                       if 1 <= p <= len(LETTERS))
    units = ln.units.normalize() if ln.units else Decimal(1)
    return FormLine(date_from=_date(served, 2), date_to=_date(served, 2), place="11",
                    code=ln.procedure_code, modifiers=list(ln.modifiers or [])[:4],
                    pointer=pointers, charge=money_boxes(_cents(ln.charge),
                                                         BOXES["28"].width - 1),
                    units=f"{units:f}", npi=npi)


async def _prior_payer(session: AsyncSession, claim: Claim, patient: Patient
                       ) -> dict[str, str]:
    """Boxes 9, 9a, 9d, 11d and 29 of a secondary / tertiary claim."""
    prior = await cob.prior_claim(session, claim)
    if prior is None:
        raise UserError(f"no rank {claim.payer_rank - 1} claim for the same visit to "
                        "coordinate benefits with")
    posted = await cob.posted_adjudication(session, prior)
    payer = await session.get(Payer, prior.payer_id) if prior.payer_id else None
    coverage = await session.scalar(select(Coverage).where(
        Coverage.patient_id == claim.patient_id, Coverage.rank == prior.payer_rank))
    return {
        "9": f"{patient.last_name or ''}, {patient.first_name or ''}",
        "9a": (coverage.member_id if coverage else None) or posted.member_id or "",
        "9d": payer.name if payer else "", "11d_yes": "X",
        "29": money_boxes(_cents(posted.paid), BOXES["29"].width),
    }


async def claim_form(session: AsyncSession, claim: Claim, provider: Provider,
                     signed: dt.date) -> ClaimForm:
    """The claim's form data; UserError when it lacks what the form needs."""
    patient = await session.get(Patient, claim.patient_id)
    payer = await session.get(Payer, claim.payer_id) if claim.payer_id else None
    if patient is None or payer is None:
        raise UserError("the claim has no payer to print it for")
    coverage = await session.scalar(select(Coverage).where(
        Coverage.patient_id == claim.patient_id, Coverage.rank == claim.payer_rank))
    if coverage is None or not coverage.member_id:
        raise UserError("no member id for the billed coverage")
    lines = list((await session.scalars(select(ClaimLine).where(
        ClaimLine.claim_id == claim.id).order_by(ClaimLine.line_number))).all())
    if not lines:
        raise UserError("the claim has no lines")
    if not claim.patient_control_number:
        claim.patient_control_number = f"GW{claim.id}"
    name = f"{patient.last_name or ''}, {patient.first_name or ''}"
    values = {
        "1": "X", "1a": coverage.member_id, "2": name, "3": _date(patient.dob),
        "3m": "X" if patient.sex == "M" else "", "3f": "X" if patient.sex == "F" else "",
        "4": coverage.subscriber_name or name, "5": patient.address_line1 or "",
        "5city": patient.city or "", "5state": patient.state or "", "5zip": patient.zip or "",
        "7": patient.address_line1 or "", "7city": patient.city or "",
        "7state": patient.state or "", "7zip": patient.zip or "",
        "6": "X", "11": coverage.group_number or "", "12": "SIGNATURE ON FILE",
        "13": "SIGNATURE ON FILE", "11d_no": "X", "21ind": "0",
        "25": provider.tin, "25ein": "X", "26": claim.patient_control_number, "27": "X",
        "31": "SIGNATURE ON FILE", "31date": _date(signed),
        "33": provider.name, "33street": provider.street, "33city": provider.city_state_zip,
        "33a": provider.npi, "33phone": provider.phone,
    }
    if claim.location_id is not None:
        location = await session.get(Location, claim.location_id)
        values["32"] = location.name if location else ""
    if claim.payer_rank > 1:
        values.pop("11d_no")
        values.update(await _prior_payer(session, claim, patient))
    return ClaimForm(claim_id=claim.id, carrier=[payer.name], values=values,
                     diagnoses=list(claim.diagnosis_codes or [])[:12],
                     lines=[_form_line(ln, claim, provider.npi) for ln in lines])
