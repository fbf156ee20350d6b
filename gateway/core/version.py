"""The gateway's version, read once from its package metadata (never hard-coded)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "eyecare-gateway"


def _read() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a source tree that is not installed
        return "0+unknown"


GATEWAY_VERSION = _read()
"""What the built-in plugins and the API report as their version."""
