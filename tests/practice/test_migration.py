"""Migration 0030 moves the PMS plugins' existing connector configs to the transport config
(and back on downgrade), so connectors made before it still load."""

from __future__ import annotations

import json
import sqlite3

import msgspec

from gateway.core.connector_configs import PmsExportConfig
from gateway.db.migrate import downgrade, upgrade


def test_old_pms_connector_configs_are_rewritten(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    downgrade(url, "0030_practice_data-1")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO practices (id, name, settings, created_at) "
               "VALUES (1, 'P', '{}', '2026-01-01')")
    for pk, plugin, config in [
        (1, "compulink", {"transport": "folder", "drop_dir": "/srv/drop", "location_id": 3}),
        (2, "officemate", {"transport": "upload"}),
        (3, "clearinghouse_sftp", {"transport": "local", "era_dir": "/x"}),
    ]:
        db.execute("INSERT INTO connectors (id, practice_id, plugin, name, config, enabled, "
                   "created_at) VALUES (?, 1, ?, ?, ?, 1, '2026-01-01')",
                   (pk, plugin, plugin, json.dumps(config)))
    db.commit()
    upgrade(url)
    configs = {pk: json.loads(c) for pk, c in db.execute("SELECT id, config FROM connectors")}
    assert configs[1] == {"transport": "local", "practice_data_dir": "/srv/drop",
                          "location_id": 3}
    assert configs[2] == {"transport": "local"}
    assert configs[3] == {"transport": "local", "era_dir": "/x"}  # not a PMS plugin
    for pk in (1, 2):
        msgspec.convert(configs[pk], PmsExportConfig)  # loads again
    downgrade(url, "0030_practice_data-1")
    configs = {pk: json.loads(c) for pk, c in db.execute("SELECT id, config FROM connectors")}
    assert configs[1] == {"transport": "folder", "drop_dir": "/srv/drop", "location_id": 3}
    assert configs[2] == {"transport": "upload"}
    db.close()
