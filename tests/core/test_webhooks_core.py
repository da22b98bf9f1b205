"""Webhooks in the core, on a real database of each backend: signing, the outbox, claims, retries, the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from paygate import db, deliveries, events, ids, merchants, signing, webhooks
from paygate.clock import utcnow
from paygate.errors import InvalidRequest, NotFound
from paygate.models import Event, Merchant, WebhookAttempt, WebhookDelivery

SEEDED_SECRET = "whsec_test_abc123"
TEST_DELAYS = deliveries.TEST_RETRY_DELAYS_S


def _merchant(url="https://hooks.example.test/in"):
    row, _ = db.unit_of_work(merchants.create_merchant, "Hook Shop", f"wh-{uuid.uuid4().hex[:10]}@example.test")
    if url:
        db.unit_of_work(lambda: Merchant.update(webhook_url=url).where(Merchant.id == row.id).execute())
    return db.read(lambda: Merchant.get_by_id(row.id))


def _event(merchant, event_type=events.PAYMENT_SUCCESS, data=None):
    return db.unit_of_work(events.record_event, merchant.id, merchant.webhook_url, event_type, "pay_x", data or {"note": "चाय ☕ 🎉"})


def _delivery(event_id):
    return db.read(lambda: WebhookDelivery.get(WebhookDelivery.event == event_id))


def _result(code=None, error=None):
    return deliveries.AttemptResult(code, "ok" if code else None, error, 3, utcnow())


def _claim(delivery_id):
    return db.unit_of_work(deliveries.claim_delivery, delivery_id, 15.0)


def _record(claim, result):
    """Record one attempt the way the due loop records every attempt; the retry it schedules."""
    return db.unit_of_work(deliveries.record_attempts, [(claim, result)], TEST_DELAYS)


def _make_due(delivery_id):
    db.unit_of_work(lambda: WebhookDelivery.update(next_retry_at=utcnow() - timedelta(seconds=1)).where(WebhookDelivery.id == delivery_id).execute())


# --- signing -------------------------------------------------------------------------------


def test_hex_signature_is_hmac_of_the_exact_body_with_the_secret_string():
    body = '{"id":"evt_1","event":"webhook.test","timestamp":1,"data":{"m":"नमस्ते 🎉"}}'.encode()
    assert signing.hex_signature(SEEDED_SECRET, body) == hmac.new(SEEDED_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signing.verify_hex(SEEDED_SECRET, body, signing.hex_signature(SEEDED_SECRET, body))
    assert not signing.verify_hex(SEEDED_SECRET, body + b" ", signing.hex_signature(SEEDED_SECRET, body))


def test_seeded_secret_is_not_standard_so_only_the_hex_header_is_sent():
    headers = signing.signature_headers(SEEDED_SECRET, "evt_abcdefghijklmnop", b"{}", 1705315870)
    assert "X-Webhook-Signature" in headers
    assert "webhook-signature" not in headers and "webhook-id" not in headers


def test_generated_secrets_verify_with_the_standardwebhooks_package():
    secret = ids.new_webhook_secret()
    assert signing.standard_key(secret) is not None and len(signing.standard_key(secret)) == 24
    body = json.dumps({"id": "evt_abcdefghijklmnop", "data": {"reason": "Größe falsch 👟"}}, ensure_ascii=False).encode()
    ts = int(time.time())
    headers = signing.signature_headers(secret, "evt_abcdefghijklmnop", body, ts)
    assert headers["webhook-id"] == "evt_abcdefghijklmnop" and headers["webhook-timestamp"] == str(ts)
    assert Webhook(secret).verify(body, headers)["data"]["reason"] == "Größe falsch 👟"
    tampered = dict(headers, **{"webhook-id": "evt_other"})
    with pytest.raises(Exception):
        Webhook(secret).verify(body, tampered)


def test_masked_secret_shows_only_the_last_four_characters():
    assert signing.mask_secret("whsec_abcdefgh1234") == "whsec_…1234"
    assert signing.mask_secret(None) is None


# --- the outbox and claims -------------------------------------------------------------------


def test_no_webhook_url_records_the_event_without_a_delivery(core_db):
    m = _merchant(url=None)
    event, work = _event(m)
    assert work == []
    assert db.read(lambda: Event.select().where(Event.id == event.id).count()) == 1
    assert db.read(lambda: WebhookDelivery.select().where(WebhookDelivery.merchant == m.id).count()) == 0


def test_claim_carries_the_stored_body_and_current_secret_and_leases_the_row(core_db):
    m = _merchant()
    event, work = _event(m)
    claim = _claim(work[0].id)
    assert claim.body == event.body.encode("utf-8") and claim.event_id == event.id and claim.number == 1
    assert claim.secret == m.webhook_secret and claim.url == m.webhook_url
    assert _claim(work[0].id) is None, "a duplicate queue item must not send the same attempt twice"
    _make_due(work[0].id)  # the lease lapsed: a killed worker's delivery is claimable again
    assert _claim(work[0].id).number == 1


def test_failed_attempts_back_off_on_the_schedule_then_fail(core_db):
    m = _merchant()
    _, work = _event(m)
    did = work[0].id
    for n in range(1, deliveries.MAX_ATTEMPTS + 1):
        claim = _claim(did)
        assert claim is not None and claim.number == n
        before = utcnow()
        retry = _record(claim, _result(500, "HTTP 500"))
        row = _delivery(claim.event_id)
        assert row.attempts == n and row.response_code == 500
        if n < deliveries.MAX_ATTEMPTS:
            assert row.status == "pending"
            wait = (row.next_retry_at - before).total_seconds()
            assert TEST_DELAYS[n] - 1 <= wait <= TEST_DELAYS[n] + 1
            assert retry and retry[0].due_at == row.next_retry_at
            assert _claim(did) is None, "not due yet"
            _make_due(did)
        else:
            assert row.status == "failed" and retry == []
            assert _claim(did) is None
    log = db.read(lambda: [a.number for a in WebhookAttempt.select().where(WebhookAttempt.delivery == did).order_by(WebhookAttempt.id)])
    assert log == [1, 2, 3, 4, 5]


def test_a_2xx_is_success_and_ends_the_delivery(core_db):
    m = _merchant()
    _, work = _event(m)
    claim = _claim(work[0].id)
    assert _record(claim, _result(204)) == []
    row = _delivery(claim.event_id)
    assert (row.status, row.response_code) == ("success", 204)
    assert row.next_retry_at is None and row.claimed_until is None


def test_manual_retry_resets_attempts_and_is_due_now(core_db):
    m = _merchant()
    _, work = _event(m)
    did = work[0].id
    for _ in range(deliveries.MAX_ATTEMPTS):
        _make_due(did)
        _record(_claim(did), _result(error="ConnectionError"))
    assert db.read(lambda: WebhookDelivery.get_by_id(did).status) == "failed"
    outcome = db.unit_of_work(webhooks.retry_delivery, did, m.id)
    assert outcome.data == {"id": did, "status": "pending", "message": "Webhook retry scheduled"}
    assert [w.id for w in outcome.work] == [did]
    row = db.read(lambda: WebhookDelivery.get_by_id(did))
    assert row.attempts == 0 and row.status == "pending"
    assert _claim(did).number == 1


def test_retry_of_another_merchants_or_a_malformed_delivery_is_not_found(core_db):
    m, other = _merchant(), _merchant()
    _, work = _event(m)
    with pytest.raises(NotFound):
        db.unit_of_work(webhooks.retry_delivery, work[0].id, other.id)
    with pytest.raises(NotFound):
        db.unit_of_work(webhooks.retry_delivery, "not-a-uuid'; drop", m.id)
    with pytest.raises(NotFound):
        db.read(webhooks.get_delivery, work[0].id, other.id)


def test_late_result_after_a_manual_retry_does_not_undo_it(core_db):
    m = _merchant()
    _, work = _event(m)
    did = work[0].id
    in_flight = _claim(did)
    db.unit_of_work(webhooks.retry_delivery, did, m.id)
    fresh = _claim(did)
    _record(fresh, _result(200))
    _record(in_flight, _result(500))
    row = db.read(lambda: WebhookDelivery.get_by_id(did))
    assert row.status == "success" and row.attempts == 1
    assert db.read(lambda: WebhookAttempt.select().where(WebhookAttempt.delivery == did).count()) == 2


# --- the log and the events stream --------------------------------------------------------------


def test_list_filters_and_orders_newest_first(core_db):
    m = _merchant()
    first = _event(m, events.PAYMENT_CREATED)[1][0].id
    second = _event(m, events.PAYMENT_SUCCESS)[1][0].id
    _record(_claim(second), _result(200))
    page = db.read(webhooks.list_deliveries, m.id, {"limit": "10"})
    assert page["total"] == 2 and [d["id"] for d in page["data"]] == [second, first]
    assert set(page["data"][0]) >= {"id", "event", "status", "attempts", "created_at", "last_attempt_at", "response_code"}
    assert [d["id"] for d in db.read(webhooks.list_deliveries, m.id, {"status": "success"})["data"]] == [second]
    assert [d["id"] for d in db.read(webhooks.list_deliveries, m.id, {"event": "payment.created"})["data"]] == [first]
    with pytest.raises(InvalidRequest):
        db.read(webhooks.list_deliveries, m.id, {"status": "delivered"})
    detail = db.read(webhooks.get_delivery, second, m.id)
    assert [a["number"] for a in detail["attempt_log"]] == [1] and detail["attempt_log"][0]["response_code"] == 200
    assert detail["payload"]["event"] == "payment.success"


def test_events_cursor_returns_what_happened_after_in_order(core_db):
    m = _merchant(url=None)
    made = [_event(m, events.PAYMENT_CREATED)[0].id for _ in range(3)]
    newest = db.read(webhooks.list_events, m.id, {"limit": "1"})
    assert [e["id"] for e in newest["data"]] == [made[-1]] and newest["has_more"] is True
    after_first = db.read(webhooks.list_events, m.id, {"after": made[0]})
    assert [e["id"] for e in after_first["data"]] == made[1:] and after_first["has_more"] is False
    assert db.read(webhooks.list_events, m.id, {"after": made[-1]})["data"] == []
    assert db.read(webhooks.list_events, m.id, {"type": "payment.failed"})["data"] == []
    with pytest.raises(NotFound):
        db.read(webhooks.list_events, _merchant().id, {"after": made[0]})


def test_test_event_needs_a_url_and_integer_data(core_db):
    with pytest.raises(InvalidRequest):
        db.unit_of_work(webhooks.send_test_event, _merchant(url=None).id, {})
    m = _merchant()
    with pytest.raises(InvalidRequest):
        db.unit_of_work(webhooks.send_test_event, m.id, {"data": {"amount": 10.5}})
    assert db.read(lambda: Event.select().where(Event.merchant == m.id).count()) == 0
    outcome = db.unit_of_work(webhooks.send_test_event, m.id, {"data": {"text": "ok 🎉"}})
    assert outcome.data["event"] == "webhook.test" and outcome.data["status"] == "pending" and outcome.work
    body = db.read(lambda: Event.get(Event.id == outcome.data["event_id"]).body)
    assert json.loads(body)["data"] == {"text": "ok 🎉"} and "🎉" in body


def test_pending_retries_go_to_the_current_url_signed_with_the_current_secret(core_db):
    m = _merchant()
    _, work = _event(m)
    did = work[0].id
    _record(_claim(did), _result(500))
    db.unit_of_work(lambda: Merchant.update(webhook_url="https://fixed.example.test/hooks").where(Merchant.id == m.id).execute())
    rotated = db.unit_of_work(merchants.rotate_webhook_secret, m.id).webhook_secret
    _make_due(did)
    claim = _claim(did)
    assert claim.url == "https://fixed.example.test/hooks" and claim.secret == rotated != m.webhook_secret
    _record(claim, _result(200))
    assert db.read(lambda: WebhookDelivery.get_by_id(did).url) == "https://fixed.example.test/hooks"
