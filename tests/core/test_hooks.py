"""The typed hook facade: one method per hookspec, same arguments, blocking hooks off the loop."""

from __future__ import annotations

import inspect
import threading
import types
import typing
from pathlib import Path

from gateway.core import hookspecs
from gateway.core.hooks import HOOK_METHODS, GatewayHooks, get_hooks
from gateway.core.plugins import make_plugin_manager
from gateway.core.records import Connector
from gateway.testing import HOOK_NAMES

IN_CALLER_THREAD = {"gateway_plugin_info", "gateway_parse_aging_export"}


def test_every_hookspec_has_a_facade_method_with_its_arguments_and_return():
    assert set(HOOK_METHODS) == set(HOOK_NAMES), "a hookspec without a facade method (or back)"
    for hook, method_name in HOOK_METHODS.items():
        spec = inspect.signature(getattr(hookspecs, hook))
        method = getattr(GatewayHooks, method_name)
        sig = inspect.signature(method)
        params = {n: p.annotation for n, p in sig.parameters.items() if n != "self"}
        assert params == {n: p.annotation for n, p in spec.parameters.items()}, hook
        if hook == "gateway_plugin_info":  # not firstresult: every plugin answers
            assert sig.return_annotation == f"list[{spec.return_annotation}]"
        else:
            assert sig.return_annotation == spec.return_annotation, hook
        assert inspect.iscoroutinefunction(method) == (hook not in IN_CALLER_THREAD), hook


def test_fetch_outcome_is_a_literal_of_the_three_outcomes():
    assert typing.get_origin(hookspecs.FetchOutcome) is typing.Literal
    assert set(typing.get_args(hookspecs.FetchOutcome)) == {"imported", "duplicate", "failed"}
    assert "FetchOutcome" in str(inspect.signature(hookspecs.gateway_finish_fetch))


def _recording_plugin(threads: list[int]) -> types.ModuleType:
    mod = types.ModuleType("recording_plugin")
    mod.threads = threads  # type: ignore[attr-defined]
    exec(
        "import threading\n"
        "from gateway.core.hookspecs import hookimpl\n"
        "from gateway.core.records import PluginInfo, RemoteFile\n"
        "@hookimpl\n"
        "def gateway_plugin_info():\n"
        "    return PluginInfo(name='recording', vendor='x', version='1')\n"
        "@hookimpl\n"
        "def gateway_fetch_eras(connector):\n"
        "    threads.append(threading.get_ident())\n"
        "    return [RemoteFile(name=f'c{connector.id}.835', kind='era', local_path='/x', size=1,\n"
        "                       sha256='0' * 64)]\n"
        "@hookimpl\n"
        "def gateway_finish_fetch(connector, file, outcome):\n"
        "    threads.append(threading.get_ident())\n"
        "    return outcome == 'imported'\n",
        mod.__dict__,
    )
    return mod


async def test_blocking_hooks_run_in_a_worker_thread_and_return_the_answer():
    threads: list[int] = []
    pm = make_plugin_manager([], extra_plugins=[_recording_plugin(threads)], builtins=())
    hooks = GatewayHooks(pm)
    connector = Connector(id=7, practice_id=1, plugin="recording", name="r", config=None)
    files = await hooks.fetch_eras(connector)
    assert files is not None and [f.name for f in files] == ["c7.835"]
    assert await hooks.finish_fetch(connector, files[0], "imported") is True
    assert await hooks.finish_fetch(connector, files[0], "failed") is False
    assert await hooks.fetch_acknowledgments(connector) is None  # nobody answers
    assert len(threads) == 3 and threading.get_ident() not in threads
    assert [i.name for i in hooks.plugin_infos()] == ["recording"]


def test_get_hooks_wraps_the_process_plugin_manager():
    assert {i.name for i in get_hooks().plugin_infos()} >= {"compulink", "clearinghouse_sftp"}


def test_no_caller_in_gateway_reaches_past_the_facade():
    root = Path(__file__).parents[2] / "gateway"
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py") if path.name != "hooks.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ".hook.gateway_" in line or "to_thread(lambda" in line
    ]
    assert not offenders, f"call hooks through gateway.core.hooks.GatewayHooks: {offenders}"
