"""SIGKILL the worker while a webhook endpoint's replay is going out (PostgreSQL + Redis).

The replay is rows (pending, due now), not queue items: whatever the killed worker had leased
lapses and is sent again by the next worker. Every replayed event arrives again, under its id.
"""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.api import Api
from tests.support.receiver import Receiver
from devstack.waiting import wait_until

pytestmark = pytest.mark.slow  # bounded in time, but a minute: `-m 'not slow'` skips them while iterating

EVENTS = 60


def test_sigkill_of_the_worker_during_a_replay_loses_no_delivery(cluster):
    d = cluster(workers=1)
    d.wait_worker_running()
    api = Api(d.base_url)
    since = (datetime.now(timezone.utc) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Receiver() as rx:
        ep = api.ok("POST", "/api/v1/webhook_endpoints", 201, json={"url": rx.url, "enabled_events": ["webhook.test"]})
        for _ in range(EVENTS):
            api.ok("POST", "/api/v1/webhooks/test", 201)
        sent = {r.event_id for r in rx.wait_for(EVENTS)}
        assert len(sent) == EVENTS
        log = f"/api/v1/webhooks?endpoint_id={ep['id']}&status=success&limit=1"
        wait_until(lambda: api.ok("GET", log)["total"] == EVENTS, 30, "first deliveries recorded")

        rx.delay_s = 0.3  # slow enough that the kill lands mid-replay
        first = len(rx.requests)
        replay = api.ok("POST", f"/api/v1/webhook_endpoints/{ep['id']}/replay", json={"since": since, "status": "success"})
        assert replay["queued"] == EVENTS
        rx.wait_for(first + 5, timeout=30)
        d.kill_workers(signal.SIGKILL)  # leased, in flight, or not yet taken: all of it is rows
        assert len({r.event_id for r in rx.requests[first:]}) < EVENTS  # the kill landed mid-replay
        time.sleep(0.5)
        d.start_worker()
        rx.delay_s = 0.0
        wait_until(lambda: {r.event_id for r in rx.requests[first:]} >= sent, 90, "every replayed event to arrive again")
        wait_until(lambda: api.ok("GET", log)["total"] == EVENTS, 60, "replayed deliveries recorded")
