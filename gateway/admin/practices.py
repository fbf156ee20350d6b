"""Practices, locations, users and their API keys."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.keys import new_key
from gateway.core.errors import NotFound, UserError
from gateway.core.practice_settings import PracticeSettings, decode_settings, encode_settings
from gateway.db.models import ROLES, ApiKey, Location, Practice, User
from gateway.db.scoped import get_scoped
from gateway.jobs.defaults import add_default_jobs
from gateway.jobs.schedule import practice_today


async def create_practice(session: AsyncSession, name: str) -> int:
    if not name.strip():
        raise UserError("practice name must not be empty", where="name")
    settings = PracticeSettings()
    practice = Practice(name=name.strip(), settings=encode_settings(settings))
    session.add(practice)
    await session.flush()
    await add_default_jobs(session, practice.id, practice_today(settings.timezone))
    return practice.id


async def get_practice(session: AsyncSession, practice_id: int) -> Practice:
    practice = await session.get(Practice, practice_id)
    if practice is None:
        raise NotFound(f"no practice {practice_id}")
    return practice


async def practice_settings(session: AsyncSession, practice_id: int) -> PracticeSettings:
    return decode_settings((await get_practice(session, practice_id)).settings)


async def update_settings(
    session: AsyncSession, practice_id: int, changes: dict
) -> PracticeSettings:
    practice = await get_practice(session, practice_id)

    merged = {**encode_settings(decode_settings(practice.settings)), **changes}
    try:
        settings = msgspec.convert(merged, PracticeSettings)
    except msgspec.ValidationError as exc:
        raise UserError(str(exc), where="settings") from exc
    practice.settings = encode_settings(settings)
    return settings


async def create_location(session: AsyncSession, practice_id: int, name: str,
                          code: str | None = None) -> int:
    await get_practice(session, practice_id)
    if not name.strip():
        raise UserError("location name must not be empty", where="name")
    exists = await session.scalar(
        select(Location.id).where(
            Location.practice_id == practice_id, Location.name == name.strip()
        )
    )
    if exists is not None:
        raise UserError(f"location {name.strip()!r} already exists (id {exists})", where="name")
    loc = Location(practice_id=practice_id, name=name.strip(), code=code)
    session.add(loc)
    await session.flush()
    return loc.id


async def get_location(session: AsyncSession, practice_id: int, location_id: int) -> Location:
    return await get_scoped(session, Location, practice_id, location_id, what="location")


async def create_user(session: AsyncSession, practice_id: int, email: str, role: str,
                      name: str | None = None) -> int:
    """A user of the practice; an existing email gets its role updated instead."""
    await get_practice(session, practice_id)
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}", where="role")
    if "@" not in email:
        raise UserError(f"not an email address: {email!r}", where="email")
    user = await session.scalar(
        select(User).where(User.practice_id == practice_id, User.email == email.lower())
    )
    if user is None:
        user = User(practice_id=practice_id, email=email.lower(), role=role, name=name)
        session.add(user)
    else:
        user.role = role
    try:
        await session.flush()
    except IntegrityError as exc:  # pragma: no cover - concurrent create of the same email
        raise UserError(f"user {email!r} was just created by someone else", where="email") from exc
    return user.id


async def create_key(session: AsyncSession, practice_id: int, email: str, role: str) -> str:
    """A new API key for the user with `email` (created if needed); the token is returned once."""
    user_id = await create_user(session, practice_id, email, role)
    token, prefix, digest = new_key()
    session.add(ApiKey(user_id=user_id, prefix=prefix, key_hash=digest))
    await session.flush()
    return token
