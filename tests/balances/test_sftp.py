"""Each vendor's balance export pulled over a real sshd (pinned host key), then a changed
snapshot; a changed host key is refused."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.admin.connectors import create_connector
from gateway.balances.models import AccountBalance
from gateway.balances.service import sync_connector
from gateway.core.errors import Failure
from tests.balances.conftest import FIXTURES, VENDORS
from tests.support.sshd import SshServer, ed25519_keypair

REMOTE_KEYS = ("transport", "host", "port", "username", "private_key", "known_hosts",
               "timeout_seconds", "operation_timeout_seconds")


def _remote(server: SshServer, **overrides: object) -> dict[str, object]:
    config = server.config(**overrides)
    return {k: v for k, v in config.items() if k in REMOTE_KEYS}


@pytest.mark.parametrize("vendor", VENDORS)
async def test_vendor_sync_over_sftp(session, practice, sshd: SshServer, vendor: str):
    folder = sshd.folder(f"pms/{vendor}")
    cid = await create_connector(session, practice.practice_id, vendor, vendor, {
        "balances": {"remote": _remote(sshd), "folder": f"pms/{vendor}", "pattern": "*.csv"}})
    await session.commit()
    shutil.copyfile(FIXTURES / vendor / "snapshot1.csv", folder / "b1.csv")
    os.utime(folder / "b1.csv", (1_800_000_000, 1_800_000_000))
    first = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert first.created == 3
    shutil.copyfile(FIXTURES / vendor / "snapshot2.csv", folder / "b2.csv")
    os.utime(folder / "b2.csv", (1_800_000_100, 1_800_000_100))
    second = await sync_connector(session, practice.practice_id, cid)
    await session.commit()
    assert (second.created, second.changed, second.closed) == (1, 1, 1)
    rows = dict((await session.execute(
        select(AccountBalance.account, AccountBalance.status))).all())
    assert rows == {"A1": "open", "A2": "open", "A3": "closed", "A4": "open"}
    assert await session.scalar(select(AccountBalance.patient_portion).where(
        AccountBalance.account == "A1")) == Decimal("20.00")


async def test_changed_host_key_is_refused(session, practice, sshd: SshServer):
    sshd.folder("pms/other")
    wrong = f"[{sshd.host}]:{sshd.port} {ed25519_keypair()[1]}\n"  # not the server's key
    cid = await create_connector(session, practice.practice_id, "compulink", "cl", {
        "balances": {"remote": _remote(sshd, known_hosts=wrong),
                     "folder": "pms/other"}})
    await session.commit()
    with pytest.raises(Failure, match="(?i)host key"):
        await sync_connector(session, practice.practice_id, cid)
