"""The `transport: local` variant: the same semantics on local folders.

For demos, and for practices whose clearinghouse files arrive another way (a mapped drive, a
vendor's own sync tool). Files are spooled to a temporary file and hashed like SFTP downloads,
uploads are written as `NAME.part`, flushed to disk, then linked to `NAME` (never replacing an
existing file), so a reader of the claims folder never sees a half-written batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time

from gateway.core.errors import UserError
from gateway.core.records import ConnectorCheck, RemoteFile, SubmissionReceipt
from gateway.core.transport.base import (
    PART_SUFFIX,
    Entry,
    FileSkipped,
    FolderMissing,
    Progress,
    TransportError,
    archive_name,
    check_name,
    check_size,
    may_finish,
    safe_entries,
    spool,
    wanted,
)
from gateway.core.transport.config import RemoteConfig

log = logging.getLogger("gateway.transport.local")


class LocalTransport:
    progress: Progress | None = None

    def __init__(self, cfg: RemoteConfig, progress: Progress | None = None) -> None:
        self.cfg = cfg
        if progress is not None:
            self.progress = progress

    def __enter__(self) -> LocalTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _folder(self, folder: str) -> str:
        path = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(path):
            raise FolderMissing(f"folder {folder!r} not found (local transport)")
        return path

    def list(self, folder: str, pattern: str) -> list[Entry]:
        path = self._folder(folder)
        entries = []
        try:
            with os.scandir(path) as it:
                for item in it:
                    if not item.is_file(follow_symlinks=False) or not wanted(item.name, pattern):
                        continue
                    st = item.stat(follow_symlinks=False)
                    entries.append(Entry(item.name, item.path, st.st_size, int(st.st_mtime)))
        except PermissionError as exc:
            raise TransportError(f"folder {folder!r}: permission denied") from exc
        entries.sort(key=lambda e: (e.mtime or 0, e.name))
        return safe_entries(entries, f"folder {folder!r}")

    def download(self, entry: Entry, kind: str) -> RemoteFile:
        check_size(entry, self.cfg.max_file_bytes)
        try:
            with open(entry.path, "rb") as fh:
                return spool(fh, entry, kind, self.progress)
        except FileNotFoundError as exc:
            raise FileSkipped("vanished before it could be read") from exc
        except PermissionError as exc:
            raise FileSkipped("permission denied") from exc

    def finish(self, file: RemoteFile, action: str, archive_dir: str | None) -> None:
        if action != "leave" and not may_finish(file, None):
            log.warning("left %r: not a plain name in its folder", file.name[:80])
            return
        if action == "leave":
            return
        try:
            if action == "delete":
                os.unlink(file.remote_path)
            elif action == "move":
                assert archive_dir
                folder = self._folder(archive_dir)
                target = archive_name(file.name, os.path.lexists, folder)
                os.rename(file.remote_path, target)
        except FileNotFoundError:
            log.info("%s already gone", file.name)
        except PermissionError as exc:
            raise TransportError(f"cannot {action} {file.name}: permission denied") from exc

    def upload(self, folder: str, name: str, content: bytes) -> SubmissionReceipt:
        try:
            check_name(name)
        except FileSkipped as exc:
            raise UserError(str(exc), where="batch name") from exc
        path = self._folder(folder)
        final = os.path.join(path, name)
        part = final + PART_SUFFIX
        if os.path.lexists(final):
            raise TransportError(
                f"{name} already exists in {folder!r}: not overwriting a submitted batch"
            )
        try:
            with open(part, "wb") as fh:
                view = memoryview(content)
                step = 256 * 1024
                for offset in range(0, len(content), step):
                    fh.write(view[offset : offset + step])
                    if self.progress is not None:
                        self.progress(name, min(offset + step, len(content)), len(content))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(part, final)  # fails rather than replace an existing file
                os.unlink(part)
            except FileExistsError as exc:
                os.unlink(part)
                raise TransportError(
                    f"{name} already exists in {folder!r}: not overwriting a submitted batch"
                ) from exc
            except OSError:  # no hard links on this file system: rename (still atomic)
                os.rename(part, final)
        except PermissionError as exc:
            raise TransportError(f"cannot write {name} into {folder!r}: permission denied") from exc
        if self.cfg.confirm_upload:
            try:
                size = os.stat(final).st_size
            except FileNotFoundError as exc:
                raise TransportError(f"{name} is not in {folder!r} after the upload") from exc
            if size != len(content):
                raise TransportError(f"{name} has {size} bytes, sent {len(content)}")
        return SubmissionReceipt(
            remote_name=final,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            submitted_at=dt.datetime.now(dt.UTC),
        )

    def check(self, folders: dict[str, str]) -> ConnectorCheck:
        started = time.monotonic()
        patterns = self.cfg.folder_patterns()
        counts: dict[str, int] = {}
        problems: list[str] = []
        for label, folder in folders.items():
            try:
                counts[label] = len(self.list(folder, patterns.get(label, "*")))
            except (FolderMissing, TransportError) as exc:
                problems.append(str(exc))
        return ConnectorCheck(
            ok=not problems,
            host_key_fingerprint=None,
            latency_ms=int((time.monotonic() - started) * 1000),
            folders=counts,
            problems=problems,
        )
