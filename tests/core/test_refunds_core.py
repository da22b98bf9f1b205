"""Refunds in the core, in-process on a real database of each backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import uuid

import pytest

from paygate import db, merchants, orders, payments, refunds, sweeper
from paygate.clock import utcnow
from paygate.errors import InvalidRequest, InvalidStateTransition, NotFound, PaygateError, RefundExceedsAvailable
from paygate.models import Event, Merchant, Payment, Refund, WebhookDelivery
from paygate.processor import SimulatedBank
from paygate.work import SETTLE_REFUND


def _new_merchant(webhook_url=None):
    row, _ = db.unit_of_work(merchants.create_merchant, "Refund Shop", f"rf-{uuid.uuid4().hex[:10]}@example.test")
    if webhook_url:
        db.unit_of_work(lambda: Merchant.update(webhook_url=webhook_url).where(Merchant.id == row.id).execute())
    return row.id


@pytest.fixture
def shop(core_db):
    return _new_merchant()


@pytest.fixture
def bank(core_db):
    """Payments and refunds due at once, so settling needs no waiting."""
    return SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_refund_delay_ms=0, test_payment_success=True))


def _payment(merchant_id, bank, amount=50000, settle=True, vpa="shopper@okbank"):
    order = db.unit_of_work(orders.create_order, merchant_id, {"amount": amount})
    pid = db.unit_of_work(payments.create_payment, {"order_id": order.id, "method": "upi", "vpa": vpa}, bank, merchant_id).data["id"]
    if settle:
        db.unit_of_work(payments.settle_payment, pid)
    return pid


def _refund(pid, merchant_id, bank, amount, reason=None):
    body = {"amount": amount} if reason is None else {"amount": amount, "reason": reason}
    return db.unit_of_work(refunds.create_refund, pid, merchant_id, body, bank)


def _status(pid):
    return db.read(lambda: Payment.get_by_id(pid).status)


def _events(object_id):
    return db.read(lambda: [e.type for e in Event.select().where(Event.object_id == object_id).order_by(Event.seq)])


def _refund_count(pid):
    return db.read(lambda: Refund.select().where(Refund.payment == pid).count())


def test_create_is_pending_with_event_and_due_settlement(shop, bank):
    pid = _payment(shop, bank)
    outcome = _refund(pid, shop, bank, 20000, "damaged")
    data = outcome.data
    assert data["status"] == "pending" and data["amount"] == 20000 and data["payment_id"] == pid
    assert data["reason"] == "damaged" and data["processed_at"] is None
    assert data["id"].startswith("rfnd_") and len(data["id"]) == 21
    assert [(w.task, w.id) for w in outcome.work] == [(SETTLE_REFUND, data["id"])]
    assert _events(data["id"]) == ["refund.created"]
    assert _status(pid) == "success"  # only processed refunds move the payment


def test_settle_partial_then_rest_moves_payment_to_refunded(shop, bank):
    pid = _payment(shop, bank)
    first = _refund(pid, shop, bank, 20000).data
    settled = db.unit_of_work(refunds.settle_refund, first["id"]).data
    assert settled["status"] == "processed" and settled["processed_at"] is not None
    assert _status(pid) == "partially_refunded"
    rest = _refund(pid, shop, bank, 30000).data
    db.unit_of_work(refunds.settle_refund, rest["id"])
    assert _status(pid) == "refunded"
    assert _events(first["id"]) == ["refund.created", "refund.processed"]


def test_settle_is_idempotent(shop, bank):
    pid = _payment(shop, bank)
    rid = _refund(pid, shop, bank, 1000).data["id"]
    first = db.unit_of_work(refunds.settle_refund, rid)
    again = db.unit_of_work(refunds.settle_refund, rid)
    assert first.data["status"] == "processed"
    assert again.data is None and again.work == []
    assert _events(rid).count("refund.processed") == 1
    assert db.unit_of_work(refunds.settle_refund, "rfnd_doesnotexist0000").data is None


def test_early_settle_reschedules_at_the_due_time(shop, bank, core_db):
    slow = SimulatedBank(core_db.replace(test_mode=True, test_refund_delay_ms=60_000))
    pid = _payment(shop, bank)
    rid = _refund(pid, shop, slow, 1000).data["id"]
    outcome = db.unit_of_work(refunds.settle_refund, rid)
    assert outcome.data is None and outcome.work[0].task == SETTLE_REFUND and outcome.work[0].due_at > utcnow()
    assert db.read(lambda: Refund.get_by_id(rid).status) == "pending"


def test_pending_refunds_count_against_available(shop, bank):
    pid = _payment(shop, bank, 10000)
    _refund(pid, shop, bank, 6000)
    with pytest.raises(RefundExceedsAvailable) as err:
        _refund(pid, shop, bank, 4001)
    assert err.value.description == "Refund amount exceeds available amount"
    assert err.value.code == "BAD_REQUEST_ERROR"
    assert _refund(pid, shop, bank, 4000).data["amount"] == 4000
    assert _refund_count(pid) == 2


@pytest.mark.parametrize("settle, vpa", [(False, "shopper@okbank"), (True, "failure@paygate")], ids=["pending", "failed"])
def test_only_successful_payments_are_refundable(shop, bank, settle, vpa):
    pid = _payment(shop, bank, settle=settle, vpa=vpa)
    with pytest.raises(InvalidStateTransition) as err:
        _refund(pid, shop, bank, 100)
    assert err.value.code == "BAD_REQUEST_ERROR" and "refundable" in err.value.description
    assert _refund_count(pid) == 0


def test_fully_refunded_payment_refuses_more(shop, bank):
    pid = _payment(shop, bank, 5000)
    db.unit_of_work(refunds.settle_refund, _refund(pid, shop, bank, 5000).data["id"])
    assert _status(pid) == "refunded"
    with pytest.raises(InvalidStateTransition):
        _refund(pid, shop, bank, 1)


@pytest.mark.parametrize(
    "body",
    [{}, {"amount": None}, {"amount": 0}, {"amount": -5}, {"amount": 1.5}, {"amount": 100.0}, {"amount": True}, {"amount": "100"}, {"amount": 10**13}, {"amount": [100]}, "amount=100"],
    ids=["missing", "null", "zero", "negative", "float", "float-integral", "bool", "string", "huge", "list", "not-an-object"],
)
def test_bad_amounts_are_refused_and_change_nothing(shop, bank, body):
    pid = _payment(shop, bank)
    with pytest.raises(InvalidRequest) as err:
        db.unit_of_work(refunds.create_refund, pid, shop, body, bank)
    assert err.value.code == "BAD_REQUEST_ERROR"
    assert _refund_count(pid) == 0


@pytest.mark.parametrize("reason", [42, "x" * 501, "nul\x00byte", "bell\x07", ["a"]], ids=["int", "too-long", "nul", "control", "list"])
def test_bad_reasons_are_refused(shop, bank, reason):
    pid = _payment(shop, bank)
    with pytest.raises(InvalidRequest) as err:
        _refund(pid, shop, bank, 100, reason)
    assert err.value.field == "reason"
    assert _refund_count(pid) == 0


def test_non_ascii_reason_round_trips_into_the_event_body(shop, bank):
    reason = "वापसी 🎁 — défaut\nline two"
    pid = _payment(shop, bank)
    rid = _refund(pid, shop, bank, 100, reason).data["id"]
    assert db.read(refunds.get_refund, rid, shop)["reason"] == reason
    body = db.read(lambda: Event.get(Event.object_id == rid).body)
    assert reason.replace("\n", "\\n") in body  # stored as UTF-8 text, not \u escapes
    assert json.loads(body)["data"]["refund"]["reason"] == reason


def test_ids_that_are_not_ours_or_not_the_merchants_are_not_found(shop, bank):
    pid = _payment(shop, bank)
    other = _new_merchant()
    rid = _refund(pid, shop, bank, 100).data["id"]
    for bad in ("nope", "pay_short", "pay_" + "a" * 40, None, 123, "'; DROP TABLE payment; --"):
        with pytest.raises(NotFound, match="Payment not found"):
            db.unit_of_work(refunds.create_refund, bad, shop, {"amount": 100}, bank)
    with pytest.raises(NotFound, match="Payment not found"):
        _refund(pid, other, bank, 100)
    for bad in ("rfnd_x", "pay_" + rid[5:], "", None):
        with pytest.raises(NotFound, match="Refund not found"):
            db.read(refunds.get_refund, bad, shop)
    with pytest.raises(NotFound, match="Refund not found"):
        db.read(refunds.get_refund, rid, other)
    with pytest.raises(NotFound, match="Payment not found"):
        db.read(refunds.list_payment_refunds, pid, other, {})


def test_concurrent_refunds_never_exceed_the_amount(shop, bank):
    """24 threads, each its own connection and transaction, race for 10 slots of 5,000."""
    pid = _payment(shop, bank, 50000)

    def attempt(_):
        try:
            return db.unit_of_work(refunds.create_refund, pid, shop, {"amount": 5000}, bank).data["id"]
        except PaygateError as exc:
            return exc.code + ":" + exc.description

    with cf.ThreadPoolExecutor(12) as pool:
        results = list(pool.map(attempt, range(24)))
    accepted = [r for r in results if r.startswith("rfnd_")]
    assert len(accepted) == 10, results
    assert set(results) - set(accepted) == {"BAD_REQUEST_ERROR:Refund amount exceeds available amount"}
    assert db.read(refunds.counted_total, pid) == 50000


def test_concurrent_settlements_add_up_to_refunded(shop, bank):
    pid = _payment(shop, bank, 50000)
    rids = [_refund(pid, shop, bank, 5000).data["id"] for _ in range(10)]
    with cf.ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda rid: db.unit_of_work(refunds.settle_refund, rid), rids))
    assert _status(pid) == "refunded"
    assert db.read(refunds.counted_total, pid, ("processed",)) == 50000


def test_webhook_deliveries_are_written_with_the_events(bank, core_db):
    merchant_id = _new_merchant(webhook_url="http://127.0.0.1:9/hook")
    pid = _payment(merchant_id, bank)
    created = _refund(pid, merchant_id, bank, 100)
    processed = db.unit_of_work(refunds.settle_refund, created.data["id"])
    kinds = db.read(
        lambda: [d.event_type for d in WebhookDelivery.select().where(WebhookDelivery.merchant == merchant_id).order_by(WebhookDelivery.created_at)]
    )
    assert kinds[-2:] == ["refund.created", "refund.processed"]
    assert len(created.work) == 2 and len(processed.work) == 1


def test_sweeper_reclaims_an_orphaned_refund(shop, bank):
    pid = _payment(shop, bank)
    rid = _refund(pid, shop, bank, 100).data["id"]
    db.unit_of_work(lambda: Refund.update(claimed_until=None).where(Refund.id == rid).execute())  # the queue lost it
    found = db.unit_of_work(sweeper.claim_orphaned_work)
    assert (SETTLE_REFUND, rid) in [(w.task, w.id) for w in found]


def test_lists_filter_and_page(bank, core_db):
    merchant_id = _new_merchant()
    p1, p2 = _payment(merchant_id, bank), _payment(merchant_id, bank)
    r1 = _refund(p1, merchant_id, bank, 100).data["id"]
    r2 = _refund(p1, merchant_id, bank, 200).data["id"]
    r3 = _refund(p2, merchant_id, bank, 300).data["id"]
    db.unit_of_work(refunds.settle_refund, r2)
    everything = db.read(refunds.list_refunds, merchant_id, {})
    assert everything["total"] == 3 and {r["id"] for r in everything["data"]} == {r1, r2, r3}
    page = db.read(refunds.list_refunds, merchant_id, {"limit": "2", "offset": "0"})
    assert page["limit"] == 2 and len(page["data"]) == 2 and page["total"] == 3
    assert [r["id"] for r in db.read(refunds.list_refunds, merchant_id, {"status": "processed"})["data"]] == [r2]
    assert db.read(refunds.list_refunds, merchant_id, {"payment_id": p2})["total"] == 1
    assert {r["id"] for r in db.read(refunds.list_payment_refunds, p1, merchant_id, {})["data"]} == {r1, r2}
    assert db.read(refunds.list_refunds, merchant_id, {"to": "2000-01-01T00:00:00Z"})["total"] == 0
    for params in ({"status": "done"}, {"limit": "0"}, {"from": "yesterday"}, {"payment_id": "nope"}):
        with pytest.raises(InvalidRequest):
            db.read(refunds.list_refunds, merchant_id, params)


def test_captured_amount_is_returned_and_a_partial_capture_limits_refunds(shop, bank):
    """Like Stripe's ``amount_captured``: 0 until captured, then what the capture took; refunds
    may add up to the captured amount only, and refunding all of it makes the payment refunded."""
    pid = _payment(shop, bank, amount=50000)
    assert db.read(lambda: payments.get_payments([payments.PaymentLookup(pid, shop)])[0])["captured_amount"] == 0
    captured = db.unit_of_work(payments.capture_payment, pid, shop, {"amount": 30000}).data
    assert captured["captured"] is True and captured["captured_amount"] == 30000
    assert db.read(lambda: payments.get_payments([payments.PaymentLookup(pid, shop)])[0])["captured_amount"] == 30000
    with pytest.raises(RefundExceedsAvailable):
        _refund(pid, shop, bank, 30001)
    first = _refund(pid, shop, bank, 20000).data
    with pytest.raises(RefundExceedsAvailable):
        _refund(pid, shop, bank, 10001)
    rest = _refund(pid, shop, bank, 10000).data
    db.unit_of_work(refunds.settle_refund, first["id"])
    assert _status(pid) == "partially_refunded"
    db.unit_of_work(refunds.settle_refund, rest["id"])
    assert _status(pid) == "refunded"


def test_full_capture_reports_the_whole_amount(shop, bank):
    pid = _payment(shop, bank, amount=42000)
    assert db.unit_of_work(payments.capture_payment, pid, shop, {}).data["captured_amount"] == 42000
    assert _refund(pid, shop, bank, 42000).data["amount"] == 42000


def test_a_partial_capture_cannot_go_below_the_refunds_already_counted(shop, bank):
    pid = _payment(shop, bank, amount=50000)
    _refund(pid, shop, bank, 40000)  # pending: counted against the payment
    with pytest.raises(InvalidRequest):
        db.unit_of_work(payments.capture_payment, pid, shop, {"amount": 39999})
    assert db.unit_of_work(payments.capture_payment, pid, shop, {"amount": 40000}).data["captured_amount"] == 40000
    with pytest.raises(RefundExceedsAvailable):
        _refund(pid, shop, bank, 1)
