"""Progress of long CLI work on stderr: rows done, rate, time left; silent unless wanted.

A command makes a reporter and hands its `advance` to the service as the service's
`on_progress` (`gateway.core.progress.OnProgress`: services never know click)::

    with progress_reporter("practice pull", enabled=not as_json) as advance:
        summary = run(go, advance)   # go passes advance to pull_connector(on_progress=...)

Wired into `gateway practice pull` and `gateway patients|coverages|appointments|claims
import`; a service that takes an `on_progress` is one line away in its command.

Nothing is printed when stderr is not a terminal, with `--json`, or for work that ends
within `delay` seconds (GATEWAY_PROGRESS_DELAY, default 2); after that a line is redrawn at
most every `interval` seconds.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """Counts done rows and redraws one stderr line (a `\\r` line) when it is due."""

    def __init__(self, label: str, total: int | None, out: TextIO, delay: float,
                 interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.total, self.out = label, total, out
        self.delay, self.interval, self.clock = delay, interval, clock
        self.start = clock()
        self.done = 0
        self.shown_at: float | None = None

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        now = self.clock()
        if now - self.start < self.delay:
            return
        if self.shown_at is not None and now - self.shown_at < self.interval:
            return
        self.shown_at = now
        self.out.write("\r" + self.line(now))
        self.out.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if self.total:
            left = (self.total - self.done) / rate if rate else 0.0
            return (f"{self.label}: {self.done:,}/{self.total:,} rows, {rate:,.0f}/s, "
                    f"{_clock(left)} left")
        return f"{self.label}: {self.done:,} rows, {rate:,.0f}/s, {_clock(elapsed)} so far"

    def finish(self) -> None:
        if self.shown_at is not None:  # end the redrawn line so the result starts clean
            self.out.write("\r" + self.line(self.clock()) + "\n")
            self.out.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{secs:02d}"


def _noop(rows: int = 1) -> None:
    """The reporter when progress is off."""


@contextmanager
def progress_reporter(label: str, total: int | None = None, *, enabled: bool = True,
                      delay: float | None = None, interval: float = 0.5,
                      out: TextIO | None = None) -> Iterator[Callable[[int], None]]:
    """An `advance(rows)` callable: draws progress on a terminal's stderr, else does nothing."""
    if delay is None:
        delay = float(os.environ.get("GATEWAY_PROGRESS_DELAY", "2"))
    stream = out if out is not None else sys.stderr
    if not enabled or not (out is not None or stream.isatty()):
        yield _noop
        return
    bar = Progress(label, total, stream, delay, interval)
    try:
        yield bar.advance
    finally:
        bar.finish()

