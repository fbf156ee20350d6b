"""Which files a pull takes: per kind the newest one seen unchanged in two listings and newer
than the last pull."""

from __future__ import annotations

import datetime as dt

from gateway.core.transport.base import Entry
from gateway.practice.plugin import complete_newest

PATTERNS = {"patients": "patients*", "claims": "charges*"}


def test_newest_complete_file_per_kind():
    first = [Entry("patients_1.csv", "/d/patients_1.csv", 10, 100),
             Entry("patients_2.csv", "/d/patients_2.csv", 20, 200),
             Entry("charges_1.csv", "/d/charges_1.csv", 5, 150),
             Entry("charges_2.csv", "/d/charges_2.csv", 7, 250)]
    second = [*first[:3], Entry("charges_2.csv", "/d/charges_2.csv", 9, 251),  # growing
              Entry("other.txt", "/d/other.txt", 1, 300)]
    chosen = complete_newest(first, second, PATTERNS, None)  # type: ignore[arg-type]
    assert {k: e.name for k, e in chosen.items()} == {
        "patients": "patients_2.csv", "claims": "charges_1.csv"}


def test_files_not_newer_than_the_last_pull_are_left():
    listing = [Entry("patients_1.csv", "/d/patients_1.csv", 10, 100),
               Entry("charges_1.csv", "/d/charges_1.csv", 5, 150)]
    since = dt.datetime.fromtimestamp(120, dt.UTC)
    chosen = complete_newest(listing, listing, PATTERNS, since)  # type: ignore[arg-type]
    assert {k: e.name for k, e in chosen.items()} == {"claims": "charges_1.csv"}
