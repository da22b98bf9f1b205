"""Tenant isolation, over real HTTP on both backends, for every operation the API documents.

The operations are enumerated from the served ``/openapi.json``, so an endpoint added later is
covered without touching this file: each authenticated one answers 401 without credentials, and
404 (never 403, never the data) when another merchant names the first merchant's resource.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.security.probe import assert_error, merchant_id_of, rows_of
from tests.support.api import new_merchant
from tests.support.payouts import pay_out_and_reconcile

PARAM = re.compile(r"\{([a-z_]+)\}")


@pytest.fixture(scope="module")
def owner(deployment):
    """A merchant with one of everything: order, captured payment, refund, webhook delivery, event,
    API key, settlement, reconciliation."""
    api = new_merchant(deployment.base_url, deployment)
    api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": "http://127.0.0.1:9/never-listening"})
    order = api.create_order(40000)
    payment = api.wait_payment(api.create_payment(order["id"], "card")["id"], ("success",))
    refund = api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 1000})
    api.wait_refund(refund["id"])  # settled (with its event) before the test counts the owner's rows
    deliveries = api.ok("GET", "/api/v1/webhooks", params={"limit": 5})["data"]
    assert deliveries, "the owner's payment should have produced webhook deliveries"
    endpoint = api.ok("POST", "/api/v1/webhook_endpoints", 201, json={"url": "http://127.0.0.1:9/endpoint", "enabled_events": ["refund.*"]})
    key = api.ok("POST", "/api/v1/api_keys", 201, json={"name": "owned", "scopes": ["payments:read"]})
    ids = {"order_id": order["id"], "payment_id": payment["id"], "refund_id": refund["id"], "delivery_id": deliveries[0]["id"], "endpoint_id": endpoint["id"]}
    ids["key_id"] = key["id"]
    settlement, recon = pay_out_and_reconcile(api, deployment)
    ids.update(settlement_id=settlement["id"], recon_id=recon["id"])
    return api, ids


@pytest.fixture(scope="module")
def documented(deployment):
    doc = requests.get(deployment.base_url + "/openapi.json", timeout=10).json()
    ops = []
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            ops.append((method.upper(), path, bool(spec.get("security"))))
    return ops


def _body(method: str, path: str):
    if path.endswith("/refunds") and method == "POST":
        return {"amount": 100}
    if path.endswith("/merchants/me") and method == "PUT":
        return {"webhook_url": None}
    return {} if method in ("POST", "PUT") else None


def test_every_authenticated_operation_needs_credentials(deployment, documented, owner):
    _, ids = owner
    authenticated = [(m, p) for m, p, auth in documented if auth]
    assert len(authenticated) >= 20, authenticated
    for method, path in authenticated:
        url = deployment.base_url + PARAM.sub(lambda m: ids.get(m.group(1), "x"), path)
        for headers in ({}, {"X-Api-Key": "key_test_abc123"}, {"X-Api-Key": "key_test_abc123", "X-Api-Secret": "wrong"}):
            r = requests.request(method, url, json=_body(method, path), headers=headers, timeout=15)
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text[:200])
            assert r.json()["error"]["code"] == "AUTHENTICATION_ERROR"


def test_another_merchant_gets_404_for_every_owned_resource(deployment, documented, owner, api):
    owner_api, ids = owner
    owner_id = merchant_id_of(owner_api)
    before = rows_of(deployment, owner_id)
    snapshot = {k: owner_api.ok("GET", p) for k, p in (("payment", f"/api/v1/payments/{ids['payment_id']}"), ("refund", f"/api/v1/refunds/{ids['refund_id']}"))}
    tried = 0
    for method, path, auth in documented:
        names = PARAM.findall(path)
        if not auth or not names:
            continue
        url = deployment.base_url + PARAM.sub(lambda m: ids[m.group(1)], path)
        r = api.request(method, url[len(deployment.base_url):], json=_body(method, path))
        err = assert_error(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content, 404)
        assert err["code"] == "NOT_FOUND_ERROR", (method, path)
        for value in ids.values():
            assert value not in r.text, (method, path, r.text)
        tried += 1
    assert tried >= 8, tried
    assert rows_of(deployment, owner_id) == before, "another merchant's request changed the owner's rows"
    for key, path in (("payment", f"/api/v1/payments/{ids['payment_id']}"), ("refund", f"/api/v1/refunds/{ids['refund_id']}")):
        assert owner_api.ok("GET", path) == snapshot[key]


def test_lists_never_show_another_merchants_data(deployment, documented, owner, api):
    _, ids = owner
    listed = 0
    for method, path, auth in documented:
        if not auth or method != "GET" or PARAM.search(path):
            continue
        r = api.get(path)
        assert r.status_code == 200, (path, r.text[:200])
        for value in ids.values():
            assert value not in r.text, (path, value)
        listed += 1
    assert listed >= 6, listed


def test_a_payment_cannot_be_made_on_another_merchants_order(owner, api):
    _, ids = owner
    fresh = owner[0].create_order(30000)
    r = api.post("/api/v1/payments", json={"order_id": fresh["id"], "method": "upi", "vpa": "x@okaxis"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_ERROR"
    r = api.post(f"/api/v1/payments/{ids['payment_id']}/refunds", json={"amount": 100}, headers={"Idempotency-Key": "iso-1"})
    assert r.status_code == 404
