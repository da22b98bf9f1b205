"""One due-loop pass on a real database of each backend: its steps share one commit, yet a step
that fails is rolled back alone and never holds up the others."""

from __future__ import annotations

import logging
from datetime import timedelta

from paygate import db, deliveries, events, payments
from paygate.clock import utcnow
from paygate.jobs.due_loop import DueLoop
from paygate.models import Merchant, Payment, WebhookAttempt, WebhookDelivery
from paygate.processor import SimulatedBank

UPI = {"method": "upi", "vpa": "pass@okbank"}


def _status(pid):
    return db.read(lambda: Payment.get_by_id(pid).status)


def test_a_failing_step_does_not_hold_up_settlement(merchant, make_order, core_db, monkeypatch):
    bank = SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_payment_success=True))
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id).data["id"]

    def unhandled_row(*_):
        raise RuntimeError("a delivery row the lease cannot handle")

    monkeypatch.setattr(deliveries, "lease_due_deliveries", unhandled_row)
    loop = DueLoop(core_db)
    try:
        loop.run_pass()
        assert _status(pid) == "success", "settled and committed although the lease step failed"
        monkeypatch.undo()
        loop.run_pass()  # the next pass leases normally
    finally:
        loop.sender.close()
    assert _status(pid) == "success"


class _SentOnce:
    """A sender that reports one finished attempt, then nothing; it takes no new work."""

    def __init__(self, claim, result):
        self.results = [(claim, result)]

    def take_results(self):
        out, self.results = self.results, []
        return out

    def take_unsent(self):
        return []

    def capacity(self):
        return 0

    def close(self):
        pass


def test_a_step_that_keeps_failing_backs_off_is_logged_once_per_interval_and_never_resends(merchant, core_db, monkeypatch, caplog):
    url = "https://hooks.example.test/in"
    db.unit_of_work(lambda: Merchant.update(webhook_url=url).where(Merchant.id == merchant.id).execute())  # a destination that exists
    _, work = db.unit_of_work(events.record_event, merchant.id, url, events.PAYMENT_SUCCESS, "pay_backoff", {"x": 1})
    delivery_id = work[0].id
    claim = db.unit_of_work(deliveries.claim_delivery, delivery_id, 2.0)
    sent = deliveries.AttemptResult(200, "ok", None, 12, utcnow())
    calls = []

    def broken(*args, **kwargs):  # as PAYGATE_WEBHOOK_DISABLE_AFTER=inf once made it, every pass
        calls.append(1)
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(deliveries, "record_attempts", broken)
    loop = DueLoop(core_db, sender=_SentOnce(claim, sent))
    now = [0.0]
    loop.clock = lambda: now[0]
    failed_logs = lambda: sum("record webhook attempts failed" in r.getMessage() for r in caplog.records)  # noqa: E731
    caplog.set_level(logging.WARNING, logger="paygate.due")

    assert loop.backoff_pause() == 0.0
    for _ in range(5):  # one clock instant: tried once, then skipped while backing off
        loop.run_pass()
    assert len(calls) == 1 and loop.step_failures["record webhook attempts"] == 1 and failed_logs() == 1
    assert loop.backoff_pause() == 0.5, "the next pass waits for the step's next try: no spinning"
    held = db.read(lambda: WebhookDelivery.get_by_id(delivery_id).next_retry_at)
    assert held > utcnow() + timedelta(seconds=3), "held past its 2 s lease while the attempt waits to be recorded"
    assert db.unit_of_work(deliveries.claim_delivery, delivery_id, 2.0) is None, "never leased (and sent) again"

    now[0] = 1.0
    loop.run_pass()
    assert len(calls) == 2 and failed_logs() == 1  # counted, not logged again within the interval
    now[0] = 100.0
    loop.run_pass()
    assert len(calls) == 3 and loop.step_failures["record webhook attempts"] == 3 and failed_logs() == 2

    monkeypatch.undo()
    assert loop.backoff_pause() == 1.0  # bounded by the idle wake-up, however long the back-off
    now[0] = 1000.0
    loop.run_pass()
    loop.run_pass()
    assert loop.backoff_pause() == 0.0
    attempts = db.read(lambda: [(a.number, a.response_code) for a in WebhookAttempt.select().where(WebhookAttempt.delivery == delivery_id)])
    assert attempts == [(1, 200)] and db.read(lambda: WebhookDelivery.get_by_id(delivery_id).status) == "success"


def test_a_pass_releases_matured_funds_once_with_one_entry_per_account(merchant, make_order, core_db, monkeypatch):
    from paygate import config, ledger
    from paygate.models import LedgerEntry

    monkeypatch.setattr(config, "_current", config.current().replace(available_after_s=0))
    bank = SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_payment_success=True))
    pids = [db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id).data["id"] for _ in range(3)]
    loop = DueLoop(core_db)
    try:
        loop.run_pass()  # settles the payments (their nets go to pending) and releases what has matured
        loop.next_release = utcnow()  # the release step's own pace: due again now
        loop.run_pass()
    finally:
        loop.sender.close()
    booked = db.read(lambda: list(LedgerEntry.select().where(LedgerEntry.source.in_(pids))))
    assert len(booked) == 3 and all(e.released_by and e.released_by != e.id for e in booked)
    (release,) = db.read(lambda: list(LedgerEntry.select().where(LedgerEntry.id.in_({e.released_by for e in booked}))))
    assert release.type == "release" and release.net == sum(e.net for e in booked)
    b = db.read(ledger.balance, merchant.id)
    assert b["pending"][0]["amount"] == 0 and b["available"][0]["amount"] == release.net
    assert db.read(ledger.verify, merchant.id) == []
