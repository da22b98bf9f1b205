"""Redis stopped for 10 s under load (PostgreSQL + Redis, separate workers).

The queue is only the fast path: payments keep being accepted (201, the rows are the outbox) or
get a 503 that the client retries with its Idempotency-Key. Redis comes back empty (no
persistence), so everything that was queued is gone; the sweeper re-enqueues it from the rows.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.faults.support import Ledger, Load, assert_every_event_delivered, assert_exactly_once, send_webhooks_to
from tests.support.receiver import Receiver

pytestmark = pytest.mark.slow  # bounded in time, but minutes: `-m 'not slow'` skips them while iterating


def test_redis_down_ten_seconds_under_load_loses_nothing(cluster, own_redis):
    d = cluster(workers=2)
    d.wait_worker_running()
    ledger = Ledger(d.env["DATABASE_URL"])
    with Receiver() as receiver:
        send_webhooks_to(d.base_url, receiver)
        load = Load(d.base_url, give_up_s=60)
        thread = load.run_until_stopped(threads=6)
        time.sleep(2)
        before = len(load.acked)
        own_redis.stop()
        try:
            time.sleep(3)
            health = requests.get(d.base_url + "/health", timeout=10).json()
            assert health["redis"] == "disconnected" and health["database"] == "connected", health
            time.sleep(7)
            during = len(load.acked) - before
        finally:
            own_redis.start()
        time.sleep(3)
        load.halt(thread)
        assert during > 0, "the API must keep accepting payments while Redis is down"
        assert set(load.statuses) <= {200, 201, 409, 503}, load.statuses
        assert requests.get(d.base_url + "/health", timeout=10).json()["redis"] == "connected"
        ledger.wait_all_final(timeout=120)
        assert_exactly_once(ledger, list(load.acked.values()))
        assert_every_event_delivered(ledger, receiver)
        assert len(set(load.acked.values())) == len(load.acked), "one payment per Idempotency-Key"
        rows = ledger.query("SELECT count(*) FROM payment")[0][0]
        assert rows == len(load.acked), (rows, len(load.acked))
