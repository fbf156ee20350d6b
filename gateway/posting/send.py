"""Send to Posting as a biller does it (the API and the page): post the deposit and record
who did it in the audit log, so both callers share one copy."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.audit import audit
from gateway.posting.engine import PostResult, post_deposit


async def send_to_posting(session: AsyncSession, practice_id: int, deposit_id: int, *,
                          actor: str, user_id: int | None) -> PostResult:
    """Post every claim of the deposit that can post (the rest go to the queue), audited."""
    result = await post_deposit(session, practice_id, deposit_id, actor=actor)
    await audit(session, practice_id=practice_id, actor=actor, user_id=user_id,
                action="deposit.post", object_type="deposit", object_id=deposit_id,
                detail={"posted_claims": result.posted_claims,
                        "error_claims": result.error_claims})
    return result
