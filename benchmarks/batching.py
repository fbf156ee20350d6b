"""Batch Claims on SQLite: ready claims into 837P files (primary and COB mixed) and paper
claims into a CMS-1500 PDF: claims/s and peak RSS, beside a bare 837P serialisation of the
same claims in the same run.

    .venv/bin/python benchmarks/batching.py                       # 50k claims, 5k paper
    .venv/bin/python benchmarks/batching.py --claims 5000 --paper 500

A fresh migrated database is filled (in a child process, so its memory does not count) with
one practice, a patient per visit, and per visit either one unbilled primary claim or (every
`--cob-every`th visit) an accepted primary with its posted ERA and an unbilled secondary
claim, two lines each; and the paper claims, for a payer that takes no electronic claims.

Phases, each in its own process (peak RSS is that process's high-water mark):
- batching: `build_claim_batch` from the last batch's last claim until nothing is ready
  (5,000 claims per 837P, one transaction each, as `submit_claims` builds them), RSS after
  each batch (flat = memory does not grow with the claim count);
- baseline: the same claims' writer inputs made first (untimed), then only `write_837p`
  on each 5,000 (the bare serialisation);
- paper: `build_print_batch` of the paper claims and its PDF (`batch_pdf`, plain form).
Target: batching within 2x of the baseline; the paper PDF under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from gateway.db.engine import make_engine, make_sessionmaker  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402

DOS = dt.date(2026, 11, 2)
EDI = {
    "sender_id": "TGJ23", "receiver_id": "66783JJT", "submitter_name": "Bench Eyes",
    "submitter_id": "TGJ23", "contact_name": "Jerry Doe", "contact_phone": "3055552222",
    "receiver_name": "Key Clearinghouse",
    "billing_provider": {"name": "Bench Eyes Optometry", "npi": "1234567893",
                         "tin": "123456789", "taxonomy": "152W00000X",
                         "address": {"line1": "100 MAIN ST", "city": "SPRINGFIELD",
                                     "state": "IL", "zip": "627011234"}},
    "production": False,
}
CHARGES = (Decimal("165.00"), Decimal("80.00"))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _fill(url: str, folder: str, n: int, n_paper: int, cob_every: int) -> None:
    from gateway.admin.connectors import create_connector
    from gateway.admin.practices import create_practice
    from gateway.db.models import Coverage, Patient, Payer
    from gateway.ledger.models import Claim, ClaimLine
    from gateway.posting.models import Deposit, DepositClaim, DepositProcedure

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s, s.begin():
        pid = await create_practice(s, "Bench Eye")
        dirs = {k: f"{folder}/{k}" for k in ("era_dir", "ack_dir", "claims_dir")}
        for path in dirs.values():
            Path(path).mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {"transport": "local", "after_download": "delete",
                                  "edi": EDI, **dirs}
        await create_connector(s, pid, "clearinghouse_sftp", "ch", config)
        payers = {}
        for key, name, pay_id, electronic in (("p", "Vision Benefits", "VBA01", True),
                                              ("s", "Medicare Part B", "03402", True),
                                              ("x", "Union Fund", None, False)):
            payer = Payer(practice_id=pid, name=name, normalized_name=name.lower(),
                          payer_id=pay_id, accepts_electronic_claims=electronic)
            s.add(payer)
            await s.flush()
            payers[key] = payer.id
        deposit = Deposit(practice_id=pid, type="ERA", deposit_date=DOS + dt.timedelta(days=20),
                          amount=Decimal("0.00"))
        s.add(deposit)
        await s.flush()
        await _fill_rows(s, pid, payers, deposit.id, n, n_paper, cob_every,
                         (Patient, Coverage, Claim, ClaimLine, DepositClaim, DepositProcedure))
    await engine.dispose()


async def _fill_rows(s: AsyncSession, pid: int, payers: dict[str, int], deposit_id: int,
                     n: int, n_paper: int, cob_every: int, models: tuple[Any, ...]) -> None:
    """Core inserts in chunks: patients, coverages, claims, lines, the primaries' ERAs."""
    patient_t, coverage_t, claim_t, line_t, dc_t, proc_t = (m.__table__ for m in models)
    visits = n + n_paper
    chunk = 5000
    claim_id = line_id = dc_id = 0
    for start in range(0, visits, chunk):
        ids = range(start + 1, min(visits, start + chunk) + 1)
        await s.execute(insert(patient_t), [
            {"id": i, "practice_id": pid, "account": f"A{i}", "first_name": "Pat",
             "last_name": f"Test{i}", "dob": dt.date(1950, 1, 1), "sex": "F"} for i in ids])
        coverages: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        dcs: list[dict[str, Any]] = []
        procs: list[dict[str, Any]] = []
        for i in ids:
            paper, cob = i > n, i <= n and i % cob_every == 0
            ranks = [(1, "x" if paper else "p")] + ([(2, "s")] if cob else [])
            for rank, key in ranks:
                coverages.append({"patient_id": i, "payer_id": payers[key], "rank": rank,
                                  "member_id": f"M{rank}{i}"})
                claim_id += 1
                claims.append({"id": claim_id, "practice_id": pid, "patient_id": i,
                               "payer_id": payers[key], "payer_rank": rank,
                               "patient_control_number": f"V{claim_id}",
                               "service_date_from": DOS, "diagnosis_codes": ["H52.13"],
                               "billing_state": "accepted" if cob and rank == 1 else "unbilled",
                               "level": "Primary" if rank == 1 else "Secondary"})
                first_line = line_id + 1
                for number, (code, charge) in enumerate(zip(("92014", "92015"), CHARGES,
                                                            strict=True), 1):
                    line_id += 1
                    lines.append({"id": line_id, "claim_id": claim_id, "line_number": number,
                                  "procedure_code": code, "charge": charge,
                                  "diagnosis_pointers": [1], "units": Decimal(1)})
                if cob and rank == 1:
                    dc_id += 1
                    dcs.append({"id": dc_id, "deposit_id": deposit_id, "practice_id": pid,
                                "sequence": dc_id, "claim_xref": f"V{claim_id}",
                                "claim_id": claim_id, "remit_status": "1",
                                "charged": sum(CHARGES), "paid": Decimal("150.00"),
                                "patient_responsibility": Decimal("30.00"), "state": "posted"})
                    procs.extend({"deposit_claim_id": dc_id, "sequence": k + 1,
                                  "procedure_code": code, "charged": CHARGES[k],
                                  "paid": Decimal("100.00") if k == 0 else Decimal("50.00"),
                                  "claim_line_id": first_line + k}
                                 for k, code in enumerate(("92014", "92015")))
        for table, rows in ((coverage_t, coverages), (claim_t, claims), (line_t, lines),
                            (dc_t, dcs), (proc_t, procs)):
            if rows:
                await s.execute(insert(table), rows)


async def _batching(url: str) -> dict[str, Any]:
    from gateway.admin.connectors import load_connector
    from gateway.clearinghouse.batches import build_claim_batch

    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    rss: list[float] = []
    claims = after = 0
    started, cpu = time.perf_counter(), time.process_time()
    while True:  # as `submit_claims` builds them: one transaction per batch
        async with maker() as s, s.begin():
            connector = await load_connector(s, 1, "ch")
            built = await build_claim_batch(s, 1, connector, after_id=after)
            if built.skipped:
                raise SystemExit(f"skipped claims: {built.skipped[:3]}")
        if built.batch is None:
            break
        claims += built.batch.claim_count
        after = built.last_id or after
        rss.append(_rss_mb())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    await engine.dispose()
    return {"claims": claims, "seconds": seconds, "cpu": cpu, "rss_after_each_batch": rss}


async def _baseline(url: str) -> dict[str, Any]:
    """The writer alone on the same claims' inputs (made first, untimed)."""
    from gateway.admin.connectors import load_connector
    from gateway.clearinghouse.batches import (
        MAX_CLAIMS_PER_BATCH,
        batch_envelope,
        claim_inputs,
        edi_settings,
        ready_rows,
    )
    from gateway.clearinghouse.chunk import bulk_build
    from gateway.core.x12 import writer837p as w

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as s:
        connector = await load_connector(s, 1, "ch")
        envelope = batch_envelope(edi_settings(connector), dt.datetime.now(dt.UTC))
        claims = await ready_rows(s, 1)
        inputs: list[Any] = []
        for i in range(0, len(claims), MAX_CLAIMS_PER_BATCH):
            made, skipped = await claim_inputs(s, claims[i:i + MAX_CLAIMS_PER_BATCH])
            assert not skipped, skipped[:3]
            inputs.extend(ci for _, ci in made)
    await engine.dispose()

    def write_all() -> tuple[float, float, int]:
        started, cpu = time.perf_counter(), time.process_time()
        size = 0
        for i in range(0, len(inputs), MAX_CLAIMS_PER_BATCH):
            batch = w.ClaimBatchInput(claims=tuple(inputs[i:i + MAX_CLAIMS_PER_BATCH]),
                                      **envelope)
            size += len(w.write_837p(batch, w.InMemoryControlNumbers()).text)
        return time.perf_counter() - started, time.process_time() - cpu, size

    seconds, cpu, size = write_all()
    with bulk_build():  # the builder's own GC setting, for a like-for-like figure
        bulk_seconds, bulk_cpu, _ = write_all()
    return {"claims": len(inputs), "seconds": seconds, "cpu": cpu, "bytes": size,
            "bulk_seconds": bulk_seconds, "bulk_cpu": bulk_cpu}


async def _paper(url: str) -> dict[str, Any]:
    from gateway.admin.connectors import load_connector
    from gateway.clearinghouse.batches import edi_settings
    from gateway.paper.forms import provider_from_edi
    from gateway.paper.service import batch_pdf, build_print_batch

    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    started = time.perf_counter()
    async with maker() as s, s.begin():
        provider = provider_from_edi(edi_settings(await load_connector(s, 1, "ch")))
        built = await build_print_batch(s, 1, provider)
    assert built.batch_id is not None and not built.skipped, built.skipped[:3]
    build_s = time.perf_counter() - started
    async with maker() as s:
        _, pdf = await batch_pdf(s, 1, built.batch_id, "plain")
    total = time.perf_counter() - started
    await engine.dispose()
    return {"claims": built.claims, "build_seconds": build_s, "seconds": total,
            "pdf_mb": len(pdf) / 1e6}


def _phase(name: str, url: str, out: Any) -> None:
    fn = {"batching": _batching, "baseline": _baseline, "paper": _paper}[name]
    result = asyncio.run(fn(url))
    result["peak_rss_mb"] = _rss_mb()
    out.put(result)


def _in_child(name: str, url: str) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_phase, args=(name, url, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return dict(result)


def _fill_child(url: str, folder: str, n: int, n_paper: int, cob_every: int) -> None:
    asyncio.run(_fill(url, folder, n, n_paper, cob_every))


def _report(cob_every: int, base: dict[str, Any], batching: dict[str, Any]) -> None:
    """Wall and CPU seconds (CPU: this process and its SQLite thread, steadier on a shared
    machine), and the ratios to the bare serialisation, plain and under the builder's GC
    setting."""
    rss = batching["rss_after_each_batch"]
    print(f"ready claims: {batching['claims']} (every {cob_every}rd visit COB)")
    print(f"bare 837P serialisation: {base['seconds']:.2f} s wall, {base['cpu']:.2f} s CPU, "
          f"{base['claims'] / base['seconds']:,.0f} claims/s, {base['bytes'] / 1e6:.1f} MB, "
          f"peak RSS {base['peak_rss_mb']:.0f} MB; under bulk_build() "
          f"{base['bulk_seconds']:.2f} s wall, {base['bulk_cpu']:.2f} s CPU")
    print(f"batching (DB -> 837P batches): {batching['seconds']:.2f} s wall, "
          f"{batching['cpu']:.2f} s CPU, {batching['claims'] / batching['seconds']:,.0f} "
          f"claims/s, peak RSS {batching['peak_rss_mb']:.0f} MB")
    print(f"  RSS after each 5,000-claim batch: {', '.join(f'{r:.0f}' for r in rss)} MB")
    print(f"  ratio to bare serialisation (target <= 2x): "
          f"{batching['seconds'] / base['seconds']:.2f}x wall, "
          f"{batching['cpu'] / base['cpu']:.2f}x CPU; to it under the same GC setting "
          f"{batching['seconds'] / base['bulk_seconds']:.2f}x wall, "
          f"{batching['cpu'] / base['bulk_cpu']:.2f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--paper", type=int, default=5_000)
    parser.add_argument("--cob-every", type=int, default=3, help="every Nth visit is COB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        ctx = multiprocessing.get_context("spawn")
        filler = ctx.Process(target=_fill_child,
                             args=(url, tmp, args.claims, args.paper, args.cob_every))
        filler.start()
        filler.join()
        base = _in_child("baseline", url)  # reads only: the batching phase comes after
        batching = _in_child("batching", url)
        paper = _in_child("paper", url)
    _report(args.cob_every, base, batching)
    print(f"paper: {paper['claims']} claims -> print batch {paper['build_seconds']:.2f} s, "
          f"with the plain-form PDF {paper['seconds']:.2f} s ({paper['pdf_mb']:.1f} MB), "
          f"peak RSS {paper['peak_rss_mb']:.0f} MB (target < 60 s)")


if __name__ == "__main__":
    main()
