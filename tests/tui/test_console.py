"""The console against a real daemon: screens draw, live updates arrive, filters and actions work."""

from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable, Input, Select

from paygate.tui.screens.confirm import ConfirmDialog
from paygate.tui.screens.help import HelpScreen
from paygate.tui.screens.payment_detail import parse_major
from paygate.tui.widgets.delivery_table import DeliveryTable
from paygate.tui.widgets.event_feed import EventFeed
from paygate.tui.widgets.payment_table import PaymentTable
from tests.support.api import DECLINED_CARD
from tests.tui.conftest import console, notifications, open_payment, run, wait_until


def _label(app, selector) -> str:
    return str(app.screen.query_one(selector).query_one(".stat-value").render())


@pytest.mark.postgres_smoke
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_each_screen_draws_with_the_merchants_data(shop, size):
    api, creds = shop
    paid = api.paid_payment(25000, "card")
    declined = api.create_payment(api.create_order(12000)["id"], "card", card=DECLINED_CARD)
    api.wait_payment(declined["id"])

    async def scenario():
        app = console(creds)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: _label(app, "#card-count") == "2", what="overview totals")
            assert _label(app, "#card-volume") == "₹250.00"
            assert _label(app, "#card-rate") == "50.00%"
            await pilot.press("d")
            await wait_until(pilot, lambda: "Last 24 hours" in str(app.screen.query_one("#window-title").render()), what="day window")

            await pilot.press("2")
            table = lambda: app.screen.query_one(PaymentTable)  # noqa: E731
            await wait_until(pilot, lambda: table().row_count == 2, what="transactions")
            assert table().get_row_index(paid["id"]) == 1  # newest first: the declined one is on top

            await pilot.press("3")
            await wait_until(pilot, lambda: app.current_mode == "webhooks" and app.screen.query_one("#webhook-url", Input).placeholder, what="webhooks")

            await pilot.press("4")
            await wait_until(pilot, lambda: app.screen.query_one(EventFeed).row_count >= 5, what="event feed")

            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")
            await pilot.press("q")
            await wait_until(pilot, lambda: not app.is_running, what="quit")

    run(scenario())


def test_new_payment_appears_in_transactions_live(shop):
    api, creds = shop

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            table = lambda: app.screen.query_one(PaymentTable)  # noqa: E731
            await wait_until(pilot, lambda: app.current_mode == "transactions", what="transactions")
            payment = api.create_payment(api.create_order(31400)["id"], "upi")
            await wait_until(pilot, lambda: payment["id"] in table().rows, timeout=10, what="the new payment")
            await wait_until(pilot, lambda: "success" in str(table().get_row(payment["id"])[4]), what="its settlement")

    run(scenario())


def test_filters_and_search_are_server_side(shop):
    api, creds = shop
    card = api.create_payment(api.create_order(10000)["id"], "card")
    upi = api.create_payment(api.create_order(20000)["id"], "upi")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            table = lambda: app.screen.query_one(PaymentTable)  # noqa: E731
            await wait_until(pilot, lambda: table().row_count == 2, what="both payments")
            app.screen.query_one("#filter-method", Select).value = "card"
            await wait_until(pilot, lambda: set(table().rows) == {card["id"]}, what="card filter")
            app.screen.query_one("#filter-method", Select).clear()
            search = app.screen.query_one("#filter-search", Input)
            search.value = upi["id"][:12]
            await search.action_submit()
            await wait_until(pilot, lambda: set(table().rows) == {upi["id"]}, what="search by id prefix")
            search.value = ""
            since = app.screen.query_one("#filter-from", Input)
            since.value = "yesterday"
            await since.action_submit()
            await wait_until(pilot, lambda: any("from must be an ISO-8601" in n for n in notifications(app)), what="error notification")

    run(scenario())


def test_capture_and_refund_ask_first(shop):
    api, creds = shop
    payment = api.paid_payment(50000, "card")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            detail = await open_payment(pilot, app, payment["id"])
            await wait_until(pilot, lambda: detail.query_one("#payment-events", DataTable).row_count >= 3, what="payment events")

            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="capture confirmation")
            await pilot.press("n")
            await wait_until(pilot, lambda: app.screen is detail, what="dialog closed")
            await pilot.pause(0.5)
            assert api.ok("GET", f"/api/v1/payments/{payment['id']}")["captured"] is False

            await pilot.press("c")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="capture confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: detail.payment["captured"], what="captured")
            assert api.ok("GET", f"/api/v1/payments/{payment['id']}")["captured"] is True

            detail.query_one("#refund-amount", Input).value = "120.50"
            detail.query_one("#refund", Button).press()  # not a click: a toast may cover the button
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="refund confirmation")
            assert "₹120.50" in str(app.screen.question)
            await pilot.press("y")
            await wait_until(pilot, lambda: detail.query_one("#refund-table", DataTable).row_count == 1, what="refund row")
            refunds = api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["data"]
            assert [r["amount"] for r in refunds] == [12050]

            detail.query_one("#refund-amount", Input).value = "9999"
            detail.query_one("#refund", Button).press()  # not a click: a toast may cover the button
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="refund confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: any("exceeds" in n for n in notifications(app)), what="refund refused")
            assert len(api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["data"]) == 1

    run(scenario())


def test_webhook_url_save_test_event_and_retry(shop, receiver):
    api, creds = shop

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            await wait_until(pilot, lambda: app.current_mode == "webhooks", what="webhooks")
            app.screen.query_one("#webhook-url", Input).value = receiver.url
            app.screen.query_one("#save-url", Button).press()
            await wait_until(pilot, lambda: any("Webhook URL saved" in n for n in notifications(app)), what="saved")
            assert api.ok("GET", "/api/v1/merchants/me")["webhook_url"] == receiver.url

            app.screen.query_one("#reveal-secret", Button).press()
            await wait_until(pilot, lambda: "whsec" in str(app.screen.query_one("#webhook-secret").render()) or len(str(app.screen.query_one("#webhook-secret").render()).strip("•")) > 8, what="secret shown")

            app.screen.query_one(DeliveryTable).focus()
            await pilot.press("t")
            table = lambda: app.screen.query_one(DeliveryTable)  # noqa: E731
            await wait_until(pilot, lambda: table().row_count == 1, what="test delivery")
            await wait_until(pilot, lambda: receiver.hits >= 1, what="the receiver got it")
            await pilot.press("r")
            await wait_until(pilot, lambda: any("Webhook retry scheduled" in n for n in notifications(app)), what="retry")
            await wait_until(pilot, lambda: receiver.hits >= 2, what="the retried delivery")

    run(scenario())


def test_daemon_down_shows_banner_then_reconnects(deploy):
    d = deploy()
    from paygate.client import Credentials

    creds = Credentials(d.base_url, "key_test_abc123", "secret_test_xyz789")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            banner = lambda: app.screen.query_one("ConnectionBanner")  # noqa: E731
            await wait_until(pilot, lambda: _label(app, "#card-count") == "0", what="connected overview")
            assert banner().has_class("hidden")
            d.stop()
            await wait_until(pilot, lambda: not banner().has_class("hidden"), what="banner")
            assert "unreachable" in str(banner().render())
            await pilot.press("2")  # still usable while down
            d.start()
            await wait_until(pilot, lambda: app.connected, timeout=20, what="reconnect")
            await wait_until(pilot, lambda: app.screen.query_one("ConnectionBanner").has_class("hidden"), what="banner gone")
            assert any("Reconnected" in n for n in notifications(app))

    run(scenario())


def test_refund_amounts_are_parsed_without_floats():
    assert parse_major("120.50") == 12050
    assert parse_major("120.5") == 12050
    assert parse_major("7") == 700
    assert parse_major("0.01") == 1
    assert parse_major("1.234") is None and parse_major("abc") is None and parse_major("-5") is None


def test_command_palette_switches_screens(shop):
    _, creds = shop

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("ctrl+p")
            await pilot.pause(0.3)
            await pilot.press(*"Go to Webhooks")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.current_mode == "webhooks", what="webhooks via the palette")

    run(scenario())


def test_screenshot_script_exports_every_screen(shop, tmp_path):
    from paygate.tui.app import console_client
    from paygate.tui.screenshots import capture

    api, creds = shop
    api.paid_payment(19900, "upi")
    saved = run(capture(console_client(creds), tmp_path, (100, 30)))
    assert sorted(p.name for p in saved) == sorted(
        f"console-{n}.svg" for n in ("overview", "transactions", "webhooks", "events", "payment")
    )
    overview = (tmp_path / "console-overview.svg").read_text()
    assert overview.startswith("<svg") and "₹199.00" in overview


def test_overview_job_counts_are_the_merchants_own(shop, api):
    """Other merchants' work never shows in this merchant's console (it once came from the
    unauthenticated, every-merchant test endpoint)."""
    shop_api, creds = shop
    for _ in range(3):
        api.create_payment(api.create_order()["id"], "card")  # the seeded merchant's work
    paid = shop_api.paid_payment(25000, "card")
    assert paid["status"] == "success"
    declined = shop_api.create_payment(shop_api.create_order(12000)["id"], "card", card=DECLINED_CARD)
    assert shop_api.wait_payment(declined["id"])["status"] == "failed"
    from paygate.tui.widgets.daemon_status import DaemonStatus

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            status = lambda: str(app.screen.query_one(DaemonStatus).render())  # noqa: E731
            await wait_until(pilot, lambda: "completed" in status() and "declined" in status(), what="job counts")
            assert "pending 0 · processing 0" in status()
            # a declined card and a webhook that gave up are named apart, never one "failed N"
            assert "completed 1\n" in status() and "declined 1 · failed webhooks 0" in status()
            assert "failed 1" not in status()
            note = lambda: str(app.screen.query_one("#card-count").query_one(".stat-note").render())  # noqa: E731
            await wait_until(pilot, lambda: note().startswith("1 declined"), what="'1 declined' on the payments card")

    run(scenario())
