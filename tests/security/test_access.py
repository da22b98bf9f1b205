"""Scoped API keys over real HTTP, both backends: every documented operation against a key with
and without the scope the document names for it, revocation and expiry seen by a second API
process within a second, rotation's overlap, and one merchant never seeing another's keys.

A second ``paygate serve`` shares the session deployment's database (module-scoped), so a
revocation made through one process is checked on the other, whose cache holds the key.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from devstack.daemon import Deployment
from paygate.scopes import ALL_SCOPES, FULL_ACCESS
from tests.support.api import Api, new_merchant

PARAM = re.compile(r"\{([a-z_]+)\}")
SCOPED = [s for s in ALL_SCOPES if s != FULL_ACCESS]


@pytest.fixture(scope="module")
def second_api(deployment):
    """Another API process on the same database as ``deployment`` (no workers of its own)."""
    env = {**deployment.env, "PAYGATE_DATA_DIR": str(deployment.root / "data")}
    d = Deployment(deployment.backend, env, worker_processes=0).start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def owner(deployment):
    return new_merchant(deployment.base_url, deployment)


def _key(api: Api, scopes, **extra) -> dict:
    return api.ok("POST", "/api/v1/api_keys", 201, json={"name": ("test " + " ".join(scopes))[:100], "scopes": list(scopes), **extra})


def _as(api: Api, key: dict, base_url: str | None = None, secret: str | None = None) -> Api:
    return Api(base_url or api.base_url, key["id"], secret or key["secret"])


def _operations(base_url: str):
    doc = requests.get(base_url + "/openapi.json", timeout=10).json()
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            if spec.get("security"):
                yield method.upper(), path, spec


def _call(api: Api, method: str, path: str) -> requests.Response:
    url = PARAM.sub(lambda m: {"key_id": "key_live_nosuchkey"}.get(m.group(1), "x"), path)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return api.request(method, url, json=body)


def test_every_operation_states_a_scope_and_refuses_keys_without_it(deployment, owner):
    ops = list(_operations(deployment.base_url))
    assert len(ops) >= 30
    without = {s: _as(owner, _key(owner, [o for o in SCOPED if o != s])) for s in SCOPED}
    only = {s: _as(owner, _key(owner, [s])) for s in SCOPED}
    for method, path, spec in ops:
        scope = spec["x-scope"]
        assert scope in ALL_SCOPES and f"`{scope}`" in spec["description"], (method, path)
        assert "403" in spec["responses"], (method, path)
        if scope == FULL_ACCESS:
            continue  # an operation the table does not name: full-access keys only
        refused = _call(without[scope], method, path)
        assert refused.status_code == 403, (method, path, refused.status_code, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "PERMISSION_ERROR" and error["missing_scope"] == scope and scope in error["description"]
        allowed = _call(only[scope], method, path)
        assert allowed.status_code not in (401, 403), (method, path, allowed.status_code, allowed.text)


def test_a_read_only_key_cannot_create_capture_refund_or_change_webhooks(owner):
    reader = _as(owner, _key(owner, ["payments:read", "webhooks:read"]))
    paid = owner.paid_payment(20000)
    attempts = [
        ("POST", "/api/v1/orders", {"amount": 10000}),
        ("POST", "/api/v1/payments", {"order_id": paid["order_id"], "method": "upi", "vpa": "a@okbank"}),
        ("POST", f"/api/v1/payments/{paid['id']}/capture", {}),
        ("POST", f"/api/v1/payments/{paid['id']}/refunds", {"amount": 100}),
        ("PUT", "/api/v1/merchants/me", {"webhook_url": None}),
        ("POST", "/api/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}),
        ("POST", "/api/v1/api_keys", {"name": "escalate", "scopes": [FULL_ACCESS]}),
    ]
    for method, path, body in attempts:
        r = reader.request(method, path, json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_ERROR", (path, r.text)
    assert reader.ok("GET", f"/api/v1/payments/{paid['id']}")["captured"] is False
    assert owner.ok("GET", f"/api/v1/payments/{paid['id']}/refunds")["data"] == []


def test_a_key_cannot_grant_a_scope_it_lacks(owner):
    keeper = _as(owner, _key(owner, ["keys:write", "payments:read"]))
    r = keeper.post("/api/v1/api_keys", json={"name": "wider", "scopes": ["payments:write"]})
    assert r.status_code == 400 and r.json()["error"]["field"] == "scopes"
    assert keeper.ok("POST", "/api/v1/api_keys", 201, json={"name": "narrower", "scopes": ["payments:read"]})["scopes"] == ["payments:read"]


def test_revoked_expired_and_rotated_keys_on_another_api_process(owner, second_api):
    """One wait covers three cases: a revocation, an expiry and a rotation's overlap ending."""
    revoked, rotating = _key(owner, ["payments:read"]), _key(owner, ["payments:read"])
    expires = datetime.now(timezone.utc) + timedelta(seconds=2)
    expiring = _key(owner, ["payments:read"], expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    there = {k["id"]: _as(owner, k, second_api.base_url) for k in (revoked, rotating, expiring)}
    for api in there.values():
        assert api.get("/api/v1/payments").status_code == 200  # now cached on the second process
    owner.ok("POST", f"/api/v1/api_keys/{revoked['id']}/revoke")
    rotated = owner.ok("POST", f"/api/v1/api_keys/{rotating['id']}/rotate", json={"expire_previous_in": 2})
    assert rotated["id"] == rotating["id"] and rotated["secret"] != rotating["secret"] and rotated["previous_secret_expires_at"]
    for base in (owner.base_url, second_api.base_url):  # both secrets, on both processes, at once
        assert _as(owner, rotating, base).get("/api/v1/payments").status_code == 200
        assert _as(owner, rotated, base).get("/api/v1/payments").status_code == 200
    time.sleep(max(1.2, (expires - datetime.now(timezone.utc)).total_seconds() + 0.2))
    r = there[revoked["id"]].get("/api/v1/payments")  # within a second of the revocation
    assert r.status_code == 401 and r.json()["error"]["code"] == "API_KEY_REVOKED", r.text
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    r = there[expiring["id"]].get("/api/v1/payments")
    assert r.status_code == 401 and r.json()["error"]["code"] == "API_KEY_EXPIRED", r.text
    time.sleep(max(0.0, _seconds_until(rotated["previous_secret_expires_at"])) + 0.1)
    for base in (owner.base_url, second_api.base_url):
        r = _as(owner, rotating, base).get("/api/v1/payments")
        assert r.status_code == 401 and r.json()["error"]["code"] == "API_KEY_EXPIRED", r.text
        assert _as(owner, rotated, base).get("/api/v1/payments").status_code == 200
    listed = {k["id"]: k for k in owner.ok("GET", "/api/v1/api_keys", params={"limit": 100})["data"]}
    assert listed[revoked["id"]]["status"] == "revoked" and listed[revoked["id"]]["revoked_at"]
    assert listed[expiring["id"]]["status"] == "expired"
    past = owner.post("/api/v1/api_keys", json={"name": "past", "scopes": ["payments:read"], "expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400 and past.json()["error"]["field"] == "expires_at"
    assert owner.post(f"/api/v1/api_keys/{rotated['id']}/rotate", json={"expire_previous_in": -1}).status_code == 400


def _seconds_until(iso_z: str) -> float:
    return (datetime.fromisoformat(iso_z.replace("Z", "+00:00")) - datetime.now(timezone.utc)).total_seconds() + 1  # iso drops the fraction


def test_the_seed_key_is_a_full_access_key(api):
    keys = api.ok("GET", "/api/v1/api_keys", params={"limit": 100})["data"]
    seed = next(k for k in keys if k["id"] == "key_test_abc123")
    assert seed["scopes"] == [FULL_ACCESS] and seed["status"] == "active" and "secret" not in seed
    assert seed["last_used_at"]  # this very request used it
    (created,) = api.ok("GET", "/api/v1/audit_log", params={"operation": "admin.seedTestMerchant"})["data"]
    assert created["seq"] == 1 and created["actor"]["type"] == "admin"  # seeded once, however many starts


def test_merchants_never_see_each_others_keys(deployment, owner):
    other = new_merchant(deployment.base_url, deployment)
    mine = _key(owner, ["payments:read"])
    theirs = other.ok("GET", "/api/v1/api_keys", params={"limit": 100})["data"]
    assert mine["id"] not in {k["id"] for k in theirs} and len(theirs) == 1
    for verb in ("revoke", "rotate"):
        r = other.post(f"/api/v1/api_keys/{mine['id']}/{verb}", json={})
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_ERROR"
    assert _as(owner, mine).get("/api/v1/payments").status_code == 200
    assert all(e["object_id"] != mine["id"] for e in other.ok("GET", "/api/v1/audit_log", params={"limit": 100})["data"])
