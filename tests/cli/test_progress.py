"""Progress lines: rows, rate and time left, only after the delay, never when off."""

from __future__ import annotations

import io

from gateway.cli._progress import Progress, progress_reporter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_before_the_delay_then_rows_rate_and_time_left() -> None:
    out, clock = io.StringIO(), Clock()
    bar = Progress("posting", 1000, out, delay=2.0, interval=0.5, clock=clock)
    clock.now += 1.0
    bar.advance(100)
    assert out.getvalue() == ""
    clock.now += 1.0  # 2 s in, 200 rows: 100/s, 800 rows left = 8 s
    bar.advance(100)
    assert out.getvalue() == "\rposting: 200/1,000 rows, 100/s, 0:08 left"
    clock.now += 0.1
    bar.advance(10)  # within the interval: not redrawn
    assert out.getvalue().count("\r") == 1
    bar.finish()
    assert out.getvalue().endswith("\n") and out.getvalue().count("\r") == 2


def test_without_a_total_it_says_time_so_far() -> None:
    out, clock = io.StringIO(), Clock()
    bar = Progress("import", None, out, delay=0.0, interval=0.0, clock=clock)
    clock.now += 65.0
    bar.advance(6500)
    assert out.getvalue() == "\rimport: 6,500 rows, 100/s, 1:05 so far"


def test_short_work_and_disabled_reporters_print_nothing() -> None:
    out = io.StringIO()
    with progress_reporter("x", 10, out=out) as advance:
        advance(10)  # well within the 2 s delay
    with progress_reporter("x", 10, enabled=False, out=out) as advance:
        advance(10)
    assert out.getvalue() == ""


def test_not_a_terminal_means_no_progress() -> None:
    with progress_reporter("x", 10, delay=0.0, interval=0.0) as advance:  # pytest's stderr
        advance(5)
    assert advance.__name__ == "_noop"
