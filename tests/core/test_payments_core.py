"""Payments in the core, in-process on a real database of each backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paygate import db, idempotency, payment_search, payments, sweeper
from paygate.clock import utcnow
from paygate.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidRequest, NotCapturable, NotFound
from paygate.models import Event, Payment, WebhookDelivery
from paygate.processor import SimulatedBank
from paygate.work import SETTLE_PAYMENT

UPI = {"method": "upi", "vpa": "core@okbank"}


@pytest.fixture
def bank(core_db):
    return SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_payment_success=True))


def events_for(object_id):
    return db.read(lambda: [e.type for e in Event.select().where(Event.object_id == object_id).order_by(Event.seq)])


def test_create_is_pending_with_two_events_and_due_work(merchant, make_order, bank):
    order = make_order()
    outcome = db.unit_of_work(payments.create_payment, {"order_id": order.id, **UPI}, bank, merchant.id)
    assert outcome.data["status"] == "pending" and outcome.data["amount"] == order.amount
    assert [w.task for w in outcome.work] == [SETTLE_PAYMENT]
    assert events_for(outcome.data["id"]) == ["payment.created", "payment.pending"]
    no_deliveries = db.read(lambda: WebhookDelivery.select().where(WebhookDelivery.merchant == merchant.id).count())
    assert no_deliveries == 0


def test_settle_is_exactly_once(merchant, make_order, bank):
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id).data["id"]
    first = db.unit_of_work(payments.settle_payment, pid)
    second = db.unit_of_work(payments.settle_payment, pid)
    assert first.data["status"] == "success"
    assert second.data is None and second.work == []
    assert events_for(pid).count("payment.success") == 1


def test_early_settle_reschedules_instead_of_settling(merchant, make_order, core_db):
    slow = SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=60_000))
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, slow, merchant.id).data["id"]
    outcome = db.unit_of_work(payments.settle_payment, pid)
    assert outcome.data is None and outcome.work[0].due_at > utcnow()
    assert db.read(lambda: Payment.get_by_id(pid).status) == "pending"


def test_declined_instrument_wins_over_test_success(merchant, make_order, bank):
    body = {"order_id": make_order().id, "method": "upi", "vpa": "failure@paygate"}
    pid = db.unit_of_work(payments.create_payment, body, bank, merchant.id).data["id"]
    settled = db.unit_of_work(payments.settle_payment, pid).data
    assert settled["status"] == "failed" and settled["error_code"] == "PAYMENT_FAILED"


def test_webhook_url_creates_delivery_rows_in_the_same_transaction(merchant, make_order, bank):
    from paygate import merchants

    db.unit_of_work(merchants.set_webhook_url, merchant.id, "https://shop.example/hooks", allow_private=False)
    outcome = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id)
    assert sorted(w.task for w in outcome.work) == ["deliver_webhook", "deliver_webhook", "settle_payment"]
    count = db.read(lambda: WebhookDelivery.select().where(WebhookDelivery.merchant == merchant.id).count())
    assert count == 2


def test_validation_happens_before_anything_is_written(merchant, make_order, bank):
    order = make_order()
    before = db.read(lambda: Payment.select().count())
    with pytest.raises(InvalidRequest):
        db.unit_of_work(payments.create_payment, {"order_id": order.id, "method": "cash"}, bank, merchant.id)
    with pytest.raises(NotFound):
        db.unit_of_work(payments.create_payment, {"order_id": "order_doesnotexist00", **UPI}, bank, merchant.id)
    assert db.read(lambda: Payment.select().count()) == before


def test_capture_guard(merchant, make_order, bank):
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id).data["id"]
    with pytest.raises(NotCapturable):
        db.unit_of_work(payments.capture_payment, pid, merchant.id, {})
    db.unit_of_work(payments.settle_payment, pid)
    with pytest.raises(InvalidRequest):
        db.unit_of_work(payments.capture_payment, pid, merchant.id, {"amount": 10**9})
    assert db.unit_of_work(payments.capture_payment, pid, merchant.id, {"amount": 100}).data["captured"] is True
    with pytest.raises(NotCapturable):
        db.unit_of_work(payments.capture_payment, pid, merchant.id, {})


def test_sweeper_reclaims_lost_work_once(merchant, make_order, bank):
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id).data["id"]
    # The fast path was lost: due and the claim lapsed.
    db.unit_of_work(lambda: Payment.update(claimed_until=utcnow() - timedelta(seconds=1)).where(Payment.id == pid).execute())
    claimed = [w.id for w in db.unit_of_work(sweeper.claim_orphaned_work)]
    assert pid in claimed
    assert pid not in [w.id for w in db.unit_of_work(sweeper.claim_orphaned_work)]
    db.unit_of_work(payments.settle_payment, pid)
    db.unit_of_work(lambda: Payment.update(claimed_until=utcnow() - timedelta(seconds=1)).where(Payment.id == pid).execute())
    assert pid not in [w.id for w in db.unit_of_work(sweeper.claim_orphaned_work)]


def test_idempotency_claim_states(merchant):
    key, scope = "k-" + merchant.id, idempotency.PAYMENT_CREATE
    assert db.unit_of_work(idempotency.claim, merchant.id, scope, key, "h1") is None
    with pytest.raises(IdempotencyKeyInProgress):
        db.unit_of_work(idempotency.claim, merchant.id, scope, key, "h1")
    with pytest.raises(IdempotencyKeyReused):
        db.unit_of_work(idempotency.claim, merchant.id, scope, key, "h2")
    db.unit_of_work(idempotency.complete, merchant.id, scope, key, 201, '{"id":"pay_x"}')
    replay = db.unit_of_work(idempotency.claim, merchant.id, scope, key, "h1")
    assert replay == idempotency.Replay(201, '{"id":"pay_x"}')


def test_idempotency_fingerprint_holds_no_card_data():
    body = {"order_id": "o", "method": "card", "card": {"number": "4242 4242 4242 4242", "cvv": "987", "expiry_month": 1}}
    assert idempotency.fingerprint(body) == idempotency.fingerprint({**body, "card": {**body["card"], "cvv": "123"}})
    other = {**body, "card": {**body["card"], "number": "5555 5555 5555 4444"}}
    assert idempotency.fingerprint(body) != idempotency.fingerprint(other)


def test_list_rejects_unknown_filters(merchant):
    with pytest.raises(InvalidRequest):
        db.read(payment_search.list_payments, merchant.id, {"status": "lost"})
    with pytest.raises(InvalidRequest):
        db.read(payment_search.list_payments, merchant.id, {"from": "yesterday"})


def test_created_payment_reports_nothing_captured(merchant, make_order, bank):
    """The create path serializes the new row directly: it carries ``captured_amount`` 0 too."""
    outcome = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id)
    assert outcome.data["captured"] is False and outcome.data["captured_amount"] == 0
    keys = list(outcome.data)
    assert keys[keys.index("captured") + 1] == "captured_amount"
    assert db.read(lambda: payments.get_payments([payments.PaymentLookup(outcome.data["id"], merchant.id)])[0]) == outcome.data
