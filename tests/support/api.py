"""A small merchant-side HTTP client for tests: real requests against a running daemon."""

from __future__ import annotations

import time
import uuid

import requests

from paygate import instruments

TEST_KEY = "key_test_abc123"
TEST_SECRET = "secret_test_xyz789"
SUCCESS_CARD = {"number": instruments.SUCCESS_CARD, "expiry_month": 12, "expiry_year": 2034, "cvv": "123", "holder_name": "Asha Rao"}
DECLINED_CARD = {**SUCCESS_CARD, "number": instruments.DECLINED_CARD}


class Api:
    def __init__(self, base_url: str, key: str = TEST_KEY, secret: str = TEST_SECRET):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"X-Api-Key": key, "X-Api-Secret": secret})

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 15)
        return self.session.request(method, self.base_url + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def ok(self, method: str, path: str, expect: int = 200, **kw) -> dict:
        r = self.request(method, path, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def create_order(self, amount: int = 50000, **extra) -> dict:
        return self.ok("POST", "/api/v1/orders", 201, json={"amount": amount, **extra})

    def create_payment(self, order_id: str, method: str = "upi", key: str | None = None, **extra) -> dict:
        body = {"order_id": order_id, "method": method}
        if method == "upi":
            body["vpa"] = extra.pop("vpa", "shopper@okbank")
        else:
            body["card"] = extra.pop("card", SUCCESS_CARD)
        body.update(extra)
        headers = {"Idempotency-Key": key} if key else {}
        return self.ok("POST", "/api/v1/payments", 201, json=body, headers=headers)

    def wait_payment(self, payment_id: str, statuses=("success", "failed"), timeout: float = 20.0) -> dict:
        return self._wait(f"/api/v1/payments/{payment_id}", statuses, timeout)

    def wait_refund(self, refund_id: str, statuses=("processed", "failed"), timeout: float = 20.0) -> dict:
        return self._wait(f"/api/v1/refunds/{refund_id}", statuses, timeout)

    def _wait(self, path, statuses, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.ok("GET", path)
            if last["status"] in statuses:
                return last
            time.sleep(0.1)
        raise AssertionError(f"{path} still {last and last['status']} after {timeout}s")

    def paid_payment(self, amount: int = 50000, method: str = "card") -> dict:
        order = self.create_order(amount)
        payment = self.create_payment(order["id"], method)
        return self.wait_payment(payment["id"], ("success",))


def new_merchant(base_url: str, deployment=None) -> Api:
    """A fresh merchant for isolation, created through the admin CLI of the deployment."""
    import json
    import subprocess
    import sys

    email = f"m-{uuid.uuid4().hex[:10]}@example.test"
    out = subprocess.run(
        [sys.executable, "-m", "paygate", "merchants", "create", "--name", "Shop " + email[:8], "--email", email, "--json"],
        env=deployment.process_env(),
        capture_output=True,
        text=True,
        cwd=deployment.root,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    return Api(base_url, data["api_key"], data["api_secret"])
