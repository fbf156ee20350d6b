"""Errors that reach a user: each says where and why, never a traceback.

`UserError` is a mistake in what the user gave us (a file, an argument): the CLI prints its
message on one line and exits 2; the API answers 400/422. `Failure` is something that went
wrong on our side or a remote one (a server refused us): exit 1 / 502.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input. The message names the place (file, row or segment, field) and the reason."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class NotFound(UserError):
    """An object that does not exist, or belongs to another practice (same answer for both)."""


class Failure(Exception):
    """Something outside the user's input failed: a remote server, a broken plugin."""

    exit_code = 1
