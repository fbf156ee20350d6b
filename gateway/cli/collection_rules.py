"""`gateway collection-rules`: the practice's automatic collection rules (list, add, edit,
delete) and the worklist they produce now."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import click
import msgspec

from gateway.cli._util import emit, in_session, practice_command
from gateway.core.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

CRITERIA_HELP = ('criteria as JSON, e.g. \'{"min_patient_portion": "25.00", '
                 '"oldest_bucket_at_least": "61_90", "no_payment_days": 30, '
                 '"not_in_collections": true}\'')


@click.group("collection-rules")
def collection_rules() -> None:
    """Automatic collection rules (data) and the worklist they make."""


def _criteria(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"criteria is not JSON: {exc.msg}", where="--criteria") from exc
    if not isinstance(value, dict):
        raise UserError("criteria is a JSON object", where="--criteria")
    return value


def _rule_line(r: dict[str, Any]) -> str:
    return f"{r['id']:>5} {r['action']:<11} {r['name']}  {json.dumps(r['criteria'])}"


@practice_command(collection_rules, "list")
def rules_list(ctx: click.Context, practice_id: int, as_json: bool) -> None:
    """The practice's rules, oldest first."""
    from gateway.balances.rules import list_rules

    rules = in_session(ctx, lambda s: list_rules(s, practice_id))
    emit(msgspec.to_builtins(rules), as_json,
         lambda rows: "\n".join(_rule_line(r) for r in rows) or "no rules")


@practice_command(collection_rules, "add")
@click.option("--name", required=True)
@click.option("--action", required=True, type=click.Choice(["reminder", "collections"]))
@click.option("--criteria", default="{}", help=CRITERIA_HELP)
def rules_add(ctx: click.Context, practice_id: int, name: str, action: str, criteria: str,
              as_json: bool) -> None:
    """Add a rule (its name new in the practice)."""
    from gateway.balances.rules import create_rule, get_rule, view

    values = _criteria(criteria) or {}

    async def add(s: AsyncSession) -> dict[str, Any]:
        rule_id = await create_rule(s, practice_id, name, action, values, actor="cli")
        return msgspec.to_builtins(view(await get_rule(s, practice_id, rule_id)))

    emit(in_session(ctx, add), as_json, _rule_line)


@practice_command(collection_rules, "edit")
@click.argument("rule_id", type=int)
@click.option("--name")
@click.option("--action", type=click.Choice(["reminder", "collections"]))
@click.option("--criteria", help=CRITERIA_HELP + " (replaces the rule's criteria)")
def rules_edit(ctx: click.Context, practice_id: int, rule_id: int, name: str | None,
               action: str | None, criteria: str | None, as_json: bool) -> None:
    """Change a rule's name, action or criteria."""
    from gateway.balances.rules import RuleChange, update_rule

    change = RuleChange(name=name, action=action, criteria=_criteria(criteria))
    rule = in_session(ctx, lambda s: update_rule(s, practice_id, rule_id, change, actor="cli"))
    emit(msgspec.to_builtins(rule), as_json, _rule_line)


@practice_command(collection_rules, "delete")
@click.argument("rule_id", type=int)
def rules_delete(ctx: click.Context, practice_id: int, rule_id: int, as_json: bool) -> None:
    """Delete a rule."""
    from gateway.balances.rules import delete_rule

    in_session(ctx, lambda s: delete_rule(s, practice_id, rule_id, actor="cli"))
    emit({"deleted": rule_id}, as_json, lambda d: f"rule {d['deleted']} deleted")


@practice_command(collection_rules, "worklist")
def rules_worklist(ctx: click.Context, practice_id: int, as_json: bool) -> None:
    """Every (rule, account) that matches today."""
    from gateway.balances.collections import worklist

    entries = in_session(ctx, lambda s: worklist(s, practice_id, dt.date.today()))
    emit(msgspec.to_builtins(entries), as_json, lambda rows: "\n".join(
        f"{e['action']:<11} {e['rule']:<20} {e['account']:<14} patient {e['patient_portion']}"
        for e in rows) or "the worklist is empty")


def register(root: click.Group) -> None:
    root.add_command(collection_rules)
