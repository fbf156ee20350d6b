"""The clearinghouse connector's configuration, as `gateway connectors add --config` reads it."""

from __future__ import annotations

import msgspec

from gateway.core.edi_records import EdiBillingProvider
from gateway.core.transport.config import RemoteConfig


class EdiSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The envelope of the 837P claim batches sent through this connector (what the
    clearinghouse assigned at enrolment). Needed only for `submit-claims`."""

    sender_id: str  # ISA06 / GS02 (often the submitter ETIN)
    receiver_id: str  # ISA08 / GS03
    submitter_name: str
    submitter_id: str  # loop 1000A NM109 (ETIN)
    contact_name: str
    contact_phone: str  # 10 digits
    receiver_name: str
    billing_provider: EdiBillingProvider
    production: bool = True  # ISA15 P; false sends test files (T)
    batch_name_prefix: str = "CLM"


class ClearinghouseConfig(RemoteConfig, kw_only=True, forbid_unknown_fields=True):
    """Where ERAs and acknowledgments arrive and claim batches go (how to reach the remote:
    `gateway.core.transport.config.RemoteConfig`).

    Folders: `era_dir` and `ack_dir` are read (files matching `era_pattern` / `ack_pattern`;
    names ending in `.part` and dot-files are never read), `claims_dir` is written. `edi`
    holds the 837P envelope (sender/receiver ids, submitter, billing provider) for claim
    submission.
    """

    era_dir: str = "outbound/era"
    ack_dir: str = "outbound/ack"
    claims_dir: str = "inbound/claims"
    era_pattern: str = "*"
    ack_pattern: str = "*"
    edi: EdiSettings | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for field in ("era_pattern", "ack_pattern"):
            if "/" in getattr(self, field):
                raise ValueError(f"{field} is a file name pattern, not a path")

    def folder_patterns(self) -> dict[str, str]:
        return {"era_dir": self.era_pattern, "ack_dir": self.ack_pattern}
