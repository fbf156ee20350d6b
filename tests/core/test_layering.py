"""Services never know HTTP: importing an admin service must not load Litestar."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["gateway.admin.practices", "gateway.admin.keys"])
def test_admin_service_does_not_import_litestar(module):
    code = (f"import sys, {module}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'litestar'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_api_auth_checks_keys_with_the_admin_hash():
    from gateway.admin.keys import hash_key, new_key
    from gateway.api import auth

    token, prefix, digest = new_key()
    assert auth.hash_key is hash_key and hash_key(token) == digest and token.startswith(prefix)
