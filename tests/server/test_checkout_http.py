"""Serving the checkout (port 3001) and CORS on the API (port 8000), over real HTTP.

The browser flows live in tests/e2e/test_checkout_browser.py; these pin down what a browser
relies on without starting one: the page's test ids, its security headers, which API routes a
foreign origin may call, and that a preflight never meets auth.
"""

from __future__ import annotations

import re
import uuid

import pytest
import requests

PAGE_TEST_IDS = [
    "checkout-container", "order-summary", "order-amount", "order-id", "payment-methods", "method-upi", "method-card",
    "upi-form", "vpa-input", "card-form", "card-number-input", "expiry-input", "cvv-input", "cardholder-name-input",
    "pay-button", "processing-state", "success-state", "payment-id", "error-state", "error-message", "retry-button",
]  # fmt: skip
SDK_TEST_IDS = ["payment-modal", "payment-iframe", "close-modal-button"]
ORIGIN = "https://shop.example"


def get(url, **kw):
    kw.setdefault("timeout", 10)
    return requests.get(url, **kw)


def test_sdk_is_served_as_javascript(deployment):
    r = get(f"{deployment.checkout_url}/checkout.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/javascript")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "window.PaymentGateway = PaymentGateway" in r.text and "payment-gateway-modal" in r.text
    for test_id in SDK_TEST_IDS:
        assert f'"{test_id}")' in r.text, test_id  # set as both data-test-id and data-testid


def test_checkout_page_has_every_test_id_in_both_spellings(deployment):
    r = get(f"{deployment.checkout_url}/checkout", params={"order_id": "order_abc", "embedded": "true"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    for test_id in PAGE_TEST_IDS:
        assert f'data-test-id="{test_id}"' in r.text, test_id
        assert f'data-testid="{test_id}"' in r.text, test_id
    labelled = set(re.findall(r'<label for="([^"]+)"', r.text))
    inputs = set(re.findall(r'<input id="([^"]+)"', r.text))
    assert inputs and inputs <= labelled  # every field has a label a screen reader announces


def test_checkout_page_security_headers_allow_framing_and_only_the_api(deployment):
    r = get(f"{deployment.checkout_url}/checkout", params={"order_id": "order_abc"})
    csp = dict(part.strip().split(" ", 1) for part in r.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'"
    assert csp["connect-src"] == f"'self' {deployment.base_url}"
    assert csp["frame-ancestors"] == "*"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "X-Frame-Options" not in r.headers
    assert f'<meta name="paygate-api" content="{deployment.base_url}">' in r.text
    assert '<meta name="paygate-mode" content="test">' in r.text


def test_page_assets_are_served_and_nothing_else_is(deployment):
    css = get(f"{deployment.checkout_url}/static/checkout.css")
    js = get(f"{deployment.checkout_url}/static/checkout-page.js")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("application/javascript")
    for path in ("/static/checkout.html", "/static/..%2Fcheckout.py", "/static/../checkout.py", "/static/nope.js"):
        r = get(f"{deployment.checkout_url}{path}")
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "NOT_FOUND_ERROR"


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/v1/orders/order_abc/public", "GET"),
        ("/api/v1/payments/public", "POST"),
        ("/api/v1/payments/pay_abc/public", "GET"),
    ],
)
def test_preflight_on_public_endpoints_needs_no_credentials(deployment, path, method):
    r = requests.options(
        deployment.base_url + path,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type,idempotency-key"},
        timeout=10,
    )
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert method in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "idempotency-key"} <= allowed
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_public_responses_are_readable_cross_origin_errors_included(api, deployment):
    order = api.create_order(49900)
    ok = get(f"{deployment.base_url}/api/v1/orders/{order['id']}/public", headers={"Origin": ORIGIN})
    missing = get(f"{deployment.base_url}/api/v1/orders/order_nope/public", headers={"Origin": ORIGIN})
    bad = requests.post(
        f"{deployment.base_url}/api/v1/payments/public",
        json={"order_id": order["id"], "method": "upi", "vpa": "no spaces@bank"},
        headers={"Origin": ORIGIN, "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert ok.status_code == 200 and missing.status_code == 404 and bad.status_code == 400
    assert bad.json()["error"]["code"] == "INVALID_VPA"
    for r in (ok, missing, bad):
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "X-Request-Id" in r.headers["Access-Control-Expose-Headers"]


def test_private_endpoints_get_no_cors_headers(api, deployment):
    order = api.create_order()
    responses = [
        api.get(f"/api/v1/orders/{order['id']}", headers={"Origin": ORIGIN}),
        api.get("/api/v1/payments", headers={"Origin": ORIGIN}),
        get(f"{deployment.base_url}/api/v1/payments", headers={"Origin": ORIGIN}),  # 401
        get(f"{deployment.base_url}/health", headers={"Origin": ORIGIN}),
        requests.options(
            f"{deployment.base_url}/api/v1/payments",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
            timeout=10,
        ),
    ]
    for r in responses:
        assert not [h for h in r.headers if h.lower().startswith("access-control-")], (r.url, r.status_code, dict(r.headers))
    assert responses[2].status_code == 401
    assert responses[4].status_code in (404, 405)


def test_public_api_url_setting_points_the_page_elsewhere(monkeypatch):
    """Behind a proxy the API lives on its own host: the page must call it, and nothing else."""
    from sanic import Sanic

    from paygate import config
    from paygate.server.checkout import create_checkout_app

    monkeypatch.setattr(Sanic, "test_mode", True)
    settings = config.load({"PAYGATE_PUBLIC_API_URL": "https://api.shop.example/"})
    app = create_checkout_app(settings, name="checkout_" + uuid.uuid4().hex[:8])
    _, r = app.test_client.get("/checkout?order_id=order_abc")
    assert r.status == 200
    assert "connect-src 'self' https://api.shop.example;" in r.headers["Content-Security-Policy"]
    assert '<meta name="paygate-api" content="https://api.shop.example">' in r.text
    assert '<meta name="paygate-mode" content="live">' in r.text  # no test-card hints outside test mode
    with pytest.raises(config.ConfigError):
        config.load({"PAYGATE_PUBLIC_API_URL": "javascript:alert(1)"})


def test_the_public_order_refuses_a_key_that_is_not_its_merchants(api, merchant_api, deployment):
    order = api.create_order(10000)
    url = f"{deployment.base_url}/api/v1/orders/{order['id']}/public"
    assert requests.get(url, timeout=10).status_code == 200  # no key: the hosted page on its own
    assert requests.get(url, params={"key": "key_test_abc123"}, timeout=10).json()["id"] == order["id"]
    other = requests.get(url, params={"key": merchant_api.session.headers["X-Api-Key"]}, timeout=10)
    assert other.status_code == 404 and other.json()["error"]["description"] == "Order not found"
