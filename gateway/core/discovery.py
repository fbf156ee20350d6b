"""Find a domain's contribution by convention, so adding a domain edits no central list.

`domain_modules(gateway, "models")` imports `gateway/<domain>/models.py` for every domain
that has one (likewise API controllers and job kinds). A missing module is skipped; a module
that exists but fails to import fails loudly.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType


def domain_modules(package: ModuleType, module: str) -> Iterator[ModuleType]:
    """`<package>.<domain>.<module>` for each sub-package that has it, in name order."""
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        name = f"{package.__name__}.{info.name}.{module}"
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
