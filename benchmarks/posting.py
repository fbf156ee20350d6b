"""ERA import + posting: claims/s and peak RSS, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/posting.py                     # 10k and 100k, both backends
    .venv/bin/python benchmarks/posting.py --sizes 10000 --backends sqlite

For each case a generated 835 (`gateway.core.x12.generate835`, 1000 claims per transaction
set: paid, secondary, denied, crossover, reversal + corrected claim, PLB) is written, and a
fresh database gets one practice, its payers and one matching claim per CLP (lines = the SVCs),
bulk-inserted. Then, each in its own child process so each peak RSS is that phase's own
high-water mark (VmHWM from /proc/self/status: a spawned child has its own address space,
whereas `ru_maxrss` would be inherited from the parent across exec):

  parse     baseline: reading the whole 835 with the streaming reader, nothing else
  insert    floor on SQLite: a bare executemany INSERT of as many ledger rows as posting writes
  copy      floor on PostgreSQL: a bare COPY (asyncpg) of as many ledger rows
  import    `import_era_file` (deposits, claims, lines, adjustments), one transaction
  post      `post_deposit` for every deposit, one transaction

The gateway's interpreter with everything imported is ~80 MB of each RSS figure.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from gateway.core.x12.generate835 import write_835  # noqa: E402
from gateway.core.x12.reader835 import iter_remittances  # noqa: E402
from gateway.db.engine import make_engine, make_sessionmaker  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402

PAYERS = [("MEDICARE PART B JURISDICTION F", "03402"), ("BLUE CROSS BLUE SHIELD OF SPRINGFIELD",
          "00621"), ("VISION BENEFITS OF AMERICA", "VBA01"), ("UNITED HEALTHCARE", "87726"),
          ("STATE MEDICAID", "77027")]


def _peak_mb() -> float:
    """This process's own peak RSS: VmHWM of its address space. (`ru_maxrss` is not used: Linux
    carries it across fork and exec, so a child started by a parent that built 100k claims
    would report the parent's high-water mark.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _fill(url: str, era: Path, match: str = "control-number") -> int:
    """Practice, payers, and one claim per CLP of the ERA (bulk inserts). With `match` =
    "patient" the claims carry another control number and the ERA patient's name, so every
    CLP is matched by the patient + date of service + billed total fallback."""
    from gateway.admin.payers import get_or_add_payer
    from gateway.admin.practices import create_practice
    from gateway.db.models import Patient
    from gateway.ledger.models import Claim, ClaimLine, LedgerEntry

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            pid = await create_practice(s, "Bench Eye")
            for name, pid_ in PAYERS:
                await get_or_add_payer(s, pid, name, pid_)
            seen: set[str] = set()
            batch: list[Any] = []

            async def flush(items: list[Any]) -> None:
                pt, ct, lt = Patient.__table__, Claim.__table__, ClaimLine.__table__
                # RETURNING the unique key (batched on SQLite), not sort_by_parameter_order
                def name(c: Any, first: bool) -> str:
                    if match != "patient" or c.patient is None:
                        return "B"
                    return (c.patient.first_name if first else c.patient.last_name) or "B"

                def pcn(c: Any) -> str:
                    return c.patient_control_number if match != "patient" else \
                        "BENCH-" + c.patient_control_number

                by_account = dict((await s.execute(insert(pt).returning(pt.c.account, pt.c.id), [
                    {"practice_id": pid, "account": c.patient_control_number,
                     "last_name": name(c, False), "first_name": name(c, True), "dob": None}
                    for c in items])).all())
                returning = insert(ct).returning(ct.c.patient_control_number, ct.c.id)
                by_pcn = dict((await s.execute(returning, [
                    {"practice_id": pid, "patient_id": by_account[c.patient_control_number],
                     "payer_rank": 1, "patient_control_number": pcn(c),
                     "service_date_from": (c.lines[0].service_date if c.lines and
                                           c.lines[0].service_date else dt.date(2024, 1, 1)),
                     "billing": "electronic", "level": "Primary", "status": "Open",
                     "diagnosis_codes": []} for c in items])).all())
                line_rows = []
                for c in items:
                    cid = by_pcn[pcn(c)]
                    for n, ln in enumerate(c.lines, start=1):
                        line_rows.append({
                            "claim_id": cid, "line_number": n, "procedure_code": ln.procedure_code,
                            "modifiers": list(ln.modifiers), "units": Decimal("1"),
                            "charge": abs(ln.charge), "diagnosis_pointers": [], "copay": False})
                by_line = {(c, n): i for c, n, i in (await s.execute(
                    insert(lt).returning(lt.c.claim_id, lt.c.line_number, lt.c.id),
                    line_rows)).all()}
                lids = [(by_line[(r["claim_id"], r["line_number"])], r["claim_id"])
                        for r in line_rows]
                await s.execute(insert(LedgerEntry.__table__), [
                    {"practice_id": pid, "claim_id": cid, "claim_line_id": lid, "kind": "charge",
                     "amount": row["charge"], "source_type": "claim", "source_id": cid}
                    for (lid, cid), row in zip(lids, line_rows, strict=True)])

            for rem in iter_remittances(era):
                for c in rem.claims:
                    if c.patient_control_number in seen:
                        continue
                    seen.add(c.patient_control_number)
                    batch.append(c)
                    if len(batch) >= 2000:
                        await flush(batch)
                        batch = []
            if batch:
                await flush(batch)
            await s.commit()
            return pid
    finally:
        await engine.dispose()


def _phase(queue: Any, phase: str, url: str, era: str, pid: int, rows: int) -> None:
    import gateway.db.metadata  # noqa: F401  # every model, so foreign keys resolve

    async def go() -> dict[str, Any]:
        t0 = time.perf_counter()
        out: dict[str, Any] = {}
        if phase == "parse":
            n = sum(len(r.claims) for r in iter_remittances(era))
            out["claims"] = n
        elif phase == "insert":
            from gateway.ledger.models import ClaimLine, LedgerEntry

            engine = make_engine(url)
            async with make_sessionmaker(engine)() as s:
                line = (await s.execute(select(ClaimLine.id, ClaimLine.claim_id).limit(1))).one()
                t0 = time.perf_counter()
                for i in range(0, rows, 10_000):
                    await s.execute(insert(LedgerEntry.__table__), [
                        {"practice_id": pid, "claim_id": line[1], "claim_line_id": line[0],
                         "kind": "insurance_payment", "amount": Decimal("1.00"), "payer_id": None,
                         "source_type": "bench", "source_id": i + k, "reverses_id": None,
                         "reason": None, "detail": None,
                         "created_at": dt.datetime.now(dt.UTC)}
                        for k in range(min(10_000, rows - i))])
                await s.rollback()
            await engine.dispose()
        elif phase == "copy":  # PostgreSQL: a bare COPY of as many ledger rows (asyncpg)
            import asyncpg

            from gateway.ledger.models import ClaimLine

            engine = make_engine(url)
            async with make_sessionmaker(engine)() as s:
                line = (await s.execute(select(ClaimLine.id, ClaimLine.claim_id).limit(1))).one()
            await engine.dispose()
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
            now = dt.datetime.now(dt.UTC)
            cols = ["practice_id", "claim_id", "claim_line_id", "kind", "amount", "source_type",
                    "source_id", "created_at"]
            t0 = time.perf_counter()
            tr = conn.transaction()
            await tr.start()
            for i in range(0, rows, 10_000):
                await conn.copy_records_to_table("ledger_entries", columns=cols, records=[
                    (pid, line[1], line[0], "insurance_payment", 100, "bench", i + k, now)
                    for k in range(min(10_000, rows - i))])
            await tr.rollback()
            await conn.close()
        elif phase == "import":
            from gateway.posting.era_import import import_era_file

            engine = make_engine(url)
            async with make_sessionmaker(engine)() as s:
                r = await import_era_file(s, pid, era, auto_post=False)
                await s.commit()
            await engine.dispose()
            out["deposits"] = len(r.deposits)
            out["claims"] = r.claims
            out["errors"] = sum(len(d.errors) for d in r.deposits)
        elif phase == "post":
            from gateway.ledger.models import LedgerEntry
            from gateway.posting.engine import post_deposit
            from gateway.posting.models import Deposit

            engine = make_engine(url)
            async with make_sessionmaker(engine)() as s:
                ids = (await s.scalars(select(Deposit.id).where(Deposit.status == "New")
                                       .order_by(Deposit.id))).all()
                posted = errors = 0
                for dep_id in ids:
                    res = await post_deposit(s, pid, dep_id, actor="bench")
                    posted += res.posted_claims
                    errors += res.error_claims
                await s.commit()
                out["ledger_rows"] = await s.scalar(
                    select(func.count()).select_from(LedgerEntry)
                    .where(LedgerEntry.source_type == "deposit_claim"))
            await engine.dispose()
            out.update(posted=posted, error_claims=errors, deposits=len(ids))
        out["seconds"] = time.perf_counter() - t0
        out["peak_rss_mb"] = _peak_mb()
        return out

    queue.put(asyncio.run(go()))


def run_phase(phase: str, url: str, era: Path, pid: int, rows: int = 0) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_phase, args=(q, phase, url, str(era), pid, rows))
    p.start()
    result = q.get()
    p.join()
    return result


def case(backend: str, size: int, tmp: Path, pg: Any,
         match: str = "control-number") -> dict[str, Any]:
    era = tmp / f"era_{size}.835"
    if not era.exists():
        write_835(str(era), claims=size, seed=size)
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / f'{backend}_{size}.db'}"
    else:
        import asyncpg

        name = f"bench_{size}"

        async def create() -> None:
            conn = await asyncpg.connect(pg.psql_url())
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        url = pg.url(name)
    upgrade(url)
    pid = asyncio.run(_fill(url, era, match))
    parse = run_phase("parse", url, era, pid)
    imp = run_phase("import", url, era, pid)
    post = run_phase("post", url, era, pid)
    floor = "copy" if backend == "postgresql" else "insert"
    base = run_phase(floor, url, era, pid, post["ledger_rows"])
    return {"backend": backend, "claims": size, "parse": parse, "insert": base, "import": imp,
            "post": post, "floor": floor}


def table(results: list[dict[str, Any]]) -> str:
    head = ("| backend | claims | parse (baseline) s | floor: bare insert (SQLite) / COPY (PG) "
            "of the ledger rows s | import s | post s | import+post s | ours / floor "
            "| claims/s | peak RSS import / post MB | ledger rows | claims in error |")
    out = [head, "|" + "---|" * 12]
    for r in results:
        total = r["import"]["seconds"] + r["post"]["seconds"]
        out.append(
            f"| {r['backend']} | {r['claims']:,} | {r['parse']['seconds']:.1f} | "
            f"{r['insert']['seconds']:.1f} | {r['import']['seconds']:.1f} | "
            f"{r['post']['seconds']:.1f} | {total:.1f} | "
            f"{total / r['insert']['seconds']:.2f}x | {r['claims'] / total:,.0f} | "
            f"{r['import']['peak_rss_mb']:.0f} / {r['post']['peak_rss_mb']:.0f} | "
            f"{r['post']['ledger_rows']:,} | {r['post']['error_claims']:,} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", "--claims", dest="sizes", default="10000,100000")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--tmpdir", default=None, help="where the databases and ERAs go")
    ap.add_argument("--match", choices=("control-number", "patient"), default="control-number",
                    help="how the ERA's claims find theirs: CLP01, or the patient fallback")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    backends = args.backends.split(",")
    results = []
    pg = None
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as d:
        tmp = Path(d)
        try:
            if "postgresql" in backends:
                from tests.support.postgres import PostgresServer

                pg = PostgresServer().start()
            for backend in backends:
                for size in sizes:
                    r = case(backend, size, tmp, pg, args.match)
                    results.append(r)
                    print(table([r]).splitlines()[-1], flush=True)
        finally:
            if pg is not None:
                pg.stop()
    print()
    print(table(results))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
