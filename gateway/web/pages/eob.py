"""Manual EOB entry, from the keyboard alone: header, then per procedure the payment, the
allowed amount (CO-45 follows, and the reverse) and adjustment lines; every field is saved to
the draft as it is left (htmx posts the form on change), and Save turns the draft into a
deposit through the posting service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import or_, select
from sqlalchemy.orm.attributes import flag_modified

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.core.errors import NotFound, UserError
from gateway.ledger.models import Claim, ClaimLine
from gateway.posting.eob import create_eob_deposit
from gateway.web import eob_draft, queries
from gateway.web.models import EobDraft
from gateway.web.render import page


async def _draft(db: DB, practice_id: int, draft_id: int) -> EobDraft:
    d = await db.get(EobDraft, draft_id)
    if d is None or d.practice_id != practice_id:
        raise NotFound(f"no EOB draft {draft_id}")
    return d


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _take_fields(request: Request[Any, Any, Any], draft: EobDraft) -> dict[str, Any]:
    """Copy the submitted form into the draft; returns what the page must refresh."""
    form = await request.form()
    payload = dict(draft.payload)
    for name in eob_draft.HEADER_FIELDS:
        if name in form:
            payload[name] = _field(form, name).strip()
    grew: list[tuple[int, int, int]] = []
    for ci, c in enumerate(payload.get("claims", [])):
        for li, ln in enumerate(c["lines"]):
            key = f"c{ci}-l{li}"
            if f"{key}-paid" not in form:
                continue
            adjs = []
            ai = 0
            while f"{key}-a{ai}-code" in form:
                adjs.append((_field(form, f"{key}-a{ai}-code"),
                             _field(form, f"{key}-a{ai}-amount")))
                ai += 1
            eob_draft.update_line(ln, _field(form, f"{key}-paid"),
                                  _field(form, f"{key}-allowed"),
                                  _field(form, f"{key}-co45"), adjs)
            if adjs and (adjs[-1][0].strip() or adjs[-1][1].strip()):
                grew.append((ci, li, ai))
    draft.payload = payload
    flag_modified(draft, "payload")
    return {"grew": grew, "submitted": form}


@post("/deposits/eob", guards=[requires("biller")], status_code=303)
async def new_draft(db: DB, principal: Me) -> Redirect:
    draft = EobDraft(practice_id=principal.practice_id, user_id=principal.user_id,
                     payload={"deposit_date": dt.date.today().isoformat(), "claims": []})
    db.add(draft)
    await db.flush()
    return Redirect(f"/deposits/eob/{draft.id}", status_code=303)


@get("/deposits/eob/{draft_id:int}", guards=[requires("biller")])
async def show_draft(request: Request[Any, Any, Any], db: DB, principal: Me,
                     draft_id: FromPath[int], focus: FromQuery[str] = "") -> Template:
    draft = await _draft(db, principal.practice_id, draft_id)
    payers = await queries.practice_payers(db, principal.practice_id)
    return page(request, "eob.html", draft=draft, p=draft.payload, payers=payers,
                focus=focus or ("payer_id" if not draft.payload.get("claims") else ""),
                entered=eob_draft.entered_total(draft.payload))


@post("/deposits/eob/{draft_id:int}/fields", guards=[requires("biller")], status_code=200)
async def save_fields(request: Request[Any, Any, Any], db: DB, principal: Me,
                      draft_id: FromPath[int]) -> Template:
    """Each field as it is left: saved, and the computed figures sent back (htmx oob)."""
    draft = await _draft(db, principal.practice_id, draft_id)
    changed = await _take_fields(request, draft)
    form = changed["submitted"]
    refresh = []
    for ci, c in enumerate(draft.payload.get("claims", [])):
        for li, ln in enumerate(c["lines"]):
            key = f"c{ci}-l{li}"
            refresh.append((ci, li, ln, _field(form, f"{key}-allowed").strip() != ln["allowed"],
                            _field(form, f"{key}-co45").strip() != ln["co45"]))
    return page(request, "_eob_saved.html", draft=draft, p=draft.payload, refresh=refresh, focus="",
                grew=changed["grew"], entered=eob_draft.entered_total(draft.payload))


@post("/deposits/eob/{draft_id:int}/claims", guards=[requires("biller")], status_code=303)
async def add_claim(request: Request[Any, Any, Any], db: DB, principal: Me,
                    draft_id: FromPath[int]) -> Redirect:
    """Enter in any field saves; with a claim ID or control number typed, adds that claim."""
    draft = await _draft(db, principal.practice_id, draft_id)
    await _take_fields(request, draft)
    ref = _field(await request.form(), "claim_ref").strip()
    if not ref:
        return Redirect(f"/deposits/eob/{draft.id}", status_code=303)
    cond = [Claim.patient_control_number == ref]
    if ref.isdigit():
        cond.append(Claim.id == int(ref))
    claim = await db.scalar(select(Claim).where(Claim.practice_id == principal.practice_id,
                                                or_(*cond)).limit(1))
    if claim is None:
        raise NotFound(f"no claim {ref!r} in this practice (give its ID or control number)")
    payload = dict(draft.payload)
    claims = list(payload.get("claims", []))
    if any(c["claim_id"] == claim.id for c in claims):
        raise UserError(f"claim {ref} is already on this EOB", where="claim_ref")
    lines = (await db.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim.id)
                              .order_by(ClaimLine.line_number))).all()
    claims.append({"claim_id": claim.id, "label": claim.patient_control_number or str(claim.id),
                   "service_date": claim.service_date_from.isoformat(),
                   "lines": [eob_draft.new_line(ln.id, ln.line_number, ln.procedure_code,
                                                ln.charge) for ln in lines]})
    payload["claims"] = claims
    draft.payload = payload
    flag_modified(draft, "payload")
    return Redirect(f"/deposits/eob/{draft.id}?focus=c{len(claims) - 1}-l0-paid",
                    status_code=303)


@post("/deposits/eob/{draft_id:int}/save", guards=[requires("biller")], status_code=303)
async def save_eob(request: Request[Any, Any, Any], db: DB, principal: Me,
                   draft_id: FromPath[int]) -> Response[Any]:
    draft = await _draft(db, principal.practice_id, draft_id)
    await _take_fields(request, draft)
    body = eob_draft.to_eob(draft.payload)
    deposit_id = await create_eob_deposit(db, principal.practice_id, body,
                                          actor=principal.actor, user_id=principal.user_id)
    await db.delete(draft)
    return Redirect(f"/deposits/{deposit_id}?done=created", status_code=303)


@post("/deposits/eob/{draft_id:int}/discard", guards=[requires("biller")], status_code=303)
async def discard(db: DB, principal: Me, draft_id: FromPath[int]) -> Redirect:
    await db.delete(await _draft(db, principal.practice_id, draft_id))
    return Redirect("/deposits", status_code=303)


ROUTES = [new_draft, show_draft, save_fields, add_claim, save_eob, discard]
