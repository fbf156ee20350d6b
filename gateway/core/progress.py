"""The progress callback long services accept: `on_progress(rows)` after each chunk of work.

Services never know who listens (a CLI's stderr line, a job run, nothing): they take an
optional `OnProgress` and call it with the number of rows just done. `gateway.cli._progress`
draws it on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable

OnProgress = Callable[[int], None]


def report(on_progress: OnProgress | None, rows: int) -> None:
    """Tell `on_progress` (when there is one) that `rows` more rows are done."""
    if on_progress is not None:
        on_progress(rows)
