"""The checkout SDK and hosted page in headless Chromium, against a live daemon, on both backends.

The merchant page is ``sdk/examples/shop.html`` served from its own origin (a tiny HTTP server on
another port), so every flow crosses origins exactly as in a real shop: the page loads
``checkout.js`` from the checkout port, the modal's iframe talks to the API port through CORS, and
results come back to the shop with postMessage.
"""

from __future__ import annotations

import http.server
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from devstack.services import free_port

REPO = Path(__file__).resolve().parents[2]
SHOP_HTML = REPO / "sdk" / "examples" / "shop.html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000
TEST_LIMIT_S = 120


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        yield b
        with time_limit(30, "closing the browser"):
            b.close()


class BrowserHang(Exception):
    """A Playwright call that has no timeout of its own (evaluate, keyboard, close) never returned."""


@contextmanager
def time_limit(seconds: int, what: str):
    """Fail ``what`` with its traceback after ``seconds``, instead of stalling the whole run.

    SIGALRM interrupts the event loop Playwright's sync API waits in, so the exception surfaces
    in the test at the call that hung; the browser is unusable afterwards, the rest of CI is not.
    """

    def hung(signum, frame):
        raise BrowserHang(f"{what} took more than {seconds} s: a browser call never returned")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def hang_guard(request):
    with time_limit(TEST_LIMIT_S, request.node.nodeid):
        yield


class _ShopHandler(http.server.BaseHTTPRequestHandler):
    """Serves the example shop with its script tag pointed at this deployment's checkout port."""

    checkout_url = ""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if not self.path.startswith("/shop.html"):
            self.send_error(404)
            return
        body = SHOP_HTML.read_text(encoding="utf-8").replace("http://localhost:3001", self.checkout_url).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def shop(deployment):
    """The merchant's origin: http://localhost:<another port> (the daemon is on 127.0.0.1)."""
    handler = type("ShopHandler", (_ShopHandler,), {"checkout_url": deployment.checkout_url})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    pg.requests = []
    pg.on("request", lambda r: pg.requests.append((r.method, r.url)))
    yield pg
    context.close()


def open_shop(page, shop, order_id):
    page.goto(f"{shop}/shop.html?order_id={order_id}")
    page.click("#buy")
    expect(page.locator("#payment-gateway-modal")).to_have_count(1)
    checkout = page.frame_locator('[data-test-id="payment-iframe"]')
    expect(checkout.locator('[data-test-id="pay-button"]')).to_be_enabled()
    return checkout


def wait_event(page, kind):
    page.wait_for_function(f"window.paygateEvents.some(e => e.type === '{kind}')", timeout=WAIT_MS)
    return page.evaluate(f"window.paygateEvents.filter(e => e.type === '{kind}')")


def escape_inside_checkout(field):
    """Escape typed into ``field``, a field of the checkout frame; the key makes that frame go away.

    Dispatched in the frame, not with ``page.keyboard``: CDP acknowledges a key event only when the
    renderer of the focused frame does, and an out-of-process frame removed while its key-down or
    key-up is in flight never does, so ``Input.dispatchKeyEvent`` (which has no timeout) waits
    forever (seen in CI). The page's own listener is what is under test.
    """
    field.focus()
    field.dispatch_event("keydown", {"key": "Escape", "code": "Escape"})


def fill_card(checkout, number):
    checkout.locator('[data-test-id="method-card"]').click()
    checkout.locator('[data-test-id="card-number-input"]').fill(number)
    checkout.locator('[data-test-id="expiry-input"]').fill("12/34")
    checkout.locator('[data-test-id="cvv-input"]').fill("123")
    checkout.locator('[data-testid="cardholder-name-input"]').fill("Asha Rao")


def test_upi_payment_reports_success_with_the_payment_id(page, shop, api):
    order = api.create_order(49900)
    checkout = open_shop(page, shop, order["id"])
    expect(checkout.locator('[data-test-id="order-amount"]')).to_have_text("₹499.00")
    expect(checkout.locator('[data-testid="order-id"]')).to_have_text(order["id"])
    checkout.locator('[data-test-id="vpa-input"]').fill("success@paygate")
    checkout.locator('[data-test-id="pay-button"]').click()
    expect(checkout.locator('[data-test-id="success-state"]')).to_be_visible()
    (event,) = wait_event(page, "success")
    payment_id = event["data"]["paymentId"]
    expect(checkout.locator('[data-test-id="payment-id"]')).to_have_text(payment_id)
    assert api.ok("GET", f"/api/v1/payments/{payment_id}")["status"] == "success"
    assert api.ok("GET", f"/api/v1/orders/{order['id']}")["status"] == "paid"
    creates = [u for m, u in page.requests if m == "POST"]
    assert len(creates) == 1 and creates[0].endswith("/api/v1/payments/public")


def test_declined_card_reports_failure_and_offers_retry(page, shop, api):
    order = api.create_order(20000)
    checkout = open_shop(page, shop, order["id"])
    fill_card(checkout, "4000 0000 0000 0002")
    expect(checkout.locator('[data-test-id="card-network"]')).to_have_text("Visa")
    checkout.locator('[data-test-id="pay-button"]').click()
    expect(checkout.locator('[data-test-id="error-state"]')).to_be_visible()
    expect(checkout.locator('[data-test-id="error-message"]')).not_to_be_empty()
    (event,) = wait_event(page, "failure")
    assert event["data"]["code"] == "PAYMENT_FAILED" and event["data"]["paymentId"].startswith("pay_")
    stored = api.ok("GET", f"/api/v1/payments/{event['data']['paymentId']}")
    assert stored["status"] == "failed" and stored["card_last4"] == "0002"
    checkout.locator('[data-test-id="retry-button"]').click()
    expect(checkout.locator('[data-test-id="card-form"]')).to_be_visible()
    expect(checkout.locator('[data-test-id="pay-button"]')).to_be_enabled()


def test_close_button_calls_on_close_and_leaves_no_modal(page, shop, api):
    order = api.create_order()
    open_shop(page, shop, order["id"])
    page.click('[data-test-id="close-modal-button"]')
    expect(page.locator("#payment-gateway-modal")).to_have_count(0)
    assert len(wait_event(page, "close")) == 1
    assert page.evaluate("document.body.style.overflow") == ""


def test_invalid_card_number_is_refused_inline_without_a_request(page, shop, api, deployment):
    order = api.create_order()
    checkout = open_shop(page, shop, order["id"])
    fill_card(checkout, "4242 4242 4242 4241")
    checkout.locator('[data-test-id="pay-button"]').click()
    error = checkout.locator('[data-test-id="card-number-error"]')
    expect(error).to_have_text("Card number is invalid")
    expect(checkout.locator('[data-test-id="card-number-input"]')).to_have_attribute("aria-invalid", "true")
    expect(checkout.locator('[data-test-id="processing-state"]')).to_be_hidden()
    to_api = [(m, u) for m, u in page.requests if u.startswith(deployment.base_url)]
    assert to_api == [("GET", f"{deployment.base_url}/api/v1/orders/{order['id']}/public?key=key_test_abc123")]  # the shop's key, checked
    listed = api.ok("GET", "/api/v1/payments", params={"limit": 100})["data"]
    assert not [p for p in listed if p["order_id"] == order["id"]]


def test_escape_closes_and_a_second_open_does_not_stack(page, shop, api):
    order = api.create_order()
    checkout = open_shop(page, shop, order["id"])
    page.evaluate(
        """id => { const g = new PaymentGateway({key: 'key_test_abc123', orderId: id}); g.open(); g.open(); }""", order["id"]
    )
    expect(page.locator('[data-testid="payment-modal"]')).to_have_count(1)
    expect(page.locator('[data-test-id="payment-iframe"]')).to_have_count(1)
    assert len(wait_event(page, "close")) == 1  # the shop's gateway gave way to the new one
    checkout = page.frame_locator('[data-test-id="payment-iframe"]')
    escape_inside_checkout(checkout.locator('[data-test-id="vpa-input"]'))  # the shop page never sees this key
    expect(page.locator("#payment-gateway-modal")).to_have_count(0)
    page.click("#buy")
    expect(page.locator("#payment-gateway-modal")).to_have_count(1)
    page.locator("#buy").evaluate("b => b.focus()")  # focus on the shop page this time
    page.keyboard.press("Escape")
    expect(page.locator("#payment-gateway-modal")).to_have_count(0)
    assert len(wait_event(page, "close")) == 2


def test_sdk_ignores_messages_not_from_its_checkout_frame(page, shop, api):
    order = api.create_order()
    open_shop(page, shop, order["id"])
    page.evaluate("window.postMessage({type: 'payment_success', data: {paymentId: 'pay_forged'}}, '*')")
    page.evaluate("window.postMessage({type: 'close_modal'}, '*')")
    page.wait_for_timeout(300)  # give a forged message the chance to be (wrongly) handled
    assert page.evaluate("window.paygateEvents") == []
    expect(page.locator("#payment-gateway-modal")).to_have_count(1)


def test_sdk_refuses_to_start_without_key_or_order(page, shop):
    page.goto(f"{shop}/shop.html")
    errors = page.evaluate(
        """() => [{orderId: 'order_x'}, {key: 'key_test_abc123'}].map(o => {
             try { new PaymentGateway(o); return null } catch (e) { return e.message } })"""
    )
    assert "key" in errors[0] and "orderId" in errors[1]


def test_hosted_page_works_standalone_on_a_phone(browser, api, deployment):
    order = api.create_order(123456)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    try:
        pg = context.new_page()
        pg.goto(f"{deployment.checkout_url}/checkout?order_id={order['id']}")
        expect(pg.locator('[data-test-id="order-amount"]')).to_have_text("₹1,234.56")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 375
        pg.locator('[data-test-id="vpa-input"]').fill("not a vpa")
        pg.locator('[data-test-id="pay-button"]').click()
        expect(pg.locator('[data-test-id="vpa-error"]')).to_have_text(re.compile("valid UPI ID"))
        pg.locator('[data-test-id="vpa-input"]').fill("asha@okhdfc")
        pay = pg.locator('[data-test-id="pay-button"]')
        pay.evaluate("b => { b.click(); b.click(); b.click(); }")  # a frantic tapper must not make three payments
        expect(pg.locator('[data-test-id="success-state"]')).to_be_visible()
        payment_id = pg.locator('[data-test-id="payment-id"]').inner_text()
        assert api.ok("GET", f"/api/v1/payments/{payment_id}")["status"] == "success"
        listed = api.ok("GET", "/api/v1/payments", params={"limit": 100})["data"]
        assert [p["id"] for p in listed if p["order_id"] == order["id"]] == [payment_id]
    finally:
        context.close()


@pytest.mark.parametrize("whose", ["unknown order", "another shop's key"])
def test_an_invalid_payment_link_says_so_and_shows_no_lock_over_http(page, deployment, api, whose):
    if whose == "unknown order":
        query = "order_id=order_doesnotexist0000"
    else:  # a real order, opened with a key that is not its merchant's
        query = f"order_id={api.create_order(10000)['id']}&key=key_someone_else"
    page.goto(f"{deployment.checkout_url}/checkout?{query}")
    expect(page.locator('[data-test-id="error-state"]')).to_be_visible()
    expect(page.locator("#error-title")).to_have_text("Invalid payment link")
    expect(page.locator('[data-test-id="error-message"]')).to_have_text("This payment link is not valid. Ask the shop for a new one.")
    expect(page.locator('[data-test-id="pay-button"]')).to_be_hidden()
    expect(page.locator("#secure-badge")).to_be_hidden()  # plain http: no "Secure payment" lock
    assert requests.get(f"{deployment.base_url}/health", timeout=5).ok
