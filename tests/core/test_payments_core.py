"""Payments in the core, in-process on a real database of each backend."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from paygate import db, idempotency, instruments, payment_search, payments, sweeper
from paygate.clock import utcnow
from paygate.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidRequest, NotCapturable, NotFound
from paygate.models import Event, Payment, WebhookDelivery
from paygate.payments import PaymentRequest
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


def test_idempotency_fingerprint_holds_no_card_data(core_db):
    body = {"order_id": "o", "method": "card", "card": {"number": "4242 4242 4242 4242", "cvv": "987", "expiry_month": 1}}
    assert idempotency.fingerprint(body) == idempotency.fingerprint({**body, "card": {**body["card"], "cvv": "123"}})
    other = {**body, "card": {**body["card"], "number": "5555 5555 5555 4444"}}
    assert idempotency.fingerprint(body) != idempotency.fingerprint(other)


def test_idempotency_fingerprint_is_keyed_and_covers_the_whole_card_number(core_db):
    """Two cards of one length sharing their last four digits are two requests (it kept only
    ``len:last4``); the digest is an HMAC under the deployment's key, the same in every process."""
    card = {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2034, "cvv": "123"}
    body = {"order_id": "o", "method": "card", "card": card}
    twin = {**body, "card": {**card, "number": "4000056655664242"}}  # same length, same last four
    assert idempotency.fingerprint(body) != idempotency.fingerprint(twin)
    unkeyed = hashlib.sha256(json.dumps({**body, "card": {k: v for k, v in card.items() if k != "cvv"}}, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert idempotency.fingerprint(body) != unkeyed
    before = idempotency.fingerprint(body)
    idempotency.load_fingerprint_key()  # another process starting: the same key, read back
    assert idempotency.fingerprint(body) == before


def test_the_same_key_with_another_card_sharing_its_last_four_is_422(merchant, make_order, bank):
    order = make_order()
    card = {"number": instruments.SUCCESS_CARD, "expiry_month": 12, "expiry_year": 2034, "cvv": "123", "holder_name": "Asha Rao"}
    twin_number = next(n for n in (f"4{i:011d}" + instruments.SUCCESS_CARD[-4:] for i in range(1000)) if _luhn_ok(n))
    first = {"order_id": order.id, "method": "card", "card": card}
    second = {**first, "card": {**card, "number": twin_number}}
    key = "card-twins-" + order.id
    (ok,) = db.unit_of_work(payments.create_payments, [PaymentRequest(first, merchant.id, key, idempotency.fingerprint(first))], bank)
    (refused,) = db.unit_of_work(payments.create_payments, [PaymentRequest(second, merchant.id, key, idempotency.fingerprint(second))], bank)
    assert ok.status == 201 and isinstance(refused, IdempotencyKeyReused)


def test_keys_sent_on_the_public_endpoint_never_meet_the_merchants_keys(merchant, make_order, bank):
    """An anonymous caller guessing a merchant's key gets neither its response nor a 422 probe."""
    order = make_order()
    body = {"order_id": order.id, **UPI}
    key, digest = "shared-" + order.id, idempotency.fingerprint(body)
    (mine,) = db.unit_of_work(payments.create_payments, [PaymentRequest(body, merchant.id, key, digest)], bank)
    other = {**body, "vpa": "someone.else@okbank"}
    (probe,) = db.unit_of_work(payments.create_payments, [PaymentRequest(other, None, key, idempotency.fingerprint(other))], bank)
    assert mine.status == 201 and probe.status == 201 and not probe.replayed and probe.body != mine.body  # not 422: no probe
    (again,) = db.unit_of_work(payments.create_payments, [PaymentRequest(other, None, key, idempotency.fingerprint(other))], bank)
    assert again.replayed and again.body == probe.body  # still idempotent, in the public namespace
    (replayed,) = db.unit_of_work(payments.create_payments, [PaymentRequest(body, merchant.id, key, digest)], bank)
    assert replayed.replayed and replayed.body == mine.body


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


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
