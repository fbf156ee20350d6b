"""Posting rules: shipped defaults as data, practice ("company") rules and payer overrides.

Three kinds of rule:

* reason rules: adjustment group (optional) + reason code (CARC) -> payment type, denial flag,
  claim status / level / sub-status override;
* remit-status rules: CLP02 x outcome (zero_balance, next_insurance, no_insurance) -> claim
  status, level, sub-status;
* PLB rules: PLB reason -> "report" (shown on the deposit only) or "apply" (posted to the claim
  the PLB reference names).

Lookup, most specific first: payer override (group+code, then code for any group), practice
rule (same order), shipped default (same order). No match for a reason code is the "Missing
Payment Type" error -- except that a CO adjustment on a $0-paid line is a denial unless its
rule says contractual write-off (denials are never written off silently).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.posting.models import PostingRule

PAYMENT_TYPES = (
    "write_off",  # contractual write-off: insurance_adjustment
    "adjustment",  # other insurance adjustment that reduces the balance
    "deductible",  # patient responsibility: transfer_to_patient
    "coinsurance",
    "copay",
    "patient_responsibility",
    "denial",  # no ledger effect; the claim is marked denied for follow-up
    "information",  # no ledger effect
)
PATIENT_TYPES = frozenset({"deductible", "coinsurance", "copay", "patient_responsibility"})
BALANCE_TYPES = frozenset({"write_off", "adjustment"})
OUTCOMES = ("zero_balance", "next_insurance", "no_insurance")
PLB_ACTIONS = ("report", "apply")
RuleKind = Literal["reason", "remit_status", "plb"]


class ReasonRule(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    payment_type: str
    group: str = ""  # "" = any group
    denial: bool = False
    claim_status: str | None = None
    claim_level: str | None = None
    claim_sub_status: str | None = None
    source: str = "default"  # default / practice / payer
    rule_id: int | None = None


class StatusRule(msgspec.Struct, frozen=True, kw_only=True):
    code: str  # CLP02
    outcome: str
    claim_status: str | None = None
    claim_level: str | None = None  # None = keep (or the next payer's level on next_insurance)
    claim_sub_status: str | None = None
    source: str = "default"
    rule_id: int | None = None


class PlbRule(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    action: str
    source: str = "default"
    rule_id: int | None = None


def _r(group: str, code: str, ptype: str, **kw: object) -> ReasonRule:
    return ReasonRule(group=group, code=code, payment_type=ptype, **kw)  # type: ignore[arg-type]


_DENIED = "Denied"

DEFAULT_REASON_RULES: tuple[ReasonRule, ...] = (
    # contractual write-offs
    _r("CO", "45", "write_off"),
    _r("PI", "45", "write_off"),
    _r("CO", "253", "adjustment"),  # sequestration
    _r("CO", "42", "write_off"),
    _r("CO", "59", "write_off"),
    _r("CO", "94", "write_off"),
    # patient responsibility
    _r("PR", "1", "deductible"),
    _r("PR", "2", "coinsurance"),
    _r("PR", "3", "copay"),
    _r("PR", "45", "patient_responsibility"),
    _r("PR", "96", "patient_responsibility"),
    _r("PR", "204", "patient_responsibility"),
    _r("PR", "B1", "patient_responsibility"),
    # manual EOB service-line adjustments (group SL)
    _r("SL", "45", "write_off"),
    _r("SL", "1", "deductible"),
    _r("SL", "2", "coinsurance"),
    _r("SL", "3", "copay"),
    # information only
    _r("OA", "23", "information"),  # impact of prior payer adjudication
    _r("CR", "23", "information"),
    # denials: never written off; the claim goes to the denial workflow
    _r("", "4", "denial", denial=True, claim_sub_status="Modifier inconsistent"),
    _r("", "11", "denial", denial=True, claim_sub_status="Diagnosis inconsistent"),
    _r("", "16", "denial", denial=True, claim_sub_status="Missing information"),
    _r("", "18", "denial", denial=True, claim_sub_status="Duplicate claim"),
    _r("", "22", "denial", denial=True, claim_sub_status="Other coverage primary"),
    _r("", "27", "denial", denial=True, claim_sub_status="Coverage terminated"),
    _r("", "29", "denial", denial=True, claim_sub_status="Timely filing"),
    _r("", "31", "denial", denial=True, claim_sub_status="Not a member"),
    _r("", "50", "denial", denial=True, claim_sub_status="Not medically necessary"),
    _r("", "96", "denial", denial=True, claim_sub_status="Non-covered"),
    _r("", "97", "denial", denial=True, claim_sub_status="Bundled"),
    _r("", "109", "denial", denial=True, claim_sub_status="Not our claim"),
    _r("", "197", "denial", denial=True, claim_sub_status="Authorization missing"),
    _r("", "204", "denial", denial=True, claim_sub_status="Not covered by plan"),
)


def _s(code: str, outcome: str, status: str | None, level: str | None = None,
       sub: str | None = None) -> StatusRule:
    return StatusRule(code=code, outcome=outcome, claim_status=status, claim_level=level,
                      claim_sub_status=sub)


DEFAULT_STATUS_RULES: tuple[StatusRule, ...] = (
    *(
        rule
        for code in ("1", "2", "3")
        for rule in (
            _s(code, "zero_balance", "Paid"),
            _s(code, "next_insurance", "Ready to Bill"),
            _s(code, "no_insurance", "Patient Balance", "Patient"),
        )
    ),
    *(
        rule
        for code in ("19", "20", "21")
        for rule in (
            _s(code, "zero_balance", "Paid"),
            _s(code, "next_insurance", "Crossed Over", None, "Billed by crossover"),
            _s(code, "no_insurance", "Patient Balance", "Patient"),
        )
    ),
    *(_s("4", o, _DENIED, None, "Denied by payer") for o in OUTCOMES),
    *(_s("22", o, "Reversed", None, "Payer reversed payment") for o in OUTCOMES),
    *(_s("23", o, "Review", None, "Not our claim") for o in OUTCOMES),
)

DEFAULT_PLB_RULES: tuple[PlbRule, ...] = (
    PlbRule(code="L6", action="report"),  # interest
    PlbRule(code="FB", action="report"),  # forwarding balance
    PlbRule(code="WO", action="report"),  # overpayment recovery (set "apply" per payer)
    PlbRule(code="72", action="report"),  # authorized return
    PlbRule(code="CS", action="report"),  # adjustment
)


class RuleSet:
    """The effective rules for one practice and payer, looked up in memory (posting calls this
    for every adjustment of every claim, so it is loaded once per deposit)."""

    def __init__(self, rows: Iterable[PostingRule], payer_id: int | None) -> None:
        self.payer_id = payer_id
        self.reason: dict[tuple[str, str, str], ReasonRule] = {}
        self.status: dict[tuple[str, str, str], StatusRule] = {}
        self.plb: dict[tuple[str, str], PlbRule] = {}
        for r in DEFAULT_REASON_RULES:
            self.reason[("default", r.group, r.code)] = r
        for s in DEFAULT_STATUS_RULES:
            self.status[("default", s.code, s.outcome)] = s
        for p in DEFAULT_PLB_RULES:
            self.plb[("default", p.code)] = p
        for row in rows:
            if row.payer_id is not None and row.payer_id != payer_id:
                continue
            scope = "payer" if row.payer_id is not None else "practice"
            if row.kind == "reason":
                self.reason[(scope, row.group_code, row.code)] = ReasonRule(
                    group=row.group_code, code=row.code, payment_type=row.payment_type or "",
                    denial=row.denial, claim_status=row.claim_status,
                    claim_level=row.claim_level, claim_sub_status=row.claim_sub_status,
                    source=scope, rule_id=row.id,
                )
            elif row.kind == "remit_status":
                self.status[(scope, row.code, row.outcome)] = StatusRule(
                    code=row.code, outcome=row.outcome, claim_status=row.claim_status,
                    claim_level=row.claim_level, claim_sub_status=row.claim_sub_status,
                    source=scope, rule_id=row.id,
                )
            elif row.kind == "plb":
                self.plb[(scope, row.code)] = PlbRule(
                    code=row.code, action=row.plb_action or "report", source=scope,
                    rule_id=row.id,
                )
        self._cache: dict[tuple[str, str], ReasonRule | None] = {}

    def reason_rule(self, group: str, code: str) -> ReasonRule | None:
        key = (group, code)
        if key in self._cache:
            return self._cache[key]
        found = None
        for scope in ("payer", "practice", "default"):
            found = self.reason.get((scope, group, code)) or self.reason.get((scope, "", code))
            if found is not None:
                break
        self._cache[key] = found
        return found

    def status_rule(self, code: str, outcome: str) -> StatusRule | None:
        for scope in ("payer", "practice", "default"):
            found = self.status.get((scope, code, outcome))
            if found is not None:
                return found
        return None

    def plb_action(self, code: str) -> str:
        for scope in ("payer", "practice", "default"):
            found = self.plb.get((scope, code))
            if found is not None:
                return found.action
        return "report"


async def load_rules(session: AsyncSession, practice_id: int, payer_id: int | None) -> RuleSet:
    rows = (
        await session.scalars(select(PostingRule).where(PostingRule.practice_id == practice_id))
    ).all()
    return RuleSet(rows, payer_id)


def classify(
    rules: RuleSet, group: str, code: str, *, line_paid_zero: bool, claim_denied: bool
) -> tuple[str | None, ReasonRule | None]:
    """The payment type of one adjustment, and the rule that decided it.

    A CO (or PI/OA) adjustment on a $0-paid line, or on a claim the payer denied (CLP02 = 4),
    is a denial unless its rule says contractual write-off: a denial is never written off.
    """
    rule = rules.reason_rule(group, code)
    ptype = rule.payment_type if rule is not None else None
    if group in ("CO", "PI", "OA") and (line_paid_zero or claim_denied):
        if ptype not in ("write_off", "information"):
            return "denial", rule
    return ptype, rule


# -- editing rules (API) ----------------------------------------------------------------------


async def list_rules(session: AsyncSession, practice_id: int, kind: str | None = None,
                     payer_id: int | None = None) -> list[Any]:
    """The shipped defaults and the practice's own rules (payer overrides included)."""
    from gateway.posting.schemas import RuleOut

    out: list[RuleOut] = []
    if kind in (None, "reason"):
        out += [RuleOut(id=None, kind="reason", source="default", code=r.code, group=r.group,
                        payment_type=r.payment_type, denial=r.denial,
                        claim_status=r.claim_status, claim_level=r.claim_level,
                        claim_sub_status=r.claim_sub_status) for r in DEFAULT_REASON_RULES]
    if kind in (None, "remit_status"):
        out += [RuleOut(id=None, kind="remit_status", source="default", code=s.code,
                        outcome=s.outcome, claim_status=s.claim_status,
                        claim_level=s.claim_level, claim_sub_status=s.claim_sub_status)
                for s in DEFAULT_STATUS_RULES]
    if kind in (None, "plb"):
        out += [RuleOut(id=None, kind="plb", source="default", code=p.code, plb_action=p.action)
                for p in DEFAULT_PLB_RULES]
    q = select(PostingRule).where(PostingRule.practice_id == practice_id).order_by(PostingRule.id)
    if kind:
        q = q.where(PostingRule.kind == kind)
    if payer_id is not None:
        q = q.where(PostingRule.payer_id == payer_id)
    out += [rule_out(r) for r in (await session.scalars(q)).all()]
    return out


def rule_out(r: PostingRule) -> Any:
    from gateway.posting.schemas import RuleOut

    return RuleOut(id=r.id, kind=r.kind, source="payer" if r.payer_id else "practice",
                   code=r.code, payer_id=r.payer_id, group=r.group_code, outcome=r.outcome,
                   payment_type=r.payment_type, denial=r.denial, claim_status=r.claim_status,
                   claim_level=r.claim_level, claim_sub_status=r.claim_sub_status,
                   plb_action=r.plb_action)


async def save_rule(session: AsyncSession, practice_id: int, body: Any, *, actor: str,
                    user_id: int | None = None) -> Any:
    """Create a practice rule or payer override, or replace the one with the same key."""
    from gateway.admin.audit import audit
    from gateway.core.errors import UserError
    from gateway.db.models import Payer
    from gateway.db.upsert import insert_if_absent

    code = body.code.strip().upper()
    group = body.group.strip().upper()
    if body.kind == "reason":
        if body.payment_type not in PAYMENT_TYPES:
            raise UserError(f"payment_type must be one of {', '.join(PAYMENT_TYPES)}",
                            where="payment_type")
        if body.outcome:
            raise UserError("reason rules have no outcome", where="outcome")
    elif body.kind == "remit_status":
        if body.outcome not in OUTCOMES:
            raise UserError(f"outcome must be one of {', '.join(OUTCOMES)}", where="outcome")
        group = ""
    elif body.kind == "plb":
        if body.plb_action not in PLB_ACTIONS:
            raise UserError("plb_action must be report or apply", where="plb_action")
        group = ""
    if body.payer_id is not None:
        payer = await session.get(Payer, body.payer_id)
        if payer is None or payer.practice_id != practice_id:
            raise UserError(f"no payer {body.payer_id} in this practice", where="payer_id")
    key = {"practice_id": practice_id, "kind": body.kind,
           "payer_scope": str(body.payer_id) if body.payer_id else "", "group_code": group,
           "code": code, "outcome": body.outcome}
    values = {"payer_id": body.payer_id, "payment_type": body.payment_type,
              "denial": body.denial or body.payment_type == "denial",
              "claim_status": body.claim_status, "claim_level": body.claim_level,
              "claim_sub_status": body.claim_sub_status, "plb_action": body.plb_action}
    new_id = await insert_if_absent(session, PostingRule.__table__,  # type: ignore[arg-type]
                                    {**key, **values}, list(key))
    rule = await session.scalar(select(PostingRule).where(
        *(getattr(PostingRule, k) == v for k, v in key.items())))
    assert rule is not None
    if new_id is None:
        for k, v in values.items():
            setattr(rule, k, v)
    await session.flush()
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="posting_rule.save", object_type="posting_rule", object_id=rule.id,
                detail={"kind": body.kind, "code": code, "group": group})
    return rule_out(rule)


async def delete_rule(session: AsyncSession, practice_id: int, rule_id: int, *, actor: str,
                      user_id: int | None = None) -> None:
    from gateway.admin.audit import audit
    from gateway.core.errors import NotFound

    rule = await session.get(PostingRule, rule_id)
    if rule is None or rule.practice_id != practice_id:
        raise NotFound(f"no posting rule {rule_id}")
    await session.delete(rule)
    await session.flush()
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="posting_rule.delete", object_type="posting_rule", object_id=rule_id,
                detail={"kind": rule.kind, "code": rule.code})
