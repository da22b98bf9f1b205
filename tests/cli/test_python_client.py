"""``paygate.client.Client``, the merchants' Python client, against a live daemon (both backends)."""

from __future__ import annotations

import socket

import pytest

from paygate.client import CONNECTION_ERROR, ApiError, Client, Credentials
from paygate.instruments import SUCCESS_CARD, SUCCESS_VPA


def seeded(base_url: str) -> Client:
    return Client(Credentials(base_url, "key_test_abc123", "secret_test_xyz789"))


def test_order_payment_refund_round_trip(deployment, api):
    client = seeded(deployment.base_url)
    order = client.create_order(50000, receipt="py-client")
    assert order["status"] == "created" and client.order(order["id"])["amount"] == 50000
    payment = client.create_payment(order["id"], vpa=SUCCESS_VPA, idempotency_key=f"py-{order['id']}")
    assert payment["status"] == "pending" and payment["method"] == "upi"
    paid = api.wait_payment(payment["id"])
    assert paid["status"] == "success"
    refund = client.create_refund(payment["id"], 10000, "py client")
    assert client.refund(refund["id"])["amount"] == 10000
    assert [r["id"] for r in client.refunds(payment_id=payment["id"])["data"]] == [refund["id"]]
    assert any(p["id"] == payment["id"] for p in client.payments(method="upi", limit=100)["data"])


def test_card_payment_and_errors_carry_the_contract_code(deployment):
    client = seeded(deployment.base_url)
    order = client.create_order(20000)
    card = {"number": SUCCESS_CARD, "expiry_month": 12, "expiry_year": 2099, "cvv": "123", "holder_name": "Asha"}
    assert client.create_payment(order["id"], card=card)["card_last4"] == "4242"
    with pytest.raises(ApiError) as err:
        client.payment("pay_doesnotexist0000")
    assert (err.value.status, err.value.code) == (404, "NOT_FOUND_ERROR")
    with pytest.raises(ApiError) as err:
        client.payment("../orders")  # one path segment: cannot reach another endpoint
    assert err.value.code == "NOT_FOUND_ERROR"
    with pytest.raises(ApiError) as err:
        Client(Credentials(deployment.base_url, "key_test_abc123", "wrong")).me()
    assert (err.value.status, err.value.code) == (401, "AUTHENTICATION_ERROR")


def test_an_unreachable_daemon_is_a_connection_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ApiError) as err:
        Client(Credentials(f"http://127.0.0.1:{port}", "k", "s"), timeout=2).health()
    assert (err.value.status, err.value.code) == (0, CONNECTION_ERROR)
    assert "****" in repr(Credentials("u", "k", "s")) and "'s'" not in repr(Credentials("u", "k", "s"))
