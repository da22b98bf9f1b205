"""SIGTERM to ``paygate worker`` and ``paygate serve``: in-flight work finishes or is handed back.

A worker on SIGTERM finishes the tasks it is running (here: slow webhook deliveries), leaves
everything else in the queue and the rows, and says goodbye (its heartbeat disappears at once).
``paygate serve`` on SIGTERM answers the requests it has, then exits; clients retry with their
Idempotency-Key against the restarted daemon. Nothing is lost or done twice.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import time

import pytest
import requests

from tests.faults.support import Ledger, Load, assert_every_event_delivered, assert_exactly_once, send_webhooks_to
from tests.support.receiver import Receiver

pytestmark = pytest.mark.slow  # bounded in time, but minutes: `-m 'not slow'` skips them while iterating


def _exit_code(proc, timeout: float) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"process did not exit within {timeout}s of SIGTERM") from None


def test_sigterm_worker_finishes_in_flight_and_hands_back_the_rest(cluster):
    d = cluster(workers=1, env={"TEST_PROCESSING_DELAY": "1500"})
    d.wait_worker_running()
    ledger = Ledger(d.env["DATABASE_URL"])
    with Receiver(delay_s=1.0) as receiver:  # each delivery takes a second: some are mid-flight at SIGTERM
        send_webhooks_to(d.base_url, receiver)
        load = Load(d.base_url)
        payment_ids = load.run_many(40, threads=8)
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.requests, "deliveries should be under way"
        worker = d.workers[0]
        worker.send_signal(signal.SIGTERM)
        assert _exit_code(worker, 40) == 0
        d.workers = []
        status = requests.get(d.base_url + "/api/v1/test/jobs/status", timeout=10).json()
        assert status["worker_status"] == "stopped", "a worker that left must not be reported running"
        left = ledger.unfinished()
        assert left["payment"] + left["delivery"] > 0, "work was handed back, not finished by a lingering worker"
        d.start_worker()
        ledger.wait_all_final(timeout=90)
        assert_exactly_once(ledger, payment_ids)
        assert_every_event_delivered(ledger, receiver)
        per_event = collections.Counter(r.json()["id"] for r in receiver.requests)
        assert max(per_event.values()) == 1, "an in-flight delivery was cut off and sent again"
        assert "Traceback" not in d.log_tail("worker0", 400)


def test_sigterm_serve_answers_in_flight_requests_and_restarts_cleanly(cluster):
    d = cluster(workers=1)
    d.wait_worker_running()
    ledger = Ledger(d.env["DATABASE_URL"])
    load = Load(d.base_url, give_up_s=60)
    thread = load.run_until_stopped(threads=8)
    time.sleep(2)
    d.server.send_signal(signal.SIGTERM)
    assert _exit_code(d.server, 30) == 0
    time.sleep(1)
    d.server = d._spawn(["serve"], "serve-restarted")
    d.wait_healthy(30)
    time.sleep(3)
    load.halt(thread)
    assert set(load.statuses) <= {200, 201, 409, 503, "connection"}, load.statuses
    ledger.wait_all_final(timeout=90)
    assert_exactly_once(ledger, list(load.acked.values()))
    assert ledger.query("SELECT count(*) FROM payment")[0][0] == len(load.acked), "a payment no client acknowledged"
    assert "Traceback" not in d.log_tail("serve", 400)
