"""Collection rules as data: list, create, edit and delete the rules of a practice (the API
and the CLI call these; `gateway.balances.collections` runs them into the worklist).

A rule's name is unique in its practice (the unique constraint decides); every change is
audited with who made it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

import msgspec
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.balances.models import CollectionRule
from gateway.core.errors import NotFound, UserError
from gateway.db.upsert import insert_if_absent

ACTIONS = ("reminder", "collections")


class Criteria(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """All optional, all must hold (see `CollectionRule`)."""

    min_patient_portion: Decimal | None = None
    oldest_bucket_at_least: Literal["0_30", "31_60", "61_90", "91_120", "120_plus"] | None = None
    no_payment_days: int | None = None
    not_in_collections: bool = False


class RuleView(msgspec.Struct, kw_only=True):
    id: int
    name: str
    action: str
    criteria: Criteria


class RuleChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What an edit sets (absent fields stay)."""

    name: str | None = None
    action: str | None = None
    criteria: dict[str, Any] | None = None


def _checked(name: str, action: str, criteria: dict[str, Any]) -> tuple[str, Criteria]:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise UserError("a rule needs a name of 1 to 120 characters", where="name")
    if action not in ACTIONS:
        raise UserError("action is reminder or collections", where="action")
    try:
        checked = msgspec.convert(criteria, Criteria, strict=False)
    except (msgspec.ValidationError, InvalidOperation) as exc:
        raise UserError(str(exc), where="criteria") from exc
    if checked.no_payment_days is not None and checked.no_payment_days < 0:
        raise UserError("no_payment_days is 0 or more", where="criteria.no_payment_days")
    return name, checked


def view(rule: CollectionRule) -> RuleView:
    return RuleView(id=rule.id, name=rule.name, action=rule.action,
                    criteria=msgspec.convert(rule.criteria, Criteria, strict=False))


async def list_rules(session: AsyncSession, practice_id: int) -> list[RuleView]:
    rules = await session.scalars(select(CollectionRule).where(
        CollectionRule.practice_id == practice_id).order_by(CollectionRule.id))
    return [view(r) for r in rules]


async def get_rule(session: AsyncSession, practice_id: int, rule_id: int) -> CollectionRule:
    rule = await session.get(CollectionRule, rule_id)
    if rule is None or rule.practice_id != practice_id:
        raise NotFound(f"no collection rule {rule_id}")
    return rule


async def create_rule(session: AsyncSession, practice_id: int, name: str, action: str,
                      criteria: dict[str, Any], *, actor: str = "system",
                      user_id: int | None = None) -> int:
    """A new rule; its name must be new in the practice."""
    name, checked = _checked(name, action, criteria)
    rule_id = await insert_if_absent(
        session, cast(Table, CollectionRule.__table__),
        {"practice_id": practice_id, "name": name, "action": action,
         "criteria": msgspec.to_builtins(checked)}, ["practice_id", "name"])
    if rule_id is None:
        raise UserError(f"a collection rule named {name!r} exists already", where="name")
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="collection_rule.create", object_type="collection_rule",
                object_id=rule_id, detail={"action": action})
    return rule_id


async def update_rule(session: AsyncSession, practice_id: int, rule_id: int,
                      change: RuleChange, *, actor: str, user_id: int | None = None
                      ) -> RuleView:
    rule = await get_rule(session, practice_id, rule_id)
    name, checked = _checked(change.name if change.name is not None else rule.name,
                             change.action or rule.action,
                             change.criteria if change.criteria is not None else rule.criteria)
    rule.name, rule.action, rule.criteria = name, change.action or rule.action, \
        msgspec.to_builtins(checked)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise UserError(f"a collection rule named {name!r} exists already",
                        where="name") from exc
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="collection_rule.edit", object_type="collection_rule",
                object_id=rule.id, detail={"action": rule.action})
    return view(rule)


async def delete_rule(session: AsyncSession, practice_id: int, rule_id: int, *, actor: str,
                      user_id: int | None = None) -> None:
    rule = await get_rule(session, practice_id, rule_id)
    await session.delete(rule)
    await session.flush()
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="collection_rule.delete", object_type="collection_rule",
                object_id=rule_id, detail={"name": rule.name})
