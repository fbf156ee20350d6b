"""The posting error vocabulary as types: levels, resolve actions and error types.

Each `ErrorType` carries the level it is raised at and the resolve actions that make sense for
it, so the queue, the engine, the ERA import and the CHECK constraints of the database all read
one list. Adding an error type: add a member here (level, actions), raise it where it is
detected, and add a migration that widens the `ck_posting_errors_type` CHECK.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorLevel(StrEnum):
    """Where a problem is: the deposit, one claim of it, or one service line."""

    DEPOSIT = "deposit"
    CLAIM = "claim"
    PROCEDURE = "procedure"


class ResolveAction(StrEnum):
    """What a biller can do about an open error (each type allows some of them)."""

    IGNORE = "ignore"
    EXCLUDE = "exclude"
    LINK_PAYER = "link_payer"
    SET_TRACE = "set_trace"
    LINK_CLAIM = "link_claim"
    ALLOCATE = "allocate"
    LINK_PROCEDURE = "link_procedure"
    PAYMENT_TYPE = "payment_type"


# resolutions recorded by the system rather than by a biller's action
RESOLVED_BY_EXCLUSION = "excluded"  # closed because its claim was excluded
RESOLVED_AS_CLEARED = "cleared"  # closed because a re-post found it no longer applies
RESOLVED_BY_IGNORING_DEPOSIT = "deposit_ignored"  # closed because its deposit was set to Ignore
RESOLUTIONS = (
    *(a.value for a in ResolveAction),
    RESOLVED_BY_EXCLUSION,
    RESOLVED_AS_CLEARED,
    RESOLVED_BY_IGNORING_DEPOSIT,
)

_A = ResolveAction


class ErrorType(StrEnum):
    """A posting error type: its name (stored), its level and its allowed actions."""

    level: ErrorLevel
    actions: tuple[ResolveAction, ...]

    def __new__(cls, name: str, level: ErrorLevel, actions: tuple[ResolveAction, ...]) -> ErrorType:
        obj = str.__new__(cls, name)
        obj._value_ = name
        obj.level = level
        obj.actions = actions
        return obj

    # deposit level
    DEBIT_ERA = ("Debit ERA", ErrorLevel.DEPOSIT, (_A.IGNORE,))
    INVALID_HANDLING_CODE = ("Invalid Handling Code", ErrorLevel.DEPOSIT, (_A.IGNORE,))
    DUPLICATE_DEPOSIT = ("Duplicate Deposit", ErrorLevel.DEPOSIT, (_A.IGNORE,))
    PAYER_MISMATCH = ("Payer Mismatch", ErrorLevel.DEPOSIT, (_A.LINK_PAYER, _A.IGNORE))
    MISSING_TRACE = ("Missing Check/Trace Number", ErrorLevel.DEPOSIT, (_A.SET_TRACE, _A.IGNORE))
    DEPOSIT_DOES_NOT_BALANCE = ("Deposit Does Not Balance", ErrorLevel.DEPOSIT, (_A.IGNORE,))
    # claim level
    CLAIM_NOT_FOUND = ("Claim Not Found", ErrorLevel.CLAIM, (_A.LINK_CLAIM, _A.EXCLUDE))
    CARRIER_PAYMENT_MISMATCH = ("Carrier Payment Mismatch", ErrorLevel.CLAIM,
                                (_A.IGNORE, _A.EXCLUDE))
    CLAIM_LEVEL_ADJUSTMENT = ("Claim-Level Adjustment Found", ErrorLevel.CLAIM,
                              (_A.ALLOCATE, _A.EXCLUDE))
    PAYMENT_GUARD = ("Posting Does Not Match Payment", ErrorLevel.CLAIM, (_A.EXCLUDE,))
    DUPLICATE_CLAIM_PAYMENT = ("Duplicate Claim Payment", ErrorLevel.CLAIM,
                               (_A.IGNORE, _A.EXCLUDE))
    # procedure level
    PROCEDURE_CODE_CONFLICT = ("Procedure Code Conflict", ErrorLevel.PROCEDURE,
                               (_A.LINK_PROCEDURE, _A.EXCLUDE))
    MISSING_PAYMENT_TYPE = ("Missing Payment Type", ErrorLevel.PROCEDURE,
                            (_A.PAYMENT_TYPE, _A.EXCLUDE))
    PAYMENT_EXCEEDS_OPEN_BALANCE = ("Payment Exceeds Open Balance", ErrorLevel.PROCEDURE,
                                    (_A.IGNORE, _A.EXCLUDE))
    NEGATIVE_LINE_PAYMENT = ("Negative Line Payment", ErrorLevel.PROCEDURE,
                             (_A.IGNORE, _A.EXCLUDE))


_BY_NAME: dict[str, ErrorType] = {t.value: t for t in ErrorType}


def error_type(name: str) -> ErrorType | None:
    """The error type stored under `name` (None for a name no longer known)."""
    return _BY_NAME.get(name)


def actions_of(name: str) -> tuple[ResolveAction, ...]:
    """The allowed actions of a stored error type (none for a name no longer known)."""
    t = error_type(name)
    return t.actions if t is not None else ()


# `Missing Payment Type` on a claim-level adjustment is raised at claim level.
ERROR_TYPE_LEVELS = tuple(
    (t.value, lvl.value)
    for t in ErrorType
    for lvl in ((t.level, ErrorLevel.CLAIM) if t is ErrorType.MISSING_PAYMENT_TYPE else (t.level,))
)
