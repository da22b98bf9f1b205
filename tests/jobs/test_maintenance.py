"""The maintenance loop (heartbeat, sweeper, key expiry) never fails silently: a failing tick is
logged with its traceback, counted per worker, and shown in /health and /metrics (both backends)."""

from __future__ import annotations

import re

import requests

from tests.security.probe import _connect
from devstack.waiting import wait_until


def _rename(deployment, old: str, new: str) -> None:
    conn, _ = _connect(deployment)
    try:
        conn.cursor().execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')
        conn.commit()
    finally:
        conn.close()


def _failures_in_metrics(d) -> int:
    text = requests.get(d.metrics_url, timeout=10).text
    assert "# TYPE paygate_maintenance_failures_total counter" in text
    return sum(int(n) for n in re.findall(r'^paygate_maintenance_failures_total\{worker="[^"]+"\} (\d+)$', text, re.M))


def test_failing_maintenance_ticks_are_logged_counted_and_shown(deploy, backend):
    d = deploy()
    if backend == "postgres":
        d.wait_worker_running()
    health = wait_until(lambda: (h := requests.get(d.base_url + "/health", timeout=10).json())["worker"] == "running" and h, 20, "a heartbeat")
    assert health["maintenance_failures"] == 0
    assert _failures_in_metrics(d) == 0
    _rename(d, "refund", "refund_moved_away")  # the sweeper reads it on every tick: each tick now fails
    try:
        health = wait_until(
            lambda: (h := requests.get(d.base_url + "/health", timeout=10).json())["maintenance_failures"] >= 2 and h, 30, "failures in /health"
        )
        assert health["status"] == "healthy" and health["worker"] == "running"
        assert _failures_in_metrics(d) >= 2
    finally:
        _rename(d, "refund_moved_away", "refund")
    logs = d.logs()
    assert "maintenance tick failed" in logs
    assert "Traceback" in logs and "claim_orphaned_work" in logs  # the traceback, not only the class name
