"""The posting error vocabulary: one list, read by the queue, and enforced by the database."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.posting import models
from gateway.posting.models import Deposit, PostingError
from gateway.posting.queue import ACTIONS, HANDLERS
from gateway.posting.vocabulary import (
    ERROR_TYPE_LEVELS,
    RESOLUTIONS,
    ErrorLevel,
    ErrorType,
    ResolveAction,
    actions_of,
)
from tests.posting import helpers as h

VERSIONS = Path(models.__file__).parents[1] / "db/migrations/versions"
MIGRATION = VERSIONS / "0010_posting_vocabulary.py"
# the latest migration that widened ck_posting_errors_type
TYPES_MIGRATION = VERSIONS / "0250_posting_duplicate_claim_payment.py"


def _migration(path: Path = MIGRATION):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_error_type_has_a_level_and_actions_with_handlers():
    for t in ErrorType:
        assert isinstance(t.level, ErrorLevel)
        assert t.actions and all(a in HANDLERS for a in t.actions)
        assert ACTIONS[t.value] == tuple(a.value for a in t.actions)
    assert set(HANDLERS) == set(ResolveAction)
    assert ErrorType("Payer Mismatch").level is ErrorLevel.DEPOSIT
    assert actions_of("Payment Exceeds Open Balance") == (ResolveAction.IGNORE,
                                                          ResolveAction.EXCLUDE)
    assert actions_of("no such type") == ()
    assert ("Missing Payment Type", "claim") in ERROR_TYPE_LEVELS


def test_migration_freezes_the_same_vocabulary():
    m = _migration()
    assert _migration(TYPES_MIGRATION).ERROR_TYPES == models.ERROR_TYPES
    assert m.LEVELS == models.ERROR_LEVELS
    assert m.RESOLUTIONS == RESOLUTIONS
    assert m.DEPOSIT_STATUSES == models.DEPOSIT_STATUSES
    assert m.POSTED_STATUSES == models.POSTED_STATUSES
    assert m.CLAIM_STATES == models.CLAIM_STATES


async def _deposit(session: AsyncSession, practice_id: int) -> int:
    dep = Deposit(practice_id=practice_id, type="EOB", deposit_date=dt.date(2026, 1, 5),
                  amount=Decimal("1.00"))
    session.add(dep)
    await session.flush()
    return dep.id


@pytest.mark.parametrize("column,value", [("type", "Made Up Error"), ("level", "line"),
                                          ("resolution", "shrugged")])
async def test_database_refuses_unknown_error_values(session, practice, column, value):
    await h.payers(session, practice.practice_id)
    dep_id = await _deposit(session, practice.practice_id)
    row = {"practice_id": practice.practice_id, "deposit_id": dep_id, "level": "deposit",
           "type": "Debit ERA", "message": "m", "detail": {}, column: value}
    with pytest.raises(IntegrityError):
        await session.execute(insert(PostingError.__table__).values(**row))

