"""Connector secrets encrypted at rest (Fernet), with the key kept outside the database.

The key comes from `GATEWAY_SECRET_KEY` (comma-separated: the first encrypts, all decrypt,
so a rotation can be rolled out) or else from the key file `GATEWAY_SECRET_KEY_FILE`
(default `~/.config/eyecare-gateway/secret.key`, one key per line, first current), which is
created with mode 0600 the first time a secret is stored. A stolen database alone reveals no
secret. Stored values are `fernet:<token>`; a value without the prefix is a plain value from
before encryption, read as is and encrypted by `gateway secrets rotate`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from gateway.core.errors import Failure

PREFIX = "fernet:"
JSON_PREFIX = "fernet+json:"  # a secret that is a structure (e.g. a PMS balances block)
ENV_KEY = "GATEWAY_SECRET_KEY"
ENV_KEY_FILE = "GATEWAY_SECRET_KEY_FILE"


def key_file() -> Path:
    given = os.environ.get(ENV_KEY_FILE)
    if given:
        return Path(given)
    return Path.home() / ".config" / "eyecare-gateway" / "secret.key"


def _read_key_file(path: Path, create: bool) -> list[bytes]:
    if not path.exists():
        if not create:
            raise Failure(f"no secret key: set {ENV_KEY} or create the key file {path}")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:  # O_EXCL: two processes creating it at once agree on one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key() + b"\n")
    keys = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
    if not keys:
        raise Failure(f"the secret key file {path} is empty")
    return keys


def current_keys(create: bool = True) -> list[bytes]:
    """The keys, current first (from the environment, else the key file)."""
    env = os.environ.get(ENV_KEY, "").strip()
    if env:
        return [k.strip().encode() for k in env.split(",") if k.strip()]
    return _read_key_file(key_file(), create)


def _fernet(keys: list[bytes]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise Failure(f"the secret key is not a Fernet key ({exc})") from None


def seal(value: Any, keys: list[bytes] | None = None) -> str:
    """A text secret as `fernet:<token>`; any other JSON value as `fernet+json:<token>`."""
    fernet = _fernet(keys or current_keys())
    if isinstance(value, str):
        return PREFIX + fernet.encrypt(value.encode()).decode()
    return JSON_PREFIX + fernet.encrypt(msgspec.json.encode(value)).decode()


def _sealed(stored: Any) -> bool:
    return isinstance(stored, str) and stored.startswith((PREFIX, JSON_PREFIX))


def unseal(stored: Any, keys: list[bytes] | None = None) -> Any:
    if not _sealed(stored):
        return stored  # stored before encryption: `gateway secrets rotate` seals it
    structured = stored.startswith(JSON_PREFIX)
    token = stored[len(JSON_PREFIX if structured else PREFIX):].encode()
    try:
        plain = _fernet(keys or current_keys(create=False)).decrypt(token)
        return msgspec.json.decode(plain) if structured else plain.decode()
    except InvalidToken:
        raise Failure("a connector secret cannot be decrypted with the configured key "
                      f"({ENV_KEY} / {key_file()})") from None


def seal_all(values: dict[str, Any]) -> dict[str, str]:
    keys = current_keys()
    return {name: seal(value, keys) for name, value in values.items()}


def unseal_all(values: dict[str, Any]) -> dict[str, Any]:
    if not any(_sealed(v) for v in values.values()):
        return dict(values)
    keys = current_keys(create=False)
    return {name: unseal(value, keys) for name, value in values.items()}


def new_key_first() -> tuple[list[bytes], list[bytes]]:
    """For a rotation: (the new key list, new key first then the old ones; the old list)."""
    old = current_keys()
    return [Fernet.generate_key(), *old], old


def write_key_file(keys: list[bytes]) -> Path:
    """Replaces the key file atomically (mode 0600)."""
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(b"".join(k + b"\n" for k in keys))
    os.replace(tmp, path)
    return path
