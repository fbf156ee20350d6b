"""API key tokens: how a key is made and how it is stored (only its hash).

Both the admin service (which issues keys) and the API's authentication (which checks them)
need this; it lives here so services never import the HTTP layer.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "gw_"


def new_key() -> tuple[str, str, str]:
    """A fresh key: (the token shown once, its display prefix, its hash to store)."""
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    return token, token[:10], hash_key(token)


def hash_key(token: str) -> str:
    """What the database stores of a token: its SHA-256, so a leaked table grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()
