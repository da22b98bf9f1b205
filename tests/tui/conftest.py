"""Console tests drive the real Textual app (Pilot) against a live daemon.

They run on the SQLite deployment; the tests marked ``postgres_smoke`` also run on PostgreSQL.
The other PostgreSQL variants are deselected (not skipped): the console only speaks HTTP, so the
backend behind the API is covered by the API tests, and each daemon start costs seconds.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from paygate.client import Credentials
from paygate.tui.app import PaygateConsole, console_client
from tests.support.api import new_merchant


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_smoke: console test that also runs against the PostgreSQL deployment")


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        in_tui = "tests/tui/" in str(item.fspath).replace("\\", "/")
        if in_tui and params.get("backend") == "postgres" and item.get_closest_marker("postgres_smoke") is None:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def shop(deployment):
    """A fresh merchant: (test Api client, console for it). Isolation makes exact assertions possible."""
    api = new_merchant(deployment.base_url, deployment)
    creds = Credentials(deployment.base_url, api.session.headers["X-Api-Key"], api.session.headers["X-Api-Secret"])
    return api, creds


def console(creds: Credentials) -> PaygateConsole:
    return PaygateConsole(console_client(creds))


async def wait_until(pilot, predicate, timeout: float = 10.0, what: str = "condition"):
    """Let the app run until ``predicate()`` holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # the widget may not be mounted yet
            pass
        await pilot.pause(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def open_payment(pilot, app, payment_id: str):
    """From anywhere: the transactions screen, the payment's row, its dialog (loaded)."""
    from paygate.tui.screens.payment_detail import PaymentDetailScreen
    from paygate.tui.widgets.payment_table import PaymentTable

    await pilot.press("2")
    await wait_until(pilot, lambda: payment_id in app.screen.query_one(PaymentTable).rows, what="payment row")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, PaymentDetailScreen) and app.screen.payment is not None, what="detail")
    return app.screen


def screen_lines(app) -> list[str]:
    """The screen in front as the terminal shows it, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def notifications(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def receiver():
    """A local webhook receiver that answers 500, so deliveries stay retryable."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Receiver:
        hits = 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            Receiver.hits += 1
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver
    server.shutdown()
    server.server_close()
