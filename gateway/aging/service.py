"""The aging domain's service surface, one import for the API, the CLI, jobs and benchmarks.
Each concept lives in its own module:

- `gateway.aging.vendors`: which plugin reads a file, parsing, a location's vendor;
- `gateway.aging.importer`: a file becomes a location's snapshot (the rules are there);
- `gateway.aging.checks`: what a file must pass first (location, export date);
- `gateway.aging.parties`: payers (aliases first) and patients a file names;
- `gateway.aging.reconcile`: the money, as ledger rows;
- `gateway.aging.removal`: removing a wrong snapshot and undoing it;
- `gateway.aging.read`: snapshots read back.
"""

from __future__ import annotations

from gateway.aging.importer import (
    FILE_KIND,
    LEVELS,
    find_imported,
    import_export,
    import_upload,
    read_upload,
    sha256_of,
)
from gateway.aging.read import list_snapshots
from gateway.aging.reconcile import SOURCE_TYPE, line_charge, moves
from gateway.aging.removal import RemovalResult, remove_snapshot
from gateway.aging.schemas import ImportResult, ParseSummary
from gateway.aging.vendors import (
    aging_vendors,
    get_location,
    parse_export,
    parse_summary,
    read_all,
    summarize,
    vendor_for_location,
)
from gateway.core.names import normalize_payer_name

BUCKETS = ("bucket_0_30", "bucket_31_60", "bucket_61_90", "bucket_91_120", "bucket_120_plus")

__all__ = [
    "BUCKETS", "FILE_KIND", "LEVELS", "SOURCE_TYPE", "ImportResult", "ParseSummary",
    "RemovalResult", "aging_vendors", "find_imported", "get_location", "import_export",
    "import_upload", "line_charge", "list_snapshots", "moves", "normalize_payer_name",
    "parse_export", "parse_summary", "read_all", "read_upload", "remove_snapshot", "sha256_of",
    "summarize", "vendor_for_location",
]
