"""One path per kind of work: the huey tasks run settlement and delivery through the worker's due
loop, on a real database of each backend with a real receiver.

A delivery task leases the row and hands it to the loop's sender (it does not send it itself);
the loop records the attempt the way it records every other (``record_attempts``). A settlement
task wakes the loop, whose next pass settles the row with every other due row, and the webhooks
it creates go out with the pass after.
"""

from __future__ import annotations

import uuid

import pytest

from paygate import db, events, merchants, orders, payments, wakeup
from paygate.jobs import due_loop, tasks
from paygate.jobs.due_loop import DueLoop
from paygate.models import Payment, WebhookAttempt, WebhookDelivery
from paygate.processor import SimulatedBank
from tests.core.test_delivery_batches import quiet  # noqa: F401  (only this test's deliveries are due)
from tests.support.receiver import Receiver
from devstack.waiting import wait_until


class CountingAlarm(wakeup.Alarm):
    """A real alarm of the loop's own that counts how often it is rung at once."""

    def __init__(self):
        super().__init__()
        self.rung_now = 0

    def ring_in(self, delay_s: float) -> None:
        self.rung_now += delay_s == 0
        super().ring_in(delay_s)


@pytest.fixture
def loop(core_db, monkeypatch):
    """This process's due loop, not started: the test drives its passes."""
    loop = DueLoop(core_db.replace(allow_private_webhook_urls=True), alarm=CountingAlarm())
    monkeypatch.setattr(due_loop, "_running", loop)
    yield loop
    loop.sender.close()


def _merchant(url: str):
    row, _ = db.unit_of_work(merchants.create_merchant, "Task Shop", f"task-{uuid.uuid4().hex[:10]}@example.test")
    db.unit_of_work(merchants.set_webhook_url, row.id, url, allow_private=True)
    return row


def _attempts(delivery_id) -> list[tuple[int, int | None]]:
    rows = WebhookAttempt.select().where(WebhookAttempt.delivery == delivery_id).order_by(WebhookAttempt.id)
    return db.read(lambda: [(a.number, a.response_code) for a in rows])


def test_a_delivery_task_hands_the_row_to_the_loops_sender_and_the_loop_records_it(loop, quiet):
    with Receiver(delay_s=0.5) as rx:
        m = _merchant(rx.url)
        _, work = db.unit_of_work(events.record_event, m.id, rx.url, events.PAYMENT_SUCCESS, "pay_task", {"n": 1})
        (delivery_id,) = [w.id for w in work]
        tasks.deliver_webhook.call_local(delivery_id)
        assert loop.sender.in_flight() == 1 and rx.requests == [], "the task returned at once: the sender posts it"
        tasks.deliver_webhook.call_local(delivery_id)  # a duplicate (the sweeper's): leased already, nothing more
        rx.wait_for(1)
        wait_until(lambda: loop.sender.in_flight() == 0, 10, "the send to finish")
        assert loop.record_finished() == 1
    assert len(rx.requests) == 1
    assert _attempts(delivery_id) == [(1, 200)]
    assert db.read(lambda: WebhookDelivery.get_by_id(delivery_id).status) == "success"


def test_a_settlement_task_wakes_the_loop_whose_pass_settles_it_with_the_other_due_rows_then_sends(core_db, loop, quiet):
    bank = SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_payment_success=True))
    with Receiver() as rx:
        m = _merchant(rx.url)
        pids = []
        for _ in range(2):
            order = db.unit_of_work(orders.create_order, m.id, {"amount": 50000, "currency": "INR"})
            pids.append(db.unit_of_work(payments.create_payment, {"order_id": order.id, "method": "upi", "vpa": "pass@okbank"}, bank, m.id).data["id"])
        status = lambda: db.read(lambda: sorted(Payment.get_by_id(p).status for p in pids))  # noqa: E731
        tasks.settle_payment.call_local(pids[0])
        tasks.settle_payment.call_local(pids[0])  # a duplicate (the sweeper's): one more wake-up, nothing else
        assert loop.alarm.rung_now == 2, "each task wakes the loop"
        assert status() == ["pending", "pending"], "the task does not settle: the loop's pass does, in its batch"
        loop.run_pass()
        assert status() == ["success", "success"], "one pass settled the named row and the other due one"
        loop.run_pass()  # the success webhooks the settlement created
        got = rx.wait_for(6, timeout=15)
        wait_until(lambda: loop.sender.in_flight() == 0, 10, "the sends to finish")
        loop.record_finished()
        tasks.settle_payment.call_local(pids[1])  # settled already: the next pass finds nothing to do
        loop.run_pass()
    assert sorted(r.json()["event"] for r in got) == sorted(["payment.created", "payment.pending", "payment.success"] * 2)
    assert db.read(lambda: WebhookDelivery.select().where(WebhookDelivery.merchant == m.id).count()) == 6, "nothing settled or sent twice"
    rows = db.read(lambda: list(WebhookDelivery.select().where(WebhookDelivery.merchant == m.id)))
    assert {r.status for r in rows} == {"success"} and all(_attempts(r.id) == [(1, 200)] for r in rows)
