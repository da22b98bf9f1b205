"""The audit log over real HTTP, both backends: every mutating operation of the document leaves
exactly one row for its request (and a replayed Idempotency-Key none), with the actor, request id
and client address, and never a secret, card number or CVV; a refused request leaves no row;
filters; one merchant never sees another's rows.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from paygate import instruments
from tests.support.api import SUCCESS_CARD, Api, new_merchant

CVV = "918"
CARD = {**SUCCESS_CARD, "cvv": CVV}


class Recorder:
    """Sends requests with known request ids; remembers which succeeded and which were refused."""

    def __init__(self, api: Api):
        self.api = api
        self.ok_ids: dict[str, str] = {}  # request id → operationId
        self.refused: list[str] = []
        self.secrets: set[str] = set()

    def send(self, operation: str, method: str, path: str, expect: int, *, public: bool = False, **kw) -> dict:
        rid = "req_" + uuid.uuid4().hex[:16]
        headers = {**kw.pop("headers", {}), "X-Request-Id": rid}
        if public:
            r = requests.request(method, self.api.base_url + path, headers=headers, timeout=15, **kw)
        else:
            r = self.api.request(method, path, headers=headers, **kw)
        assert r.status_code == expect, (operation, r.status_code, r.text)
        (self.ok_ids.__setitem__(rid, operation) if r.status_code < 300 else self.refused.append(rid))
        body = r.json()
        for name in ("secret", "webhook_secret"):
            if isinstance(body.get(name), str):
                self.secrets.add(body[name])
        return body


def _all_rows(api: Api) -> list[dict]:
    rows, after = [], None
    while True:
        page = api.ok("GET", "/api/v1/audit_log", params={"limit": 100, **({"starting_after": after} if after else {})})
        rows += page["data"]
        if not page["has_more"]:
            return rows
        after = page["data"][-1]["id"]


@pytest.fixture(scope="module")
def exercised(deployment):
    """A fresh merchant that has done every mutating operation once (and some refused ones)."""
    api = new_merchant(deployment.base_url, deployment)
    rec = Recorder(api)
    rec.secrets.add(api.session.headers["X-Api-Secret"])
    order = rec.send("createOrder", "POST", "/api/v1/orders", 201, json={"amount": 50000, "receipt": "r-1"})
    pay = rec.send("createPayment", "POST", "/api/v1/payments", 201, json={"order_id": order["id"], "method": "card", "card": CARD}, headers={"Idempotency-Key": "audit-1"})
    replay = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": CARD}, headers={"Idempotency-Key": "audit-1", "X-Request-Id": "req_replayed"})
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    public_order = rec.send("createOrder", "POST", "/api/v1/orders", 201, json={"amount": 20000})
    rec.send("createPublicPayment", "POST", "/api/v1/payments/public", 201, public=True, json={"order_id": public_order["id"], "method": "upi", "vpa": instruments.SUCCESS_VPA})
    api.wait_payment(pay["id"], ("success",))
    rec.send("capturePayment", "POST", f"/api/v1/payments/{pay['id']}/capture", 200, json={})
    rec.send("capturePayment", "POST", f"/api/v1/payments/{pay['id']}/capture", 400, json={})  # captured already: refused
    rec.send("createRefund", "POST", f"/api/v1/payments/{pay['id']}/refunds", 201, json={"amount": 1000, "reason": "damaged"})
    rec.send("createRefund", "POST", f"/api/v1/payments/{pay['id']}/refunds", 400, json={"amount": 10_000_000})
    rec.send("createOrder", "POST", "/api/v1/orders", 400, json={"amount": 50})
    rec.send("updateMerchant", "PUT", "/api/v1/merchants/me", 200, json={"webhook_url": "http://hookuser:hookpass@127.0.0.1:9/hook"})
    rec.send("sendTestWebhook", "POST", "/api/v1/webhooks/test", 201, json={})
    delivery = api.ok("GET", "/api/v1/webhooks", params={"limit": 1})["data"][0]
    rec.send("retryWebhookDelivery", "POST", f"/api/v1/webhooks/{delivery['id']}/retry", 200, json={})
    rec.send("rotateWebhookSecret", "POST", "/api/v1/merchants/me/webhook-secret", 200, json={})
    rec.secrets.add(api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"])
    endpoint = rec.send("createWebhookEndpoint", "POST", "/api/v1/webhook_endpoints", 201, json={"url": "http://127.0.0.1:9/e", "enabled_events": ["refund.*"]})
    rec.send("updateWebhookEndpoint", "PATCH", f"/api/v1/webhook_endpoints/{endpoint['id']}", 200, json={"description": "refunds only"})
    rec.send("rotateWebhookEndpointSecret", "POST", f"/api/v1/webhook_endpoints/{endpoint['id']}/rotate_secret", 200, json={"expire_previous_in": 60})
    rec.send("replayWebhookEndpoint", "POST", f"/api/v1/webhook_endpoints/{endpoint['id']}/replay", 200, json={"since": "2020-01-01T00:00:00Z"})
    rec.send("deleteWebhookEndpoint", "DELETE", f"/api/v1/webhook_endpoints/{endpoint['id']}", 200)
    key = rec.send("createApiKey", "POST", "/api/v1/api_keys", 201, json={"name": "reporting", "scopes": ["payments:read"]})
    rec.send("rotateApiKey", "POST", f"/api/v1/api_keys/{key['id']}/rotate", 200, json={"expire_previous_in": 0})
    rec.send("revokeApiKey", "POST", f"/api/v1/api_keys/{key['id']}/revoke", 200, json={})
    rec.send("revokeApiKey", "POST", "/api/v1/api_keys/key_live_nosuchkey/revoke", 404, json={})
    return rec, _all_rows(api)


def test_every_mutating_operation_leaves_exactly_one_row(deployment, exercised):
    rec, rows = exercised
    doc = requests.get(deployment.base_url + "/openapi.json", timeout=10).json()
    mutating = {spec["operationId"] for methods in doc["paths"].values() for m, spec in methods.items() if m != "get"}
    assert set(rec.ok_ids.values()) <= mutating
    by_request: dict[str, list[dict]] = {}
    for row in rows:
        by_request.setdefault(row["request_id"], []).append(row)
    for rid, operation in rec.ok_ids.items():
        found = by_request.get(rid, [])
        assert len(found) == 1, (operation, found)
        assert found[0]["operation"] == operation and found[0]["client_address"] and found[0]["object_id"]
    assert "req_replayed" not in by_request  # a replay changed nothing
    assert all(rid not in by_request for rid in rec.refused)  # a refused request rolled back: no row
    assert [r["seq"] for r in reversed(rows)] == list(range(1, len(rows) + 1))


def test_rows_name_the_actor_and_never_hold_a_secret(exercised):
    rec, rows = exercised
    text = json.dumps(rows)
    for secret in rec.secrets:
        assert secret not in text
    for leak in (instruments.SUCCESS_CARD, CVV, "hookpass", '"cvv"', '"card":', '"number"'):
        assert leak not in json.dumps([r["summary"] for r in rows]), leak
    first = rows[-1]
    assert first["operation"] == "admin.createMerchant" and first["actor"]["type"] == "admin" and first["actor"]["id"]
    public = [r for r in rows if r["operation"] == "createPublicPayment"]
    assert len(public) == 1 and public[0]["actor"]["type"] == "checkout"
    keyed = [r for r in rows if r["actor"]["type"] == "api_key"]
    assert keyed and all(r["actor"]["id"].startswith("key_live_") and r["actor"]["name"] == "default" for r in keyed)
    hook = next(r for r in rows if r["operation"] == "updateMerchant")
    assert hook["summary"]["request"]["webhook_url"] == "http://127.0.0.1:9/hook"


def test_filters_and_isolation(deployment, exercised, api):
    rec, rows = exercised
    owner_api = rec.api
    refund_rows = owner_api.ok("GET", "/api/v1/audit_log", params={"operation": "createRefund"})["data"]
    assert len(refund_rows) == 1 and refund_rows[0]["summary"]["request"] == {"amount": 1000, "reason": "damaged"}
    payment_id = next(r["object_id"] for r in rows if r["operation"] == "capturePayment")
    on_payment = owner_api.ok("GET", "/api/v1/audit_log", params={"object_id": payment_id})["data"]
    assert {r["operation"] for r in on_payment} == {"createPayment", "capturePayment"}
    key_id = owner_api.session.headers["X-Api-Key"]
    assert {r["actor"]["id"] for r in owner_api.ok("GET", "/api/v1/audit_log", params={"actor": key_id, "limit": 100})["data"]} == {key_id}
    assert owner_api.ok("GET", "/api/v1/audit_log", params={"from": "2999-01-01T00:00:00Z"})["data"] == []
    for params, field in (({"from": "yesterday"}, "from"), ({"actor": ""}, "actor"), ({"object_id": "x" * 65}, "object_id")):
        bad = owner_api.get("/api/v1/audit_log", params=params)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field, params
    theirs = json.dumps(_all_rows(api))
    assert all(r["id"] not in theirs and r["object_id"] not in theirs for r in rows if r["object_id"])
