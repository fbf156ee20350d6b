"""Shapes of the account API and CLI (the detail is `gateway.balances.service.AccountView`)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from gateway.balances.models import AccountBalance


class AccountHead(msgspec.Struct, kw_only=True):
    """What the list and the detail of an account both begin with."""

    id: int
    account: str
    connector_id: int
    status: str
    location: str | None
    payer_name: str | None
    total: Decimal


class AccountSummary(AccountHead, kw_only=True):
    patient_portion: Decimal
    insurance_portion: Decimal
    bucket_0_30: Decimal
    bucket_31_60: Decimal
    bucket_61_90: Decimal
    bucket_91_120: Decimal
    bucket_120_plus: Decimal


class AccountPage(msgspec.Struct, kw_only=True):
    total: int
    offset: int
    limit: int
    items: list[AccountSummary]


class PortionEdit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Set one portion (or both) of an account by hand, with the reason."""

    reason: str
    patient_portion: Decimal | None = None
    insurance_portion: Decimal | None = None


def summary(a: AccountBalance) -> AccountSummary:
    return AccountSummary(
        id=a.id, account=a.account, connector_id=a.connector_id, status=a.status,
        location=a.location, payer_name=a.payer_name, total=a.total,
        patient_portion=a.patient_portion, insurance_portion=a.insurance_portion,
        bucket_0_30=a.bucket_0_30, bucket_31_60=a.bucket_31_60, bucket_61_90=a.bucket_61_90,
        bucket_91_120=a.bucket_91_120, bucket_120_plus=a.bucket_120_plus)
