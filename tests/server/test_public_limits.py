"""The public payment endpoint (no credentials) is bounded per order and per client address:
past either bound an attempt is 429 RATE_LIMIT_ERROR with Retry-After and writes nothing, and
both the refusals and the bounds (the committer's queue too) show on the metrics listener."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.support.api import DECLINED_CARD, new_merchant
from devstack.daemon import Deployment, backend_env

PER_ORDER, PER_CLIENT = 3, 6


@pytest.fixture(scope="module")
def limited(backend, services):
    d = Deployment(
        backend,
        {**backend_env(backend, *services), "PAYGATE_PUBLIC_ATTEMPTS_PER_ORDER": str(PER_ORDER), "PAYGATE_PUBLIC_ATTEMPTS_PER_CLIENT": str(PER_CLIENT)},
        worker_processes=0,
    )
    d.start()
    yield d
    d.stop()


def _attempt(d, order_id: str) -> requests.Response:
    """What a card tester does: another card on the checkout's public endpoint."""
    return requests.post(d.base_url + "/api/v1/payments/public", json={"order_id": order_id, "method": "card", "card": DECLINED_CARD}, timeout=15)


def _payments(merchant) -> int:
    return len(merchant.ok("GET", "/api/v1/payments", params={"limit": 100})["data"])


def _refused(r: requests.Response, kind: str) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "RATE_LIMIT_ERROR" and kind in r.json()["error"]["description"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60


def test_public_attempts_are_limited_per_order_then_per_client(limited):
    merchant = new_merchant(limited.base_url, limited)
    orders = [merchant.create_order()["id"] for _ in range(2)]
    if time.time() % 60 > 45:  # the counters are per minute: start the attempts in a fresh one
        time.sleep(61 - time.time() % 60)
    for _ in range(PER_ORDER):
        assert _attempt(limited, orders[0]).status_code == 201
    before = _payments(merchant)
    _refused(_attempt(limited, orders[0]), "order")
    assert _payments(merchant) == before, "a refused attempt wrote nothing"
    for _ in range(PER_CLIENT - PER_ORDER - 1):  # another order: only this client's count stands in the way
        assert _attempt(limited, orders[1]).status_code == 201
    _refused(_attempt(limited, orders[1]), "client")
    assert _payments(merchant) == before + PER_CLIENT - PER_ORDER - 1

    text = requests.get(limited.metrics_url, timeout=10).text
    assert re.search(r'^paygate_public_payment_limited_total\{limit="order"\} [1-9]', text, re.M)
    assert re.search(r'^paygate_public_payment_limited_total\{limit="client"\} [1-9]', text, re.M)
    assert re.search(r'^paygate_limit\{name="commit_queue"\} [1-9]', text, re.M)
    assert re.search(rf'^paygate_limit\{{name="public_attempts_per_order"\}} {PER_ORDER}$', text, re.M)
    assert "# TYPE paygate_commit_queue_full_total counter" in text

