"""Group commit: many creates in one transaction, each request with exactly its own answer.

On both backends, in-process against a real database: the batch handler directly (one batch,
chosen contents), and the committer threads fed from many threads at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from paygate import db, idempotency, orders, payments, serialize
from paygate.errors import IdempotencyKeyReused, InvalidRequest, PaygateError
from paygate.group_commit import GroupCommitter
from paygate.idempotency import Answer, Unit
from paygate.models import Event, IdempotencyKey, Order, Payment
from paygate.payments import Outcome, PaymentRequest
from paygate.processor import SimulatedBank
from paygate.states import OrderStatus
from tests.support.futures import outcomes

UPI = {"method": "upi", "vpa": "batch@okbank"}


@pytest.fixture
def bank(core_db):
    return SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=60_000, test_payment_success=True))


def payments_of(order_id):
    return db.read(lambda: list(Payment.select().where(Payment.order == order_id)))


def test_a_bad_request_fails_alone_and_its_neighbours_commit(merchant, make_order, bank):
    good = [make_order() for _ in range(3)]
    paid = make_order()
    db.unit_of_work(lambda: Order.update(status=OrderStatus.PAID).where(Order.id == paid.id).execute())
    other_merchant_order = "order_" + "x" * 16
    batch = [
        PaymentRequest({"order_id": good[0].id, **UPI}, merchant.id),
        PaymentRequest({"order_id": "order_DoesNotExist0000", **UPI}, merchant.id),  # missing order
        PaymentRequest({"order_id": good[1].id, "method": "upi", "vpa": "not a vpa"}, merchant.id),  # bad instrument
        PaymentRequest({"order_id": paid.id, **UPI}, merchant.id),  # already paid
        PaymentRequest({"order_id": good[1].id, **UPI}, merchant.id),
        PaymentRequest({"order_id": other_merchant_order, **UPI}, merchant.id),
        PaymentRequest("not an object", merchant.id),
        PaymentRequest({"order_id": good[2].id, **UPI}, merchant.id),
    ]
    results = db.unit_of_work(payments.create_payments, batch, bank)
    codes = [r.status if isinstance(r, Answer) else r.code for r in results]
    assert codes == [201, "NOT_FOUND_ERROR", "INVALID_VPA", "BAD_REQUEST_ERROR", 201, "NOT_FOUND_ERROR", "BAD_REQUEST_ERROR", 201]
    assert isinstance(results[3], InvalidRequest) and "already been paid" in str(results[3])
    for order, answer in zip(good, (results[0], results[4], results[7])):
        (row,) = payments_of(order.id)
        assert answer.status == 201 and answer.data["id"] == row.id and row.status == "pending"
        events = db.read(lambda: [e.type for e in Event.select().where(Event.object_id == row.id).order_by(Event.seq)])
        assert events == ["payment.created", "payment.pending"]
    assert payments_of(paid.id) == []


def test_one_key_in_one_batch_makes_one_payment(merchant, make_order, bank):
    order = make_order()
    body = {"order_id": order.id, **UPI}
    key, digest = "one-batch-" + order.id, idempotency.fingerprint(body)
    other = {"order_id": order.id, "method": "upi", "vpa": "someone.else@okbank"}
    batch = [PaymentRequest(body, merchant.id, key, digest) for _ in range(39)]
    batch.insert(17, PaymentRequest(other, merchant.id, key, idempotency.fingerprint(other)))
    results = db.unit_of_work(payments.create_payments, batch, bank)
    (row,) = payments_of(order.id)
    answers = [r for r in results if isinstance(r, Answer)]
    assert len(answers) == 39 and {a.body for a in answers} == {answers[0].body} and row.id in answers[0].body
    assert [a.replayed for a in answers].count(False) == 1
    assert isinstance(results[17], IdempotencyKeyReused)


def _committer(bank, **kw):
    return GroupCommitter({"payment.create": lambda reqs: payments.create_payments(reqs, bank)}, **kw).start()


@pytest.mark.parametrize("max_batch,window_s", [(64, 0.5), (20, 0.5)], ids=["one-batch", "straddling-two"])
def test_forty_concurrent_creates_with_one_key_make_one_payment(merchant, make_order, bank, max_batch, window_s):
    order = make_order()
    body = {"order_id": order.id, **UPI}
    key, digest = f"forty-{max_batch}-" + order.id, idempotency.fingerprint(body)
    committer = _committer(bank, max_batch=max_batch, window_s=window_s)
    try:
        with ThreadPoolExecutor(40) as pool:
            futures = list(pool.map(lambda _: committer.submit("payment.create", PaymentRequest(body, merchant.id, key, digest)), range(40)))
            answers = [f.result(timeout=30) for f in futures]
    finally:
        committer.stop()
    (row,) = payments_of(order.id)
    assert {a.status for a in answers} == {201} and {a.body for a in answers} == {answers[0].body}
    assert row.id in answers[0].body and [a.replayed for a in answers].count(False) == 1
    assert committer.stats.batches == (1 if max_batch == 64 else 2) and committer.stats.largest == min(40, max_batch)
    keys = db.read(lambda: IdempotencyKey.select().where((IdempotencyKey.merchant == merchant.id) & (IdempotencyKey.key == key)).count())
    assert keys == 1


def test_a_batch_that_fails_before_commit_is_run_again_in_one_transaction_each_request_alone(merchant, make_order, bank):
    orders = [make_order() for _ in range(5)]

    def handler(reqs):
        if len(reqs) > 1:  # a batch-wide failure (as a deadlock would be): nothing of it commits
            payments.create_payments(reqs, bank)
            raise RuntimeError("batch failed")
        if reqs[0].body["order_id"] == orders[2].id:
            raise RuntimeError("this request alone is broken")
        return payments.create_payments(reqs, bank)

    committer = GroupCommitter({"payment.create": handler}, window_s=0.3, max_batch=10).start()
    try:
        found = outcomes([committer.submit("payment.create", PaymentRequest({"order_id": o.id, **UPI}, merchant.id)) for o in orders])
    finally:
        committer.stop()
    # Run again once, in one transaction with a savepoint per request: one commit, not five.
    assert committer.stats.isolated_retries == 1 and committer.stats.batches == 1
    assert [isinstance(o, Answer) for o in found] == [True, True, False, True, True]
    assert isinstance(found[2], RuntimeError) and not isinstance(found[2], PaygateError)
    assert [len(payments_of(o.id)) for o in orders] == [1, 1, 0, 1, 1]


def test_an_unexpected_error_in_one_unit_fails_it_alone_and_the_batch_commits_once(merchant, make_order, bank):
    """Not a domain error (a bug, a bad row): its savepoint undoes that request; no re-run at all."""
    created = []

    def unit(amount):
        def create():
            order = orders.create_order(merchant.id, {"amount": amount})
            created.append(order.id)
            if amount == 666:
                raise KeyError("a bug in this request's work")
            return Outcome(serialize.order(order))

        return Unit(create)

    committer = GroupCommitter({"unit": idempotency.run_units}, window_s=0.3, max_batch=4).start()
    try:
        found = outcomes([committer.submit("unit", unit(amount)) for amount in (500, 666, 700, 800)])
    finally:
        committer.stop()
    assert [type(o).__name__ for o in found] == ["Answer", "KeyError", "Answer", "Answer"]
    assert committer.stats.batches == 1 and committer.stats.isolated_retries == 0 and len(created) == 4
    stored = db.read(lambda: sorted(o.amount for o in Order.select().where(Order.id.in_(created))))
    assert stored == [500, 700, 800]


def test_a_stored_key_is_replayed_before_the_order_is_checked_again(merchant, make_order, bank):
    """A client retrying after a lost response must get its payment back, even once the order is paid."""
    order = make_order()
    body = {"order_id": order.id, **UPI}
    request = PaymentRequest(body, merchant.id, "retry-" + order.id, idempotency.fingerprint(body))
    (first,) = db.unit_of_work(payments.create_payments, [request], bank)
    db.unit_of_work(lambda: Order.update(status=OrderStatus.PAID).where(Order.id == order.id).execute())
    (again,) = db.unit_of_work(payments.create_payments, [request], bank)
    assert isinstance(again, Answer) and again.replayed and again.body == first.body
    other = PaymentRequest({**body, "vpa": "else@okbank"}, merchant.id, request.key, idempotency.fingerprint({**body, "vpa": "else@okbank"}))
    (refused,) = db.unit_of_work(payments.create_payments, [other], bank)
    assert isinstance(refused, IdempotencyKeyReused)
