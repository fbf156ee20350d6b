"""Records that cross the plugin boundary.

Plugins return these msgspec Structs and never touch the database; the core validates, dedupes
and writes them. Money is `Decimal` (cents), dates are `datetime.date`. Structs are frozen where
a plugin has no business changing them after the fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from itertools import chain
from typing import Any, Literal, Protocol

import msgspec

# What a plugin can do; `gateway plugins list` shows them and the core only calls a plugin for
# the capabilities it declares.
Capability = Literal[
    "aging_export",
    "pull_balances",
    "fetch_eras",
    "fetch_acknowledgments",
    "submit_claims",
    "statement_payments",
    "practice_data",
]


class PluginInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Who a plugin is and what it can do.

    `config_type` is the msgspec Struct its connectors are configured with; the API and the CLI
    validate connector configs against it. `secret_fields` name the fields of that Struct that
    are write-only (stored apart, never returned). `example_config` is a config that works
    (shown to users, and checked by the conformance suite).
    """

    name: str
    vendor: str
    version: str
    capabilities: tuple[Capability, ...] = ()
    config_type: Any = None
    secret_fields: tuple[str, ...] = ()
    description: str = ""
    example_config: dict[str, Any] = {}


class Connector(msgspec.Struct, frozen=True, kw_only=True):
    """A configured connection of one practice to one plugin, as handed to a hook.

    `config` is an instance of the plugin's `config_type` with secrets filled in.
    """

    id: int
    practice_id: int
    plugin: str
    name: str
    config: Any


# --- aging exports ---------------------------------------------------------------------------


class RowProblem(msgspec.Struct, frozen=True):
    """A located problem in an uploaded file: row number (1-based, as a spreadsheet shows it),
    the column header (or field), and why; `file` names the file when a run reads several."""

    row: int | None
    column: str | None
    why: str
    file: str | None = None


class AgingSource(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded aging file: its name (for messages only: the format is read from the bytes)."""

    name: str
    content: bytes


class AgingContext(msgspec.Struct, frozen=True, kw_only=True):
    """Where an aging export comes from: the export date ages rows that carry no buckets."""

    practice_id: int | None = None
    location_id: int | None = None
    location_name: str | None = None
    export_date: dt.date | None = None


class AgingRow(msgspec.Struct, gc=False):
    """One open item of a practice's insurance A/R, in canonical form.

    Build it with keywords. The required fields come first so that the aging reader's
    compiled hot path (`gateway.aging.fastrows`) can pass all fields by position: msgspec
    matches 23 keywords several times slower than it takes 23 positions. Its rows are plain
    trees (`gc=False`: nothing here can form a reference cycle).
    """

    source_row: int
    patient_account: str
    claim_id: str
    payer_name: str
    patient_name: str | None = None
    patient_dob: dt.date | None = None
    service_date: dt.date | None = None
    payer_id: str | None = None
    plan_name: str | None = None
    payer_rank: int = 1
    location: str | None = None
    status: str | None = None
    procedure_code: str | None = None
    billed: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    adjustments: Decimal = Decimal("0.00")
    balance: Decimal = Decimal("0.00")
    bucket_0_30: Decimal = Decimal("0.00")
    bucket_31_60: Decimal = Decimal("0.00")
    bucket_61_90: Decimal = Decimal("0.00")
    bucket_91_120: Decimal = Decimal("0.00")
    bucket_120_plus: Decimal = Decimal("0.00")
    # the row's cells as text, in the file's column order (blanks kept): the audit copy;
    # `AgingExport.headers` names the columns and `AgingExport.raw_dict` pairs them up
    raw: list[str] = []


class AgingExport(msgspec.Struct, kw_only=True):
    """A parsed aging export: its rows and the row-level problems found while reading.

    A reader may hand back the rows as a stream (`stream`, an iterator of `AgingRow`) so a big
    CSV is never held whole; `iter_rows()` yields `rows` then the stream (once), and problems
    found on the way are appended to `problems`. `materialize()` reads the stream into `rows`.
    `unreadable` holds the (claim id, payer rank) of rows that name a claim but could not be
    read (an amount that is not money): an import leaves those claims as they are.
    `fields` names the canonical fields the file has columns for (e.g. whether it states
    billed and paid amounts at all).
    """

    vendor: str
    grain: Literal["claim", "claim_line", "fee_slip", "invoice"]
    rows: list[AgingRow]
    problems: list[RowProblem] = []
    export_date: dt.date | None = None
    stream: Any = None
    unreadable: list[tuple[str, int]] = []
    fields: list[str] = []
    headers: list[str] = []

    def raw_dict(self, row: AgingRow) -> dict[str, str]:
        """The row's non-empty cells by header text ("column N" where the header is blank)."""
        headers = self.headers
        return {
            (headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"): v
            for i, v in enumerate(row.raw) if v
        }

    def iter_rows(self) -> Iterator[AgingRow]:
        stream, self.stream = self.stream, None
        return chain(self.rows, stream) if stream is not None else iter(self.rows)

    def materialize(self) -> AgingExport:
        if self.stream is not None:
            self.rows = list(self.iter_rows())
        return self


# --- balances --------------------------------------------------------------------------------


class BalanceClaim(msgspec.Struct, frozen=True, kw_only=True):
    """One open claim of an account as the PMS's balance export details it (only some
    exports carry it: the layouts say which)."""

    claim: str
    service_date: dt.date | None = None
    payer_name: str | None = None
    balance: Decimal


class AgingBuckets(msgspec.Struct, frozen=True, kw_only=True):
    """The five canonical aging buckets of an amount owed (finer vendor buckets are folded in
    by the plugin)."""

    bucket_0_30: Decimal = Decimal("0.00")
    bucket_31_60: Decimal = Decimal("0.00")
    bucket_61_90: Decimal = Decimal("0.00")
    bucket_91_120: Decimal = Decimal("0.00")
    bucket_120_plus: Decimal = Decimal("0.00")


class BalanceRow(AgingBuckets, frozen=True, kw_only=True):
    """One account's outstanding balance as the practice-management system exports it: the
    responsible party / patient account, its portions and its aging buckets."""

    account: str
    location: str | None = None
    payer_name: str | None = None
    total: Decimal
    patient_portion: Decimal = Decimal("0.00")
    insurance_portion: Decimal = Decimal("0.00")
    insurance_estimate: Decimal = Decimal("0.00")
    last_statement: dt.date | None = None
    last_payment: dt.date | None = None
    claims: tuple[BalanceClaim, ...] = ()  # per-claim detail, when the export has it


class BalanceProblem(msgspec.Struct, frozen=True, kw_only=True):
    """A row the plugin could read but not trust (e.g. buckets that do not add up); the core
    keeps that account as it was and reports the problem with the sync."""

    row: int
    account: str | None
    field: str | None
    message: str


# One line of a streamed balance export: (row number, account, fingerprint, the stream's own
# data for `BalanceStream.parse`). The fingerprint is a signed 64-bit digest of what the line
# says: the same fingerprint means the same values, so the core parses only lines that moved.
BalanceLine = tuple[int, str, int, Any]


class BalanceStream(Protocol):
    """A balance export read in chunks, so a sync holds one chunk at a time (the built-in
    plugins' shared CSV reader, `gateway.balances.reader.CsvBalanceStream`, is one)."""

    def chunks(self) -> Iterator[list[BalanceLine]]:
        """The lines in file order, a few thousand at a time (may be called again)."""
        ...

    def parse(self, line: BalanceLine) -> tuple[BalanceRow, BalanceProblem | None]:
        """The line read whole; raise `UserError` (file, row, field) when it cannot be read."""
        ...

    def close(self) -> None:
        """Remove the spooled file (the core calls this when the sync is done)."""
        ...


class BalanceSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A whole balance export: every open account of the practice (or location) as of one
    moment. Accounts absent from it are closed at zero by the core.

    Either `rows` (and `problems`) in memory, or a `stream` the core reads in chunks (then
    `rows` and `problems` are empty: problems are found as the lines are parsed)."""

    source_name: str
    sha256: str
    rows: list[BalanceRow] = []
    problems: list[BalanceProblem] = []
    stream: BalanceStream | None = None


# --- clearinghouse ---------------------------------------------------------------------------


class RemoteFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file a plugin fetched. The content was spooled to `local_path` (a temporary file the
    core removes when done) so a 50 MB ERA is never held in memory several times; `sha256` and
    `size` were computed while streaming and verified against the remote size."""

    name: str
    kind: Literal["era", "acknowledgment", "statement_payments", "other"]
    local_path: str
    size: int
    sha256: str
    remote_path: str = ""
    modified_at: dt.datetime | None = None

    def read_bytes(self) -> bytes:
        with open(self.local_path, "rb") as fh:
            return fh.read()


class ClaimBatch(msgspec.Struct, frozen=True, kw_only=True):
    """An 837P interchange ready to send: the core built and persisted it."""

    id: int
    name: str
    content: bytes
    interchange_control_number: int
    claim_count: int


class SubmissionReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """Proof of an upload: what the remote now holds under `remote_name`."""

    remote_name: str
    size: int
    sha256: str
    submitted_at: dt.datetime


class ConnectorCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What `gateway connectors check` reports: reachable, the host key, the folders."""

    ok: bool
    host_key_fingerprint: str | None = None
    latency_ms: int | None = None
    folders: dict[str, int] = {}
    problems: list[str] = []


# --- statements ------------------------------------------------------------------------------


# PaySimple's payment statuses, by the codes its API reports (the vendor file carries both).
StatementPaymentStatus = Literal[
    "Pending", "Posted", "Settled", "Failed", "Voided", "Reversed", "ReversePosted",
    "ChargeBack", "Authorized", "Returned", "ReverseNSF", "RefundSettled",
]


class StatementPayment(msgspec.Struct, frozen=True, kw_only=True):
    """One payment line of a statement vendor's payment file, as the vendor reported it.

    `transaction_id` is the processor's payment id: the same payment appears again in later
    files when its status changes. `amount` is the absolute amount; `debit` says money went
    back to the patient. `payer_name` is the cardholder as written: never logged.
    """

    row: int  # line number in the file (1-based), for located messages
    transaction_id: str
    status: StatementPaymentStatus
    patient_account: str
    statement_id: str | None = None
    amount: Decimal
    debit: bool = False
    paid_on: dt.date
    settle_on: dt.date | None = None
    method: str = "card"
    customer_id: str | None = None
    payer_name: str | None = None
    trace_number: str | None = None
    invoice_number: str | None = None
    narration: str | None = None


class StatementPaymentFile(msgspec.Struct, frozen=True, kw_only=True):
    """A fetched payment file, read with the vendor's layout.

    `count` and `total` are the trailer's (total = credits minus debits), already checked
    against the rows. A file that could not be read has `error` set (file, line, field, why)
    and no payments: the core records it as rejected and writes nothing of it.

    The payments come either held in `payments` (a small file) or, so a file of any length
    costs the core one chunk of memory, from `reader`: called with a chunk size, it reads the
    (already checked) file again lazily and yields its payments that many at a time. The
    core takes them through `chunks`, in a worker thread, never on the event loop.
    """

    file: RemoteFile
    payments: list[StatementPayment] = []
    reader: Callable[[int], Iterator[list[StatementPayment]]] | None = None
    count: int = 0
    total: Decimal = Decimal("0.00")
    file_date: dt.date | None = None
    error: str | None = None

    def chunks(self, size: int) -> Generator[list[StatementPayment], None, None]:
        """The file's payments `size` at a time, in file order, from whichever it holds."""
        if self.reader is not None:
            yield from self.reader(size)
            return
        for start in range(0, len(self.payments), size):
            yield self.payments[start:start + size]


# --- practice data (patients, coverages, appointments, claims from the PMS) ------------------

PracticeKind = Literal["patients", "coverages", "appointments", "claims"]
PRACTICE_KINDS: tuple[PracticeKind, ...] = ("patients", "coverages", "appointments", "claims")


class PostalAddress(msgspec.Struct, frozen=True, kw_only=True):
    """A person's postal address as a PMS exports it (every part optional)."""

    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


class PatientRecord(PostalAddress, frozen=True, kw_only=True):
    """A patient as the PMS knows it, with the address. `pms_patient_id` is the PMS's own id
    (the key); `account_number` the chart / account number staff and aging reports show
    (defaults to the PMS id). `row` is the source row, for messages."""

    pms_patient_id: str
    account_number: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    dob: dt.date | None = None
    sex: Literal["M", "F", "U"] | None = None
    row: int | None = None


class CoverageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A patient's insurance at rank 1-3 (primary, secondary, tertiary): the key is the
    patient and the rank."""

    pms_patient_id: str
    rank: int
    payer_name: str
    payer_id: str | None = None
    member_id: str | None = None
    group_number: str | None = None
    subscriber_name: str | None = None
    subscriber_relationship: str | None = None  # self / spouse / child / other
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    row: int | None = None


class AppointmentRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An appointment; `pms_claim_id` links it to the claim the PMS made for it, once there
    is one."""

    pms_appointment_id: str
    pms_patient_id: str
    starts_at: dt.datetime
    status: str = "Scheduled"
    location: str | None = None
    provider: str | None = None
    pms_claim_id: str | None = None
    row: int | None = None


class ClaimLineRecord(msgspec.Struct, frozen=True, kw_only=True):
    line_number: int
    procedure_code: str
    charge: Decimal
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal("1")
    diagnosis_pointers: tuple[int, ...] = ()
    service_date: dt.date | None = None


class ClaimRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A claim of the PMS with its lines. The key is (`pms_claim_id`, `payer_rank`): the
    PMS's claim / ticket / fee-slip / invoice number and the coverage it bills.
    `billed_by_pms` says the PMS already sent it (the gateway must never batch it again)."""

    pms_claim_id: str
    pms_patient_id: str
    service_date_from: dt.date
    lines: tuple[ClaimLineRecord, ...]
    payer_rank: int = 1
    patient_control_number: str | None = None
    service_date_to: dt.date | None = None
    diagnosis_codes: tuple[str, ...] = ()
    billing: Literal["electronic", "paper"] = "electronic"
    billed_by_pms: bool = False
    location: str | None = None
    row: int | None = None


class PracticeFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file a pull read: the core records it by content hash (an ImportedFile) and skips a
    pull whose every file it has already imported."""

    kind: PracticeKind
    name: str
    sha256: str
    size: int
    modified_at: dt.datetime | None = None


class PracticeData(msgspec.Struct, kw_only=True):
    """What a practice-data pull (or a hand import) found: the records, the row problems
    (each with its file, row, column and why) and the files read. The core writes nothing
    of it when `problems` is not empty."""

    vendor: str
    patients: list[PatientRecord] = []
    coverages: list[CoverageRecord] = []
    appointments: list[AppointmentRecord] = []
    claims: list[ClaimRecord] = []
    problems: list[RowProblem] = []
    files: list[PracticeFile] = []

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in PRACTICE_KINDS}
