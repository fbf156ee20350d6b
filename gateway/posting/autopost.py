"""Auto-posting of ERA deposits, by the practice setting "auto-post ERAs".

`auto_post_eras_delay_days`: -1 never, 0 at once (on import), n = n days after the deposit
date. `auto_post_eras_payer_overrides` maps a payer to its own delay; the key is the payer's
row id ("12"), its clearinghouse payer id ("ACME1") or the payer id printed on the ERA.

The scheduler calls `auto_post_all(session)` (every practice) or `post_due_deposits(session,
practice_id)`; the ERA import calls `post_due_deposits` for the deposits it just made, which
posts the ones with delay 0. Deposits with open deposit-level errors wait for a biller.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.practice_settings import PracticeSettings, decode_settings
from gateway.db.models import Payer, Practice
from gateway.posting.engine import open_deposit_errors, post_deposit
from gateway.posting.models import Deposit

log = logging.getLogger("gateway.posting.autopost")


def delay_for(settings: PracticeSettings, keys: Sequence[str | None]) -> int:
    """The delay that applies to a deposit whose payer is known by any of `keys`."""
    overrides = settings.auto_post_eras_payer_overrides
    for k in keys:
        if k and k in overrides:
            return overrides[k]
    return settings.auto_post_eras_delay_days


def is_due(delay: int, deposit_date: dt.date, today: dt.date) -> bool:
    if delay < 0:
        return False
    if delay == 0:
        return True
    return today >= deposit_date + dt.timedelta(days=delay)


async def post_due_deposits(
    session: AsyncSession,
    practice_id: int,
    *,
    today: dt.date | None = None,
    deposit_ids: Sequence[int] | None = None,
    actor: str = "job:auto_post",
) -> list[int]:
    """Post the practice's new ERA deposits whose auto-post delay has passed; their ids."""
    practice = await session.get(Practice, practice_id)
    if practice is None:
        return []
    settings = decode_settings(practice.settings)
    if settings.auto_post_eras_delay_days < 0 and not any(
        v >= 0 for v in settings.auto_post_eras_payer_overrides.values()
    ):
        return []
    today = today or dt.date.today()
    q = (
        select(Deposit.id, Deposit.deposit_date, Deposit.payer_id, Deposit.era_payer_id,
               Payer.payer_id)
        .outerjoin(Payer, Payer.id == Deposit.payer_id)
        .where(Deposit.practice_id == practice_id, Deposit.type == "ERA",
               Deposit.status == "New", Deposit.posted_status == "Not Disbursed")
        .order_by(Deposit.id)
    )
    if deposit_ids is not None:
        if not deposit_ids:
            return []
        q = q.where(Deposit.id.in_(list(deposit_ids)))
    posted: list[int] = []
    for dep_id, dep_date, payer_pk, era_payer_id, ch_payer_id in (await session.execute(q)).all():
        delay = delay_for(settings, [str(payer_pk) if payer_pk else None, ch_payer_id,
                                     era_payer_id])
        if not is_due(delay, dep_date, today):
            continue
        if await open_deposit_errors(session, dep_id):
            continue
        await post_deposit(session, practice_id, dep_id, actor=actor)
        posted.append(dep_id)
    if posted:
        log.info("practice %s: auto-posted deposits %s", practice_id, posted)
    return posted


async def auto_post_all(
    session: AsyncSession, *, today: dt.date | None = None, actor: str = "job:auto_post"
) -> dict[int, list[int]]:
    """`post_due_deposits` for every practice (the scheduled job)."""
    out: dict[int, list[int]] = {}
    for pid in (await session.scalars(select(Practice.id).order_by(Practice.id))).all():
        done = await post_due_deposits(session, pid, today=today, actor=actor)
        if done:
            out[pid] = done
    return out
