"""A practice-data file is written a chunk at a time: the checks that span chunks (a key
repeated further down, a claim whose lines far apart disagree) still reject the whole file,
located, with nothing written; a good file gives the same result in any chunk size."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from gateway.core.records import PracticeFile, PracticeKind
from gateway.ledger.models import Claim, ClaimLine
from gateway.ledger.states import ClaimOrigin
from gateway.practice.layout import CANONICAL
from gateway.practice.service import PracticeDataRejected, apply_practice_data
from gateway.practice.stream import FileSource, StreamedPracticeData
from tests.practice.conftest import counts

PATIENTS = "pms_patient_id,last_name\n" + "".join(f"P{i},Last{i}\n" for i in range(1, 8))
# claim C1's lines are rows 2 and 7 (apart, in different chunks of 2); no line numbers
CLAIMS = ("pms_claim_id,pms_patient_id,service_date_from,procedure_code,charge\n"
          "C1,P1,2026-01-05,92014,100.00\n"
          "C2,P2,2026-01-05,92014,100.00\n"
          "C3,P3,2026-01-05,92014,100.00\n"
          "C4,P4,2026-01-05,92014,100.00\n"
          "C5,P5,2026-01-05,92014,100.00\n"
          "C1,P1,2026-01-05,92015,40.00\n")


def _data(files: dict[PracticeKind, str]) -> StreamedPracticeData:
    data = StreamedPracticeData(vendor="canonical")
    for kind, text in files.items():
        content = text.encode()
        name = f"{kind}.csv"
        data.sources.append(FileSource(kind=kind, name=name, layout=CANONICAL.files[kind],
                                       content=content))
        data.files.append(PracticeFile(kind=kind, name=name, size=len(content),
                                       sha256=hashlib.sha256(content).hexdigest()))
    return data


async def _apply(session, practice, files, chunk_size):
    return await apply_practice_data(session, practice.practice_id, _data(files),
                                     origin=ClaimOrigin.IMPORT, chunk_size=chunk_size)


@pytest.mark.parametrize("chunk_size", [2, 2000])
async def test_any_chunk_size_writes_the_same(session, practice, chunk_size):
    summary = await _apply(session, practice, {"patients": PATIENTS, "claims": CLAIMS},
                           chunk_size)
    await session.commit()
    assert summary.read == {"patients": 7, "coverages": 0, "appointments": 0, "claims": 5}
    assert (await counts(session, practice.practice_id))["claim_lines"] == 6
    c1 = await session.scalar(select(Claim.id).where(Claim.pms_claim_id == "C1"))
    lines = (await session.execute(select(ClaimLine.line_number, ClaimLine.procedure_code)
                                   .where(ClaimLine.claim_id == c1)
                                   .order_by(ClaimLine.line_number))).all()
    assert [tuple(r) for r in lines] == [(1, "92014"), (2, "92015")]  # numbering went on
    assert summary.charges == 6


async def test_a_key_repeated_in_a_later_chunk_rejects_everything(session, practice):
    repeated = PATIENTS + "P2,Again\n"
    with pytest.raises(PracticeDataRejected) as caught:
        await _apply(session, practice, {"patients": repeated}, 2)
    await session.rollback()
    assert [(p.file, p.row, p.column, p.why) for p in caught.value.problems] == [
        ("patients.csv", 9, "pms_patient_id", "repeats the record of row 3")]
    assert set((await counts(session, practice.practice_id)).values()) == {0}


async def test_a_claim_whose_far_lines_disagree_rejects_everything(session, practice):
    bad = CLAIMS.replace("C1,P1,2026-01-05,92015", "C1,P1,2026-01-06,92015")
    with pytest.raises(PracticeDataRejected) as caught:
        await _apply(session, practice, {"patients": PATIENTS, "claims": bad}, 2)
    await session.rollback()
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("claims.csv", 7, "service_date_from")]
    assert "claim C1's lines disagree (row 2" in caught.value.problems[0].why
    assert set((await counts(session, practice.practice_id)).values()) == {0}


async def test_a_bad_row_in_a_late_chunk_writes_nothing(session, practice):
    bad = PATIENTS.replace("P7,Last7", "P7," + "x" * 101)
    with pytest.raises(PracticeDataRejected) as caught:
        await _apply(session, practice, {"patients": bad, "claims": CLAIMS}, 2)
    await session.rollback()
    assert [(p.row, p.column) for p in caught.value.problems] == [(8, "last_name")]
    assert set((await counts(session, practice.practice_id)).values()) == {0}
