"""Refunds over real HTTP against a live daemon (and separate workers on PostgreSQL), both backends."""

from __future__ import annotations

import concurrent.futures as cf
import uuid

import pytest
import requests

from tests.support.api import DECLINED_CARD

EXCEEDS = "Refund amount exceeds available amount"


def refund(api, payment_id, amount, **extra):
    return api.post(f"/api/v1/payments/{payment_id}/refunds", json={"amount": amount, **extra})


def error_of(response, status, code="BAD_REQUEST_ERROR"):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["description"], error
    return error


def test_partial_then_full_refund_moves_the_payment(api):
    payment = api.paid_payment(50000)
    r = refund(api, payment["id"], 20000, reason="size too small")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "pending" and first["amount"] == 20000 and first["payment_id"] == payment["id"]
    assert set(first) >= {"id", "payment_id", "amount", "reason", "status", "created_at"}
    assert first["created_at"].endswith("Z")
    done = api.wait_refund(first["id"])
    assert done["status"] == "processed" and done["processed_at"].endswith("Z")
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}")["status"] == "partially_refunded"
    rest = api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 30000})
    api.wait_refund(rest["id"])
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}")["status"] == "refunded"
    listed = api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")
    assert listed["total"] == 2 and [x["id"] for x in listed["data"]] == [rest["id"], first["id"]]
    error = error_of(refund(api, payment["id"], 1), 400)
    assert "refundable" in error["description"]


def test_24_concurrent_refunds_accept_exactly_10(api):
    payment = api.paid_payment(50000)

    def send(_):
        r = refund(api, payment["id"], 5000)
        return r.status_code, r.json()

    with cf.ThreadPoolExecutor(24) as pool:
        results = list(pool.map(send, range(24)))
    accepted = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status != 201]
    assert len(accepted) == 10, results
    assert len({b["id"] for b in accepted}) == 10
    assert [(b["error"]["code"], b["error"]["description"]) for b in refused] == [("BAD_REQUEST_ERROR", EXCEEDS)] * 14, refused
    listed = api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds", params={"limit": 100})
    assert listed["total"] == 10 and sum(x["amount"] for x in listed["data"]) == 50000
    for b in accepted:
        api.wait_refund(b["id"], timeout=30)
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}")["status"] == "refunded"


def test_non_ascii_reason_round_trips_unchanged(api):
    reason = "वापसी 🎁 — défaut"
    payment = api.paid_payment(10000)
    created = api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 100, "reason": reason})
    assert created["reason"] == reason
    assert api.ok("GET", f"/api/v1/refunds/{created['id']}")["reason"] == reason
    raw = api.get(f"/api/v1/refunds/{created['id']}").content
    assert reason.encode("utf-8") in raw  # UTF-8 on the wire, not \u escapes


def test_over_the_available_amount_is_refused(api):
    payment = api.paid_payment(10000)
    assert error_of(refund(api, payment["id"], 10001), 400)["description"] == EXCEEDS
    api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 7000})
    assert error_of(refund(api, payment["id"], 3001), 400)["description"] == EXCEEDS
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["total"] == 1


def test_failed_payment_is_not_refundable(api):
    payment = api.create_payment(api.create_order(20000)["id"], "card", card=DECLINED_CARD)
    assert api.wait_payment(payment["id"])["status"] == "failed"
    error = error_of(refund(api, payment["id"], 100), 400)
    assert "refundable" in error["description"]


@pytest.mark.parametrize(
    "amount",
    [0, -100, 1.5, 100.0, "100", True, None, [100], {"v": 100}, 10**13],
    ids=["zero", "negative", "float", "float-integral", "string", "bool", "null", "list", "object", "huge"],
)
def test_bad_amounts_are_400_and_change_nothing(api, paid_for_validation, amount):
    error = error_of(refund(api, paid_for_validation, amount), 400)
    assert error.get("field") == "amount"
    assert api.ok("GET", f"/api/v1/payments/{paid_for_validation}/refunds")["total"] == 0


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1,2]", b'{"amount": 100, "reason": 7}', "{\"amount\":100,\"reason\":\"\\u0000\"}".encode()]
)
def test_malformed_bodies_are_400(api, paid_for_validation, body):
    r = api.request("POST", f"/api/v1/payments/{paid_for_validation}/refunds", data=body, headers={"Content-Type": "application/json"})
    error_of(r, 400)
    assert api.ok("GET", f"/api/v1/payments/{paid_for_validation}/refunds")["total"] == 0


@pytest.fixture(scope="module")
def paid_for_validation(deployment):
    from tests.support.api import Api

    return Api(deployment.base_url).paid_payment(10000)["id"]


@pytest.mark.parametrize("bad", ["nope", "pay_123", "pay_" + "A" * 17, "rfnd_AAAAAAAAAAAAAAAA", "%F0%9F%8E%81", "pay_AAAAAAAAAAAAAAAA"])
def test_malformed_or_unknown_ids_are_404(api, bad):
    assert error_of(refund(api, bad, 100), 404, "NOT_FOUND_ERROR")["description"] == "Payment not found"
    assert error_of(api.get(f"/api/v1/payments/{bad}/refunds"), 404, "NOT_FOUND_ERROR")["description"] == "Payment not found"
    assert error_of(api.get(f"/api/v1/refunds/{bad}"), 404, "NOT_FOUND_ERROR")["description"] == "Refund not found"


def test_other_merchants_payment_and_refund_are_404(api, merchant_api):
    payment = api.paid_payment(10000)
    mine = api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 100})
    error_of(refund(merchant_api, payment["id"], 100), 404, "NOT_FOUND_ERROR")
    error_of(merchant_api.get(f"/api/v1/refunds/{mine['id']}"), 404, "NOT_FOUND_ERROR")
    error_of(merchant_api.get(f"/api/v1/payments/{payment['id']}/refunds"), 404, "NOT_FOUND_ERROR")
    assert merchant_api.ok("GET", "/api/v1/refunds")["total"] == 0
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["total"] == 1


def test_credentials_are_required(api, deployment):
    payment = api.paid_payment(10000)
    r = requests.post(f"{deployment.base_url}/api/v1/payments/{payment['id']}/refunds", json={"amount": 100}, timeout=10)
    assert error_of(r, 401, "AUTHENTICATION_ERROR")["description"].startswith("Invalid API credentials: the X-Api-Key and X-Api-Secret")
    r = requests.get(f"{deployment.base_url}/api/v1/refunds", headers={"X-Api-Key": "key_test_abc123", "X-Api-Secret": "wrong"}, timeout=10)
    error_of(r, 401, "AUTHENTICATION_ERROR")
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["total"] == 0


def test_idempotent_replay_and_key_reuse(api):
    payment = api.paid_payment(10000)
    other = api.paid_payment(10000)
    key = "rf-" + uuid.uuid4().hex
    body = {"amount": 2500, "reason": "dup"}
    path = f"/api/v1/payments/{payment['id']}/refunds"
    first = api.post(path, json=body, headers={"Idempotency-Key": key})
    second = api.post(path, json=body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content and second.headers.get("Idempotent-Replayed") == "true"
    assert api.ok("GET", f"{path}")["total"] == 1
    error_of(api.post(path, json={**body, "amount": 2600}, headers={"Idempotency-Key": key}), 422, "IDEMPOTENCY_ERROR")
    error_of(api.post(f"/api/v1/payments/{other['id']}/refunds", json=body, headers={"Idempotency-Key": key}), 422, "IDEMPOTENCY_ERROR")
    error_of(api.post(path, json=body, headers={"Idempotency-Key": "x" * 300}), 400)
    assert api.ok("GET", path)["total"] == 1


def test_a_refused_request_releases_its_key(api):
    payment = api.paid_payment(10000)
    key = "rf-" + uuid.uuid4().hex
    path = f"/api/v1/payments/{payment['id']}/refunds"
    error_of(api.post(path, json={"amount": 20000}, headers={"Idempotency-Key": key}), 400)
    assert api.post(path, json={"amount": 20000}, headers={"Idempotency-Key": key}).status_code == 400
    assert api.ok("GET", path)["total"] == 0


def test_list_filters_and_pagination(merchant_api):
    api = merchant_api
    p1, p2 = api.paid_payment(10000), api.paid_payment(10000)
    r1 = api.ok("POST", f"/api/v1/payments/{p1['id']}/refunds", 201, json={"amount": 100})
    r2 = api.ok("POST", f"/api/v1/payments/{p1['id']}/refunds", 201, json={"amount": 200})
    r3 = api.ok("POST", f"/api/v1/payments/{p2['id']}/refunds", 201, json={"amount": 300})
    for r in (r1, r2, r3):
        api.wait_refund(r["id"])
    page = api.ok("GET", "/api/v1/refunds", params={"limit": 2, "offset": 0})
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 0 and len(page["data"]) == 2
    rest = api.ok("GET", "/api/v1/refunds", params={"limit": 2, "offset": 2})
    assert {x["id"] for x in page["data"] + rest["data"]} == {r1["id"], r2["id"], r3["id"]}
    assert api.ok("GET", "/api/v1/refunds", params={"payment_id": p2["id"]})["data"][0]["id"] == r3["id"]
    assert api.ok("GET", "/api/v1/refunds", params={"status": "processed"})["total"] == 3
    assert api.ok("GET", "/api/v1/refunds", params={"status": "pending"})["total"] == 0
    assert api.ok("GET", "/api/v1/refunds", params={"from": "2999-01-01T00:00:00Z"})["total"] == 0
    for params in ({"status": "done"}, {"limit": 101}, {"offset": -1}, {"to": "soon"}, {"payment_id": "x"}):
        error_of(api.get("/api/v1/refunds", params=params), 400)


def test_captured_amount_is_in_the_payment_and_limits_refunds(api, deployment):
    """The payment object carries ``captured_amount`` (0 on create, in the list, after capture)
    and a partial capture caps refunds at what was captured; the OpenAPI document says so."""
    order = api.create_order(50000)
    created = api.create_payment(order["id"], "card")
    assert created["captured_amount"] == 0
    api.wait_payment(created["id"])
    captured = api.ok("POST", f"/api/v1/payments/{created['id']}/capture", json={"amount": 30000})
    assert captured["captured"] is True and captured["captured_amount"] == 30000
    assert api.ok("GET", f"/api/v1/payments/{created['id']}")["captured_amount"] == 30000
    listed = api.ok("GET", "/api/v1/payments", params={"limit": 100})["data"]
    assert [p["captured_amount"] for p in listed if p["id"] == created["id"]] == [30000]
    assert EXCEEDS in error_of(refund(api, created["id"], 30001), 400)["description"]
    done = api.wait_refund(api.ok("POST", f"/api/v1/payments/{created['id']}/refunds", 201, json={"amount": 30000})["id"])
    assert done["status"] == "processed"
    assert api.ok("GET", f"/api/v1/payments/{created['id']}")["status"] == "refunded"
    schema = requests.get(f"{deployment.base_url}/openapi.json", timeout=10).json()["components"]["schemas"]["Payment"]
    assert "captured_amount" in schema["required"] and schema["properties"]["captured_amount"]["type"] == "integer"
