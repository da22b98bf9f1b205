"""``paygate.backlog``: the one definition of "pending and due" that the sweeper, the jobs status
endpoint and the metrics share, on a real database of each backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paygate import backlog, db, jobstats, payments, sweeper
from paygate.clock import utcnow
from paygate.errors import InvalidStateTransition
from paygate.models import Payment
from paygate.processor import SimulatedBank
from paygate.states import OrderStatus, guard

UPI = {"method": "upi", "vpa": "backlog@okbank"}


def test_counts_split_pending_work_into_scheduled_and_due(merchant, make_order, core_db):
    slow = SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=60_000))
    now = utcnow()
    before = db.read(backlog.pending_counts, Payment, now)
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, slow, merchant.id).data["id"]
    scheduled = db.read(backlog.pending_counts, Payment, now)
    assert scheduled == (before[0] + 1, before[1])
    db.unit_of_work(lambda: Payment.update(due_at=now - timedelta(seconds=1), claimed_until=None).where(Payment.id == pid).execute())
    due = db.read(backlog.pending_counts, Payment, now)
    assert due == (before[0], before[1] + 1)
    claimed = db.unit_of_work(sweeper.claim_orphaned_work)
    assert pid in [w.id for w in claimed]
    counts = db.read(jobstats.job_counts)
    assert counts["processing"] >= 1 and set(counts) == {"pending", "processing", "completed", "failed", "worker_status"}
    db.unit_of_work(payments.settle_payment, pid)
    assert db.read(backlog.pending_counts, Payment, now) == before


def test_an_order_is_paid_once_through_the_guard():
    assert guard("order", OrderStatus.CREATED, OrderStatus.PAID) == OrderStatus.PAID
    with pytest.raises(InvalidStateTransition):
        guard("order", OrderStatus.PAID, OrderStatus.PAID)
