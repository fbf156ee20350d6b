"""The SFTP transport (paramiko), blocking: the core calls it from a worker thread.

Host keys: the server's key must be one pinned in the connector's `known_hosts`. An unknown
or changed key refuses the connection with an error naming host, port and the SHA256
fingerprint offered; nothing is ever auto-accepted or written back. Only the pinned key types
are offered in the key exchange, so a server holding several keys presents the pinned one.

Downloads stream (pipelined reads, bounded in flight) into a temporary file, hashing as they
go, and are checked against the listed size. Uploads go to `NAME.part`, then are renamed to
`NAME` (posix-rename where the server has it, plain rename otherwise): the final name never
shows a half-written file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import posixpath
import socket
import stat
import time

import paramiko
from paramiko.hostkeys import HostKeyEntry, HostKeys

from gateway.core.errors import UserError
from gateway.core.records import ConnectorCheck, RemoteFile, SubmissionReceipt
from gateway.core.transport.base import (
    CHUNK,
    PART_SUFFIX,
    AuthFailed,
    ConnectionLost,
    Entry,
    FileSkipped,
    FolderMissing,
    HostKeyRefused,
    Progress,
    TransportError,
    archive_name,
    check_name,
    check_size,
    inside,
    may_finish,
    read_folders,
    safe_entries,
    spool,
    wanted,
)
from gateway.core.transport.config import RemoteConfig
from gateway.core.transport.sftp_reader import PipelinedReader

log = logging.getLogger("gateway.transport.sftp")


# Host key algorithms to offer for a pinned key of this type.
_KEY_ALGORITHMS = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
}


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the key blob's hash."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def pinned_keys(known_hosts: str, host: str, port: int) -> dict[str, paramiko.PKey]:
    """The keys `known_hosts` pins for host:port (plain or hashed entries), by key type."""
    name = known_hosts_name(host, port)
    found: dict[str, paramiko.PKey] = {}
    for number, line in enumerate(known_hosts.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = HostKeyEntry.from_line(line, number)
        if entry is None:
            continue
        for pattern in entry.hostnames:
            if pattern.startswith("|1|"):
                salt = pattern.split("|")[2]
                matches = HostKeys.hash_host(name, salt) == pattern
            else:
                matches = pattern == name
            if matches:
                found[entry.key.get_name()] = entry.key
    return found


def load_private_key(text: str, passphrase: str | None) -> paramiko.PKey:
    """A private key from its PEM / OpenSSH text (RSA, ECDSA or Ed25519)."""
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException as exc:
            raise UserError(
                "private_key is encrypted: set private_key_passphrase", where="config"
            ) from exc
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    raise UserError(
        "private_key is not a readable private key (RSA, ECDSA or Ed25519, OpenSSH or PEM "
        "text) or its passphrase is wrong",
        where="config",
    )


class SftpTransport:
    """One SSH connection with one SFTP session. Use as a context manager or via `pooled`."""

    progress: Progress | None = None

    def __init__(self, cfg: RemoteConfig, progress: Progress | None = None) -> None:
        self.cfg = cfg
        self.where = f"{cfg.host}:{cfg.port}"
        if progress is not None:
            self.progress = progress
        self.transport: paramiko.Transport | None = None
        self.sftp: paramiko.SFTPClient | None = None
        self.host_key_fingerprint: str | None = None
        self.connect_ms: int | None = None

    # -- connection --------------------------------------------------------------------------

    def __enter__(self) -> SftpTransport:
        if self.sftp is None:
            self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        cfg = self.cfg
        assert cfg.host and cfg.username and cfg.known_hosts
        pinned = pinned_keys(cfg.known_hosts, cfg.host, cfg.port)
        started = time.monotonic()
        try:
            sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.timeout_seconds)
        except OSError as exc:
            raise TransportError(
                f"cannot connect to {self.where}: {exc.strerror or exc}"
            ) from exc
        transport = paramiko.Transport(sock)
        self.transport = transport
        try:
            transport.banner_timeout = cfg.timeout_seconds
            transport.handshake_timeout = cfg.timeout_seconds
            transport.auth_timeout = cfg.timeout_seconds
            if pinned:
                algorithms = [a for t in pinned for a in _KEY_ALGORITHMS.get(t, (t,))]
                supported = set(transport.get_security_options().key_types)
                offered = [a for a in algorithms if a in supported]
                if offered:
                    transport.get_security_options().key_types = offered
            try:
                transport.start_client(timeout=cfg.timeout_seconds)
            except paramiko.SSHException as exc:
                if pinned and "host key" in str(exc).lower():
                    raise HostKeyRefused(
                        f"host key of {self.where} refused: the server offers none of the "
                        f"pinned key types ({', '.join(sorted(pinned))}); refusing to connect"
                    ) from exc
                raise TransportError(f"SSH handshake with {self.where} failed: {exc}") from exc
            self._verify_host_key(transport, pinned)
            self._authenticate(transport)
            self.sftp = paramiko.SFTPClient.from_transport(transport)
            if self.sftp is None:
                raise TransportError(f"{self.where} refused the SFTP subsystem")
            self.sftp.get_channel().settimeout(cfg.operation_timeout_seconds)
            self.connect_ms = int((time.monotonic() - started) * 1000)
        except BaseException:
            self.close()
            raise
        log.debug("connected to %s in %s ms", self.where, self.connect_ms)

    def _verify_host_key(self, transport: paramiko.Transport, pinned: dict) -> None:
        key = transport.get_remote_server_key()
        offered = f"{key.get_name()} {fingerprint(key)}"
        self.host_key_fingerprint = fingerprint(key)
        if not pinned:
            raise HostKeyRefused(
                f"host key of {self.where} is unknown: the server offered {offered}, and "
                "known_hosts pins nothing for "
                f"{known_hosts_name(self.cfg.host or '', self.cfg.port)}"
                "; verify the fingerprint with the clearinghouse, then add it to known_hosts"
            )
        expected = pinned.get(key.get_name())
        if expected is None or expected.asbytes() != key.asbytes():
            was = ", ".join(f"{t} {fingerprint(k)}" for t, k in sorted(pinned.items()))
            raise HostKeyRefused(
                f"host key of {self.where} CHANGED: the server offered {offered} but "
                f"known_hosts pins {was}; refusing to connect (if the clearinghouse rotated "
                "its key, verify the new fingerprint with them and update known_hosts)"
            )

    def _authenticate(self, transport: paramiko.Transport) -> None:
        cfg = self.cfg
        tried = []
        if cfg.private_key:
            key = load_private_key(cfg.private_key, cfg.private_key_passphrase)
            tried.append("private key")
            try:
                transport.auth_publickey(cfg.username, key)
            except paramiko.AuthenticationException:
                pass
        if not transport.is_authenticated() and cfg.password:
            tried.append("password")
            try:
                transport.auth_password(cfg.username, cfg.password)
            except paramiko.AuthenticationException:
                pass
        if not transport.is_authenticated():
            raise AuthFailed(
                f"authentication failed for {cfg.username}@{self.where} "
                f"({' and '.join(tried)} refused): check the username and the "
                f"{' / '.join(tried)} set with `gateway connectors set-secret`"
            )

    def close(self) -> None:
        if self.sftp is not None:
            try:
                self.sftp.close()
            except Exception:  # noqa: BLE001 - closing a dead session
                pass
            self.sftp = None
        if self.transport is not None:
            try:
                self.transport.close()
            except Exception:  # noqa: BLE001
                pass
            self.transport = None

    def is_active(self) -> bool:
        return self.transport is not None and self.transport.is_active() and self.sftp is not None

    def _client(self) -> paramiko.SFTPClient:
        if self.sftp is None:
            self.connect()
        assert self.sftp is not None
        return self.sftp

    def _lost(self, exc: BaseException, doing: str) -> TransportError:
        """Turn a paramiko / socket error into our error: the connection is gone, or not."""
        if isinstance(exc, TransportError):
            return exc
        if isinstance(exc, socket.timeout | TimeoutError):
            return ConnectionLost(f"{self.where} timed out while {doing}")
        why = str(exc) or type(exc).__name__
        return ConnectionLost(f"connection to {self.where} lost while {doing}: {why}")

    def _failed(self, exc: BaseException, what: str, doing: str) -> TransportError:
        """A refused write (permission denied: `what` names it) or a lost connection."""
        if isinstance(exc, PermissionError):
            return TransportError(f"cannot {what} on {self.where}: permission denied")
        return self._lost(exc, doing)

    def _alive(self) -> bool:
        return self.transport is not None and self.transport.is_active()

    # -- operations --------------------------------------------------------------------------

    def list(self, folder: str, pattern: str) -> list[Entry]:
        sftp = self._client()
        try:
            attrs = sftp.listdir_attr(folder)
        except FileNotFoundError as exc:
            raise FolderMissing(f"folder {folder!r} not found on {self.where}") from exc
        except PermissionError as exc:
            raise TransportError(f"folder {folder!r} on {self.where}: permission denied") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._lost(exc, f"listing {folder!r}") from exc
        entries = safe_entries([
            Entry(
                name=a.filename,
                path=posixpath.join(folder, a.filename),
                size=a.st_size or 0,
                mtime=int(a.st_mtime) if a.st_mtime is not None else None,
            )
            for a in attrs
            if a.st_mode is not None and stat.S_ISREG(a.st_mode) and wanted(a.filename, pattern)
        ], self.where)
        entries.sort(key=lambda e: (e.mtime or 0, e.name))
        return entries

    def download(self, entry: Entry, kind: str) -> RemoteFile:
        check_size(entry, self.cfg.max_file_bytes)
        sftp = self._client()
        try:
            with sftp.open(entry.path, "rb") as remote:
                return spool(PipelinedReader(sftp, remote), entry, kind, self.progress)
        except FileSkipped:
            raise
        except FileNotFoundError as exc:
            raise FileSkipped("vanished before it could be downloaded") from exc
        except PermissionError as exc:
            raise FileSkipped("permission denied") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            if isinstance(exc, OSError) and self._alive() and not isinstance(
                exc, socket.timeout | TimeoutError
            ):
                raise FileSkipped(f"could not be read: {exc}") from exc
            raise self._lost(exc, f"downloading {entry.name}") from exc

    def finish(self, file: RemoteFile, action: str, archive_dir: str | None) -> None:
        if action == "leave":
            return
        if not may_finish(file, read_folders(self.cfg)):
            log.warning("left %r on %s: not a plain name in a configured folder",
                        file.name[:80], self.where)
            return
        if action == "move" and archive_dir and not inside(
                posixpath.join(archive_dir, file.name), archive_dir):
            log.warning("left %r on %s: the archive path leaves %r", file.name[:80],
                        self.where, archive_dir)
            return
        sftp = self._client()
        try:
            if action == "delete":
                sftp.remove(file.remote_path)
            elif action == "move":
                assert archive_dir
                try:
                    target = archive_name(file.name, self._exists, archive_dir)
                except FileSkipped as exc:  # one odd file never fails the run
                    log.warning("left %r on %s: %s", file.name[:80], self.where, exc)
                    return
                self._rename(file.remote_path, target)
        except FileNotFoundError:
            log.info("%s already gone from %s", file.name, self.where)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._failed(exc, f"{action} {file.name}",
                               f"applying '{action}' to {file.name}") from exc

    def _exists(self, path: str) -> bool:
        try:
            self._client().stat(path)
            return True
        except FileNotFoundError:
            return False

    def _rename(self, source: str, target: str) -> None:
        """posix-rename (atomic, OpenSSH extension) where the server has it, else rename."""
        sftp = self._client()
        try:
            sftp.posix_rename(source, target)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError | PermissionError) or not self._alive():
                raise
            log.debug("posix-rename not available on %s (%s); plain rename", self.where, exc)
            sftp.rename(source, target)

    def upload(self, folder: str, name: str, content: bytes) -> SubmissionReceipt:
        try:
            check_name(name)
        except FileSkipped as exc:
            raise UserError(str(exc), where="batch name") from exc
        sftp = self._client()
        final = posixpath.join(folder, name)
        part = final + PART_SUFFIX
        digest = hashlib.sha256(content).hexdigest()
        try:
            try:
                sftp.stat(folder)
            except FileNotFoundError as exc:
                raise FolderMissing(f"folder {folder!r} not found on {self.where}") from exc
            if self._exists(final):
                raise TransportError(
                    f"{name} already exists in {folder!r} on {self.where}: not overwriting a "
                    "submitted batch"
                )
            with sftp.open(part, "wb") as remote:
                remote.set_pipelined(True)
                view = memoryview(content)
                for offset in range(0, len(content), CHUNK):
                    remote.write(view[offset : offset + CHUNK])
                    if self.progress is not None:
                        self.progress(name, min(offset + CHUNK, len(content)), len(content))
            size = sftp.stat(part).st_size
            if size != len(content):
                raise TransportError(
                    f"upload of {name} to {self.where} incomplete: {size} of {len(content)} bytes"
                )
            self._rename(part, final)
            if self.cfg.confirm_upload:
                try:
                    confirmed = sftp.stat(final).st_size
                except FileNotFoundError as exc:
                    raise TransportError(
                        f"{name} is not in {folder!r} on {self.where} after the upload (if the "
                        "server moves files on arrival, set confirm_upload to false)"
                    ) from exc
                if confirmed != len(content):
                    raise TransportError(
                        f"{name} on {self.where} has {confirmed} bytes, sent {len(content)}"
                    )
        except (TransportError, UserError):
            raise
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise self._failed(exc, f"write {name} into {folder!r}", f"uploading {name}") from exc
        return SubmissionReceipt(
            remote_name=final,
            size=len(content),
            sha256=digest,
            submitted_at=dt.datetime.now(dt.UTC),
        )

    def check(self, folders: dict[str, str]) -> ConnectorCheck:
        problems: list[str] = []
        counts: dict[str, int] = {}
        started = time.monotonic()
        self._client()
        latency = self.connect_ms
        for label, (folder, pattern) in _folder_patterns(self.cfg, folders).items():
            try:
                counts[label] = len(self.list(folder, pattern))
            except FolderMissing as exc:
                problems.append(str(exc))
        if latency is None:
            latency = int((time.monotonic() - started) * 1000)
        return ConnectorCheck(
            ok=not problems,
            host_key_fingerprint=self.host_key_fingerprint,
            latency_ms=latency,
            folders=counts,
            problems=problems,
        )


def _folder_patterns(cfg: RemoteConfig, folders: dict[str, str]) -> dict[str, tuple[str, str]]:
    patterns = cfg.folder_patterns()
    return {label: (folder, patterns.get(label, "*")) for label, folder in folders.items()}


# the pool lives in sftp_pool; re-exported here for existing callers
from gateway.core.transport.sftp_pool import POOL, pooled  # noqa: E402

__all__ = ["POOL", "PipelinedReader", "SftpTransport", "fingerprint", "pinned_keys", "pooled"]
