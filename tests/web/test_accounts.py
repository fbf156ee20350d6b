"""Accounts without a browser: argon2id hashes, the per-address limit, the users command."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.core.errors import UserError
from gateway.db.models import User
from gateway.web import accounts
from gateway.web.accounts import SignInRefused, add_user, load_session, set_password, sign_in


async def test_password_is_argon2id_and_reset_ends_sessions(session, practice) -> None:
    uid = await add_user(session, practice.practice_id, "Pat@Clinic.test", "biller",
                         "long enough pw")
    digest = await session.scalar(select(User.password_hash).where(User.id == uid))
    assert digest is not None and digest.startswith("$argon2id$")
    token = await sign_in(session, "pat@clinic.test", "long enough pw", "10.0.0.1")
    signed = await load_session(session, token)
    assert signed is not None and (signed.user_id, signed.role) == (uid, "biller")
    await set_password(session, practice.practice_id, "pat@clinic.test", "another long pw")
    assert await load_session(session, token) is None
    with pytest.raises(SignInRefused):
        await sign_in(session, "pat@clinic.test", "long enough pw", "10.0.0.1")
    with pytest.raises(UserError, match="at least 10"):
        await set_password(session, practice.practice_id, "pat@clinic.test", "short")


async def test_failures_from_one_address_are_limited_across_accounts(session, practice,
                                                                     monkeypatch) -> None:
    monkeypatch.setattr(accounts, "MAX_FAILS_PER_ADDRESS", 3)
    await add_user(session, practice.practice_id, "kim@clinic.test", "viewer", "kims password")
    for n in range(3):
        with pytest.raises(SignInRefused, match="wrong email or password"):
            await sign_in(session, f"nobody{n}@clinic.test", "guess", "10.9.9.9")
    with pytest.raises(SignInRefused, match="too many"):
        await sign_in(session, "kim@clinic.test", "kims password", "10.9.9.9")
    assert await sign_in(session, "kim@clinic.test", "kims password", "10.1.1.1")


def test_users_command_adds_and_resets(gateway, practice) -> None:
    r = gateway("users", "add", "--practice", str(practice.practice_id), "--email",
                "new@clinic.test", "--role", "viewer", "--password-stdin", "--json",
                stdin="first password\n")
    assert r.code == 0, r.err
    assert r.json()["role"] == "viewer"
    r = gateway("users", "set-password", "--practice", str(practice.practice_id), "--email",
                "new@clinic.test", "--password", "second password")
    assert r.code == 0 and "sessions ended" in r.out
    r = gateway("users", "set-password", "--practice", str(practice.practice_id), "--email",
                "ghost@clinic.test", "--password", "second password")
    assert r.code == 2 and "no user" in r.err


async def test_demo_biller_can_sign_in(gateway, tmp_path, engine) -> None:
    from gateway.db.engine import make_sessionmaker
    from gateway.demo import DEMO_EMAIL, DEMO_PASSWORD

    r = gateway("demo", "--data-dir", str(tmp_path / "demo"))
    assert r.code == 0, r.err
    assert f"page sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD}" in r.out
    async with make_sessionmaker(engine)() as s:
        token = await sign_in(s, DEMO_EMAIL, DEMO_PASSWORD, "127.0.0.1")
        signed = await load_session(s, token)
        assert signed is not None and signed.role == "biller"


async def test_session_cookie_is_secure_over_tls(engine, session, practice) -> None:
    import re

    from litestar.testing import AsyncTestClient

    from gateway.api.app import create_app

    await add_user(session, practice.practice_id, "tls@clinic.test", "viewer", "tls password 1")
    await session.commit()
    async with AsyncTestClient(app=create_app(engine=engine),
                               base_url="https://gateway.test") as client:
        form = (await client.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        r = await client.post("/login", data={"email": "tls@clinic.test",
                                              "password": "tls password 1",
                                              "csrf_token": token.group(1), "next": "//evil.test"},
                              follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    cookie = r.headers["set-cookie"].lower()
    assert "gw_session=" in cookie and "secure" in cookie and "httponly" in cookie
    assert "samesite=lax" in cookie
