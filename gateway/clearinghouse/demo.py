"""The demo clearinghouse: local folders with a sample ERA, and a `transport: local` connector
on them, so a newcomer runs `gateway connectors run "Demo clearinghouse" --action fetch-eras`
and sees an ERA arrive (then move to the archive folder)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.connectors import create_connector
from gateway.db.models import Connector

DEMO_CONNECTOR = "Demo clearinghouse"
PLUGIN = "clearinghouse_sftp"


async def setup_demo_connector(session: AsyncSession, practice_id: int, base_dir: Path,
                               era_text: str | None = None) -> int:
    """Create `base_dir/{era,ack,claims,archive}`, drop a sample 835 into `era` (when the
    folders have none): `era_text` (the demo practice's own ERA, `gateway.demo`), else a
    generated one; and create the connector once; its id."""
    from gateway.core.x12.generate835 import write_835

    base_dir = Path(base_dir).resolve()
    folders = {k: base_dir / k for k in ("era", "ack", "claims", "archive")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    if not any(folders["era"].iterdir()) and not any(folders["archive"].iterdir()):
        sample = folders["era"] / "demo-remittance-0001.835"
        if era_text is not None:
            sample.write_text(era_text, encoding="ascii")
        else:
            write_835(str(sample), claims=12, seed=2024)
    existing = await session.scalar(
        select(Connector.id).where(Connector.practice_id == practice_id,
                                   Connector.name == DEMO_CONNECTOR)
    )
    if existing is not None:
        return existing
    return await create_connector(session, practice_id, PLUGIN, DEMO_CONNECTOR, {
        "transport": "local",
        "era_dir": str(folders["era"]),
        "ack_dir": str(folders["ack"]),
        "claims_dir": str(folders["claims"]),
        "after_download": "move",
        "archive_dir": str(folders["archive"]),
        "era_pattern": "*.835",
    })
