"""Orders and asynchronous payments over real HTTP, on both backends."""

from __future__ import annotations

import uuid

from tests.support.api import DECLINED_CARD


def test_health_reports_each_dependency(api, backend):
    body = api.ok("GET", "/health")
    assert body["status"] == "healthy"
    assert body["database"] == "connected"
    assert body["redis"] == ("not_configured" if backend == "sqlite" else "connected")
    assert body["timestamp"].endswith("Z")


def test_seeded_test_merchant(api):
    body = api.ok("GET", "/api/v1/test/merchant")
    assert body == {"id": "550e8400-e29b-41d4-a716-446655440000", "email": "test@example.com", "api_key": "key_test_abc123", "seeded": True}


def test_upi_payment_goes_pending_then_success(api):
    order = api.create_order(50000, receipt="rcpt-1", notes={"sku": "चाय"})
    assert order["status"] == "created" and order["amount"] == 50000 and order["currency"] == "INR"
    assert order["notes"] == {"sku": "चाय"}
    payment = api.create_payment(order["id"], "upi", vpa="asha@okicici")
    assert payment["status"] == "pending"
    assert payment["amount"] == 50000 and payment["vpa"] == "asha@okicici"
    assert payment["id"].startswith("pay_") and len(payment["id"]) == 20
    final = api.wait_payment(payment["id"])
    assert final["status"] == "success"
    assert api.ok("GET", f"/api/v1/orders/{order['id']}")["status"] == "paid"


def test_card_payment_stores_network_and_last4_only(api):
    order = api.create_order(12345)
    payment = api.create_payment(order["id"], "card")
    assert payment["card_network"] == "visa" and payment["card_last4"] == "4242"
    assert "card" not in payment and "number" not in str(payment)


def test_declined_test_card_fails_with_error_code(api):
    order = api.create_order(20000)
    payment = api.create_payment(order["id"], "card", card=DECLINED_CARD)
    final = api.wait_payment(payment["id"])
    assert final["status"] == "failed"
    assert final["error_code"] == "PAYMENT_FAILED" and final["error_description"]


def test_failure_vpa_fails_and_success_vpa_succeeds(api):
    bad = api.create_payment(api.create_order()["id"], "upi", vpa="failure@paygate")
    good = api.create_payment(api.create_order()["id"], "upi", vpa="success@paygate")
    assert api.wait_payment(bad["id"])["status"] == "failed"
    assert api.wait_payment(good["id"])["status"] == "success"


def test_replay_returns_identical_body_with_replay_header(api):
    order = api.create_order()
    body = {"order_id": order["id"], "method": "upi", "vpa": "r@okaxis"}
    key = uuid.uuid4().hex
    first = api.post("/api/v1/payments", json=body, headers={"Idempotency-Key": key})
    second = api.post("/api/v1/payments", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second.headers.get("Idempotent-Replayed") == "true"
    other = api.post("/api/v1/payments", json={**body, "vpa": "x@okaxis"}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_ERROR"


def test_capture_only_once_and_only_after_success(api):
    order = api.create_order()
    payment = api.create_payment(order["id"], "card")
    early = api.post(f"/api/v1/payments/{payment['id']}/capture")
    assert early.status_code == 400 and early.json()["error"]["description"] == "Payment not in capturable state"
    api.wait_payment(payment["id"])
    captured = api.ok("POST", f"/api/v1/payments/{payment['id']}/capture")
    assert captured["captured"] is True and captured["status"] == "success"
    again = api.post(f"/api/v1/payments/{payment['id']}/capture")
    assert again.status_code == 400


def test_list_filters_and_pagination(merchant_api):
    api = merchant_api
    ids = [api.create_payment(api.create_order(10000 + i)["id"], "upi" if i % 2 else "card")["id"] for i in range(5)]
    page = api.ok("GET", "/api/v1/payments", params={"limit": 2, "offset": 0})
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0
    assert [p["id"] for p in page["data"]] == ids[::-1][:2]
    cards = api.ok("GET", "/api/v1/payments", params={"method": "card", "limit": 100})
    assert cards["total"] == 3 and all(p["method"] == "card" for p in cards["data"])
    bad = api.get("/api/v1/payments", params={"limit": 1000})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_public_endpoints_need_no_credentials(api, deployment):
    import requests

    order = api.create_order(49900)
    public = requests.get(f"{deployment.base_url}/api/v1/orders/{order['id']}/public").json()
    assert public == {"id": order["id"], "amount": 49900, "currency": "INR", "status": "created"}
    r = requests.post(
        f"{deployment.base_url}/api/v1/payments/public", json={"order_id": order["id"], "method": "upi", "vpa": "pub@okhdfc"}
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    got = requests.get(f"{deployment.base_url}/api/v1/payments/{r.json()['id']}/public").json()
    assert got["id"] == r.json()["id"] and "vpa" not in got


def test_other_merchants_resources_are_404(api, merchant_api):
    order = api.create_order()
    payment = api.create_payment(order["id"])
    for path in (f"/api/v1/orders/{order['id']}", f"/api/v1/payments/{payment['id']}"):
        r = merchant_api.get(path)
        assert r.status_code == 404, path
    r = merchant_api.post(f"/api/v1/payments/{payment['id']}/capture")
    assert r.status_code == 404
