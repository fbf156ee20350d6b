"""Every benchmark at one size, in one table: ours / floor and each measured process's peak RSS.

    .venv/bin/python benchmarks/run.py                  # --size small (a few minutes)
    .venv/bin/python benchmarks/run.py --size full      # the issue's sizes (100k claims/rows)
    .venv/bin/python benchmarks/run.py --only x12,cli   # some groups only

A regression shows in one place: each row is a hot path, its floor measured in the same run,
the ratio, the target, and the peak RSS of the process that did the work. Peak RSS is that
process's own high-water mark: in-process steps read VmHWM from /proc/self/status (their
benchmark scripts do), whole-process rows run under `/usr/bin/time`, a small C program whose
child inherits no interpreter (Linux carries `ru_maxrss` across fork and exec, so a child
spawned by this Python process would report this process's peak as its own).

Groups: x12 (835 pass, `era parse --json`, `x12 check`), cli (`gateway --help`), posting (ERA
import + post on SQLite), aging (CSV/XLSX parse and import on SQLite), receipts (nightly
reconciliation on SQLite). PostgreSQL and the API under load have their own scripts
(`posting.py --backends postgresql`, `web.py`), which need servers this runner does not start.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PYTHON = sys.executable
GATEWAY = [PYTHON, "-m", "gateway"]

SIZES: dict[str, dict[str, int]] = {
    "small": {"claims": 10_000, "rows": 10_000, "receipts": 5_000, "receipt_claims": 10_000},
    "full": {"claims": 100_000, "rows": 100_000, "receipts": 100_000, "receipt_claims": 200_000},
}


@dataclass
class Row:
    """One line of the table: a path, its figure, its floor's figure and the target ratio."""

    group: str
    path: str
    ours_s: float | None
    floor: str
    floor_s: float | None
    target: float | None
    peak_mib: float | None
    note: str = ""

    def ratio(self) -> float | None:
        if self.ours_s is None or not self.floor_s:
            return None
        return self.ours_s / self.floor_s


def whole_process(cmd: list[str], repeat: int) -> tuple[float, float]:
    """(best CPU seconds, largest peak RSS MiB) of `cmd` run `repeat` times as its own process."""
    best, peak = float("inf"), 0.0
    with tempfile.NamedTemporaryFile(suffix=".time") as out:
        for _ in range(repeat):
            subprocess.run(
                ["/usr/bin/time", "-o", out.name, "-f", "%U %S %M", *cmd],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )
            user, system, max_kb = Path(out.name).read_text().split()[-3:]
            best = min(best, float(user) + float(system))
            peak = max(peak, int(max_kb) / 1024)
    return best, peak


def x12_rows(size: dict[str, int], tmp: Path, repeat: int) -> list[Row]:
    import x12_835

    from gateway.core.x12.generate835 import write_835

    claims = size["claims"]
    path = str(tmp / f"gen835_{claims}.835")
    write_835(path, claims, 835)
    got = {r: x12_835.measure(r, path, repeat) for r in ("floor", "ours", "era-json")}
    floor, ours, era = got["floor"], got["ours"], got["era-json"]
    rows = [
        Row("x12", f"835 read, {claims:,} claims (CPU, in process)", ours.get("seconds"),
            "bare split + Decimal sums", floor.get("seconds"), None, ours.get("peak_rss_mib")),
        Row("x12", f"era parse --json, {claims:,} claims (CPU, in process)",
            era.get("seconds"), "the 835 read", ours.get("seconds"), 2.0,
            era.get("peak_rss_mib")),
    ]
    floor_cmd = [PYTHON, str(HERE / "x12_835.py"), "--worker", "floor", path, "--repeat", "1"]
    ours_cmd = [PYTHON, str(HERE / "x12_835.py"), "--worker", "ours", path, "--repeat", "1"]
    floor_cpu, floor_peak = whole_process(floor_cmd, repeat)
    ours_cpu, _ = whole_process(ours_cmd, repeat)
    check_cpu, check_peak = whole_process([*GATEWAY, "x12", "check", path], repeat)
    json_cpu, json_peak = whole_process([*GATEWAY, "era", "parse", path, "--json"], repeat)
    rows += [
        Row("x12", f"gateway x12 check, {claims:,} claims (whole process)", check_cpu,
            "the floor script, whole process", floor_cpu, 1.5, check_peak,
            f"floor peak {floor_peak:.0f} MiB"),
        Row("x12", f"gateway era parse --json, {claims:,} claims (whole process)", json_cpu,
            "the 835 read, whole process", ours_cpu, 2.0, json_peak),
    ]
    return rows


def cli_rows(size: dict[str, int], tmp: Path, repeat: int) -> list[Row]:
    floor_cpu, floor_peak = whole_process([PYTHON, "-c", "import click, msgspec"], repeat * 3)
    ours_cpu, ours_peak = whole_process([*GATEWAY, "--help"], repeat * 3)
    return [Row("cli", "gateway --help (whole process)", ours_cpu,
                "python -c 'import click, msgspec'", floor_cpu, 3.0, ours_peak,
                f"floor peak {floor_peak:.0f} MiB")]


def posting_rows(size: dict[str, int], tmp: Path, repeat: int) -> list[Row]:
    import posting

    r = posting.case("sqlite", size["claims"], tmp, None)
    both = r["import"]["seconds"] + r["post"]["seconds"]
    peak = max(r["import"]["peak_rss_mb"], r["post"]["peak_rss_mb"])
    return [Row("posting", f"ERA import + post, {size['claims']:,} claims, SQLite (wall)", both,
                "bare insert of the ledger rows", r["insert"]["seconds"], 3.0, peak,
                f"import {r['import']['seconds']:.1f} s + post {r['post']['seconds']:.1f} s")]


def aging_rows(size: dict[str, int], tmp: Path, repeat: int) -> list[Row]:
    import aging

    n = size["rows"]
    csv_path = tmp / "aging.csv"
    aging.make_csv(csv_path, n)
    bare = aging.measure("bare_csv", csv_path)
    parse = aging.measure("parse", csv_path)
    db = aging.fresh_db(tmp, "aging.db")
    imp = aging.measure("import", csv_path, {"BENCH_DB": db})
    return [
        Row("aging", f"aging CSV parse, {n:,} rows (CPU)", parse["seconds"], "bare csv.reader",
            bare["seconds"], None, parse["peak_kb"] / 1024),
        Row("aging", f"aging CSV import, {n:,} rows, SQLite (CPU)", imp["seconds"],
            "bare csv.reader", bare["seconds"], 10.0, imp["peak_kb"] / 1024),
    ]


def receipts_rows(size: dict[str, int], tmp: Path, repeat: int) -> list[Row]:
    import receipt_data
    import receipts

    path = str(tmp / "receipts.db")
    receipt_data.seed(path, receipts.fill, size["receipts"], size["receipt_claims"])
    (_, _, base_s, _, _), (_, n, nightly_s, _, nightly_peak) = receipts.measure(path, 1000)
    return [Row("receipts", f"receipts nightly, {n:,} receipts (wall)", nightly_s,
                "bare read + bare insert of the applications", base_s, 3.0, nightly_peak)]


GROUPS: dict[str, Callable[[dict[str, int], Path, int], list[Row]]] = {
    "cli": cli_rows,
    "x12": x12_rows,
    "posting": posting_rows,
    "aging": aging_rows,
    "receipts": receipts_rows,
}


def table(rows: list[Row]) -> str:
    out = ["| path | ours s | floor | floor s | ours / floor | target | peak RSS MiB | note |",
           "|---|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        ratio = r.ratio()
        out.append(
            f"| {r.path} | {_num(r.ours_s, '.3f')} | {r.floor} | {_num(r.floor_s, '.3f')} | "
            f"{_num(ratio, '.2f', 'x')} | {_num(r.target, '.1f', 'x')} | "
            f"{_num(r.peak_mib, '.0f')} | {r.note} |"
        )
    return "\n".join(out)


def _num(value: Any, fmt: str, suffix: str = "") -> str:
    return "-" if value is None else f"{format(value, fmt)}{suffix}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best CPU)")
    args = ap.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-run") as d:
        for group in args.only.split(","):
            print(f"# {group} ({args.size})", file=sys.stderr, flush=True)
            try:
                rows += GROUPS[group](SIZES[args.size], Path(d), args.repeat)
            except Exception as exc:  # one broken group still leaves the others' figures
                rows.append(Row(group, group, None, "-", None, None, None,
                                f"failed: {type(exc).__name__}: {exc}"))
    print(f"size {args.size}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          "CPU seconds are the best of the runs, wall where a row says so")
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
