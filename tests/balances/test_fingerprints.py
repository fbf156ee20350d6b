"""The cheap paths of a re-sync stay correct: the same file again answers from the last sync;
a re-export with the same amounts (rows moved, amounts written another way, cells quoted)
parses only the lines whose text moved and writes no sync; a changed amount among unchanged
lines still updates with history; a duplicate account anywhere in the file is refused."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.balances import reader
from gateway.balances.models import AccountBalance, AccountBalanceHistory, BalanceSync
from gateway.balances.service import sync_connector
from gateway.core.errors import UserError
from tests.balances.conftest import MakeConnector

HEADER = "Acct #,Location,Primary Ins,Balance,Pat Bal,Ins Bal,Ins Est,Current,31-60\n"
_stamp = [1_900_000_000]


def _line(account: str, total: int, patient: int) -> str:
    return (f"{account},Main,VSP,{total}.00,{patient}.00,{total - patient}.00,0.00,"
            f"{total}.00,\n")


def _write(folder: Path, name: str, lines: list[str]) -> None:
    target = folder / name
    target.write_text(HEADER + "".join(lines))
    _stamp[0] += 60
    os.utime(target, (_stamp[0], _stamp[0]))


async def _counts(session: AsyncSession) -> tuple[int, int]:
    return (await session.scalar(select(func.count()).select_from(BalanceSync)) or 0,
            await session.scalar(select(func.count()).select_from(AccountBalanceHistory)) or 0)


async def test_re_exports_compare_by_fingerprint(session, practice, make_connector: MakeConnector,
                                                 tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 7)  # several chunks, so lines meet across them
    cid = await make_connector(practice.practice_id, "compulink")
    folder = tmp_path / "drop-compulink"
    lines = [_line(f"A{i:02d}", 100 + i, i) for i in range(30)]
    _write(folder, "day1.csv", lines)
    first = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (first.created, first.accounts) == (30, 30)
    counts = await _counts(session)

    again = await sync_connector(session, practice.practice_id, cid)  # the very same file
    assert (again.sync_id, again.accounts, again.created + again.changed) == (None, 30, 0)

    parsed: list[int] = []
    real_parse = reader.CsvBalanceStream.parse

    def counting(self: reader.CsvBalanceStream, line: Any) -> Any:  # a spy on the real parse
        parsed.append(line[0])
        return real_parse(self, line)

    monkeypatch.setattr(reader.CsvBalanceStream, "parse", counting)
    moved = list(reversed(lines))
    moved[0] = moved[0].replace("129.00,29.00", "$129.00,\"29.00\"")  # same amounts, new text
    _write(folder, "day2.csv", moved)
    second = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (second.sync_id, second.accounts, second.changed, second.closed) == (None, 30, 0, 0)
    assert len(parsed) == 1  # only the line whose text moved was read whole
    assert await _counts(session) == counts

    parsed.clear()
    _write(folder, "day3.csv", moved)  # the re-export again: its fingerprint is stored now
    assert (await sync_connector(session, practice.practice_id, cid)).sync_id is None
    assert parsed == []

    changed = [*moved[:10], _line("A19", 500, 200), *moved[11:]]  # A19 moved, deep inside
    _write(folder, "day4.csv", changed)
    third = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (third.changed, third.created, third.closed) == (1, 0, 0) and third.sync_id
    a19 = await session.scalar(select(AccountBalance).where(AccountBalance.account == "A19"))
    assert a19 is not None and (a19.total, a19.patient_portion) == (Decimal("500.00"),
                                                                   Decimal("200.00"))
    assert await _counts(session) == (counts[0] + 1, counts[1] + 1)


async def test_duplicate_account_in_a_later_chunk_is_refused(session, practice, make_connector,
                                                             tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 5)
    cid = await make_connector(practice.practice_id, "compulink")
    lines = [_line(f"A{i:02d}", 100, 0) for i in range(12)] + [_line("A03", 100, 0)]
    _write(tmp_path / "drop-compulink", "dup.csv", lines)
    with pytest.raises(UserError) as exc:
        await sync_connector(session, practice.practice_id, cid)
    assert "A03 appears again" in str(exc.value) and "row 14" in str(exc.value.where)
