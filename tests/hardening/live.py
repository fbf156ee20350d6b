"""A real gateway server on loopback for tests that need real concurrency (fuzzing, /health
while an upload is parsed). The socket is bound before the server starts, so a client may
connect at once: the kernel queues the connection until uvicorn accepts it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from gateway.db.engine import make_engine, make_sessionmaker
from tests.conftest import PracticeKeys, make_practice

T = TypeVar("T")

DEBUG_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "plain",
                         "stream": "ext://sys.stderr"}},
    "root": {"level": "DEBUG", "handlers": ["err"]},
    "loggers": {"sqlalchemy.engine": {"level": "INFO"},
                "uvicorn.access": {"level": "INFO", "handlers": ["err"], "propagate": False}},
}
"""What a debugging operator would switch on: the test scans it for patient data."""


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Runs a coroutine on a fresh loop in its own thread (the test's loop stays untouched)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def seed_practices(db_url: str, *names: str) -> list[PracticeKeys]:
    async def seed() -> list[PracticeKeys]:
        engine = make_engine(db_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return [await make_practice(session, name) for name in names]
        finally:
            await engine.dispose()

    return run_async(seed)


def fresh_database(template: Path, folder: Path) -> str:
    path = folder / "live.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@contextmanager
def live_server(db_url: str, log_to: Path | None = None) -> Iterator[str]:
    """The app on `db_url` served by uvicorn in its own process on 127.0.0.1 (its own GIL, as
    in production); yields its base URL. The test binds the socket and hands uvicorn the fd."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url}
    logging = ["--log-level", "warning", "--no-access-log"]
    if log_to:  # everything at debug, SQL echo on, all to one file
        config = log_to.with_suffix(".json")
        config.write_text(json.dumps(DEBUG_LOGGING))
        logging = ["--log-config", str(config)]
    log_file = open(log_to, "wb") if log_to else None  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gateway.api.app:create_app",
         "--fd", str(sock.fileno()), *logging],
        pass_fds=[sock.fileno()], env=env, stdout=log_file, stderr=log_file)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        sock.close()
        if log_file is not None:
            log_file.close()
