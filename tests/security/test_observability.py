"""What an operator sees: JSON log lines with request ids, /metrics, and rate limiting (both backends)."""

from __future__ import annotations

import json
import re
import time
import uuid

import requests

from tests.support.api import TEST_KEY, TEST_SECRET, new_merchant

ACCESS_FIELDS = {"time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms"}


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_request_id_is_returned_and_logged_as_json(api, deployment):
    mine = "req-" + uuid.uuid4().hex[:12]
    r = api.post("/api/v1/orders", json={"amount": 700}, headers={"X-Request-Id": mine})
    assert r.status_code == 201 and r.headers["X-Request-Id"] == mine
    generated = api.get("/api/v1/orders/order_doesnotexist00")
    rid = generated.headers["X-Request-Id"]
    assert rid.startswith("req_") and generated.json()["error"]["request_id"] == rid
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = _json_lines(deployment.logs())
        found = [e for e in lines if e.get("request_id") == mine]
        if found and any(e.get("request_id") == rid for e in lines):
            break
        time.sleep(0.1)
    entry = found[0]
    assert ACCESS_FIELDS <= set(entry), entry
    assert entry["method"] == "POST" and entry["path"] == "/api/v1/orders" and entry["status"] == 201
    assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
    assert entry["time"].endswith("Z") and entry["level"] == "INFO"
    assert [e["status"] for e in lines if e.get("request_id") == rid] == [404]


def test_every_daemon_log_line_is_json_without_secrets(api, deployment):
    api.ok("GET", "/api/v1/merchants/me")
    text = deployment.logs()
    log_lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Ready!")]
    assert log_lines
    not_json = [line for line in log_lines if not line.startswith("{")]
    assert not not_json, not_json[:5]
    for entry in _json_lines(text):
        assert {"time", "level", "logger", "message"} <= set(entry)
    assert TEST_SECRET not in text and "X-Api-Secret" not in text


def test_operator_data_is_not_on_the_merchant_port(deployment):
    r = requests.get(deployment.base_url + "/metrics", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_ERROR"
    assert "paygate_" not in r.text
    assert "/metrics" not in requests.get(deployment.base_url + "/openapi.json", timeout=10).json()["paths"]


def test_metrics_in_prometheus_format(api, deployment):
    deployment.wait_worker_running()
    payment = api.create_payment(api.create_order(9000)["id"])
    api.get(f"/api/v1/payments/{payment['id']}")
    api.get("/api/v1/payments/pay_AAAAAAAAAAAAAAAA")
    r = requests.get(deployment.metrics_url, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.text
    for family in (
        "paygate_http_requests_total",
        "paygate_http_request_duration_seconds",
        "paygate_queue_depth",
        "paygate_webhook_deliveries",
        "paygate_workers_live",
        "paygate_database_up",
    ):
        assert f"# TYPE {family} " in text, family
    assert re.search(r'paygate_http_requests_total\{method="POST",route="/api/v1/payments",status="201"\} [1-9]', text)
    assert re.search(r'paygate_http_requests_total\{method="GET",route="/api/v1/payments/<payment_id:str>",status="404"\} [1-9]', text)
    assert re.search(r'paygate_http_request_duration_seconds_bucket\{(le="\+Inf",route="/api/v1/payments"|route="/api/v1/payments",le="\+Inf")\} [1-9]', text)
    assert re.search(r'paygate_queue_depth\{kind="payment",state="(scheduled|due)"\} \d+', text)
    assert re.search(r"paygate_workers_live [1-9]", text)
    assert "paygate_database_up 1" in text
    assert not re.search(r"(pay|order)_[A-Za-z0-9]{16}", text), "ids must never become label values"
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r'^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$', line), line


def _rate_limited(backend, services, deploy):
    workers = 2 if backend == "postgres" else 1  # on Redis the limit must hold across API processes
    return deploy(env={"PAYGATE_RATE_LIMIT_PER_MINUTE": "5"}, api_workers=workers)


def _fresh_window():
    """Start well inside a minute window, so the fixed window cannot roll over mid-test."""
    into = time.time() % 60
    if into > 54:
        time.sleep(60.5 - into)


def test_rate_limit_per_merchant_with_retry_after(backend, services, deploy):
    d = _rate_limited(backend, services, deploy)
    other = new_merchant(d.base_url, d)
    _fresh_window()
    for _ in range(8):  # wrong secrets do not use up the merchant's quota (the key is public)
        r = requests.get(d.base_url + "/api/v1/merchants/me", headers={"X-Api-Key": TEST_KEY, "X-Api-Secret": "nope"}, timeout=10)
        assert r.status_code == 401
    statuses = []
    for _ in range(9):  # a new connection each time: spread over the API processes
        r = requests.post(d.base_url + "/api/v1/orders", json={"amount": 500}, headers={"X-Api-Key": TEST_KEY, "X-Api-Secret": TEST_SECRET, "Connection": "close"}, timeout=10)
        statuses.append(r.status_code)
        if r.status_code == 429:
            limited = r
    assert statuses == [201] * 5 + [429] * 4, statuses
    body = limited.json()["error"]
    assert body["code"] == "RATE_LIMIT_ERROR" and body["description"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert other.ok("GET", "/api/v1/merchants/me")["id"], "another merchant is not limited"
    assert requests.get(d.base_url + "/health", timeout=10).status_code == 200, "unauthenticated endpoints are not limited"


def test_rate_limit_off_by_default(api):
    statuses = {api.get("/api/v1/merchants/me").status_code for _ in range(70)}
    assert statuses == {200}


def test_rate_limit_counter_fails_open_when_redis_is_unreachable():
    """A counter outage must not become a payments outage: fall back to the in-process count."""
    import asyncio

    from paygate.server.ratelimit import RedisWindow
    from devstack.services import free_port

    window = RedisWindow(f"redis://127.0.0.1:{free_port()}/0", "q")

    async def hits():
        now = time.time()
        return [await window.hit("merchant-1", now) for _ in range(3)]

    assert asyncio.run(hits()) == [1, 2, 3]
