"""A real OpenSSH server for the SFTP tests.

`SshServer` runs `/usr/sbin/sshd -D -e` on a free loopback port with its own temporary
Ed25519 host key, an `sshd_config` serving `internal-sftp` only, and a dedicated test user
(created once with useradd when missing; a random password per machine, kept in a root-only
file and set with chpasswd) whose login directory is the server's `root` folder. Readiness is
the SSH banner on the port, polled with a deadline. `kill()` SIGKILLs the daemon and every
session process it forked (a real fault: connections drop mid-transfer); `stop()` does the
same and removes the temporary files. Needs root (to run sshd and manage the user), as
`scripts/test` has.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

SSHD = os.environ.get("SSHD", "/usr/sbin/sshd")
USER = "gwsftp"
# sshd reads authorized_keys as the test user: its folder must be outside root-only dirs.
BASE_DIR = os.environ.get("GATEWAY_SSHD_DIR", "/tmp")


def _shared_password() -> str:
    """The test user's password, random once per machine and kept in a root-only file, so
    test runs in parallel (several engineers, xdist) never change it under each other."""
    path = Path(BASE_DIR) / "gateway-sshd-test-password"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    tmp = path.with_name(f"{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(18))
    try:
        os.link(tmp, path)  # the first writer wins; everyone reads the same password
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


PASSWORD = _shared_password()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ed25519_keypair() -> tuple[str, str]:
    """(private key in OpenSSH PEM text, public key line `ssh-ed25519 AAAA...`)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    return private, public


def ensure_user(name: str = USER) -> tuple[int, int]:
    """The test user's (uid, gid), creating the account when it does not exist."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/bin/sh", name],
            check=True, capture_output=True,
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


class SshServer:
    """A running sshd; `root` is the SFTP login directory (owned by the test user)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gateway-sshd-", dir=BASE_DIR))
        os.chmod(self.dir, 0o755)
        self.root = self.dir / "home"
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.user = USER
        self.password = PASSWORD
        self.client_key, self._client_pub = ed25519_keypair()
        self.proc: subprocess.Popen[bytes] | None = None
        self.host_public = ""
        self.log = self.dir / "sshd.log"

    # -- set-up ------------------------------------------------------------------------------

    def _write_host_key(self) -> None:
        private, public = ed25519_keypair()
        path = self.dir / "ssh_host_ed25519_key"
        path.write_text(private)
        os.chmod(path, 0o600)
        self.host_public = public

    def new_host_key(self) -> None:
        """Replace the host key (takes effect at the next `start`)."""
        self._write_host_key()

    @property
    def known_hosts(self) -> str:
        """The known_hosts line pinning this server's current host key."""
        return f"[{self.host}]:{self.port} {self.host_public}\n"

    def _configure(self) -> None:
        uid, gid = ensure_user(self.user)
        self.root.mkdir(exist_ok=True)
        os.chown(self.root, uid, gid)
        subprocess.run(["chpasswd"], input=f"{self.user}:{self.password}".encode(),
                       check=True, capture_output=True)
        keys = self.dir / "authorized_keys"
        keys.write_text(self._client_pub + "\n")
        os.chmod(keys, 0o644)
        if not self.host_public:
            self._write_host_key()
        (self.dir / "sshd_config").write_text(
            f"Port {self.port}\n"
            f"ListenAddress {self.host}\n"
            f"HostKey {self.dir / 'ssh_host_ed25519_key'}\n"
            "PidFile none\n"
            "UsePAM no\n"
            "StrictModes no\n"
            "PermitRootLogin no\n"
            f"AllowUsers {self.user}\n"
            "PubkeyAuthentication yes\n"
            f"AuthorizedKeysFile {keys}\n"
            "PasswordAuthentication yes\n"
            "PermitEmptyPasswords no\n"
            "KbdInteractiveAuthentication no\n"
            "MaxAuthTries 6\n"
            "MaxStartups 100\n"
            "MaxSessions 50\n"
            "X11Forwarding no\n"
            "AllowTcpForwarding no\n"
            "LogLevel INFO\n"
            f"Subsystem sftp internal-sftp -d {self.root}\n"
            f"ForceCommand internal-sftp -d {self.root}\n"
        )
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation dir

    def start(self, timeout: float = 15.0) -> SshServer:
        self._configure()
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=open(self.log, "ab"),  # noqa: SIM115 - the child keeps it
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"sshd exited with {self.proc.returncode}: {self.log.read_text()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as s:
                    s.settimeout(2.0)
                    if s.recv(64).startswith(b"SSH-2.0-"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"sshd not ready on port {self.port}: {self.log.read_text()}")
            time.sleep(0.02)  # polling interval of the readiness probe, not synchronisation

    # -- faults and teardown -----------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL the daemon and every process it forked (open sessions drop at once)."""
        if self.proc is None:
            return
        try:
            parent = psutil.Process(self.proc.pid)
            procs = [*parent.children(recursive=True), parent]
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=10)
        self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def session_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    # -- helpers for tests ---------------------------------------------------------------------

    def folder(self, relative: str) -> Path:
        """A folder under the login directory, created and owned by the test user."""
        import pwd

        entry = pwd.getpwnam(self.user)
        path = self.root
        for part in Path(relative).parts:
            path = path / part
            path.mkdir(exist_ok=True)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return path

    def config(self, **overrides: object) -> dict[str, object]:
        """A connector config (JSON form) for this server, key auth by default."""
        base: dict[str, object] = {
            "transport": "sftp",
            "host": self.host,
            "port": self.port,
            "username": self.user,
            "private_key": self.client_key,
            "known_hosts": self.known_hosts,
            "era_dir": "outbound/era",
            "ack_dir": "outbound/ack",
            "claims_dir": "inbound/claims",
            "timeout_seconds": 10,
            "operation_timeout_seconds": 20,
        }
        base.update(overrides)
        return base
