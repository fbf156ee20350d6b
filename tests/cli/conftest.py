from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

GATEWAY = [sys.executable, "-m", "gateway"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture
def gateway(db_url: str, tmp_path: Path) -> Callable[..., Result]:
    """Run the real `gateway` command in a subprocess against this test's database."""

    def run(*args: str, stdin: str | None = None) -> Result:
        env = {**os.environ, "GATEWAY_DATABASE_URL": db_url}
        p = subprocess.run([*GATEWAY, *args], capture_output=True, text=True, env=env,
                           input=stdin, cwd=tmp_path, timeout=120)
        return Result(p.returncode, p.stdout, p.stderr)

    return run
