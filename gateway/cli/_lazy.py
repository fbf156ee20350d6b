"""Lazy command registration: `gateway --help` lists every command without importing it.

A command module imports its services (SQLAlchemy, openpyxl, paramiko, Litestar...) at its top,
so importing every module to build the command list cost most of a second. Instead each
module's source is read (not run): the names and docstrings of the commands its
`register(root)` adds make cheap stand-ins for the help page, and only the modules that provide
the command being run are imported. A module whose `register` this reading cannot follow
(anything but `root.add_command(name)` of a `@click.command`/`@click.group` function, directly
or through a `for` over a tuple) is imported at start-up as before: slower, never wrong.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click


class _Unreadable(Exception):
    """The module's commands cannot be read from its source: import it instead."""


@dataclass
class _Decorated:
    kind: str  # "command" or "group"
    args: list[Any]
    kwargs: dict[str, Any]
    doc: str | None


@dataclass
class ModuleCommands:
    """What one module's `register` adds, read from its source."""

    module: str
    stubs: dict[str, click.Command] = field(default_factory=dict)  # command name -> stand-in
    groups: dict[str, str] = field(default_factory=dict)  # variable name -> command name
    extends: set[str] = field(default_factory=set)  # variable names of others' groups


def _click_decorator(node: ast.expr) -> tuple[str, list[Any], dict[str, Any]] | None:
    """("command"|"group", args, kwargs) for `@click.command(...)`/`@click.group(...)`."""
    call_args: list[ast.expr] = []
    keywords: list[ast.keyword] = []
    if isinstance(node, ast.Call):
        call_args, keywords, node = node.args, node.keywords, node.func
    if not (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "click"
        and node.attr in ("command", "group")
    ):
        return None
    try:
        args = [ast.literal_eval(a) for a in call_args]
        kwargs = {str(k.arg): ast.literal_eval(k.value) for k in keywords}
    except ValueError as exc:  # a computed name, cls=..., **options: not ours to guess
        raise _Unreadable(str(exc)) from exc
    return node.attr, args, kwargs


def _decorated_functions(tree: ast.Module) -> dict[str, _Decorated]:
    found: dict[str, _Decorated] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            spec = _click_decorator(deco)
            if spec is not None:
                found[node.name] = _Decorated(*spec, doc=ast.get_docstring(node, clean=False))
    return found


# decorators of `gateway.cli._util` that make a command of the group given first
_GROUP_COMMAND_DECORATORS = frozenset({"practice_command"})


def _decorated_groups(tree: ast.Module) -> set[str]:
    """Variables X of every top-level `@X.command(...)`/`@X.group(...)` but `click`'s, and of
    `@practice_command(X, ...)`."""
    used: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if (
                isinstance(deco, ast.Call)
                and isinstance(deco.func, ast.Name)
                and deco.func.id in _GROUP_COMMAND_DECORATORS
                and deco.args
                and isinstance(deco.args[0], ast.Name)
            ):
                used.add(deco.args[0].id)
                continue
            target = deco.func if isinstance(deco, ast.Call) else deco
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id != "click"
                and target.attr in ("command", "group")
            ):
                used.add(target.value.id)
    return used


def _added_names(register: ast.FunctionDef) -> list[tuple[str, str]]:
    """(group variable, added variable) for every `X.add_command(Y)` in `register`."""
    loops: dict[str, list[str]] = {}
    for node in ast.walk(register):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            if not isinstance(node.iter, ast.Tuple | ast.List):
                raise _Unreadable("a loop over something other than a literal tuple")
            if not all(isinstance(e, ast.Name) for e in node.iter.elts):
                raise _Unreadable("a loop over something other than names")
            loops[node.target.id] = [e.id for e in node.iter.elts if isinstance(e, ast.Name)]
    added: list[tuple[str, str]] = []
    for node in ast.walk(register):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "add_command":
            continue
        if not isinstance(node.func.value, ast.Name) or len(node.args) != 1 or node.keywords:
            raise _Unreadable("add_command with anything but one name")
        arg = node.args[0]
        if not isinstance(arg, ast.Name):
            raise _Unreadable("add_command of an expression")
        for name in loops.get(arg.id, [arg.id]):
            added.append((node.func.value.id, name))
    return added


def _stub(var: str, deco: _Decorated) -> click.Command:
    """A stand-in made by click itself, so its name and help match the real command's."""

    def callback() -> None:  # pragma: no cover - never invoked: the real command replaces it
        raise AssertionError("a stand-in command ran")

    callback.__name__ = var
    callback.__doc__ = deco.doc
    make: Callable[..., Any] = click.group if deco.kind == "group" else click.command
    command: click.Command = make(*deco.args, **deco.kwargs)(callback)
    return command


def read_module(module: str, source: str) -> ModuleCommands:
    """The commands `module`'s `register(root)` adds, or `_Unreadable`."""
    tree = ast.parse(source)
    register = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "register"), None
    )
    if register is None or not register.args.args:
        raise _Unreadable("no register(root)")
    root_var = register.args.args[0].arg
    decorated = _decorated_functions(tree)
    found = ModuleCommands(module)
    for var, deco in decorated.items():
        if deco.kind == "group":
            found.groups[var] = _stub(var, deco).name or var
    # `@era.command(...)` at the top of a module that imports `era`: it extends that group
    found.extends |= {v for v in _decorated_groups(tree) if v not in found.groups}
    for group_var, var in _added_names(register):
        if group_var != root_var:
            found.extends.add(group_var)
            continue
        if var not in decorated:
            raise _Unreadable(f"{var} is not a @click.command/@click.group here")
        stub = _stub(var, decorated[var])
        found.stubs[stub.name or var] = stub
    return found


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stubs: dict[str, click.Command] = {}
        self._providers: dict[str, list[str]] = {}  # command name -> modules, in order
        self._extenders: dict[str, list[str]] = {}  # group name -> modules adding to it
        self._loaded: set[str] = set()
        # applied to every command handed out (e.g. file arguments made regular-file only);
        # must be idempotent: a command may be handed out more than once
        self.on_load: Callable[[click.Command], None] | None = None

    def add_lazy(self, name: str, stub: click.Command, modules: list[str]) -> None:
        self._stubs[name] = stub
        self._providers.setdefault(name, [])
        self._providers[name] += [m for m in modules if m not in self._providers[name]]

    def add_extender(self, name: str, module: str) -> None:
        """`module` adds subcommands to the group `name`: imported only when they are needed."""
        self._extenders.setdefault(name, []).append(module)

    def load(self, module: str) -> None:
        """Import `module` and let it register its commands (once)."""
        if module in self._loaded:
            return
        self._loaded.add(module)
        register = getattr(importlib.import_module(module), "register", None)
        if register is not None:
            register(self)

    def load_all(self, modules: Iterable[str]) -> None:
        for module in modules:
            self.load(module)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self._stubs))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module in self._providers.get(cmd_name, []):
            self.load(module)
        command = self.commands.get(cmd_name)
        extenders = self._extenders.get(cmd_name)
        if extenders and isinstance(command, click.Group):
            _extend_on_demand(command, lambda: self.load_all(extenders), self.on_load)
        if command is not None and self.on_load is not None:
            self.on_load(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, from the stand-ins: listing the commands imports none of them."""
        listed: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or self._stubs[name]
            if not command.hidden:
                listed.append((name, command))
        if listed:
            limit = formatter.width - 6 - max(len(name) for name, _ in listed)
            rows = [(name, command.get_short_help_str(limit)) for name, command in listed]
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _extend_on_demand(group: click.Group, load: Callable[[], None],
                      on_load: Callable[[click.Command], None] | None = None) -> None:
    """Make `group` import the modules that extend it before it lists its subcommands or
    fails to find one (`gateway era parse` need not import what `era import` needs)."""
    if getattr(group, "_gateway_extends_on_demand", False):
        return
    own_get, own_list = group.get_command, group.list_commands

    def get_command(ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = own_get(ctx, cmd_name)
        if found is None:
            load()
            found = own_get(ctx, cmd_name)
        if found is not None and on_load is not None:
            on_load(found)
        return found

    def list_commands(ctx: click.Context) -> list[str]:
        load()
        return own_list(ctx)

    # Instance attributes shadow the methods: `group` is someone else's plain click.Group.
    setattr(group, "get_command", get_command)  # noqa: B010
    setattr(group, "list_commands", list_commands)  # noqa: B010
    setattr(group, "_gateway_extends_on_demand", True)  # noqa: B010


def register_package(group: LazyGroup, package: str, path: Iterable[str]) -> None:
    """Read every public module of `package`; import at once only those that cannot be read."""
    readable: list[ModuleCommands] = []
    unreadable: list[str] = []  # imported once every lazy command is known (they may extend one)
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = f"{package}.{info.name}"
        source_file = Path(next(iter(path))) / f"{info.name}.py"
        try:
            if info.ispkg or not source_file.is_file():
                raise _Unreadable("not a plain module")
            readable.append(read_module(module, source_file.read_text(encoding="utf-8")))
        except (_Unreadable, SyntaxError):
            unreadable.append(module)
    group_owner = {var: (m.module, name) for m in readable for var, name in m.groups.items()}
    for found in readable:
        for name, stub in found.stubs.items():
            group.add_lazy(name, stub, [found.module])
    for found in readable:
        for var in found.extends:
            owner = group_owner.get(var)
            if owner is None or owner[1] not in group._stubs:
                group.load(found.module)  # extends a group this reading does not know
                continue
            group.add_extender(owner[1], found.module)
    group.load_all(unreadable)
