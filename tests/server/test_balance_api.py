"""GET /api/v1/balance and /api/v1/balance_transactions over HTTP, the Python client and
``paygate balance``, against the session's live daemon on both backends."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from devstack.waiting import wait_until
from paygate.cli import app
from paygate.client import Client
from paygate.client.credentials import Credentials
from paygate.fees import default_prices, fee


def _amounts(balance: dict, kind: str) -> dict:
    return {x["currency"]: x["amount"] for x in balance[kind]}


def test_a_card_payment_and_a_refund_move_the_balance(merchant_api):
    payment = merchant_api.paid_payment(50000, "card")
    charged = fee(50000, default_prices()["card"])
    txns = merchant_api.ok("GET", "/api/v1/balance_transactions")
    assert txns["object"] == "list" and txns["has_more"] is False
    (txn,) = txns["data"]
    assert (txn["type"], txn["source"], txn["amount"], txn["fee"], txn["net"]) == ("payment", payment["id"], 50000, charged, 50000 - charged)
    # TEST_MODE: the money is available within seconds
    wait_until(lambda: _amounts(merchant_api.ok("GET", "/api/v1/balance"), "available").get("INR") == 50000 - charged, 15, "funds available")
    assert merchant_api.ok("GET", "/api/v1/balance_transactions")["data"][0]["status"] == "available"

    refund = merchant_api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 20000})
    merchant_api.wait_refund(refund["id"], ("processed",))
    balance = merchant_api.ok("GET", "/api/v1/balance")
    assert balance["object"] == "balance"
    assert _amounts(balance, "available") == {"INR": 30000 - charged} and _amounts(balance, "pending") == {"INR": 0}
    newest = merchant_api.ok("GET", "/api/v1/balance_transactions", params={"limit": 1})
    assert newest["has_more"] is True and newest["data"][0]["source"] == refund["id"] and newest["data"][0]["net"] == -20000
    older = merchant_api.ok("GET", "/api/v1/balance_transactions", params={"starting_after": newest["data"][0]["id"]})
    assert [t["source"] for t in older["data"]] == [payment["id"]]
    assert merchant_api.ok("GET", "/api/v1/balance_transactions", params={"type": "refund"})["data"] == newest["data"]

    for params in ({"type": "bonus"}, {"source": "pay_é"}, {"starting_after": "txn_nosuchthing00000"}, {"limit": 0}):
        r = merchant_api.get("/api/v1/balance_transactions", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    assert merchant_api.get("/api/v1/balance", headers={"X-Api-Secret": "wrong"}).status_code == 401


def test_client_and_cli_show_the_balance(merchant_api, deployment):
    key, secret = merchant_api.session.headers["X-Api-Key"], merchant_api.session.headers["X-Api-Secret"]
    payment = merchant_api.paid_payment(12345, "card")
    client = Client(Credentials(deployment.base_url, key, secret))
    assert client.balance() == merchant_api.ok("GET", "/api/v1/balance")
    assert [t["source"] for t in client.balance_transactions(limit=5)["data"]] == [payment["id"]]
    creds = ["--api-url", deployment.base_url, "--api-key", key, "--api-secret", secret]
    out = CliRunner().invoke(app, ["balance", "--transactions", "5", *creds])
    assert out.exit_code == 0, out.stdout + out.stderr
    assert "AVAILABLE" in out.stdout and "INR" in out.stdout and payment["id"] in out.stdout and "₹123.45" in out.stdout
    data = json.loads(CliRunner().invoke(app, ["balance", "--json", *creds]).stdout)
    assert set(data) == {"object", "available", "pending", "in_transit"}
