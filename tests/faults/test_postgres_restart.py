"""PostgreSQL restarted under load (separate workers): 503 while it is down, recovery without a
daemon restart, and no acknowledged payment lost.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.faults.support import HEADERS, Ledger, Load, assert_every_event_delivered, assert_exactly_once, send_webhooks_to
from tests.support.receiver import Receiver

pytestmark = pytest.mark.slow  # bounded in time, but minutes: `-m 'not slow'` skips them while iterating


def test_postgres_restart_under_load(cluster, own_pg):
    d = cluster(workers=2)
    d.wait_worker_running()
    ledger = Ledger(d.env["DATABASE_URL"])
    with Receiver() as receiver:
        send_webhooks_to(d.base_url, receiver)
        load = Load(d.base_url, give_up_s=60)
        thread = load.run_until_stopped(threads=6)
        time.sleep(2)
        own_pg.stop("fast")
        try:
            time.sleep(1)
            down = requests.post(d.base_url + "/api/v1/orders", json={"amount": 500}, headers=HEADERS, timeout=15)
            assert down.status_code == 503, down.text
            assert down.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            health = requests.get(d.base_url + "/health", timeout=15)
            assert health.status_code == 503 and health.json()["database"] == "disconnected"
            time.sleep(3)
        finally:
            own_pg.restart_server()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # recovery without restarting any process
            if requests.get(d.base_url + "/health", timeout=10).status_code == 200:
                break
            time.sleep(0.2)
        acked_at_recovery = len(load.acked)
        time.sleep(4)
        load.halt(thread)
        assert len(load.acked) > acked_at_recovery, "payments are accepted again after the restart"
        assert load.statuses[503] > 0, load.statuses
        assert d.server.poll() is None and all(w.poll() is None for w in d.workers), "no process died"
        ledger.wait_all_final(timeout=120)
        assert_exactly_once(ledger, list(load.acked.values()))
        assert_every_event_delivered(ledger, receiver)
        assert ledger.query("SELECT count(*) FROM payment")[0][0] == len(load.acked)
        after = requests.post(d.base_url + "/api/v1/orders", json={"amount": 500}, headers=HEADERS, timeout=10)
        assert after.status_code == 201
