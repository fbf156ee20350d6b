"""Manual edits of an account's patient or insurance portion.

An edit records who, when, the old (effective) value, the new value and why, and is audited.
It stays in force while the PMS keeps reporting the value it overrode (`synced_value`); once a
sync brings a different value the PMS wins: the edit is superseded and its editor notified.
A newer edit of the same portion replaces the older one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.balances.models import EDITABLE, AccountBalance, BalanceEdit
from gateway.core.errors import NotFound, UserError
from gateway.core.money import cents
from gateway.db.base import utcnow
from gateway.db.models import Notification


async def get_account(session: AsyncSession, practice_id: int, account_id: int) -> AccountBalance:
    row = await session.get(AccountBalance, account_id)
    if row is None or row.practice_id != practice_id:
        raise NotFound(f"no account {account_id}")
    return row


async def active_edits(session: AsyncSession, account_ids: list[int]) -> list[BalanceEdit]:
    if not account_ids:
        return []
    return list((await session.scalars(select(BalanceEdit).where(
        BalanceEdit.account_balance_id.in_(account_ids), BalanceEdit.status == "active")
        .order_by(BalanceEdit.id))).all())


async def set_portion(session: AsyncSession, practice_id: int, account_id: int, *,
                      field: str, value: Decimal, reason: str, actor: str,
                      user_id: int | None) -> BalanceEdit:
    """Override one portion of an account; the previous edit of that portion is replaced."""
    if field not in EDITABLE:
        raise UserError(f"only {' or '.join(EDITABLE)} can be edited", where="field")
    if not reason.strip():
        raise UserError("a reason is required", where="reason")
    account = await get_account(session, practice_id, account_id)
    new_value = cents(value)
    old_value: Decimal = getattr(account, field)
    for edit in await active_edits(session, [account.id]):
        if edit.field == field:
            old_value = edit.new_value
            edit.status, edit.ended_at = "replaced", utcnow()
    edit = BalanceEdit(practice_id=practice_id, account_balance_id=account.id, field=field,
                       synced_value=getattr(account, field), old_value=old_value,
                       new_value=new_value, reason=reason.strip(), user_id=user_id,
                       actor=actor, status="active")
    session.add(edit)
    await session.flush()
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="account.edit", object_type="account_balance", object_id=account.id,
                detail={"edit_id": edit.id, "field": field, "old": str(old_value),
                        "new": str(new_value), "synced": str(edit.synced_value)})
    return edit


async def supersede_moved_edits(session: AsyncSession, practice_id: int, sync_id: int,
                                moved: dict[int, dict[str, Any]]) -> int:
    """Edits whose portion the PMS now reports differently end here; their editors hear."""
    count = 0
    ids = list(moved)
    for start in range(0, len(ids), 5000):
        for edit in await active_edits(session, ids[start:start + 5000]):
            if moved[edit.account_balance_id][edit.field] == edit.synced_value:
                continue  # the PMS still says what the edit overrode: the edit stands
            edit.status, edit.ended_at = "superseded", utcnow()
            edit.superseded_by_sync_id = sync_id
            count += 1
            await audit(session, practice_id=practice_id, actor=f"balance_sync:{sync_id}",
                        action="account.edit_superseded", object_type="account_balance",
                        object_id=edit.account_balance_id, detail={"edit_id": edit.id})
            if edit.user_id is not None:
                session.add(Notification(
                    practice_id=practice_id, user_id=edit.user_id, kind="balance_edit_superseded",
                    message=f"Your edit {edit.id} of the {edit.field.replace('_', ' ')} of "
                            f"account {edit.account_balance_id} was superseded: the PMS "
                            "reported a new value.",
                    object_type="account_balance", object_id=edit.account_balance_id))
    return count


def effective(account: AccountBalance, edits: list[BalanceEdit]) -> dict[str, Decimal]:
    """The portions in force: an active edit's value, else the synced one."""
    values = {f: getattr(account, f) for f in EDITABLE}
    for edit in edits:
        if edit.status == "active":
            values[edit.field] = edit.new_value
    return values
