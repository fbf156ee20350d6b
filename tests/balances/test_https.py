"""The cloud systems' report download over HTTPS: a real local TLS server whose self-signed
certificate the connector pins; another certificate or a wrong token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.admin.connectors import create_connector
from gateway.balances.models import AccountBalance
from gateway.balances.service import sync_connector
from gateway.core.errors import Failure
from tests.balances.conftest import FIXTURES
from tests.balances.tls import ReportServer, self_signed


@pytest.fixture
def report_server() -> Iterator[ReportServer]:
    with ReportServer(token="s3cret-token") as server:
        yield server


async def _connector(session, practice, vendor: str, server: ReportServer, **https) -> int:
    source = {"https": {"url": server.url, "token": "s3cret-token",
                        "ca_cert": server.cert_pem, **https}}
    cid = await create_connector(session, practice.practice_id, vendor, vendor,
                                 {"balances": source})
    await session.commit()
    return cid


@pytest.mark.parametrize("vendor", ["revolutionehr", "eyefinity"])
async def test_sync_over_https_with_pinned_certificate(session, practice, report_server,
                                                       vendor):
    cid = await _connector(session, practice, vendor, report_server)
    report_server.body = (FIXTURES / vendor / "snapshot1.csv").read_bytes()
    first = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert first.created == 3
    report_server.body = (FIXTURES / vendor / "snapshot2.csv").read_bytes()
    second = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (second.created, second.changed, second.closed) == (1, 1, 1)
    total = await session.scalar(select(AccountBalance.total).where(
        AccountBalance.account == "A1"))
    assert total == Decimal("80.00")


async def test_another_certificate_is_refused(session, practice, report_server):
    other_pem, _ = self_signed()
    cid = await _connector(session, practice, "eyefinity", report_server, ca_cert=other_pem)
    report_server.body = (FIXTURES / "eyefinity" / "snapshot1.csv").read_bytes()
    with pytest.raises(Failure, match="certif"):
        await sync_connector(session, practice.practice_id, cid)


async def test_system_store_does_not_trust_a_self_signed_server(session, practice,
                                                                report_server):
    source = {"https": {"url": report_server.url, "token": "s3cret-token"}}
    cid = await create_connector(session, practice.practice_id, "eyefinity", "e",
                                 {"balances": source})
    await session.commit()
    with pytest.raises(Failure, match="certif"):
        await sync_connector(session, practice.practice_id, cid)


async def test_wrong_token_is_a_clear_failure(session, practice, report_server):
    cid = await _connector(session, practice, "revolutionehr", report_server, token="nope")
    with pytest.raises(Failure, match="HTTP 401"):
        await sync_connector(session, practice.practice_id, cid)
    assert await session.scalar(select(AccountBalance.id)) is None
