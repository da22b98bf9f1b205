"""Webhooks over real HTTP on both backends: settings, the delivery log, retry, test events, the
event stream, and signatures checked by real verifiers (the seed README's Node snippet, standardwebhooks)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from tests.support.api import Api
from tests.support.receiver import Receiver
from devstack.waiting import wait_until

NODE_RECEIVER = Path(__file__).resolve().parents[1] / "support" / "node_receiver.js"
REFUND_REASON = "Größe falsch 👟 — रिफ़ंड चाहिए ✅"
UNICODE_DATA = {"reason": "रिफ़ंड: size too small 👟🎉", "note": "Grüße, 你好, émoji ✅", "amount": 12345, "quote": 'he said "hi"\n\t\\'}



def _secret(api: Api) -> str:
    return api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]


def _set_url(api: Api, url) -> dict:
    return api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": url})


def _delivery_status(api: Api, delivery_id: str, statuses=("success", "failed"), timeout=30.0) -> dict:
    return wait_until(lambda: (d := api.ok("GET", f"/api/v1/webhooks/{delivery_id}"))["status"] in statuses and d, timeout, f"delivery {delivery_id} final")


@pytest.fixture
def node_receiver():
    started = []

    def start(secret: str):
        proc = subprocess.Popen(["node", str(NODE_RECEIVER)], env={"SECRET": secret, "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, text=True)
        started.append(proc)
        port = int(proc.stdout.readline().strip())
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(10)


def test_secret_is_masked_on_me_revealed_on_request_and_rotated(merchant_api):
    me = merchant_api.ok("GET", "/api/v1/merchants/me")
    secret = _secret(merchant_api)
    assert me["webhook_secret_set"] is True and secret not in json.dumps(me)
    assert me["webhook_secret_hint"] == "whsec_…" + secret[-4:]
    rotated = merchant_api.ok("POST", "/api/v1/merchants/me/webhook-secret")
    assert rotated["webhook_secret"] != secret and rotated["webhook_secret"].startswith("whsec_")
    assert _secret(merchant_api) == rotated["webhook_secret"]


def test_webhook_url_must_be_http_or_https_or_null(merchant_api):
    for bad in ("ftp://x.example/hook", "not a url", 42, "javascript:alert(1)"):
        r = merchant_api.put("/api/v1/merchants/me", json={"webhook_url": bad})
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR", bad
    assert merchant_api.ok("GET", "/api/v1/merchants/me")["webhook_url"] is None
    assert _set_url(merchant_api, "https://shop.example/hooks")["webhook_url"] == "https://shop.example/hooks"
    assert _set_url(merchant_api, None)["webhook_url"] is None


def test_every_delivery_verifies_with_the_seed_readme_node_snippet(merchant_api, node_receiver):
    base = node_receiver(_secret(merchant_api))
    _set_url(merchant_api, base + "/webhooks")
    test = merchant_api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": UNICODE_DATA})
    order = merchant_api.create_order(25000, notes={"gift": "🎁 for दीदी"})
    payment = merchant_api.create_payment(order["id"], "upi", vpa="asha.rao@okicici")
    merchant_api.wait_payment(payment["id"])
    refund = merchant_api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 5000, "reason": REFUND_REASON})
    merchant_api.wait_refund(refund["id"])
    want = {"webhook.test", "payment.created", "payment.pending", "payment.success", "refund.created", "refund.processed"}
    results = wait_until(lambda: (r := requests.get(base + "/results", timeout=5).json()) and {x["event"] for x in r} >= want and r, 30, "node deliveries")
    assert all(r["verified"] for r in results), results
    got = {r["id"]: r for r in results}
    assert got[test["event_id"]]["data"] == UNICODE_DATA
    assert [r["data"]["refund"]["reason"] for r in results if r["event"].startswith("refund.")] == [REFUND_REASON, REFUND_REASON]
    assert _delivery_status(merchant_api, test["id"])["status"] == "success"


def test_generated_secret_deliveries_verify_with_standardwebhooks(merchant_api):
    with Receiver() as rx:
        _set_url(merchant_api, rx.url)
        secret = _secret(merchant_api)
        merchant_api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": UNICODE_DATA})
        (req,) = rx.wait_for(1)
    payload = Webhook(secret).verify(req.body, req.headers)
    assert payload["data"] == UNICODE_DATA and req.headers["webhook-id"] == payload["id"]
    assert req.headers["content-type"] == "application/json" and req.headers["user-agent"].startswith("paygate")
    assert "🎉".encode() in req.body, "bodies are UTF-8, not \\u-escaped"


def test_no_url_records_the_event_but_no_delivery(merchant_api):
    order = merchant_api.create_order(10000)
    payment = merchant_api.create_payment(order["id"], "upi")
    merchant_api.wait_payment(payment["id"])
    events = merchant_api.ok("GET", "/api/v1/events", params={"limit": 10})["data"]
    assert {"payment.created", "payment.success"} <= {e["event"] for e in events if e["object_id"] == payment["id"]}
    assert merchant_api.ok("GET", "/api/v1/webhooks")["total"] == 0
    r = merchant_api.post("/api/v1/webhooks/test", json={})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_log_lists_newest_first_with_filters_and_shows_attempts(merchant_api):
    with Receiver(statuses=[503]) as rx:
        _set_url(merchant_api, rx.url)
        first = merchant_api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": {"n": 1}})
        rx.wait_for(1)
        second = merchant_api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": {"n": 2}})
        _delivery_status(merchant_api, second["id"])
        page = merchant_api.ok("GET", "/api/v1/webhooks", params={"limit": 10, "offset": 0})
        assert page["total"] == 2 and page["limit"] == 10 and page["offset"] == 0
        assert [d["id"] for d in page["data"]] == [second["id"], first["id"]]
        item = page["data"][0]
        assert {"id", "event", "status", "attempts", "created_at", "last_attempt_at", "response_code"} <= set(item)
        assert item["event"] == "webhook.test" and item["status"] == "success" and item["response_code"] == 200
        pending = merchant_api.ok("GET", "/api/v1/webhooks", params={"status": "pending"})["data"]
        assert [d["id"] for d in pending] == [first["id"]] and pending[0]["response_code"] == 503
        assert merchant_api.ok("GET", "/api/v1/webhooks", params={"event": "payment.success"})["total"] == 0
        assert [d["id"] for d in merchant_api.ok("GET", "/api/v1/webhooks", params={"limit": 1, "offset": 1})["data"]] == [first["id"]]
        detail = merchant_api.ok("GET", f"/api/v1/webhooks/{first['id']}")
        (attempt,) = detail["attempt_log"]
        assert attempt["number"] == 1 and attempt["response_code"] == 503 and attempt["error"] == "HTTP 503"
        assert attempt["response_excerpt"].startswith("(hidden") and attempt["duration_ms"] >= 0  # a loopback receiver
        for bad in ({"status": "done"}, {"event": "nope"}, {"limit": 0}, {"offset": -1}):
            r = merchant_api.get("/api/v1/webhooks", params=bad)
            assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR", bad


def test_manual_retry_sends_the_same_event_again(merchant_api):
    with Receiver() as rx:
        _set_url(merchant_api, rx.url)
        sent = merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
        rx.wait_for(1)
        _delivery_status(merchant_api, sent["id"])
        r = merchant_api.ok("POST", f"/api/v1/webhooks/{sent['id']}/retry")
        assert r == {"id": sent["id"], "status": "pending", "message": "Webhook retry scheduled"}
        again = rx.wait_for(2)
    assert again[0].event_id == again[1].event_id == sent["event_id"]
    assert again[0].body == again[1].body
    d = _delivery_status(merchant_api, sent["id"])
    assert d["status"] == "success" and d["attempts"] == 1 and len(d["attempt_log"]) == 2


def test_unknown_other_merchants_and_malformed_ids_are_not_found(merchant_api, api):
    with Receiver() as rx:
        _set_url(merchant_api, rx.url)
        sent = merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
    for path in (f"/api/v1/webhooks/{sent['id']}", "/api/v1/webhooks/00000000-0000-0000-0000-000000000000", "/api/v1/webhooks/x%27;--"):
        r = api.get(path)
        assert r.status_code == 404 and r.json()["error"] == {"code": "NOT_FOUND_ERROR", "description": "Webhook log not found"} | {k: v for k, v in r.json()["error"].items() if k not in ("code", "description")}
    r = api.post(f"/api/v1/webhooks/{sent['id']}/retry")
    assert r.status_code == 404
    r = requests.get(merchant_api.base_url + "/api/v1/webhooks", timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTHENTICATION_ERROR"


def test_events_follow_with_an_after_cursor(merchant_api):
    first = merchant_api.create_order(10000)
    p1 = merchant_api.create_payment(first["id"], "upi")
    merchant_api.wait_payment(p1["id"])
    newest = merchant_api.ok("GET", "/api/v1/events", params={"limit": 1})["data"][0]
    p2 = merchant_api.create_payment(merchant_api.create_order(10000)["id"], "card")
    merchant_api.wait_payment(p2["id"])
    after = merchant_api.ok("GET", "/api/v1/events", params={"after": newest["id"]})["data"]
    assert [e["object_id"] for e in after] == [p2["id"]] * len(after)
    assert [e["event"] for e in after][0] == "payment.created" and after[-1]["event"] == "payment.success"
    assert merchant_api.ok("GET", "/api/v1/events", params={"after": newest["id"], "type": "payment.success"})["data"][0]["object_id"] == p2["id"]
    assert merchant_api.get("/api/v1/events", params={"after": "evt_doesnotexist00000"}).status_code == 404
    assert merchant_api.get("/api/v1/events", params={"limit": 101}).status_code == 400


def test_seeded_secret_signs_with_the_hex_header_only(deploy, node_receiver):
    """The seeded merchant in a private deployment: its non-base64 secret gets the seed header alone."""
    d = deploy()
    api = Api(d.base_url)
    base = node_receiver("whsec_test_abc123")
    _set_url(api, base + "/hook")
    with Receiver() as rx:
        api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": UNICODE_DATA})
        results = wait_until(lambda: requests.get(base + "/results", timeout=5).json(), 30, "node delivery")
        assert results[0]["verified"] is True and results[0]["data"] == UNICODE_DATA
        _set_url(api, rx.url)
        api.ok("POST", "/api/v1/webhooks/test", 201)
        (req,) = rx.wait_for(1)
    assert "x-webhook-signature" in req.headers and "webhook-signature" not in req.headers
    status = wait_until(lambda: (s := api.ok("GET", "/api/v1/test/jobs/status"))["completed"] >= 2 and s["pending"] + s["processing"] == 0 and s, 30, "jobs settled")
    assert status["completed"] == 2 and status["failed"] == 0, status
