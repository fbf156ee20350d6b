"""A small pool of SFTP connections: fetch, finish and submit of one run share one
connection instead of each making its own (key exchange and login cost most of a poll)."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING, Any

from gateway.core.transport.base import FileSkipped
from gateway.core.transport.config import RemoteConfig

if TYPE_CHECKING:
    from gateway.core.transport.sftp import SftpTransport


class _Pool:
    """Idle connections by connector, reused for `IDLE_SECONDS`. A connection is checked out
    while in use (a paramiko session is not shared between threads) and dropped on error."""

    IDLE_SECONDS = 60.0

    def __init__(self) -> None:
        self._idle: dict[Any, tuple[float, SftpTransport]] = {}
        self._lock = threading.Lock()

    def checkout(self, key: Any, cfg: RemoteConfig) -> SftpTransport:
        stale: list[SftpTransport] = []
        now = time.monotonic()
        with self._lock:
            for k, (since, conn) in list(self._idle.items()):
                if now - since > self.IDLE_SECONDS or not conn.is_active():
                    stale.append(conn)
                    del self._idle[k]
            found = self._idle.pop(key, None)
        for conn in stale:
            conn.close()
        if found is not None:
            return found[1]
        from gateway.core.transport.sftp import SftpTransport  # sftp re-exports this module

        conn = SftpTransport(cfg)
        conn.connect()
        return conn

    def checkin(self, key: Any, conn: SftpTransport) -> None:
        if not conn.is_active():
            conn.close()
            return
        with self._lock:
            previous = self._idle.pop(key, None)
            self._idle[key] = (time.monotonic(), conn)
        if previous is not None:
            previous[1].close()

    def close_all(self) -> None:
        with self._lock:
            conns = [c for _, c in self._idle.values()]
            self._idle.clear()
        for conn in conns:
            conn.close()


POOL = _Pool()


class pooled:  # noqa: N801 - used as a context manager, reads like a function
    """`with pooled(connector_id, cfg) as t:` a connected SftpTransport, returned to the pool
    when the block ends cleanly and closed when it raised."""

    def __init__(self, connector_id: int, cfg: RemoteConfig) -> None:
        self.key = (connector_id, hashlib.sha256(repr(cfg).encode()).hexdigest())
        self.cfg = cfg
        self.conn: SftpTransport | None = None

    def __enter__(self) -> SftpTransport:
        self.conn = POOL.checkout(self.key, self.cfg)
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        assert self.conn is not None
        if exc_type is None or exc_type is FileSkipped:
            POOL.checkin(self.key, self.conn)
        else:
            self.conn.close()
