"""The Data Media statement connector's configuration, as `gateway connectors add --config`
reads it."""

from __future__ import annotations

from gateway.core.transport.config import RemoteConfig


class DataMediaConfig(RemoteConfig, kw_only=True, forbid_unknown_fields=True):
    """Where Data Media drops its ePayment files (how to reach the remote:
    `gateway.core.transport.config.RemoteConfig`; `transport: local` reads a drop folder).

    `payments_dir` is read for files matching `payments_pattern` (names ending in `.part` and
    dot-files are never read). `client_id`, when set, must be the one in each file's header.
    """

    payments_dir: str = "payments"
    payments_pattern: str = "*"
    client_id: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if "/" in self.payments_pattern:
            raise ValueError("payments_pattern is a file name pattern, not a path")

    def folder_patterns(self) -> dict[str, str]:
        return {"payments_dir": self.payments_pattern}
