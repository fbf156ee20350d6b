"""The house rules of docs/conventions.md, read off the source with `ast`: small files with one
job (no file in gateway/ over 500 lines), functions under 80 lines, none with more than 8
parameters (self and cls not counted).

Exempt by name, for good: the compiled reader and its pure twins where splitting would cost
speed (`EXEMPT_FILES`). Everything else that breaks a rule today is in the
`*_ALLOWED` sets, each entry its owner's to fix: THESE SETS MUST SHRINK TO EMPTY. An entry
that no longer breaks its rule fails the test too, so a fix removes its entry in the same commit
and the lists never hold a name that is already clean.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
MAX_PARAMETERS = 8

# The compiled 835 reader: one Cython loop over every segment of the file, where a call per
# concept would cost the speed it exists for (gateway/core/x12/_fast835.pyx; its functions are
# Cython, not read by `ast`, and so exempt with the file).
EXEMPT_FILES = {"core/x12/_fast835.pyx"}

# The compiled aging reader's row loop (gateway/aging/fastrows.py, compiled by Cython through
# its .pxd, with the interpreted run of the same file as its pure twin): one loop over every
# cell of a sheet, kept whole for the same reason as the 835 reader's.
EXEMPT_FUNCTIONS = {"aging/fastrows.py:plain_rows"}

# Offenders being fixed by their owners. Empty since 2026-12-01's second wave; an entry may
# only be added with an issue that removes it, and it fails the test once it is fixed.
FILES_ALLOWED: set[str] = set()
LONG_ALLOWED: set[str] = set()
PARAMETERS_ALLOWED: set[str] = set()


def _sources() -> list[Path]:
    return sorted(
        p for p in GATEWAY.rglob("*")
        if p.suffix in (".py", ".pyx") and "migrations/versions" not in p.as_posix()
    )


def _name(path: Path) -> str:
    return path.relative_to(GATEWAY).as_posix()


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, Function]]:
    """Every function and method, nested ones too, named `Class.method` / `outer.inner`."""
    found: list[tuple[str, Function]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = prefix + node.name
            found.append((name, node))
            found += _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            found += _functions(node, prefix + node.name + ".")
        else:
            found += _functions(node, prefix)
    return found


def _parameters(fn: Function) -> list[str]:
    a = fn.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return [n for n in names if n not in ("self", "cls")]


def _census() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(long files, long functions, functions with too many parameters), each name -> size."""
    files: dict[str, int] = {}
    long: dict[str, int] = {}
    params: dict[str, int] = {}
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_FILE_LINES:
            files[_name(path)] = lines
        if path.suffix != ".py":
            continue
        for name, fn in _functions(ast.parse(text, filename=str(path))):
            qualified = f"{_name(path)}:{name}"
            length = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if length > MAX_FUNCTION_LINES:
                long[qualified] = length
            if len(_parameters(fn)) > MAX_PARAMETERS:
                params[qualified] = len(_parameters(fn))
    return files, long, params


CENSUS = _census()


@pytest.mark.parametrize(
    ("rule", "found", "allowed"),
    [
        (f"files over {MAX_FILE_LINES} lines", CENSUS[0], FILES_ALLOWED | EXEMPT_FILES),
        (f"functions over {MAX_FUNCTION_LINES} lines", CENSUS[1],
         LONG_ALLOWED | EXEMPT_FUNCTIONS),
        (f"functions with over {MAX_PARAMETERS} parameters", CENSUS[2], PARAMETERS_ALLOWED),
    ],
    ids=["file-length", "function-length", "parameters"],
)
def test_house_rule(rule: str, found: dict[str, int], allowed: set[str]) -> None:
    new = {name: size for name, size in found.items() if name not in allowed}
    assert not new, f"{rule} (split by concept, see docs/conventions.md): {new}"
    fixed = allowed - set(found)
    assert not fixed, f"no longer {rule}: take them off the list in {Path(__file__).name}: {fixed}"


def test_the_census_reads_functions_and_methods() -> None:
    """The reader itself: a nested function and a method are named and measured."""
    tree = ast.parse(
        "class A:\n    def m(self, a, b, *c, d, **e):\n        def inner():\n"
        "            pass\n        return 1\n"
    )
    named = {name: fn for name, fn in _functions(tree)}
    assert set(named) == {"A.m", "A.m.inner"}
    assert _parameters(named["A.m"]) == ["a", "b", "d", "c", "e"]
    assert named["A.m"].end_lineno == 5
