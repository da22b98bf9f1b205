"""Doubt at COMMIT: a batch whose COMMIT failed is answered 503 and never run again.

A fault is injected at the one place a transaction's COMMIT is sent (``db.send_commit``), on both
backends: the COMMIT happens and the connection then fails (commit-then-raise), or it fails without
committing (raise-before-commit). Either way the client cannot tell; what must hold is that nothing
is written twice, and a retry with the same Idempotency-Key ends with each write present once.
"""

from __future__ import annotations

import threading

import pytest
from peewee import OperationalError

from paygate import db, idempotency, orders, payments, refunds, serialize
from paygate.errors import CommitInDoubt, RefundExceedsAvailable
from paygate.group_commit import GroupCommitter
from paygate.idempotency import Answer, KeyedRequest, Unit
from paygate.models import Order, Payment, Refund
from paygate.payments import Outcome, PaymentRequest
from paygate.processor import SimulatedBank
from tests.support.futures import outcomes

UPI = {"method": "upi", "vpa": "doubt@okbank"}


@pytest.fixture
def bank(core_db):
    return SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_refund_delay_ms=0, test_payment_success=True))


@pytest.fixture
def settled_payment(merchant, bank):
    order = db.unit_of_work(orders.create_order, merchant.id, {"amount": 10_000})
    pid = db.unit_of_work(payments.create_payment, {"order_id": order.id, **UPI}, bank, merchant.id).data["id"]
    db.unit_of_work(payments.settle_payment, pid)
    return pid


def commit_fault(monkeypatch, kind: str) -> list:
    """Make the next COMMIT fail: after committing (``after``) or instead of it (``before``).
    Returns the list the fault appends to each time it fires (once)."""
    real, fired = db.send_commit, []

    def send_commit(database):
        if fired:
            return real(database)
        fired.append(threading.current_thread().name)
        if kind == "after":
            real(database)
        raise OperationalError("server closed the connection unexpectedly (injected at COMMIT)")

    monkeypatch.setattr(db, "send_commit", send_commit)
    return fired


def refund_unit(merchant_id, pid, bank, amount):
    body = {"amount": amount}
    keyed = KeyedRequest(merchant_id, idempotency.REFUND_CREATE, f"refund-{pid}-{amount}", idempotency.fingerprint({"payment_id": pid, "body": body}))
    return Unit(lambda: refunds.create_refund(pid, merchant_id, body, bank), keyed)


def run_batch(bank, items: list[tuple[str, object]]) -> tuple[list, GroupCommitter]:
    """Submit ``items`` (kind, payload) to one committer so they share one batch; each outcome."""
    committer = GroupCommitter(
        {"payment.create": lambda reqs: payments.create_payments(reqs, bank), "unit": idempotency.run_units}, window_s=0.5, max_batch=len(items)
    ).start()
    try:
        found = outcomes([committer.submit(kind, payload) for kind, payload in items])
    finally:
        committer.stop()
    return found, committer


def refund_amounts(pid):
    return db.read(lambda: sorted(r.amount for r in Refund.select().where(Refund.payment == pid)))


@pytest.mark.parametrize("fault", ["after", "before"], ids=["commit-then-raise", "raise-before-commit"])
def test_a_batch_whose_commit_failed_gets_503_and_is_never_run_again(merchant, make_order, bank, settled_payment, monkeypatch, fault):
    pid = settled_payment
    order_for_payment = make_order()
    orders_before = db.read(lambda: Order.select().where(Order.merchant == merchant.id).count())
    batch = [
        ("unit", refund_unit(merchant.id, pid, bank, 3000)),
        ("unit", refund_unit(merchant.id, pid, bank, 2500)),
        ("unit", Unit(lambda: Outcome(serialize.order(orders.create_order(merchant.id, {"amount": 700}))))),  # unkeyed
        ("payment.create", PaymentRequest({"order_id": order_for_payment.id, **UPI}, merchant.id)),  # unkeyed
    ]
    fired = commit_fault(monkeypatch, fault)
    answers, committer = run_batch(bank, batch)

    assert len(fired) == 1 and fired[0].startswith("paygate-commit")
    assert all(isinstance(o, CommitInDoubt) and o.code == "SERVICE_UNAVAILABLE" for o in answers), answers
    assert "Idempotency-Key is safe" in answers[0].description
    assert committer.stats.in_doubt == 1 and committer.stats.isolated_retries == 0 and committer.stats.batches == 0
    committed = fault == "after"
    # Nothing twice: the doubtful writes are each present once (committed) or absent.
    assert refund_amounts(pid) == ([2500, 3000] if committed else [])
    assert db.read(lambda: Order.select().where(Order.merchant == merchant.id).count()) == orders_before + (1 if committed else 0)
    assert len(db.read(lambda: list(Payment.select().where(Payment.order == order_for_payment.id)))) == (1 if committed else 0)

    # The client retries with the same keys: a replay of what committed, or the first run of it.
    again, committer = run_batch(bank, [("unit", refund_unit(merchant.id, pid, bank, 3000)), ("unit", refund_unit(merchant.id, pid, bank, 2500))])
    assert all(isinstance(a, Answer) and a.status == 201 for a in again), again
    assert [a.replayed for a in again] == [committed, committed]
    assert refund_amounts(pid) == [2500, 3000]
    # Acknowledged writes are all there, and what is left to refund is exact.
    with pytest.raises(RefundExceedsAvailable):
        db.unit_of_work(refunds.create_refund, pid, merchant.id, {"amount": 4501}, bank)
    assert db.unit_of_work(refunds.create_refund, pid, merchant.id, {"amount": 4500}, bank).data["amount"] == 4500


def test_a_failure_before_commit_is_run_again_in_one_transaction(merchant, make_order, bank, monkeypatch):
    """Known to precede COMMIT (the batch's own statements failed): safe to run again, and it is."""
    orders_ = [make_order() for _ in range(3)]
    calls = []

    def flaky(reqs):
        calls.append(len(reqs))
        if len(calls) == 1:
            payments.create_payments(reqs, bank)
            raise OperationalError("deadlock detected (injected before COMMIT)")
        return payments.create_payments(reqs, bank)

    committer = GroupCommitter({"payment.create": flaky}, window_s=0.5, max_batch=3).start()
    try:
        futures = [committer.submit("payment.create", PaymentRequest({"order_id": o.id, **UPI}, merchant.id)) for o in orders_]
        answers = [f.result(timeout=30) for f in futures]
    finally:
        committer.stop()
    assert [a.status for a in answers] == [201, 201, 201]
    assert committer.stats.isolated_retries == 1 and committer.stats.batches == 1 and committer.stats.in_doubt == 0
    assert [len(db.read(lambda o=o: list(Payment.select().where(Payment.order == o.id)))) for o in orders_] == [1, 1, 1]


def test_unit_of_work_reports_a_failed_commit_as_in_doubt_and_runs_the_body_once(merchant, monkeypatch):
    runs = []

    def body():
        runs.append(1)
        return orders.create_order(merchant.id, {"amount": 900})

    commit_fault(monkeypatch, "after")
    with pytest.raises(CommitInDoubt):
        db.unit_of_work(body)
    assert runs == [1]
    assert db.read(lambda: Order.select().where((Order.merchant == merchant.id) & (Order.amount == 900)).count()) == 1
