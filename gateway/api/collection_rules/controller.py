"""Collection rules: list, create, edit and delete the practice's automatic rules (data), and
the worklist they produce now (JSON; `/api/accounts/worklist.xlsx` is the workbook)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import PathId
from gateway.balances.collections import WorklistEntry, worklist
from gateway.balances.rules import (
    RuleChange,
    RuleView,
    create_rule,
    delete_rule,
    get_rule,
    list_rules,
    update_rule,
    view,
)


class NewRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    action: str  # reminder / collections
    criteria: dict[str, Any] = {}


class CollectionRuleController(Controller):
    path = "/api/collection-rules"
    tags = ["accounts"]
    guards = [requires("viewer")]

    @get("/")
    async def list_collection_rules(self, db: DB, principal: Me) -> list[RuleView]:
        """The practice's collection rules, oldest first."""
        return await list_rules(db, principal.practice_id)

    @get("/worklist")
    async def get_worklist(self, db: DB, principal: Me) -> list[WorklistEntry]:
        """Every (rule, account) that matches today: collections rules first."""
        return await worklist(db, principal.practice_id, dt.date.today())

    @post("/", guards=[requires("biller")])
    async def create_collection_rule(self, data: JSONBody[NewRule], db: DB,
                                     principal: Me) -> RuleView:
        """Create a rule (its name new in the practice; a taken name is a 400)."""
        rule_id = await create_rule(db, principal.practice_id, data.name, data.action,
                                    data.criteria, actor=principal.actor,
                                    user_id=principal.user_id)
        return view(await get_rule(db, principal.practice_id, rule_id))

    @patch("/{rule_id:int}", guards=[requires("biller")])
    async def edit_collection_rule(self, rule_id: PathId, data: JSONBody[RuleChange], db: DB,
                                   principal: Me) -> RuleView:
        """Change a rule's name, action or criteria (another practice's id is a 404)."""
        return await update_rule(db, principal.practice_id, rule_id, data,
                                 actor=principal.actor, user_id=principal.user_id)

    @delete("/{rule_id:int}", guards=[requires("biller")], status_code=204)
    async def delete_collection_rule(self, rule_id: PathId, db: DB, principal: Me) -> None:
        """Delete a rule (another practice's id is a 404)."""
        await delete_rule(db, principal.practice_id, rule_id, actor=principal.actor,
                          user_id=principal.user_id)


ROUTES = [CollectionRuleController]
