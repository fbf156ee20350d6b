from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture
def gw(db_url: str, tmp_path: Path) -> Callable[..., CliResult]:
    """The real `gateway` command in a subprocess against this test's database."""

    def run(*args: str) -> CliResult:
        env = {**os.environ, "GATEWAY_DATABASE_URL": db_url}
        p = subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=120)
        return CliResult(p.returncode, p.stdout, p.stderr)

    return run
