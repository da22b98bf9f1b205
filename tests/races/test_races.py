"""Races over real HTTP, on both backends: many clients at once, one right answer.

Each test fires concurrent requests from a thread pool (a barrier releases them together) and
then checks the rows through the API and the event stream: exactly one capture, never a refund
past the payment's amount, exactly one payment per Idempotency-Key.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
import uuid

import pytest

from tests.support.api import Api, new_merchant

THREADS = 16


def _together(n: int, fn):
    """Run ``fn(i)`` for i in range(n) on THREADS threads, released at once; returns results."""
    barrier = threading.Barrier(min(n, THREADS))

    def call(i):
        if i < THREADS:
            barrier.wait(timeout=30)
        return fn(i)

    with cf.ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(call, range(n)))


@pytest.fixture(scope="module")
def shop(deployment) -> Api:
    return new_merchant(deployment.base_url, deployment)


def _events(api: Api, object_id: str) -> list[str]:
    """Event types recorded for one object (the event stream, newest first, up to 100)."""
    page = api.ok("GET", "/api/v1/events", params={"limit": 100})["data"]
    return [e["event"] for e in page if e.get("object_id") == object_id]


def test_concurrent_captures_exactly_one_wins(shop):
    payment = shop.paid_payment(60000)

    def capture(_):
        r = shop.post(f"/api/v1/payments/{payment['id']}/capture", json={})
        return r.status_code, r.json()

    results = _together(24, capture)
    wins = [b for s, b in results if s == 200]
    losses = [b for s, b in results if s != 200]
    assert len(wins) == 1, results
    assert wins[0]["captured"] is True
    assert {s for s, _ in results} == {200, 400}
    assert all(b["error"]["description"] == "Payment not in capturable state" for b in losses)
    assert shop.ok("GET", f"/api/v1/payments/{payment['id']}")["captured"] is True


@pytest.mark.parametrize("amounts", [[1000] * 30, [3000, 2500, 4000, 1500, 2000, 3500, 1000, 5000, 500, 2500] * 2])
def test_concurrent_refunds_never_exceed_the_payment(shop, amounts):
    payment = shop.paid_payment(10000)

    def refund(i):
        r = shop.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": amounts[i], "reason": f"r{i}"})
        return r.status_code, r.json(), amounts[i]

    results = _together(len(amounts), refund)
    accepted = [(b, a) for s, b, a in results if s == 201]
    assert {s for s, _, _ in results} <= {201, 400}, results
    total = sum(a for _, a in accepted)
    assert total <= 10000, (total, results)
    assert all(b["error"]["code"] == "BAD_REQUEST_ERROR" for s, b, _ in results if s == 400)
    if amounts == [1000] * 30:
        assert len(accepted) == 10 and total == 10000
    else:
        smallest_rejected = min((a for s, _, a in results if s == 400), default=None)
        assert smallest_rejected is None or smallest_rejected > 10000 - total, "a refund that fit was refused"
    listed = shop.ok("GET", f"/api/v1/payments/{payment['id']}/refunds", params={"limit": 100})["data"]
    assert sorted(r["id"] for r in listed) == sorted(b["id"] for b, _ in accepted)
    for b, _ in accepted:
        shop.wait_refund(b["id"], ("processed",), timeout=30)
    final = shop.ok("GET", f"/api/v1/payments/{payment['id']}")
    assert final["status"] == ("refunded" if total == 10000 else "partially_refunded")


def test_concurrent_same_key_creates_make_exactly_one_payment(shop):
    order = shop.create_order(45000)
    key = "race-" + uuid.uuid4().hex
    body = {"order_id": order["id"], "method": "upi", "vpa": "race@okaxis"}

    def create(_):
        r = shop.post("/api/v1/payments", json=body, headers={"Idempotency-Key": key})
        return r.status_code, r.content

    results = _together(40, create)
    assert {s for s, _ in results} <= {201, 409}, results
    bodies = {c for s, c in results if s == 201}
    assert len(bodies) == 1, "every 201 must replay the one payment byte for byte"
    payment_id = json.loads(next(iter(bodies)))["id"]
    listed = shop.ok("GET", "/api/v1/payments", params={"limit": 100})["data"]
    assert [p["id"] for p in listed if p["order_id"] == order["id"]] == [payment_id]
    assert _events(shop, payment_id).count("payment.created") == 1
    final = shop.post("/api/v1/payments", json=body, headers={"Idempotency-Key": key})
    assert final.status_code == 201 and final.headers.get("Idempotent-Replayed") == "true"


def test_concurrent_same_key_refunds_make_exactly_one_refund(shop):
    payment = shop.paid_payment(20000)
    key = "race-refund-" + uuid.uuid4().hex

    def refund(_):
        r = shop.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 7000}, headers={"Idempotency-Key": key})
        return r.status_code, r.content

    results = _together(32, refund)
    assert {s for s, _ in results} <= {201, 409}, results
    assert len({c for s, c in results if s == 201}) == 1
    listed = shop.ok("GET", f"/api/v1/payments/{payment['id']}/refunds", params={"limit": 100})["data"]
    assert len(listed) == 1 and listed[0]["amount"] == 7000


def test_concurrent_public_creates_with_one_key_make_one_payment(shop, deployment):
    import requests

    order = shop.create_order(15000)
    key = "race-public-" + uuid.uuid4().hex
    body = {"order_id": order["id"], "method": "card", "card": {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2034, "cvv": "123"}}

    def create(_):
        r = requests.post(deployment.base_url + "/api/v1/payments/public", json=body, headers={"Idempotency-Key": key}, timeout=15)
        return r.status_code, r.content

    results = _together(24, create)
    assert {s for s, _ in results} <= {201, 409}, results
    assert len({c for s, c in results if s == 201}) == 1
    listed = shop.ok("GET", "/api/v1/payments", params={"limit": 100})["data"]
    assert len([p for p in listed if p["order_id"] == order["id"]]) == 1


@pytest.mark.parametrize("n", [2, 10])
def test_concurrent_payments_on_one_order_charge_the_shopper_once(deploy, n):
    """n payments on one order, created together and all approved by the bank: the order is paid
    once; every other payment ends failed with ORDER_ALREADY_PAID and its payment.failed event."""
    d = deploy(env={"TEST_PROCESSING_DELAY": "3000"})  # every create lands before the first settles
    shop = new_merchant(d.base_url, d)
    order = shop.create_order(30000)
    card = {"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2034, "cvv": "123", "holder_name": "Asha Rao"}

    def pay(i):
        r = shop.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": card})
        return r.status_code, r.json()

    results = _together(n, pay)
    assert [s for s, _ in results] == [201] * n, results
    final = [shop.wait_payment(b["id"], timeout=60) for _, b in results]
    won = [p for p in final if p["status"] == "success"]
    lost = [p for p in final if p["status"] != "success"]
    assert len(won) == 1, final
    assert len(lost) == n - 1
    assert all(p["status"] == "failed" and p["error_code"] == "ORDER_ALREADY_PAID" and p["error_description"] for p in lost), lost
    assert shop.ok("GET", f"/api/v1/orders/{order['id']}")["status"] == "paid"
    assert _events(shop, won[0]["id"]).count("payment.success") == 1
    for p in lost:
        kinds = _events(shop, p["id"])
        assert kinds.count("payment.failed") == 1 and "payment.success" not in kinds, (p["id"], kinds)
