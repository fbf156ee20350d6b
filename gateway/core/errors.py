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


class LimitExceeded(UserError):
    """Input over one of our limits; `limit` names it. A limit on bytes (`size=True`) is a
    413 in the API, a limit on rows, columns or cells a 422; exit 2 in the CLI either way."""

    def __init__(self, message: str, *, where: str | None = None, limit: str,
                 size: bool = False) -> None:
        self.limit = limit
        self.size = size
        super().__init__(message, where=where)


class Failure(Exception):
    """Something outside the user's input failed: a remote server, a broken plugin."""

    exit_code = 1


def raised_at(exc: BaseException) -> str:
    """`file:line` where `exc` was raised: enough to find a bug, with none of its values."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
