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


UNKNOWN_OR_WRONG = "Invalid API credentials: the API key is unknown or the secret does not match it"


@pytest.mark.parametrize(
    "headers,description",
    [
        ({}, "Invalid API credentials: the X-Api-Key and X-Api-Secret headers are missing"),
        ({"X-Api-Key": "key_test_abc123"}, "Invalid API credentials: the X-Api-Secret header is missing"),
        ({"X-Api-Secret": "secret_test_xyz789"}, "Invalid API credentials: the X-Api-Key header is missing"),
        ({"Authorization": "Bearer key_test_abc123"}, "Invalid API credentials: the Authorization Bearer scheme is not supported; send the key and secret in the X-Api-Key and X-Api-Secret headers"),
        ({"Authorization": "Basic a2V5X3Rlc3RfYWJjMTIzOnNlY3JldF90ZXN0X3h5ejc4OQ=="}, "Invalid API credentials: the Authorization Basic scheme is not supported; send the key and secret in the X-Api-Key and X-Api-Secret headers"),
        # an unknown key and a wrong secret read the same: the answer never tells whether a key exists
        ({"X-Api-Key": "key_test_abc123", "X-Api-Secret": "wrong"}, UNKNOWN_OR_WRONG),
        ({"X-Api-Key": "nope", "X-Api-Secret": "secret_test_xyz789"}, UNKNOWN_OR_WRONG),
    ],
)
def test_missing_or_wrong_credentials_are_401_saying_what_to_fix(deployment, headers, description):
    r = requests.get(deployment.base_url + "/api/v1/payments", headers=headers, timeout=10)
    assert_error(r, 401, "AUTHENTICATION_ERROR", description)


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


@pytest.mark.parametrize("month,year", [("12/30", 2030), (12, "thirty"), (12, 150)])
def test_expiry_in_the_wrong_format_is_a_bad_request_naming_the_field(api, month, year):
    order = api.create_order()
    card = {**SUCCESS_CARD, "expiry_month": month, "expiry_year": year}
    r = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": card})
    assert_error(r, 400, "BAD_REQUEST_ERROR")
    assert r.json()["error"]["field"] in ("card.expiry_month", "card.expiry_year") and "format" in r.json()["error"]["description"]


def test_paying_a_paid_order_says_order_already_paid_as_the_settled_path_does(api):
    paid = api.paid_payment(10000)
    r = api.post("/api/v1/payments", json={"order_id": paid["order_id"], "method": "upi", "vpa": "success@paygate"})
    assert_error(r, 400, "BAD_REQUEST_ERROR", "Order has already been paid")
    assert r.json()["error"]["reason"] == "ORDER_ALREADY_PAID" and r.json()["error"]["field"] == "order_id"


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
