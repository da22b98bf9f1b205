"""Every contract rule that has an error code, sent bad input over HTTP: right status, code, body shape."""

from __future__ import annotations

import pytest
import requests

from tests.support.api import SUCCESS_CARD


def assert_error(r, status, code, description=None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["description"], str) and body["error"]["description"]
    if description:
        assert body["error"]["description"] == description
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Api-Key": "key_test_abc123"}, {"X-Api-Key": "key_test_abc123", "X-Api-Secret": "wrong"}, {"X-Api-Key": "nope", "X-Api-Secret": "secret_test_xyz789"}],
)
def test_missing_or_wrong_credentials_are_401(deployment, headers):
    r = requests.get(deployment.base_url + "/api/v1/payments", headers=headers, timeout=10)
    assert_error(r, 401, "AUTHENTICATION_ERROR", "Invalid API credentials")


@pytest.mark.parametrize(
    "body,description",
    [({"amount": 99}, "amount must be at least 100"), ({"amount": 100.5}, None), ({"amount": "500"}, None), ({}, None), ({"amount": 500, "currency": "XYZ"}, None), ({"amount": 500, "notes": "text"}, None)],
)
def test_bad_orders_are_400(api, body, description):
    assert_error(api.post("/api/v1/orders", json=body), 400, "BAD_REQUEST_ERROR", description)


def test_invalid_vpa(api):
    order = api.create_order()
    r = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "not-a-vpa"})
    assert_error(r, 400, "INVALID_VPA")


@pytest.mark.parametrize("number", ["4242424242424241", "1234", "4242 4242 4242 4242 4242 4", "abcd"])
def test_invalid_card(api, number):
    order = api.create_order()
    r = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": {**SUCCESS_CARD, "number": number}})
    assert_error(r, 400, "INVALID_CARD")


def test_card_missing_is_invalid_card(api):
    order = api.create_order()
    assert_error(api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card"}), 400, "INVALID_CARD")


@pytest.mark.parametrize("month,year", [(1, 2020), (13, 2030), (12, 19)])
def test_expired_card(api, month, year):
    order = api.create_order()
    card = {**SUCCESS_CARD, "expiry_month": month, "expiry_year": year}
    assert_error(api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": card}), 400, "EXPIRED_CARD")


@pytest.mark.parametrize(
    "path,description",
    [
        ("/api/v1/orders/order_doesnotexist00", "Order not found"),
        ("/api/v1/orders/garbage'--", "Order not found"),
        ("/api/v1/payments/pay_doesnotexist0000", "Payment not found"),
        ("/api/v1/payments/%F0%9F%92%B3", "Payment not found"),
        ("/api/v1/payments/" + "x" * 300, "Payment not found"),
    ],
)
def test_unknown_and_malformed_ids_are_404(api, path, description):
    assert_error(api.get(path), 404, "NOT_FOUND_ERROR", description)


def test_public_lookups_of_malformed_ids_are_404(deployment):
    r = requests.get(deployment.base_url + "/api/v1/orders/not_an_order/public", timeout=10)
    assert_error(r, 404, "NOT_FOUND_ERROR", "Order not found")


def test_unknown_route_is_404_in_contract_format(api):
    assert_error(api.get("/api/v1/nothing-here"), 404, "NOT_FOUND_ERROR")


def test_payment_for_unknown_order_is_404(api):
    r = api.post("/api/v1/payments", json={"order_id": "order_AAAAAAAAAAAAAAAA", "method": "upi", "vpa": "a@b"})
    assert_error(r, 404, "NOT_FOUND_ERROR", "Order not found")


def test_over_large_body_is_413(api):
    r = api.post("/api/v1/orders", data=b'{"amount": 500, "notes": {"x": "' + b"a" * 200_000 + b'"}}', headers={"Content-Type": "application/json"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_malformed_json_is_400(api):
    r = api.post("/api/v1/orders", data=b'{"amount": ', headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST_ERROR")


def test_idempotency_key_reused_with_other_body_is_422(api):
    order = api.create_order()
    h = {"Idempotency-Key": "reuse-" + order["id"]}
    assert api.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "a@ok"}, headers=h).status_code == 201
    r = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "b@ok"}, headers=h)
    assert_error(r, 422, "IDEMPOTENCY_ERROR")


def test_bad_idempotency_key_is_400(api):
    order = api.create_order()
    r = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "a@ok"}, headers={"Idempotency-Key": "x" * 300})
    assert_error(r, 400, "BAD_REQUEST_ERROR")


def test_bad_request_changes_nothing(merchant_api):
    before = merchant_api.ok("GET", "/api/v1/payments")["total"]
    order = merchant_api.create_order()
    for body in ({"order_id": order["id"], "method": "upi", "vpa": "bad"}, {"order_id": order["id"], "method": "card", "card": {"number": "1"}}):
        assert merchant_api.post("/api/v1/payments", json=body).status_code == 400
    assert merchant_api.ok("GET", "/api/v1/payments")["total"] == before


def test_capture_wrong_state_message(api):
    order = api.create_order()
    payment = api.create_payment(order["id"], "upi", vpa="failure@paygate")
    api.wait_payment(payment["id"])
    assert_error(api.post(f"/api/v1/payments/{payment['id']}/capture"), 400, "BAD_REQUEST_ERROR", "Payment not in capturable state")
