"""Webhook endpoints over real HTTP on both backends, with real receivers on loopback: filters,
per-endpoint secrets checked by ``standardwebhooks``, rotation with overlap, auto-disable, replay,
a hanging endpoint beside a healthy one, and the seed contract's default endpoint beside them."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.api import Api
from tests.support.receiver import Receiver
from devstack.waiting import wait_until

CARD_OK = {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2099, "cvv": "123", "holder_name": "A Rao"}
PAYMENT_EVENTS = {"payment.created", "payment.pending", "payment.success"}


def _create(api: Api, url: str, enabled, **extra) -> dict:
    return api.ok("POST", "/api/v1/webhook_endpoints", 201, json={"url": url, "enabled_events": enabled, **extra})


def _verify(secret: str, req) -> dict:
    return Webhook(secret).verify(req.body, req.headers)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_endpoint_crud_validation_and_isolation(merchant_api, api):
    bad = merchant_api.post("/api/v1/webhook_endpoints", json={"url": "https://x.example/h", "enabled_events": ["payment.sucess"]})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "BAD_REQUEST_ERROR" and "payment.success" in error["valid"] and error["field"] == "enabled_events"
    for body in ({"url": "ftp://x.example/h", "enabled_events": ["*"]}, {"enabled_events": ["*"]}, {"url": "https://x.example/h"}):
        assert merchant_api.post("/api/v1/webhook_endpoints", json=body).status_code == 400
    made = _create(merchant_api, "https://orders.example.test/h", ["payment.*"], description="orders")
    assert made["id"].startswith("we_") and made["secret"].startswith("whsec_") and made["status"] == "enabled"
    assert made["enabled_events"] == ["payment.*"] and made["description"] == "orders" and made["created_at"].endswith("Z")
    got = merchant_api.ok("GET", f"/api/v1/webhook_endpoints/{made['id']}")
    assert "secret" not in got and got["health"]["deliveries_24h"] == 0
    listed = merchant_api.ok("GET", "/api/v1/webhook_endpoints")
    assert set(listed) == {"object", "data", "has_more", "total", "limit", "offset"} and [e["id"] for e in listed["data"]] == [made["id"]]
    patched = merchant_api.ok("PATCH", f"/api/v1/webhook_endpoints/{made['id']}", json={"enabled_events": ["*"], "status": "disabled"})
    assert patched["enabled_events"] == ["*"] and patched["status"] == "disabled"
    assert merchant_api.request("PATCH", f"/api/v1/webhook_endpoints/{made['id']}", json={"status": "paused"}).status_code == 400
    # Another merchant's endpoint is 404 for every verb; a malformed id too.
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate_secret"), ("POST", "/replay")):
        body = {"since": "2020-01-01T00:00:00Z"} if path == "/replay" else {}  # only fields the operation takes: unknown ones are 400 first
        r = api.request(method, f"/api/v1/webhook_endpoints/{made['id']}{path}", json=body)
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_ERROR", (method, path)
    assert merchant_api.get("/api/v1/webhook_endpoints/nope").status_code == 404
    assert merchant_api.ok("DELETE", f"/api/v1/webhook_endpoints/{made['id']}") == {"id": made["id"], "deleted": True}
    assert merchant_api.ok("GET", "/api/v1/webhook_endpoints")["total"] == 0


def test_two_filtered_endpoints_get_exactly_their_events_and_the_default_keeps_the_seed_signature(merchant_api):
    secret = merchant_api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]
    with Receiver() as default_rx, Receiver() as orders_rx, Receiver() as books_rx:
        merchant_api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": default_rx.url})
        orders = _create(merchant_api, orders_rx.url, ["payment.*"])
        books = _create(merchant_api, books_rx.url, ["refund.processed"])
        order = merchant_api.create_order(30000)
        payment = merchant_api.create_payment(order["id"], "card", card=CARD_OK)
        merchant_api.wait_payment(payment["id"])
        refund = merchant_api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 1000})
        merchant_api.wait_refund(refund["id"])
        default_rx.wait_for(5)
        orders_rx.wait_for(3)
        books_rx.wait_for(1)
        wait_until(lambda: all(d["status"] == "success" for d in merchant_api.ok("GET", "/api/v1/webhooks?limit=100")["data"]), 30, "deliveries recorded")
        assert sorted(e["event"] for e in orders_rx.events()) == sorted(PAYMENT_EVENTS)
        assert [e["event"] for e in books_rx.events()] == ["refund.processed"]
        assert {e["event"] for e in default_rx.events()} == PAYMENT_EVENTS | {"refund.created", "refund.processed"}
        for rx, ep in ((orders_rx, orders), (books_rx, books)):
            for req in rx.requests:
                assert _verify(ep["secret"], req)["id"] == req.headers["webhook-id"]
                assert "x-webhook-signature" not in req.headers
                with pytest.raises(WebhookVerificationError):
                    _verify(secret, req)
        for req in default_rx.requests:  # the seed contract: hex HMAC with the merchant's secret string
            assert req.headers["x-webhook-signature"] == hmac.new(secret.encode(), req.body, hashlib.sha256).hexdigest()
            _verify(secret, req)
        # Each log row names its endpoint, and the log filters by it.
        log = merchant_api.ok("GET", "/api/v1/webhooks?limit=100")["data"]
        assert len(log) == 9 and {d["endpoint_id"] for d in log} == {orders["id"], books["id"], default_rx_id(merchant_api)}
        only_books = merchant_api.ok("GET", f"/api/v1/webhooks?endpoint_id={books['id']}")
        assert only_books["total"] == 1 and only_books["data"][0]["event"] == "refund.processed"
        listed = merchant_api.ok("GET", "/api/v1/webhook_endpoints")["data"]
        assert listed[0]["default"] is True and listed[0]["url"] == default_rx.url
        health = {e["id"]: e["health"] for e in listed}
        assert health[orders["id"]]["deliveries_24h"] == 3 and health[orders["id"]]["success_rate_24h"] == 1.0
        # Every event of the payment, by object id.
        events = merchant_api.ok("GET", f"/api/v1/events?object_id={payment['id']}&limit=100")["data"]
        assert sorted(e["event"] for e in events) == sorted(PAYMENT_EVENTS)
        only = merchant_api.ok("GET", f"/api/v1/events?object_id={payment['id']}&type=payment.success")["data"]
        assert [e["event"] for e in only] == ["payment.success"]


def default_rx_id(api: Api) -> str:
    return next(e["id"] for e in api.ok("GET", "/api/v1/webhook_endpoints")["data"] if e["default"])


def test_rotation_with_overlap_both_secrets_verify_then_only_the_new_one(merchant_api):
    with Receiver() as rx:
        ep = _create(merchant_api, rx.url, ["*"])
        old = ep["secret"]
        rotated = merchant_api.ok("POST", f"/api/v1/webhook_endpoints/{ep['id']}/rotate_secret", json={"expire_previous_in": 3})
        new = rotated["secret"]
        assert new != old and rotated["previous_secret_expires_at"]
        for _ in range(3):
            merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
        during = rx.wait_for(3)
        for req in during:  # a receiver on either secret verifies every delivery of the overlap
            assert len(req.headers["webhook-signature"].split(" ")) == 2
            _verify(old, req)
            _verify(new, req)
        time.sleep(3.5)  # past the previous secret's expiry
        merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
        after = rx.wait_for(4)[3]
        _verify(new, after)
        with pytest.raises(WebhookVerificationError):
            _verify(old, after)
        bad = merchant_api.post(f"/api/v1/webhook_endpoints/{ep['id']}/rotate_secret", json={"expire_previous_in": -1})
        assert bad.status_code == 400


def test_auto_disable_after_the_span_then_replay_of_failed_deliveries(deploy):
    d = deploy(env={"PAYGATE_WEBHOOK_DISABLE_AFTER": "2"})
    api = Api(d.base_url)
    t0 = datetime.now(timezone.utc) - timedelta(seconds=2)
    with Receiver(default_status=500) as dead_rx, Receiver() as ops_rx:
        dead = _create(api, dead_rx.url, ["webhook.test"])
        ops = _create(api, ops_rx.url, ["webhook_endpoint.disabled"])
        for _ in range(2):
            api.ok("POST", "/api/v1/webhooks/test", 201)
        # Attempt 1 fails (the run starts), attempt 2 five seconds later is past the span: disabled.
        wait_until(lambda: api.ok("GET", f"/api/v1/webhook_endpoints/{dead['id']}")["status"] == "disabled", 40, "auto-disable")
        (note,) = [r for r in ops_rx.wait_for(1)]
        body = _verify(ops["secret"], note)
        assert body["event"] == "webhook_endpoint.disabled" and body["data"]["webhook_endpoint"]["id"] == dead["id"]
        logged = api.ok("GET", f"/api/v1/webhooks?endpoint_id={dead['id']}&limit=100")["data"]
        assert len(logged) == 2 and all(row["status"] == "failed" for row in logged)
        first_ids = {r.event_id for r in dead_rx.requests}
        assert len(first_ids) == 2
        seen = len(dead_rx.requests)
        # The endpoint recovers; re-enabling resends nothing by itself, a replay does.
        dead_rx.default_status = 200
        refused = api.post(f"/api/v1/webhook_endpoints/{dead['id']}/replay", json={"since": _iso(t0)})
        assert refused.status_code == 400  # disabled: enable it first
        api.ok("PATCH", f"/api/v1/webhook_endpoints/{dead['id']}", json={"status": "enabled"})
        assert all(row["status"] == "failed" for row in api.ok("GET", f"/api/v1/webhooks?endpoint_id={dead['id']}")["data"])
        replay = api.ok("POST", f"/api/v1/webhook_endpoints/{dead['id']}/replay", json={"since": _iso(t0), "status": "failed"})
        assert replay["queued"] == 2
        again = dead_rx.wait_for(seen + 2)[seen:]
        assert {r.event_id for r in again} == first_ids
        for req in again:
            _verify(dead["secret"], req)
        wait_until(lambda: all(r["status"] == "success" for r in api.ok("GET", f"/api/v1/webhooks?endpoint_id={dead['id']}")["data"]), 30, "replayed deliveries recorded")
        assert api.post(f"/api/v1/webhook_endpoints/{dead['id']}/replay", json={"since": "yesterday"}).status_code == 400


def test_a_hanging_endpoint_does_not_slow_the_other_endpoint(merchant_api):
    """One endpoint answers after 5 s; the other's deliveries go out at once (send time − event time)."""
    with Receiver(delay_s=5.0) as slow_rx, Receiver() as fast_rx:
        _create(merchant_api, slow_rx.url, ["*"])
        _create(merchant_api, fast_rx.url, ["*"])
        for _ in range(20):
            merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
        got = fast_rx.wait_for(20, timeout=30)
        lags = [int(r.headers["webhook-timestamp"]) - r.json()["timestamp"] for r in got]
        assert max(lags) <= 3, lags  # generous: the slow endpoint holds its sends for 5 s each
