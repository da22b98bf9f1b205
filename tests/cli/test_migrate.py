"""``paygate migrate`` brings a database made by an older paygate up to date (both backends)."""

from __future__ import annotations

import subprocess
import sys

from tests.security.probe import _connect
from devstack.daemon import Deployment, backend_env


def _migrate(d: Deployment) -> None:
    d.root.joinpath("data").mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, "-m", "paygate", "migrate"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def _sql(d: Deployment, *statements) -> list:
    conn, _ = _connect(d)
    try:
        cur = conn.cursor()
        for statement in statements:
            cur.execute(statement)
        rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    finally:
        conn.close()


def test_a_version_1_database_gets_the_heartbeat_failure_count(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: version 1, no column
    _sql(d, "ALTER TABLE heartbeat DROP COLUMN maintenance_failures", "DELETE FROM schema_migration WHERE version = 2")
    _sql(d, "INSERT INTO heartbeat (id, role, last_seen) VALUES ('old-host:1:worker', 'worker', '2024-01-01 00:00:00')")
    _migrate(d)
    assert _sql(d, "SELECT maintenance_failures FROM heartbeat WHERE id = 'old-host:1:worker'") == [(0,)]
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version")[:3] == [(1,), (2,), (3,)]  # later ranges follow
    _migrate(d)  # and again: nothing left to do, no error


def test_a_version_2_database_gets_webhook_endpoints(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: no endpoint table, no endpoint_id
    _sql(
        d,
        "DROP TABLE webhook_endpoint",
        "DROP INDEX IF EXISTS webhook_delivery_endpoint_id_created_at",
        "ALTER TABLE webhook_delivery DROP COLUMN endpoint_id",
        "DELETE FROM schema_migration WHERE version = 3",
    )
    _migrate(d)
    assert _sql(d, "SELECT count(*) FROM webhook_endpoint") == [(0,)]
    assert _sql(d, "SELECT count(endpoint_id) FROM webhook_delivery") == [(0,)]
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version")[:3] == [(1,), (2,), (3,)]  # later ranges follow
    _migrate(d)
