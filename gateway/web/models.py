"""Page sign-in state shared by every gateway node: sessions, sign-in attempts, EOB drafts.

A session row is found by the SHA-256 of the random cookie token (the token itself is never
stored), carries its own CSRF token, and expires after a period of inactivity. Failed sign-ins
are rows too, so the rate limit holds across nodes. An EOB draft holds a manual EOB while it
is keyed in, saved field by field, until it becomes a deposit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, PracticeScoped, Timestamped


class WebSession(Keyed, Timestamped, Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SignInAttempt(Keyed, Timestamped, Base):
    """One sign-in try; failures in a recent window are what the rate limit counts."""

    __tablename__ = "web_signin_attempts"
    __table_args__ = (
        Index("ix_web_signin_attempts_email_at", "email", "created_at"),
        Index("ix_web_signin_attempts_address_at", "address", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class EobDraft(PracticeScoped, Base):
    """A manual EOB being keyed in: the fields as entered so far (EobIn-shaped JSON)."""

    __tablename__ = "web_eob_drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
