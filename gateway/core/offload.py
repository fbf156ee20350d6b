"""Bulk CPU work (parsing an uploaded workbook) in a worker process, not the server's.

A worker thread still shares the server process's GIL: while a 250k-row workbook was parsed in
one, single /health answers waited up to 0.8 s. A worker process has its own interpreter. Its
result comes back as small pickled chunks, each unpickled in a thread, so the server process
never holds the GIL for long at a time. A worker that dies (a reader that aborts) breaks only
its pool, which is made again for the next call; the server stays up.

`rows_in_process(fn, *args)`: `fn` (a module-level function) returns `(head, rows)`; the
caller gets the same pair back. `call_in_process(fn, *args)` returns `fn(*args)` (a picklable
value). `with_session_in_process(url, fn, *args)` runs the coroutine `fn(session, *args)` in
the worker on its own engine and commits there: a whole import (parse, inserts, reconcile) or
a large export is bulk work the server's process never does. Inside the worker these calls
run inline (no worker of a worker). A `UserError` raised in the worker is raised again here
with its message, `where` and other attributes (LimitExceeded's `limit` and `size` too).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from gateway.core.errors import UserError

H = TypeVar("H")
T = TypeVar("T")
CHUNK_ROWS = 2000
"""Rows per pickled chunk: unpickling one holds the GIL for a few milliseconds."""

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_worker_process = False
"""True in a worker process: offloaded calls made there run inline."""


def _workers() -> int:
    """GATEWAY_PARSE_WORKERS (default 1: the machine's cores serve requests too)."""
    try:
        return max(1, int(os.environ.get("GATEWAY_PARSE_WORKERS", "1")))
    except ValueError:
        return 1


def _start_worker(parent: int) -> None:
    """Worker initializer. The worker runs at a lower priority (nice 10), so on a busy
    machine the server's requests get the CPU first; a worker whose server died (killed, not
    shut down) exits too, instead of blocking for ever on a result nobody reads."""
    global _in_worker_process
    _in_worker_process = True
    try:
        os.nice(10)
    except OSError:  # pragma: no cover - not permitted here: run at the same priority
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: a forked copy of a server with threads and an event loop is not safe
            _pool = ProcessPoolExecutor(max_workers=_workers(),
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker,
                                        initargs=(os.getpid(),))
        return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the worker processes (tests and server shutdown); the next call starts new ones."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _guarded(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    """Runs in the worker: ("ok", fn(*args)) or ("user_error", the error's parts)."""
    try:
        return "ok", fn(*args)
    except UserError as exc:
        return "user_error", (type(exc), str(exc), dict(exc.__dict__))


def _chunked(fn: Callable[..., tuple[Any, Sequence[Any]]],
             *args: Any) -> tuple[Any, list[bytes]]:
    """Runs in the worker: `fn`'s head and its rows as pickled chunks."""
    head, rows = fn(*args)
    return head, [pickle.dumps(list(rows[i:i + CHUNK_ROWS]), protocol=pickle.HIGHEST_PROTOCOL)
                  for i in range(0, len(rows), CHUNK_ROWS)]


def _rebuild(kind: type[UserError], message: str, attrs: dict[str, Any]) -> UserError:
    exc = kind.__new__(kind)
    Exception.__init__(exc, message)
    exc.__dict__.update(attrs)
    return exc


async def _submit(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """`fn(*args)` in the pool; a dead worker is a UserError (its reader stopped)."""
    pool = _executor()
    loop = asyncio.get_running_loop()
    try:
        kind, payload = await loop.run_in_executor(pool, _guarded, fn, args)
    except BrokenProcessPool as exc:
        _discard(pool)
        raise UserError("the file could not be read: its reader stopped",
                        where="file") from exc
    if kind == "user_error":
        raise _rebuild(*payload)
    return payload


async def rows_in_process(fn: Callable[..., tuple[H, Sequence[Any]]],
                          *args: Any) -> tuple[H, list[Any]]:
    """`fn(*args)` run in a worker process; see the module docstring."""
    if _in_worker_process:
        head, found = fn(*args)
        return head, list(found)
    head, chunks = await _submit(_chunked, (fn, *args))
    rows: list[Any] = []
    for chunk in chunks:
        rows.extend(await asyncio.to_thread(pickle.loads, chunk))
    return head, rows


async def call_in_process(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` (module-level, a picklable result) run in a worker process."""
    if _in_worker_process:
        return fn(*args)
    result: T = await _submit(fn, args)
    return result


def _run_with_session(url: str, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> T:
    """Runs in the worker: `fn(session, *args)` on a fresh loop and engine, committed."""
    from gateway.db.engine import make_engine, make_sessionmaker

    async def run() -> T:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                out = await fn(session, *args)
                await session.commit()
                return out
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def with_session_in_process(url: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`await fn(session, *args)` in a worker process with its own session on `url`,
    committed there when it returns (rolled back on an error); see the module docstring."""
    return await call_in_process(_run_with_session, url, fn, args)
