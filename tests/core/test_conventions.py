"""docs/conventions.md is enough to add a vendor plugin: this test follows its "A new vendor
plugin" steps for a throwaway one (a package in a temporary folder, registered through the
plugin manager's extra plugins), then runs the conformance suite and a real parse on it."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from gateway.core.hooks import GatewayHooks
from gateway.core.plugins import hooks_of, make_plugin_manager, plugin_summaries
from gateway.core.records import AgingContext, AgingSource
from gateway.testing import assert_conformant

DOCS = Path(__file__).parents[2] / "docs" / "conventions.md"

INIT = '''\
"""Acme Eyes PMS: aging exports uploaded per location (a throwaway test plugin)."""

from __future__ import annotations

from gateway.aging.plugin import AgingExportHooks

from .format import PROFILE

NAME = "acme_eyes"

_hooks = AgingExportHooks(NAME, "Acme Eyes PMS", PROFILE, version="1.0")
gateway_plugin_info = _hooks.gateway_plugin_info
gateway_parse_aging_export = _hooks.gateway_parse_aging_export
'''

FORMAT = '''\
"""Acme Eyes "Open Claims" report as CSV: one row per claim."""

from __future__ import annotations

from gateway.aging.profile import COMMON_OPTIONAL, Profile, merge_aliases

PROFILE = Profile(
    vendor="acme_eyes",
    report="Open Claims",
    grain="claim",
    aliases=merge_aliases(
        {
            "patient_account": ("Account",),
            "claim_id": ("Claim #",),
            "service_date": ("DOS",),
            "payer_name": ("Carrier",),
            "balance": ("Ins Balance",),
        },
        COMMON_OPTIONAL,
    ),
    export_formats=("CSV",),
)
'''

CSV = b"Account,Claim #,DOS,Carrier,Ins Balance\r\nA100,C-1,11/02/2026,Vision Plan,120.50\r\n"


def test_the_conventions_name_the_files_a_vendor_plugin_copies():
    text = DOCS.read_text()
    for piece in ("gateway/plugins/compulink/__init__.py", "gateway/plugins/compulink/format.py",
                  "gateway.testing", "assert_conformant", "BUILTIN_PLUGINS", "gateway.plugins"):
        assert piece in text, f"docs/conventions.md no longer mentions {piece}"


@pytest.fixture
def acme_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "acme_eyes_gateway"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(INIT))
    (package / "format.py").write_text(textwrap.dedent(FORMAT))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "acme_eyes_gateway"
    for name in [m for m in sys.modules if m.split(".")[0] == "acme_eyes_gateway"]:
        del sys.modules[name]


def test_a_throwaway_vendor_plugin_made_by_the_conventions_conforms_and_parses(acme_package):
    pm = make_plugin_manager([], extra_plugins=[acme_package])
    plugin = pm.get_plugin(acme_package)
    assert plugin is not None, "the throwaway plugin did not load"
    assert_conformant(plugin)
    assert hooks_of("acme_eyes", pm) == ["gateway_parse_aging_export", "gateway_plugin_info"]
    summary = {s.name: s for s in plugin_summaries(pm)}["acme_eyes"]
    assert (summary.builtin, summary.version, summary.capabilities) == (
        False, "1.0", ("aging_export",))
    export = GatewayHooks(pm).parse_aging_export(
        "acme_eyes", AgingSource(name="open.csv", content=CSV), AgingContext())
    assert export is not None
    (row,) = export.iter_rows()
    assert (row.patient_account, row.claim_id, row.payer_name) == ("A100", "C-1", "Vision Plan")
    assert str(row.balance) == "120.50"
