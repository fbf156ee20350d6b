"""Shapes of practices, locations and users on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PracticeOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    settings: dict[str, Any]


class PracticeUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | None = None
    settings: dict[str, Any] | None = None


class LocationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    code: str | None = None


class LocationOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    code: str | None


class UserIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
    role: Literal["admin", "biller", "viewer"]
    name: str | None = None


class UserOut(msgspec.Struct, kw_only=True):
    id: int
    email: str
    name: str | None
    role: str
    active: bool
    created_at: dt.datetime


class KeyOut(msgspec.Struct, kw_only=True):
    """A new API key: shown once, never again."""

    key: str
    user_id: int
