"""Page accounts: argon2id passwords, sign-in with its rate limit, server-side sessions.

No HTTP here: the page's routes and the `gateway users` command call these. Sessions are rows
(`WebSession`) found by the SHA-256 of a random token, so every gateway node shares them and a
stolen database does not yield usable cookies. Failed sign-ins are counted per account (email)
and per address over a sliding window; past the limit, even the right password is refused
until the window moves on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gateway.admin.audit import audit
from gateway.admin.practices import create_user
from gateway.core.errors import NotFound, UserError
from gateway.db.base import utcnow
from gateway.db.models import User
from gateway.web.models import SignInAttempt, WebSession

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD = 10
SESSION_IDLE = dt.timedelta(hours=8)
WINDOW = dt.timedelta(minutes=15)
MAX_FAILS_PER_ACCOUNT = 5
MAX_FAILS_PER_ADDRESS = 20
# verified when the email is unknown, so a wrong email costs as long as a wrong password
_DUMMY_HASH = HASHER.hash("not a real password at all")


class SignedIn(msgspec.Struct, frozen=True):
    """Who a session belongs to, and the CSRF token its forms must carry."""

    session_id: int
    user_id: int
    practice_id: int
    role: str
    email: str
    name: str | None
    csrf_token: str


class SignInRefused(UserError):
    """Wrong email or password, or too many failures: one message for all, nothing probed."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters", where="password")
    return HASHER.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add_user(session: AsyncSession, practice_id: int, email: str, role: str, password: str,
                   *, name: str | None = None, actor: str = "cli") -> int:
    """A user who can sign in to the page (an existing email gets the role and password)."""
    digest = hash_password(password)
    user_id = await create_user(session, practice_id, email, role, name)
    user = await session.get(User, user_id)
    assert user is not None
    user.password_hash = digest
    await audit(session, practice_id=practice_id, actor=actor, action="user.add",
                object_type="user", object_id=user_id, detail={"role": role})
    return user_id


async def set_password(session: AsyncSession, practice_id: int, email: str, password: str,
                       *, actor: str = "cli") -> int:
    """Reset a user's page password; every session of that user ends."""
    digest = hash_password(password)
    user = await session.scalar(select(User).where(User.practice_id == practice_id,
                                                   User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email!r} in practice {practice_id}")
    user.password_hash = digest
    await session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    await audit(session, practice_id=practice_id, actor=actor, action="user.set_password",
                object_type="user", object_id=user.id)
    return user.id


async def _recent_failures(session: AsyncSession, column: InstrumentedAttribute[str],
                           value: str, since: dt.datetime) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(SignInAttempt).where(
            column == value, SignInAttempt.succeeded.is_(False),
            SignInAttempt.created_at >= since)) or 0)


async def sign_in(session: AsyncSession, email: str, password: str, address: str) -> str:
    """Check the password and open a session; returns the cookie token (shown once)."""
    email = email.strip().lower()
    now = utcnow()
    since = now - WINDOW
    limited = (await _recent_failures(session, SignInAttempt.email, email, since)
               >= MAX_FAILS_PER_ACCOUNT
               or await _recent_failures(session, SignInAttempt.address, address, since)
               >= MAX_FAILS_PER_ADDRESS)
    users = (await session.scalars(select(User).where(
        User.email == email, User.active.is_(True), User.password_hash.is_not(None)))).all()
    matched = [u for u in users if _verify(u.password_hash, password)] if users else []
    if not users:
        _verify(_DUMMY_HASH, password)
    if limited or len(matched) != 1:
        session.add(SignInAttempt(email=email, address=address, succeeded=False, created_at=now))
        await session.flush()
        if limited:
            raise SignInRefused("too many failed sign-ins; wait 15 minutes and try again",
                                where="sign-in")
        raise SignInRefused("wrong email or password", where="sign-in")
    user = matched[0]
    session.add(SignInAttempt(email=email, address=address, succeeded=True, created_at=now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=token_hash(token), user_id=user.id,
                           csrf_token=secrets.token_urlsafe(32), address=address,
                           last_seen_at=now, expires_at=now + SESSION_IDLE, created_at=now))
    await session.flush()
    return token


def _verify(digest: str | None, password: str) -> bool:
    try:
        return digest is not None and HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


async def load_session(session: AsyncSession, token: str) -> SignedIn | None:
    """The live session of a cookie token (sliding expiry), or None."""
    now = utcnow()
    row = (await session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash(token), User.active.is_(True))
    )).first()
    if row is None:
        return None
    ws, user = row
    if _aware(ws.expires_at) <= now:
        await session.delete(ws)
        return None
    if now - _aware(ws.last_seen_at) > dt.timedelta(minutes=1):
        ws.last_seen_at, ws.expires_at = now, now + SESSION_IDLE
    return SignedIn(session_id=ws.id, user_id=user.id, practice_id=user.practice_id,
                    role=user.role, email=user.email, name=user.name, csrf_token=ws.csrf_token)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def sign_out(session: AsyncSession, session_id: int) -> None:
    await session.execute(delete(WebSession).where(WebSession.id == session_id))


async def list_users(session: AsyncSession, practice_id: int) -> list[User]:
    return list((await session.scalars(
        select(User).where(User.practice_id == practice_id).order_by(User.email))).all())
