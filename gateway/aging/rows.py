"""The body of an aging sheet, row by row: what each row is (detail, group header, total,
noise) and the canonical `AgingRow` of each detail row. The sheet and its header are found by
`gateway.aging.reader`; runs of plain detail rows go to the compiled `fastrows`."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import TYPE_CHECKING

from gateway.aging import fastrows
from gateway.aging.cells import (
    bucket_for_days,
    bucket_for_label,
    cell_text,
    money,
    parse_date,
    parse_rank,
)
from gateway.aging.profile import BUCKET_FIELDS, NOISE_RE, TOTAL_RE, Profile, header_key
from gateway.aging.sources import Cell, Rows
from gateway.core.money import ZERO, MoneyError, format_money
from gateway.core.records import AgingExport, AgingRow, RowProblem

if TYPE_CHECKING:
    from gateway.aging.reader import Plan

MAX_PROBLEMS = 1000


class _Problems:
    """Row problems, capped so a file of garbage does not flood the answer."""

    def __init__(self, export: AgingExport) -> None:
        self.export = export
        self.dropped = 0

    def add(self, row: int | None, column: str | None, why: str) -> None:
        if len(self.export.problems) < MAX_PROBLEMS:
            self.export.problems.append(RowProblem(row, column, why))
        else:
            self.dropped += 1

    def close(self) -> None:
        if self.dropped:
            self.export.problems.append(
                RowProblem(None, None, f"{self.dropped} more problems not shown")
            )


BLOCK_ROWS = 128
BUCKET_INDEX = {name: i for i, name in enumerate(BUCKET_FIELDS)}


def _use_compiled() -> bool:
    return fastrows.COMPILED and os.environ.get("GATEWAY_PURE_PYTHON") != "1"


class RowReader:
    """The body of one sheet, row by row: what each row is (detail, group header, total, noise)
    and the canonical row of each detail row.

    `blocks()` reads the body in blocks; within a block, runs of plain detail rows go to
    `fastrows.plain_rows` when it is compiled and every other row to `row()`, the general
    path, which is the reference for what every row means.
    """

    def __init__(self, profile: Profile, plan: Plan, export: AgingExport,
                 title_keys: set[str]) -> None:
        self.profile, self.plan, self.export = profile, plan, export
        self.fast = _use_compiled()
        self.problems = _Problems(export)
        self.ref = export.export_date or dt.date.today()
        self.headers = plan.headers
        self.width = len(plan.headers)
        col = plan.single.get
        self.c_claim = plan.single["claim_id"]
        self.c_balance = plan.single["balance"]
        self.c_account = col("patient_account")
        self.c_name = col("patient_name")
        self.c_dob = col("patient_dob")
        self.c_dos = col("service_date")
        self.c_payer = col("payer_name")
        self.c_payer_id = col("payer_id")
        self.c_plan = col("plan_name")
        self.c_rank = col("payer_rank")
        self.c_location = col("location")
        self.c_status = col("status")
        self.c_proc = col("procedure_code")
        self.c_days = col("days")
        self.c_label = col("aging_bucket")
        self.money_cols = [(f, plan.single[f]) for f in ("billed", "paid", "adjustments")
                           if f in plan.single]
        self.bucket_cols = list(plan.buckets.items())
        self.check_duplicates = profile.grain != "claim_line"
        self.group_re = re.compile(
            r"^(?:" + "|".join(re.escape(g) for g in profile.group_labels)
            + r")(?:\s*name)?\s*[:\-]\s*(.+)$", re.I,
        ) if profile.group_field else None
        self.header_keys = {header_key(h) for h in self.headers if h} | title_keys
        self.claim_header = self.headers[self.c_claim]
        self.claim_header_key = header_key(self.claim_header)
        self.dates: dict[object, dt.date | None] = {}
        self.labels: dict[str, int] = {}
        self.totals = fastrows.Totals()

    # -- the general path -----------------------------------------------------------------

    def date_of(self, value: Cell, name: str, n: int) -> dt.date | None:
        try:
            return self.dates[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: never for cells, but be safe
            return None
        try:
            d = parse_date(value, self.ref)
        except (ValueError, OverflowError):
            self.problems.add(n, self.plan.header_of(name), f"not a date: {cell_text(value)!r}")
            return None
        self.dates[value] = d
        return d

    @staticmethod
    def text(cells: list[Cell], c: int | None) -> str:
        if c is None or c >= len(cells):
            return ""
        v = cells[c]
        return v.strip() if type(v) is str else cell_text(v)

    def row(self, n: int, cells: list[Cell]) -> AgingRow | None:
        """The canonical row of body row `n`, or None for a row that is not a detail row (its
        problems, if any, are recorded)."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        claim = self.detail_claim(n, cells)
        if claim is None:
            return None
        totals, text = self.totals, self.text
        payer = text(cells, self.c_payer) if self.c_payer is not None else ""
        if not payer and totals.group_value:
            payer = totals.group_value
        key = (claim, self.rank_of(n, cells))
        read = self.amounts(n, cells, key)
        if read is None:
            return None
        balance, amounts, buckets = read
        c_dos = self.c_dos
        dos = self.date_of(cells[c_dos], "service_date", n) if c_dos is not None else None
        if not self.bucket_cols:
            self.age(n, cells, balance, dos, buckets)
        account = text(cells, self.c_account)
        self.check_detail(n, cells, key, account, payer, dos)
        totals.group_sum += balance
        totals.all_sum += balance
        c_dob = self.c_dob
        return AgingRow(
            source_row=n,
            patient_account=account,
            patient_name=text(cells, self.c_name) or None,
            patient_dob=self.date_of(cells[c_dob], "patient_dob", n) if c_dob is not None else None,
            claim_id=claim,
            service_date=dos,
            payer_name=payer,
            payer_id=text(cells, self.c_payer_id) or None,
            plan_name=text(cells, self.c_plan) or None,
            payer_rank=key[1],
            location=text(cells, self.c_location) or None,
            status=text(cells, self.c_status) or None,
            procedure_code=text(cells, self.c_proc) or None,
            balance=balance,
            raw=[v if type(v) is str else cell_text(v) for v in cells],
            **amounts,
            **buckets,
        )

    def detail_claim(self, n: int, cells: list[Cell]) -> str | None:
        """The claim number of a detail row; None for a total, a group header, noise, a
        repeated header or a row without a claim number (what they say is taken in)."""
        v = cells[self.c_claim]
        claim = (v.strip() if type(v) is str else cell_text(v))
        # the first two non-empty cells: labels of totals and groups live there
        found = 0
        first: Cell = None
        second: Cell = None
        for c in cells:
            if c is None or c == "" or (type(c) is str and c.isspace()):
                continue
            found += 1
            if found == 1:
                first = c
            elif found == 2:
                second = c
            else:
                break
        if not found:
            return None
        first_text = first.strip() if type(first) is str else cell_text(first)
        labels = [t.strip() for t in (first, second) if type(t) is str]
        if (not claim or not claim[0].isdigit()) and any(TOTAL_RE.search(t) for t in labels) and (
            not claim or TOTAL_RE.search(claim)
        ):
            self.total_row(n, cells, first_text)
            return None
        if NOISE_RE.search(first_text):
            return None
        if self.group_re is not None and self.group_header(first, first_text, found):
            return None
        # a repeated header (page break in a printed export)
        if claim and not claim[0].isdigit() and (
            claim == self.claim_header or header_key(claim) == self.claim_header_key
        ):
            return None
        if not claim:
            c_account = self.c_account
            if c_account is not None and self.text(cells, c_account):
                self.problems.add(n, self.headers[self.c_claim],
                                  "no claim number on a row with a patient account")
            return None  # an unlabelled subtotal or a note
        return claim

    def total_row(self, n: int, cells: list[Cell], label: str) -> None:
        """A total or subtotal row: checked against the rows above, and the group closed."""
        totals, c_balance = self.totals, self.c_balance
        try:
            stated = money(cells[c_balance])
        except (MoneyError, InvalidOperation):
            stated = None
        if stated is not None and cell_text(cells[c_balance]) and (
            stated not in (totals.group_sum, totals.all_sum)
        ):
            self.problems.add(
                n, self.headers[c_balance],
                f"total row {label!r} says {format_money(stated)} but the rows above add "
                f"up to {format_money(totals.group_sum)}",
            )
        totals.group_sum = ZERO
        totals.group_value = None

    def group_header(self, first: Cell, first_text: str, found: int) -> bool:
        """Whether the row is a group header ("Payor: VSP" or a single text cell), which sets
        the payer of the rows below (a lone cell naming a header column is skipped too)."""
        assert self.group_re is not None
        m = self.group_re.match(first_text)
        lone = found == 1 and isinstance(first, str) and any(ch.isalpha() for ch in first_text)
        if not (m or lone):
            return False
        if lone and header_key(first_text) in self.header_keys:
            return True
        self.totals.group_value = (m.group(1) if m else first_text).strip()
        self.totals.group_sum = ZERO
        return True

    def rank_of(self, n: int, cells: list[Cell]) -> int:
        c_rank = self.c_rank
        if c_rank is None:
            return 1
        r = parse_rank(self.text(cells, c_rank))
        if r is None:
            self.problems.add(n, self.headers[c_rank],
                              f"not a payer rank: {self.text(cells, c_rank)!r}; 1 assumed")
            return 1
        return r

    def amounts(self, n: int, cells: list[Cell], key: tuple[str, int]
                ) -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal]] | None:
        """(balance, the other amounts, the bucket columns' sums); None when the balance is
        unreadable (the claim is then left as it was)."""
        problems, headers, c_balance = self.problems, self.headers, self.c_balance
        balance_cell = cells[c_balance]
        try:
            balance = money(balance_cell)
        except (MoneyError, InvalidOperation):
            problems.add(
                n, headers[c_balance],
                f"not an amount: {cell_text(balance_cell)!r}; claim {key[0]} left as it was",
            )
            self.export.unreadable.append(key)
            return None
        amounts: dict[str, Decimal] = {}
        bad_money = False
        for name, c in self.money_cols:
            try:
                amounts[name] = money(cells[c])
            except (MoneyError, InvalidOperation):
                problems.add(n, headers[c], f"not an amount: {cell_text(cells[c])!r}")
                bad_money = True
        buckets: dict[str, Decimal] = {}
        if not self.bucket_cols:
            return balance, amounts, buckets
        for bucket, cols in self.bucket_cols:
            total = ZERO
            for c in cols:
                try:
                    total += money(cells[c])
                except (MoneyError, InvalidOperation):
                    problems.add(n, headers[c], f"not an amount: {cell_text(cells[c])!r}")
                    bad_money = True
            buckets[bucket] = total
        bucket_total = sum(buckets.values(), ZERO)
        if cell_text(balance_cell) == "" and bucket_total:
            balance = bucket_total
        elif bucket_total != balance and not bad_money:
            problems.add(
                n, headers[c_balance],
                f"the aging buckets add up to {format_money(bucket_total)} but the balance is "
                f"{format_money(balance)}",
            )
        return balance, amounts, buckets

    def age(self, n: int, cells: list[Cell], balance: Decimal, dos: dt.date | None,
            buckets: dict[str, Decimal]) -> None:
        """The bucket of a row without bucket columns: from its aging-bucket label, its days
        past, or its date of service and the export date."""
        problems, headers, text = self.problems, self.headers, self.text
        bucket = None
        c_label, c_days = self.c_label, self.c_days
        if c_label is not None and text(cells, c_label):
            bucket = bucket_for_label(text(cells, c_label))
            if bucket is None:
                problems.add(n, headers[c_label],
                             f"not an aging bucket: {text(cells, c_label)!r}")
        if bucket is None and c_days is not None and text(cells, c_days):
            days_text = text(cells, c_days)
            try:
                bucket = bucket_for_days(int(Decimal(days_text.replace(",", ""))))
            except (InvalidOperation, ValueError):
                problems.add(n, headers[c_days], f"not a number of days: {days_text!r}")
        if bucket is None and dos is not None:
            bucket = bucket_for_days((self.ref - dos).days)
        if bucket is not None:
            buckets[bucket] = balance
        else:
            problems.add(n, self.plan.header_of("service_date"),
                         "no date of service: cannot age the balance")

    def check_detail(self, n: int, cells: list[Cell], key: tuple[str, int], account: str,
                     payer: str, dos: dt.date | None) -> None:
        """What a detail row must have (account, date of service, payer), and a claim seen
        twice."""
        problems, c_dos = self.problems, self.c_dos
        if not account:
            problems.add(n, self.plan.header_of("patient_account"), "no patient account")
        if dos is None and c_dos is not None and not self.text(cells, c_dos):
            problems.add(n, self.headers[c_dos], "no date of service")
        if not payer:
            problems.add(
                n, self.plan.header_of("payer_name"),
                "no payer: no value in the column and no group header above",
            )
        if self.check_duplicates:
            seen = self.totals.seen
            if key in seen:
                problems.add(
                    n, self.headers[self.c_claim],
                    f"claim {key[0]} (rank {key[1]}) is also on row {seen[key]}; "
                    "amounts combined",
                )
            else:
                seen[key] = n

    # -- the loop ---------------------------------------------------------------------------

    def columns(self) -> fastrows.Columns:
        """The plan as `fastrows` takes it."""
        def ix(c: int | None) -> int:
            return -1 if c is None else c

        single = self.plan.single
        return fastrows.Columns(
            width=self.width, claim=self.c_claim, balance=self.c_balance,
            account=ix(self.c_account), name=ix(self.c_name), dob=ix(self.c_dob),
            dos=ix(self.c_dos), payer=ix(self.c_payer), payer_id=ix(self.c_payer_id),
            plan=ix(self.c_plan), rank=ix(self.c_rank), location=ix(self.c_location),
            status=ix(self.c_status), proc=ix(self.c_proc), billed=ix(single.get("billed")),
            paid=ix(single.get("paid")), adjustments=ix(single.get("adjustments")),
            buckets=[list(self.plan.buckets.get(name, ())) for name in BUCKET_FIELDS],
            check_duplicates=self.check_duplicates, ref=self.ref, dates=self.dates,
            noise=NOISE_RE, group=self.group_re, money=money, cell_text=cell_text,
            parse_date=parse_date, parse_rank=parse_rank, bucket_of_label=self.bucket_of_label,
            label=ix(self.c_label), days=ix(self.c_days),
        )

    def bucket_of_label(self, label: str) -> int:
        """Index of the bucket a label names, -1 when it names none (cached: few labels)."""
        try:
            return self.labels[label]
        except KeyError:
            bucket = bucket_for_label(label)
            k = self.labels[label] = -1 if bucket is None else BUCKET_INDEX[bucket]
            return k

    def blocks(self, body: Rows) -> Iterator[list[AgingRow]]:
        """The detail rows of `body`, in order, a block at a time (`chain.from_iterable` hands
        them out one by one without a Python frame per row)."""
        row = self.row
        cols, totals = self.columns() if self.fast else None, self.totals
        plain_rows = fastrows.plain_rows
        while True:
            block = list(islice(body, BLOCK_ROWS))
            if not block:
                break
            out: list[AgingRow] = []
            i, end = 0, len(block)
            while i < end:
                if cols is not None:
                    i = plain_rows(block, i, cols, totals, out)
                    if i == end:
                        break
                r = row(*block[i])
                if r is not None:
                    out.append(r)
                i += 1
            yield out
        self.problems.close()
