"""What both transports share: the listing entry, the errors, spooling a stream to a
temporary file while hashing it, and the fetch loop.

A transport (`sftp.SftpTransport`, `local.LocalTransport`) is a context manager with
`list(folder, pattern)`, `download(entry, kind)`, `finish(file, action, archive_dir)`,
`upload(folder, name, content)` and `check(folders)`. Errors that end a whole run are
`TransportError`s (a `Failure`: the remote refused or went away); a problem with one file
(it changed size while being read, it vanished) is `FileSkipped` and only skips that file.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import logging
import os
import posixpath
import tempfile
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from gateway.core.errors import Failure
from gateway.core.records import ConnectorCheck, RemoteFile, SubmissionReceipt

log = logging.getLogger("gateway.transport")

CHUNK = 256 * 1024
PART_SUFFIX = ".part"

# progress(name, bytes_so_far, expected_total): called after each chunk of a download or an
# upload. Logs and tests use it; it must not hold on to the data.
Progress = Callable[[str, int, int], None]


class Readable(Protocol):
    """What `spool` reads from: a file object, or the SFTP pipelined reader."""

    def read(self, size: int = -1, /) -> bytes: ...


class TransportError(Failure):
    """The remote refused us or went away: the run stops, nothing of it is imported."""


class HostKeyRefused(TransportError):
    """The server's host key is not the pinned one (unknown or changed)."""


class AuthFailed(TransportError):
    """The server did not accept our username / password / key."""


class FolderMissing(TransportError):
    """A configured folder does not exist at the remote."""


class ConnectionLost(TransportError):
    """The connection dropped (or timed out) in the middle of an operation."""


class FileSkipped(Exception):
    """One file could not be fetched this time (it changed while being read, it vanished);
    the others go on and the next poll retries it."""


@dataclass(frozen=True)
class Entry:
    """A file seen in a remote folder."""

    name: str
    path: str
    size: int
    mtime: int | None = None  # whole seconds since the epoch

    @property
    def modified_at(self) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(self.mtime, dt.UTC) if self.mtime is not None else None


class Transport(Protocol):
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc: object) -> None: ...
    def list(self, folder: str, pattern: str) -> list[Entry]: ...
    def download(self, entry: Entry, kind: str) -> RemoteFile: ...
    def finish(self, file: RemoteFile, action: str, archive_dir: str | None) -> None: ...
    def upload(self, folder: str, name: str, content: bytes) -> SubmissionReceipt: ...
    def check(self, folders: dict[str, str]) -> ConnectorCheck: ...


def wanted(name: str, pattern: str) -> bool:
    """A file we read: matches the pattern, is not a dot-file nor a half-written `.part`."""
    if name.startswith(".") or name.endswith(PART_SUFFIX):
        return False
    return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(name.lower(), pattern.lower())


MAX_NAME_BYTES = 255


def plain_name(name: str) -> bool:
    """A remote name we act on: one path component (no `/`, `\\`, `.` or `..`), no control
    characters, at most 255 bytes. Anything else could point outside the folder."""
    return (bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name
            and not any(ord(c) < 32 or ord(c) == 127 for c in name)
            and len(name.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES)


def safe_entries(entries: Iterable[Entry], where: str) -> list[Entry]:
    """`entries` without those whose name is not `plain_name` (each skipped with a warning)."""
    kept = []
    for entry in entries:
        if plain_name(entry.name):
            kept.append(entry)
        else:
            log.warning("skipped a file on %s with an unsafe name: %r", where, entry.name[:80])
    return kept


def inside(path: str, folder: str) -> bool:
    """`path` is directly in `folder` (after-download actions touch nothing else)."""
    return posixpath.dirname(posixpath.normpath(path)) == posixpath.normpath(folder)


def may_finish(file: RemoteFile, folders: Iterable[str] | None) -> bool:
    """Whether an after-download action may touch `file`: a plain name, a path without `..`
    whose last part is that name and (when `folders` are known) directly in one of them."""
    path = file.remote_path or ""
    if not plain_name(file.name) or ".." in path.split("/"):
        return False
    if posixpath.basename(path) != file.name:
        return False
    return folders is None or any(inside(path, folder) for folder in folders)


def read_folders(cfg: object) -> list[str]:
    """The folders a connector reads (labels from `folder_patterns`, values on the config)."""
    labels: dict[str, str] = getattr(cfg, "folder_patterns", dict)()
    return [str(getattr(cfg, label)) for label in labels if getattr(cfg, label, None)]


def check_size(entry: Entry, max_bytes: int) -> None:
    """Refuses (skips) a file listed larger than the configured maximum, before download."""
    if entry.size > max_bytes:
        raise FileSkipped(f"listed {entry.size} bytes, over max_file_bytes ({max_bytes})")


def check_name(name: str) -> None:
    """A batch name we are willing to upload: one plain path component."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
        raise FileSkipped(f"not a plain file name: {name!r}")


def spool(
    source: Readable,
    entry: Entry,
    kind: str,
    progress: Progress | None = None,
) -> RemoteFile:
    """Copy `source` to a new temporary file chunk by chunk, hashing as it goes; verify the
    size against the listing. The temporary file is removed again on any error."""
    fd, tmp = tempfile.mkstemp(prefix=f"gateway-{kind}-", suffix=".download")
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = source.read(min(CHUNK, entry.size + 1 - size))
                if not chunk:
                    break
                if size + len(chunk) > entry.size:  # the server sends more than it listed
                    raise FileSkipped(f"the server sent more than the {entry.size} bytes it "
                                      "listed; stopped there")
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(entry.name, size, entry.size)
        if size != entry.size:
            raise FileSkipped(
                f"size changed while downloading (listed {entry.size} bytes, read {size}): "
                "still being written? retried next poll"
            )
        return RemoteFile(
            name=entry.name,
            kind=kind,  # type: ignore[arg-type]
            local_path=tmp,
            size=size,
            sha256=digest.hexdigest(),
            remote_path=entry.path,
            modified_at=entry.modified_at,
        )
    except BaseException:
        _unlink(tmp)
        raise


REFUSED_BEFORE: ContextVar[frozenset[tuple[str, int, int]]] = ContextVar(
    "refused_before", default=frozenset())
"""(name, size, mtime) of files the core refused before (set by the caller of a fetch hook;
worker threads inherit it): `fetch_folder` does not download them again until one changes."""


def fetch_folder(transport: Transport, folder: str, pattern: str, kind: str) -> list[RemoteFile]:
    """Download every wanted file of `folder`, except those refused before (unchanged name,
    size and mtime). A `TransportError` midway removes what was already spooled and
    propagates: a run that lost its connection imports nothing."""
    files: list[RemoteFile] = []
    refused = REFUSED_BEFORE.get()
    try:
        for entry in transport.list(folder, pattern):
            if entry.mtime is not None and (entry.name, entry.size, entry.mtime) in refused:
                log.info("not downloading %s again: refused before, unchanged", entry.name)
                continue
            try:
                files.append(transport.download(entry, kind))
            except FileSkipped as exc:
                log.warning("skipped %s this time: %s", entry.name, exc)
    except BaseException:
        discard(files)
        raise
    return files


def discard(files: list[RemoteFile]) -> None:
    for f in files:
        _unlink(f.local_path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def archive_name(name: str, taken: Callable[[str], bool], folder: str) -> str:
    """`folder/name`, or `folder/name.<utc timestamp>[-n]` when that is already taken (the
    same name delivered twice must not overwrite the first in the archive)."""
    candidate = posixpath.join(folder, name)
    if not taken(candidate):
        return candidate
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    for n in range(1000):
        suffix = f".{stamp}" + (f"-{n}" if n else "")
        candidate = posixpath.join(folder, name + suffix)
        if not taken(candidate):
            return candidate
    raise FileSkipped(f"no free archive name for {name}")
