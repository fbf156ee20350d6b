"""All models on one metadata, for Alembic and tests.

Each domain keeps its models in `gateway/<domain>/models.py`; importing them all here means a
new domain needs no edit to a central list.
"""

from __future__ import annotations

import gateway
from gateway.core.discovery import domain_modules
from gateway.db.base import Base

_domain_models = list(domain_modules(gateway, "models"))  # gateway.db.models is one of them
metadata = Base.metadata
