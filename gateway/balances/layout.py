"""A vendor's balance-export layout: which header texts mean which canonical field.

Each PMS plugin describes its export as a `BalanceLayout` at the end of its `format.py`; the
one shared reader (`gateway.balances.reader`) does the rest. Headers are compared by
`gateway.aging.profile.header_key` ("Acct #" = "ACCT#"). Several columns may map to one
bucket (Eyefinity's 31-45 and 46-60 both fold into 31-60): they are summed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.aging.profile import header_key

TEXT_FIELDS = ("account", "location", "payer_name")
DATE_FIELDS = ("last_statement", "last_payment")
MONEY_FIELDS = ("total", "patient_portion", "insurance_portion", "insurance_estimate")
BUCKET_FIELDS = ("bucket_0_30", "bucket_31_60", "bucket_61_90", "bucket_91_120", "bucket_120_plus")
CLAIMS_FIELD = "claims"  # one cell: `claim|date of service|payer|insurance balance;...`
FIELDS = TEXT_FIELDS + DATE_FIELDS + MONEY_FIELDS + BUCKET_FIELDS + (CLAIMS_FIELD,)
REQUIRED = ("account", "total")

FIELD_DOCS = {
    "account": "responsible party / patient account number",
    "location": "office / location",
    "payer_name": "primary insurance",
    "total": "account balance",
    "patient_portion": "patient portion",
    "insurance_portion": "insurance portion",
    "insurance_estimate": "insurance estimate (expected from insurance)",
    "bucket_0_30": "aged 0-30 days",
    "bucket_31_60": "aged 31-60 days",
    "bucket_61_90": "aged 61-90 days",
    "bucket_91_120": "aged 91-120 days",
    "bucket_120_plus": "aged over 120 days",
    "last_statement": "date of the last statement",
    "last_payment": "date of the last payment",
    "claims": "open claims: `claim no.|date of service|payer|insurance balance`, `;` between",
}


@dataclass(frozen=True)
class BalanceLayout:
    """What a vendor's balance export looks like.

    - `aliases`: canonical field -> header texts accepted for it (bucket fields may list
      several columns, summed).
    - `delimiter`: the CSV delimiter (dates: MM/DD/YYYY, ISO or YYYYMMDD).
    - `notes`: the quirks, in words, for the README.
    """

    vendor: str
    report: str
    aliases: Mapping[str, tuple[str, ...]]
    delimiter: str = ","
    notes: tuple[str, ...] = ()
    keys: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: dict[str, str] = {}
        for name, aliases in self.aliases.items():
            if name not in FIELDS:
                raise ValueError(f"{self.vendor}: unknown balance field {name!r}")
            for alias in aliases:
                key = header_key(alias)
                if keys.setdefault(key, name) != name:
                    raise ValueError(f"{self.vendor}: alias {alias!r} given for two fields")
        missing = [f for f in REQUIRED if f not in self.aliases]
        if missing:
            raise ValueError(f"{self.vendor}: layout lacks {', '.join(missing)}")
        object.__setattr__(self, "keys", keys)

    def field_of(self, header: str) -> str | None:
        """The canonical field a header text maps to, or None (the column is ignored)."""
        return self.keys.get(header_key(header))
