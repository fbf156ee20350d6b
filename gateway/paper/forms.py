"""A claim's CMS-1500 data (`ClaimForm`) from the ledger: patient, the billed coverage, its
lines, the billing provider (the connector's `edi.billing_provider`), and for a secondary or
tertiary claim the prior payer (boxes 9, 9a, 9d, 11d) and what it paid (box 29) from its
posted ERA, as the electronic COB claim states it.

A claim that cannot be printed raises `UserError` saying why (the run history groups them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.clearinghouse.chunk import Chunk, ClaimRow, LineRow, PatientRow
from gateway.core.errors import UserError
from gateway.db.models import Location

from .cms1500 import BOXES, ClaimForm, FormLine, money_boxes

LETTERS = "ABCDEFGHIJKL"
CHUNK = 1000  # claims read together (one query per table)


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


def _form_line(ln: LineRow, claim: ClaimRow, npi: str) -> FormLine:
    served = ln.service_date or claim.service_date_from
    pointers = "".join(LETTERS[p - 1] for p in (ln.diagnosis_pointers or [1])[:4]
                       if 1 <= p <= len(LETTERS))
    units = ln.units.normalize() if ln.units else Decimal(1)
    return FormLine(date_from=_date(served, 2), date_to=_date(served, 2), place="11",
                    code=ln.procedure_code, modifiers=list(ln.modifiers or [])[:4],
                    pointer=pointers, charge=money_boxes(_cents(ln.charge),
                                                         BOXES["28"].width - 1),
                    units=f"{units:f}", npi=npi)


def _prior_payer(claim: ClaimRow, patient: PatientRow, pre: Chunk) -> dict[str, str]:
    """Boxes 9, 9a, 9d, 11d and 29 of a secondary / tertiary claim."""
    prior, posted = pre.cob.adjudication(claim)
    payer = pre.payers.get(prior.payer_id) if prior.payer_id else None
    coverage = pre.coverages.get((claim.patient_id, prior.payer_rank))
    return {
        "9": f"{patient.last_name or ''}, {patient.first_name or ''}",
        "9a": (coverage.member_id if coverage else None) or posted.member_id or "",
        "9d": payer.name if payer else "", "11d_yes": "X",
        "29": money_boxes(_cents(posted.paid), BOXES["29"].width),
    }


async def claim_forms(session: AsyncSession, claims: list[ClaimRow], provider: Provider,
                      signed: dt.date) -> tuple[list[ClaimForm], list[dict[str, Any]]]:
    """The claims' form data, read a chunk at a time; (forms, the claims left out with why)."""
    forms: list[ClaimForm] = []
    skipped: list[dict[str, Any]] = []
    for i in range(0, len(claims), CHUNK):
        part = claims[i:i + CHUNK]
        pre = await Chunk.load(session, part)
        locations = {loc.id: loc.name for loc in await session.scalars(select(Location).where(
            Location.id.in_({c.location_id for c in part if c.location_id is not None})))}
        made, left = await asyncio.to_thread(  # bulk work: off the event loop
            _fill_forms, pre, provider, signed, locations)
        forms += made
        skipped += left
    return forms, skipped


def _fill_forms(pre: Chunk, provider: Provider, signed: dt.date, locations: dict[int, str]
                ) -> tuple[list[ClaimForm], list[dict[str, Any]]]:
    forms: list[ClaimForm] = []
    skipped: list[dict[str, Any]] = []
    for claim in pre.claims:
        try:
            forms.append(claim_form(claim, provider, signed, pre, locations))
        except UserError as exc:
            skipped.append({"claim_id": claim.id, "why": str(exc)})
    return forms, skipped


def claim_form(claim: ClaimRow, provider: Provider, signed: dt.date, pre: Chunk,
               locations: dict[int, str]) -> ClaimForm:
    """The claim's form data; UserError when it lacks what the form needs."""
    payer = pre.payers.get(claim.payer_id) if claim.payer_id else None
    if payer is None:
        raise UserError("the claim has no payer to print it for")
    patient, coverage, lines = pre.billed(claim)
    name = f"{patient.last_name or ''}, {patient.first_name or ''}"
    values = {
        "1": "X", "1a": coverage.member_id or "", "2": name, "3": _date(patient.dob),
        "3m": "X" if patient.sex == "M" else "", "3f": "X" if patient.sex == "F" else "",
        "4": coverage.subscriber_name or name, "5": patient.address_line1 or "",
        "5city": patient.city or "", "5state": patient.state or "", "5zip": patient.zip or "",
        "7": patient.address_line1 or "", "7city": patient.city or "",
        "7state": patient.state or "", "7zip": patient.zip or "",
        "6": "X", "11": coverage.group_number or "", "12": "SIGNATURE ON FILE",
        "13": "SIGNATURE ON FILE", "11d_no": "X", "21ind": "0",
        "25": provider.tin, "25ein": "X", "26": claim.patient_control_number or f"GW{claim.id}",
        "27": "X",
        "31": "SIGNATURE ON FILE", "31date": _date(signed),
        "33": provider.name, "33street": provider.street, "33city": provider.city_state_zip,
        "33a": provider.npi, "33phone": provider.phone,
    }
    if claim.location_id is not None:
        values["32"] = locations.get(claim.location_id, "")
    if claim.payer_rank > 1:
        values.pop("11d_no")
        values.update(_prior_payer(claim, patient, pre))
    return ClaimForm(claim_id=claim.id, carrier=[payer.name], values=values,
                     diagnoses=list(claim.diagnosis_codes or [])[:12],
                     lines=[_form_line(ln, claim, provider.npi) for ln in lines])
