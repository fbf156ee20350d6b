"""Validate X12 text with pyx12 (4.0.0): the errors it reports, [] when clean."""

from __future__ import annotations

import io
import json
import logging
from typing import Any


def pyx12_errors(text: str) -> list[str]:
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    fd_json = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=io.StringIO(text), fd_997=None, fd_html=None,
        fd_xmldoc=None, fd_json=fd_json,
    )
    errors = _collect(json.loads(fd_json.getvalue() or "[]"))
    if not ok and not errors:
        errors = ["pyx12 says invalid (no detail)"]
    return errors


def _collect(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("errors", "err") and isinstance(value, list):
                out.extend(json.dumps(v) for v in value)
            else:
                out.extend(_collect(value))
    elif isinstance(node, list):
        for item in node:
            out.extend(_collect(item))
    return out
