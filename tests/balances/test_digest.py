"""An unchanged export in a new file (rows in another order) is recognised by its digest: no
line is parsed, none compared in the database, nothing written. The digest the reader works
out in C loops is the one the lines' fingerprints add up to, whatever the file holds (quoted
cells, blank lines, lines without an account, an account that is not the first column)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.balances import compare, sync
from gateway.balances.layout import BalanceLayout
from gateway.balances.models import AccountBalanceHistory, BalanceSync
from gateway.balances.reader import CsvBalanceStream
from gateway.balances.service import sync_connector
from gateway.balances.unchanged import export_digest
from tests.balances.conftest import MakeConnector

HEADER = "Acct #,Location,Primary Ins,Balance,Pat Bal,Ins Bal,Ins Est,Current,31-60\n"
_stamp = [1_950_000_000]


def _line(account: str, total: int) -> str:
    return f"{account},Main,VSP,{total}.00,0.00,{total}.00,0.00,{total}.00,\n"


def _write(folder: Path, name: str, lines: list[str]) -> None:
    target = folder / name
    target.write_text(HEADER + "".join(lines))
    _stamp[0] += 60
    os.utime(target, (_stamp[0], _stamp[0]))


async def test_a_reordered_unchanged_export_is_answered_by_its_digest(
        session, practice, make_connector: MakeConnector, tmp_path: Path, monkeypatch):
    cid = await make_connector(practice.practice_id, "compulink")
    folder = tmp_path / "drop-compulink"
    lines = [_line(f"A{i:02d}", 100 + i) for i in range(40)]
    _write(folder, "day1.csv", lines)
    await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    kept = await session.scalar(select(BalanceSync.digest))
    assert kept is not None and kept[0] == 40

    compared: list[int] = []
    real_moved = compare.moved_lines

    async def spy(session: Any, connector_id: int, chunk: list[Any]) -> Any:  # the real one
        compared.append(len(chunk))
        return await real_moved(session, connector_id, chunk)

    monkeypatch.setattr(sync, "moved_lines", spy)
    _write(folder, "day2.csv", list(reversed(lines)))
    again = await sync_connector(session, practice.practice_id, cid)
    assert (again.sync_id, again.accounts, again.changed) == (None, 40, 0)
    assert compared == []  # not one line went to the database

    changed = [*reversed(lines[21:]), _line("A20", 999), *lines[:20]]
    _write(folder, "day3.csv", changed)
    third = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (third.changed, third.created, third.closed) == (1, 0, 0) and third.sync_id
    assert compared  # a digest that differs compares line by line
    assert await session.scalar(select(func.count()).select_from(AccountBalanceHistory)) == 41

    compared.clear()
    dropped = [line for line in changed if not line.startswith("A07,")]
    _write(folder, "day4.csv", dropped)
    fourth = await sync_connector(session, practice.practice_id, cid)
    assert fourth.closed == 1 and compared  # one account fewer is no match either


_LAYOUT = BalanceLayout(vendor="test", report="balances", aliases={
    "account": ("Acct",), "total": ("Balance",), "location": ("Location",)})
_cell = st.text(alphabet="ab 1.,\"", max_size=5)


@settings(max_examples=60, deadline=None)
@given(account_first=st.booleans(),
       rows=st.lists(st.tuples(st.sampled_from(["", " ", "A", "B1", "C 2"]), _cell,
                               st.integers(0, 99_999)), max_size=25, unique_by=lambda r: r[0]))
def test_the_fast_digest_is_the_sum_of_the_fingerprints(tmp_path_factory, account_first: bool,
                                                        rows: list[tuple[str, str, int]]):
    path = tmp_path_factory.mktemp("digest") / "export.csv"
    header = "Acct,Location,Balance" if account_first else "Location,Acct,Balance"
    body = []
    for account, location, cents in rows:
        loc = '"' + location.replace('"', '""') + '"' if '"' in location or "," in location \
            else location
        first, second = (account, loc) if account_first else (loc, account)
        body.append(f"{first},{second},{cents // 100}.{cents % 100:02d}" if account.strip()
                    else ",,")  # a line without an account is a blank line
    path.write_text("\n".join([header, *body, ""]))
    stream = CsvBalanceStream(_LAYOUT, "export.csv", str(path))

    class Plain:  # the same stream, not known as the CSV reader: the generic sum
        def chunks(self) -> Any:
            return stream.chunks()

        def parse(self, line: Any) -> Any:
            return stream.parse(line)

        def close(self) -> None:
            stream.close()

    assert list(stream.digest()) == export_digest(Plain())
