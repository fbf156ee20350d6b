"""Posting rules: the shipped defaults (read only) and the practice's rules and payer
overrides (admins edit them: a rule decides money for every future deposit)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.params import JSONBody

from gateway.api.auth import requires
from gateway.api.deps import DB, Me
from gateway.api.params import PathId, QueryId, QueryText
from gateway.posting import rules
from gateway.posting.schemas import RuleIn, RuleOut


class PostingRuleController(Controller):
    path = "/api/posting-rules"
    tags = ["posting"]

    @get("/", guards=[requires("viewer")])
    async def list_rules(self, db: DB, principal: Me, kind: QueryText = None,
                         payer_id: QueryId = None) -> list[RuleOut]:
        """The shipped defaults and the practice's rules (filter by kind or payer)."""
        return await rules.list_rules(db, principal.practice_id, kind, payer_id)

    @post("/", guards=[requires("admin")], status_code=200)
    async def save(self, data: JSONBody[RuleIn], db: DB, principal: Me) -> RuleOut:
        """Create a rule, or replace the one with the same kind, payer, group, code, outcome."""
        return await rules.save_rule(db, principal.practice_id, data, actor=principal.actor,
                                     user_id=principal.user_id)

    @delete("/{rule_id:int}", guards=[requires("admin")])
    async def remove(self, rule_id: PathId, db: DB, principal: Me) -> None:
        """Delete one of the practice's rules (the shipped defaults stay)."""
        await rules.delete_rule(db, principal.practice_id, rule_id, actor=principal.actor,
                                user_id=principal.user_id)


ROUTES = [PostingRuleController]
