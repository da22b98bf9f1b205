"""SIGKILL workers while 500 payments, their refunds, settlements and webhooks are in flight
(PostgreSQL + Redis).

huey delivers at most once: whatever a killed worker had taken is gone from the queue. The rows
and the sweeper must bring every payment and refund to a final state exactly once, and deliver
every event at least once under one id, once workers are back.
"""

from __future__ import annotations

import concurrent.futures as cf
import signal
import threading
import time
import uuid

import pytest

from tests.faults.support import Ledger, Load, assert_every_event_delivered, assert_exactly_once, send_webhooks_to
from tests.support.receiver import Receiver

pytestmark = pytest.mark.slow  # bounded in time, but minutes: `-m 'not slow'` skips them while iterating

PAYMENTS = 500


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _restart_workers(d, n=2):
    d.kill_workers(signal.SIGKILL)
    time.sleep(0.5)
    for _ in range(n):
        d.start_worker()


def test_sigkill_workers_mid_flight_settles_everything_exactly_once(cluster):
    # settlements run every second meanwhile: the kills land in their runs too
    d = cluster(workers=2, env={"PAYGATE_SETTLEMENT_INTERVAL": "1", "PAYGATE_AVAILABLE_AFTER": "0"})
    d.wait_worker_running()
    ledger = Ledger(d.env["DATABASE_URL"])
    with Receiver() as receiver:
        send_webhooks_to(d.base_url, receiver)
        load = Load(d.base_url)
        result: dict = {}
        creator = threading.Thread(target=lambda: result.setdefault("ids", load.run_many(PAYMENTS)), daemon=True)
        creator.start()
        kills = 0
        for mark in (PAYMENTS // 4, PAYMENTS * 3 // 5):
            _wait_for(lambda: len(load.acked) >= mark, 120, f"{mark} payments")
            _restart_workers(d)  # SIGKILL: tasks in the workers' hands are lost
            kills += 1
        creator.join(120)
        payment_ids = result["ids"]
        assert len(set(payment_ids)) == PAYMENTS
        _wait_for(lambda: ledger.unfinished()["payment"] == 0, 120, "payments to settle")

        succeeded = [p for p, s in ledger.query("SELECT id, status FROM payment") if s == "success"][:120]
        assert len(succeeded) >= 100

        def refund(pid, amount):
            return load._post(f"/api/v1/payments/{pid}/refunds", {"amount": amount}, f"rf-{uuid.uuid4().hex}")["id"]

        with cf.ThreadPoolExecutor(12) as pool:
            futures = [pool.submit(refund, p, 1000) for p in succeeded] + [pool.submit(refund, p, 2000) for p in succeeded[:50]]
            _wait_for(lambda: sum(f.done() for f in futures) >= 60, 60, "refunds to be accepted")
            _restart_workers(d)
            refund_ids = [f.result(timeout=60) for f in futures]
        ledger.wait_all_final(timeout=150)
        ledger.wait_paid_out(timeout=60)
        assert_exactly_once(ledger, payment_ids, refund_ids)  # and ledger verify: every settlement paid what it claimed
        assert_every_event_delivered(ledger, receiver)
    assert kills == 2
    assert ledger.query("SELECT count(*) FROM settlement WHERE status = 'processed'")[0][0] > 0
    assert ledger.query("SELECT count(*) FROM refund WHERE status = 'processed'")[0][0] == len(refund_ids)
