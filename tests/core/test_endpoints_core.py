"""Webhook endpoints in the core, on a real database of each backend: filters, the fan-out in the
outbox, claims carrying both secrets during a rotation, auto-disable, replay."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from paygate import db, deliveries, endpoints, events, ids, merchants, signing
from paygate.clock import utcnow
from paygate.errors import InvalidRequest, NotFound
from paygate.models import Event, Merchant, WebhookDelivery, WebhookEndpoint

DELAYS = deliveries.TEST_RETRY_DELAYS_S


def _merchant(url=None):
    row, _ = db.unit_of_work(merchants.create_merchant, "Endpoint Shop", f"we-{uuid.uuid4().hex[:10]}@example.test")
    if url:
        db.unit_of_work(merchants.set_webhook_url, row.id, url, allow_private=False)
    return db.read(lambda: Merchant.get_by_id(row.id))


def _endpoint(merchant, enabled, url="https://orders.example.test/hooks"):
    return db.unit_of_work(endpoints.create_endpoint, merchant.id, {"url": url, "enabled_events": enabled}, allow_private=False)


def _event(merchant, event_type):
    return db.unit_of_work(events.record_event, merchant.id, merchant.webhook_url, event_type, "pay_x", {"n": 1})


def _rows(event_id):
    return db.read(lambda: list(WebhookDelivery.select().where(WebhookDelivery.event == event_id)))


def _result(code=None, error=None):
    return deliveries.AttemptResult(code, None, error, 3, utcnow())


def _lease_all():
    return db.unit_of_work(deliveries.lease_due_deliveries, 1000, 15.0)


def test_filters_take_types_prefixes_and_star():
    assert events.wants(["payment.*"], "payment.success") and not events.wants(["payment.*"], "refund.processed")
    assert events.wants(["*"], "webhook_endpoint.disabled") and events.wants(["refund.processed"], "refund.processed")
    assert not events.wants(["refund.processed"], "refund.created")


def test_unknown_event_types_are_refused_with_the_valid_list(core_db):
    m = _merchant()
    with pytest.raises(InvalidRequest) as err:
        _endpoint(m, ["payment.sucess"])
    assert "payment.success" in err.value.extra["valid"] and "payment.*" in err.value.extra["valid"]
    for bad in ([], "payment.*", [1], None):
        with pytest.raises(InvalidRequest):
            _endpoint(m, bad)
    with pytest.raises(InvalidRequest):
        _endpoint(m, ["*"], url="http://10.0.0.1/hooks")


def test_each_event_fans_out_to_every_matching_enabled_endpoint_in_the_same_transaction(core_db):
    m = _merchant("https://default.example.test/in")
    orders = _endpoint(m, ["payment.*"])
    books = _endpoint(m, ["refund.processed"], url="https://books.example.test/in")
    off = _endpoint(m, ["*"], url="https://off.example.test/in")
    db.unit_of_work(endpoints.update_endpoint, off["id"], m.id, {"status": "disabled"}, allow_private=False)
    payment, work = _event(m, events.PAYMENT_SUCCESS)
    refund, refund_work = _event(m, events.REFUND_PROCESSED)
    by_endpoint = {r.endpoint_id: r for r in _rows(payment.id)}
    assert set(by_endpoint) == {ids.default_endpoint_id(m.id), orders["id"]}
    assert by_endpoint[orders["id"]].url == "https://orders.example.test/hooks"
    assert {w.id for w in work} == {r.id for r in by_endpoint.values()}
    assert {r.endpoint_id for r in _rows(refund.id)} == {ids.default_endpoint_id(m.id), books["id"]}
    assert len(refund_work) == 2


def test_claims_sign_with_the_endpoint_secret_and_both_during_a_rotation(core_db):
    m = _merchant("https://default.example.test/in")
    ep = _endpoint(m, ["*"])
    event, _ = _event(m, events.PAYMENT_SUCCESS)
    claims = {c.endpoint_id: c for c in _lease_all() if c.event_id == event.id}
    default, own = claims[ids.default_endpoint_id(m.id)], claims[ep["id"]]
    assert default.default_endpoint and default.secret == m.webhook_secret
    assert not own.default_endpoint and own.secret == ep["secret"] and own.previous_secrets == ()
    headers = signing.signature_headers(own.secret, own.event_id, own.body, 1700000000, previous=own.previous_secrets, hex_header=False)
    assert "X-Webhook-Signature" not in headers
    rotated = db.unit_of_work(endpoints.rotate_secret, ep["id"], m.id, {"expire_previous_in": 3600})
    assert rotated["secret"] != ep["secret"] and rotated["previous_secret_expires_at"]
    db.unit_of_work(deliveries.release_leases, [own.delivery_id])
    again = next(c for c in _lease_all() if c.delivery_id == own.delivery_id)
    assert again.secret == rotated["secret"] and again.previous_secrets == (ep["secret"],)
    now = int(time.time())
    headers = signing.signature_headers(again.secret, again.event_id, again.body, now, previous=again.previous_secrets, hex_header=False)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (ep["secret"], rotated["secret"]):
        Webhook(secret).verify(again.body, headers)
    db.unit_of_work(endpoints.rotate_secret, ep["id"], m.id, {"expire_previous_in": 0})
    db.unit_of_work(deliveries.release_leases, [own.delivery_id])
    last = next(c for c in _lease_all() if c.delivery_id == own.delivery_id)
    assert last.previous_secrets == ()
    with pytest.raises(InvalidRequest):
        db.unit_of_work(endpoints.rotate_secret, ids.default_endpoint_id(m.id), m.id, {})


def test_an_endpoint_failing_for_the_span_is_disabled_with_an_event_for_the_others(core_db):
    m = _merchant("https://default.example.test/in")
    dead = _endpoint(m, ["payment.*"], url="https://dead.example.test/in")
    watcher = _endpoint(m, ["webhook_endpoint.disabled"], url="https://ops.example.test/in")
    first, _ = _event(m, events.PAYMENT_SUCCESS)
    second, _ = _event(m, events.PAYMENT_FAILED)
    claims = [c for c in _lease_all() if c.endpoint_id == dead["id"]]
    assert len(claims) == 2
    # The first failure starts the run; nothing is disabled yet.
    db.unit_of_work(deliveries.record_attempts, [(claims[0], _result(500, "HTTP 500"))], DELAYS, 60.0)
    row = db.read(lambda: WebhookEndpoint.get_by_id(dead["id"]))
    assert row.failing_since is not None and row.status == "enabled"
    # Pretend the run began long ago; the next failure disables it and stops its pending rows.
    db.unit_of_work(lambda: WebhookEndpoint.update(failing_since=utcnow() - timedelta(seconds=120)).where(WebhookEndpoint.id == dead["id"]).execute())
    claim = deliveries.Claim(**{**claims[1].__dict__, "failing_since": utcnow() - timedelta(seconds=120)})
    db.unit_of_work(deliveries.record_attempts, [(claim, _result(None, "timed out"))], DELAYS, 60.0)
    row = db.read(lambda: WebhookEndpoint.get_by_id(dead["id"]))
    assert row.status == "disabled" and row.disabled_at is not None
    assert all(r.status == "failed" for r in db.read(lambda: list(WebhookDelivery.select().where(WebhookDelivery.endpoint_id == dead["id"]))))
    disabled_event = db.read(lambda: Event.get((Event.type == events.WEBHOOK_ENDPOINT_DISABLED) & (Event.object_id == dead["id"])))
    assert {r.endpoint_id for r in _rows(disabled_event.id)} == {ids.default_endpoint_id(m.id), watcher["id"]}
    # Re-enabling sends nothing that was skipped; a replay of failed rows does.
    db.unit_of_work(endpoints.update_endpoint, dead["id"], m.id, {"status": "enabled"}, allow_private=False)
    assert db.read(lambda: WebhookDelivery.select().where((WebhookDelivery.endpoint_id == dead["id"]) & (WebhookDelivery.status == "pending")).count()) == 0
    since = (utcnow() - timedelta(minutes=5)).isoformat() + "Z"
    replayed = db.unit_of_work(endpoints.replay, dead["id"], m.id, {"since": since, "status": "failed"})
    assert replayed["queued"] == 2
    again = {c.event_id for c in _lease_all() if c.endpoint_id == dead["id"]}
    assert again == {first.id, second.id}


def test_success_clears_the_run_of_failures(core_db):
    m = _merchant()
    ep = _endpoint(m, ["*"])
    _event(m, events.PAYMENT_SUCCESS)
    _event(m, events.PAYMENT_FAILED)
    a, b = [c for c in _lease_all() if c.endpoint_id == ep["id"]]
    db.unit_of_work(deliveries.record_attempts, [(a, _result(503, "HTTP 503"))], DELAYS, 60.0)
    assert db.read(lambda: WebhookEndpoint.get_by_id(ep["id"])).failing_since is not None
    b = deliveries.Claim(**{**b.__dict__, "failing_since": utcnow()})
    db.unit_of_work(deliveries.record_attempts, [(b, _result(200))], DELAYS, 60.0)
    assert db.read(lambda: WebhookEndpoint.get_by_id(ep["id"])).failing_since is None


def test_another_merchants_endpoint_is_not_found_and_default_is_managed_by_merchants_me(core_db):
    a, b = _merchant("https://a.example.test/in"), _merchant()
    ep = _endpoint(a, ["*"])
    for call in (
        lambda: endpoints.get_endpoint(ep["id"], b.id),
        lambda: endpoints.update_endpoint(ep["id"], b.id, {"description": "x"}, allow_private=False),
        lambda: endpoints.delete_endpoint(ep["id"], b.id),
        lambda: endpoints.get_endpoint("we_nope", b.id),
    ):
        with pytest.raises(NotFound):
            db.unit_of_work(call)
    listed = db.read(endpoints.list_endpoints, a.id, {})
    assert [e["id"] for e in listed["data"]] == [ids.default_endpoint_id(a.id), ep["id"]] and listed["total"] == 2
    assert listed["data"][0]["default"] is True and "secret" not in listed["data"][1]
    with pytest.raises(InvalidRequest):
        db.unit_of_work(endpoints.delete_endpoint, ids.default_endpoint_id(a.id), a.id)
    assert db.unit_of_work(endpoints.delete_endpoint, ep["id"], a.id) == {"id": ep["id"], "deleted": True}
    assert db.read(endpoints.list_endpoints, b.id, {})["total"] == 0
