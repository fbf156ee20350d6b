"""All models on one metadata, for Alembic and tests.

Each domain keeps its models in `gateway/<domain>/models.py`; importing them all here means a
new domain needs no edit to a central list.
"""

from __future__ import annotations

import importlib
import pkgutil

import gateway
from gateway.db import models as _core  # noqa: F401
from gateway.db.base import Base


def _import_domain_models() -> None:
    for info in pkgutil.iter_modules(gateway.__path__):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(f"gateway.{info.name}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"gateway.{info.name}.models":
                raise


_import_domain_models()
metadata = Base.metadata
