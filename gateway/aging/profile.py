"""A vendor's aging-report profile: the canonical fields, the header aliases accepted for each,
the grain, and the quirks. Each PMS plugin fills one in its `format.py`; the shared reader
(`gateway.aging.reader`) does the rest.

Header text is compared by a *key*: lower case with everything but letters, digits and
`# + < >` removed, so "Claim #", "CLAIM#" and "claim  #" are one header, as are "Ins. Balance"
and "Ins Balance", or "0 - 30" and "0-30".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Grain = Literal["claim", "claim_line", "fee_slip", "invoice"]

# Canonical fields a column can map to (AgingRow fields, plus the inputs the reader turns into
# buckets: `days` past the date of service and an `aging_bucket` label per row).
TEXT_FIELDS = (
    "patient_account", "patient_name", "claim_id", "payer_name", "payer_id", "plan_name",
    "location", "status", "procedure_code",
)
DATE_FIELDS = ("patient_dob", "service_date")
MONEY_FIELDS = ("billed", "paid", "adjustments", "balance")
BUCKET_FIELDS = ("bucket_0_30", "bucket_31_60", "bucket_61_90", "bucket_91_120", "bucket_120_plus")
OTHER_FIELDS = ("payer_rank", "days", "aging_bucket")
FIELDS = TEXT_FIELDS + DATE_FIELDS + MONEY_FIELDS + BUCKET_FIELDS + OTHER_FIELDS

# What each field means, for the profile tables in the plugins' READMEs.
FIELD_DOCS = {
    "patient_account": "patient account / chart number",
    "patient_name": "patient name (\"Last, First\" or \"First Last\")",
    "patient_dob": "date of birth",
    "claim_id": "the vendor's claim / ticket / fee slip / invoice number",
    "service_date": "date of service",
    "payer_name": "insurance payer",
    "payer_id": "payer id (clearinghouse)",
    "plan_name": "plan",
    "payer_rank": "1 primary, 2 secondary, 3 tertiary (also P/S/T)",
    "location": "office / location",
    "status": "claim status",
    "procedure_code": "procedure code (claim-line reports)",
    "billed": "billed amount",
    "paid": "paid amount",
    "adjustments": "adjustments",
    "balance": "insurance balance",
    "bucket_0_30": "aged 0-30 days",
    "bucket_31_60": "aged 31-60 days",
    "bucket_61_90": "aged 61-90 days",
    "bucket_91_120": "aged 91-120 days",
    "bucket_120_plus": "aged over 120 days",
    "days": "days since the date of service (buckets derived from it)",
    "aging_bucket": "an aging bucket label per row, e.g. \"31-45\" (folded into the 31-60 bucket)",
}

# Header rows must show at least these (the payer may come from group-header rows instead).
REQUIRED = ("claim_id", "balance")

# A row whose text says it is a total: "Total", "Subtotal", "Grand Total", "VSP Total:",
# "Total for VSP", "Report Totals".
TOTAL_RE = re.compile(
    r"^(sub\s*-?\s*total|grand\s+total|report\s+total|totals?\b)|\btotals?\s*(:|for\b|$)",
    re.IGNORECASE,
)

# Lines that are neither data nor groups: page breaks and print stamps repeated in the body.
NOISE_RE = re.compile(
    r"^(page\s+\d+(\s+of\s+\d+)?|printed\b|run\s+date\b|report\s+date\b|continued\b|"
    r"\*+\s*end of report)",
    re.IGNORECASE,
)


def header_key(text: object) -> str:
    """The comparison key of a header (or label) text."""
    s = str(text or "").lower().replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"[^a-z0-9#+<>]", "", s)


@dataclass(frozen=True)
class Profile:
    """What a vendor's aging report looks like.

    - `aliases`: canonical field -> the header texts accepted for it, preferred first. Several
      columns may map to one bucket field (finer splits are summed); any other field takes the
      first matching column.
    - `group_field` / `group_labels`: a row with a single text cell (or starting with one of the
      labels, e.g. "Payor: VSP") is a group header whose value is carried into the detail rows
      below it, unless the detail row has its own value in a column.
    - `date_order`: how the vendor writes dates with slashes ("MDY" in the US).
    - `notes`: the quirks, in words, for the README.
    """

    vendor: str
    report: str
    grain: Grain
    aliases: Mapping[str, tuple[str, ...]]
    group_field: str | None = "payer_name"
    group_labels: tuple[str, ...] = ("payor", "payer", "insurance", "carrier")
    export_formats: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    header_search_rows: int = 30
    keys: Mapping[str, tuple[str, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: dict[str, tuple[str, int]] = {}
        for name, aliases in self.aliases.items():
            if name not in FIELDS:
                raise ValueError(f"{self.vendor}: unknown canonical field {name!r}")
            for rank, alias in enumerate(aliases):
                key = header_key(alias)
                if not key:
                    raise ValueError(f"{self.vendor}: alias {alias!r} of {name} has no letters")
                if key in keys and keys[key][0] != name:
                    raise ValueError(
                        f"{self.vendor}: alias {alias!r} given for {keys[key][0]} and {name}"
                    )
                keys.setdefault(key, (name, rank))
        for name in REQUIRED:
            if not self.aliases.get(name):
                raise ValueError(f"{self.vendor}: profile has no aliases for {name}")
        object.__setattr__(self, "keys", keys)

    def field_of(self, header: object) -> tuple[str, int] | None:
        """The canonical field a header text maps to and the alias's preference (0 = first)."""
        return self.keys.get(header_key(header))

    def example_headers(self, fields: tuple[str, ...] = ("claim_id", "balance",
                                                         "payer_name")) -> str:
        """"'Claim #', 'Balance', 'Payor'": for messages."""
        return ", ".join(repr(self.aliases[f][0]) for f in fields if self.aliases.get(f))

    def markdown_table(self) -> str:
        """The profile as a Markdown table: field, accepted headers, meaning."""
        out = ["| field | headers accepted | meaning |", "|---|---|---|"]
        for name in FIELDS:
            aliases = self.aliases.get(name)
            if not aliases:
                continue
            shown = " / ".join(f"`{a}`" for a in aliases)
            out.append(f"| {name} | {shown} | {FIELD_DOCS[name]} |")
        return "\n".join(out)


def merge_aliases(*parts: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Aliases from several mappings, in order, without repeats."""
    merged: dict[str, tuple[str, ...]] = {}
    for part in parts:
        for name, aliases in part.items():
            seen = list(merged.get(name, ()))
            seen += [a for a in aliases if a not in seen]
            merged[name] = tuple(seen)
    return merged


# Columns some exports of every vendor carry; profiles merge them in (`merge_aliases`).
COMMON_OPTIONAL: dict[str, tuple[str, ...]] = {
    "payer_rank": (
        "Payer Rank", "Ins Rank", "Rank", "Ins Level", "Coverage Level", "Ins Order",
        "Billing Order", "Pri/Sec", "Primary/Secondary", "Ins Seq", "Sequence",
    ),
    "payer_id": ("Payer ID", "Payor ID", "Ins ID", "Carrier ID", "Payer Code", "Payor Code"),
    "procedure_code": ("CPT", "CPT Code", "Procedure", "Proc Code", "Procedure Code",
                       "Service Code"),
    "adjustments": ("Adjustments", "Adjustment", "Adj", "Write Off", "Write-Off", "Adjusted"),
}
