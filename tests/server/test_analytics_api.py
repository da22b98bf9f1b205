"""GET /api/v1/analytics over real HTTP, on both backends, with exact expected totals."""

from __future__ import annotations

from tests.support.api import DECLINED_CARD


def _settled(api, order_amount, method="card", **extra):
    payment = api.create_payment(api.create_order(order_amount)["id"], method, **extra)
    return api.wait_payment(payment["id"])


def test_totals_split_by_method_buckets_and_refunds(merchant_api):
    api = merchant_api
    for amount in (10000, 20000, 30000):
        _settled(api, amount, "card")
    assert _settled(api, 15000, "card", card=DECLINED_CARD)["status"] == "failed"
    for amount in (5000, 7000):
        _settled(api, amount, "upi", vpa="success@paygate")
    assert _settled(api, 9000, "upi", vpa="failure@paygate")["status"] == "failed"
    refunded = api.paid_payment(40000, "card")
    refund = api.ok("POST", f"/api/v1/payments/{refunded['id']}/refunds", 201, json={"amount": 12345})
    api.wait_refund(refund["id"], ("processed",))

    body = api.ok("GET", "/api/v1/analytics", params={"window": "hour"})
    assert body["window"] == "hour" and body["currency"] == "INR" and body["bucket_seconds"] == 60
    assert body["totals"] == {
        "volume": 112000,  # a partially refunded payment still counts as collected volume
        "count": 8,
        "successful": 6,
        "failed": 2,
        "pending": 0,
        "success_rate_bps": 7500,
        "refunded": 12345,
        "refund_count": 1,
    }
    assert body["by_method"]["card"] == {"volume": 100000, "count": 5, "successful": 4, "failed": 1, "pending": 0, "success_rate_bps": 8000}
    assert body["by_method"]["upi"] == {"volume": 12000, "count": 3, "successful": 2, "failed": 1, "pending": 0, "success_rate_bps": 6667}  # 2/3 rounded, not truncated
    buckets = body["buckets"]
    assert len(buckets) == 60 and buckets[0]["start"] == body["from"]
    assert sum(b["count"] for b in buckets) == 8 and sum(b["volume"] for b in buckets) == 112000
    assert all(isinstance(b["volume"], int) for b in buckets)


def test_windows_have_their_bucket_counts(merchant_api):
    merchant_api.paid_payment(25000, "upi")
    for window, n, step in (("day", 24, 3600), ("week", 28, 21600)):
        body = merchant_api.ok("GET", "/api/v1/analytics", params={"window": window})
        assert len(body["buckets"]) == n and body["bucket_seconds"] == step
        assert body["totals"]["volume"] == 25000 and body["totals"]["success_rate_bps"] == 10000
    default = merchant_api.ok("GET", "/api/v1/analytics")
    assert default["window"] == "day"


def test_empty_merchant_and_other_currency_have_no_rate(merchant_api):
    body = merchant_api.ok("GET", "/api/v1/analytics", params={"window": "hour", "currency": "USD"})
    assert body["currency"] == "USD"
    assert body["totals"]["count"] == 0 and body["totals"]["volume"] == 0
    assert body["totals"]["success_rate_bps"] is None


def test_bad_window_and_missing_credentials(api, deployment):
    import requests

    r = api.get("/api/v1/analytics", params={"window": "month"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BAD_REQUEST_ERROR" and "window" in r.json()["error"]["description"]
    r = api.get("/api/v1/analytics", params={"currency": "XYZ"})
    assert r.status_code == 400
    r = requests.get(deployment.base_url + "/api/v1/analytics", timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTHENTICATION_ERROR"
