"""The console's webhook endpoints against a real daemon: the list with health, and add, edit,
disable/enable, rotate and replay — each after a confirmation — and the log filtered by endpoint."""

from __future__ import annotations

from textual.widgets import Button, Input, Select

from paygate.tui.screens.confirm import ConfirmDialog
from paygate.tui.screens.endpoint_dialogs import EndpointFormDialog, ReplayDialog
from paygate.tui.widgets.delivery_table import DeliveryTable
from paygate.tui.widgets.endpoint_table import EndpointTable
from tests.support.receiver import Receiver
from devstack.waiting import wait_until as wait_sync
from tests.tui.conftest import console, notifications, run, wait_until


def test_endpoints_add_edit_disable_rotate_replay_and_log_filter(shop):
    api, creds = shop

    async def scenario(rx):
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            await wait_until(pilot, lambda: app.current_mode == "webhooks", what="webhooks")
            screen = app.screen
            # add, after a confirmation
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), what="endpoint form")
            app.screen.query_one("#endpoint-url", Input).value = rx.url
            app.screen.query_one("#endpoint-events", Input).value = "webhook.test, payment.*"
            app.screen.query_one("#endpoint-save", Button).press()
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="add confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: any("added" in n and "whsec_" in n for n in notifications(app)), what="added with its secret")
            (made,) = api.ok("GET", "/api/v1/webhook_endpoints")["data"]
            assert made["enabled_events"] == ["webhook.test", "payment.*"]
            table = lambda: screen.query_one(EndpointTable)  # noqa: E731
            await wait_until(pilot, lambda: table().row_count == 1, what="endpoint listed")
            # a delivery shows up in its health and in the log filtered by the endpoint
            api.ok("POST", "/api/v1/webhooks/test", 201)
            wait_sync(lambda: rx.requests, 20, "delivered")
            await wait_until(pilot, lambda: screen.endpoints[made["id"]]["health"]["succeeded_24h"] == 1, what="health")
            screen.query_one("#delivery-endpoint", Select).value = made["id"]
            await wait_until(pilot, lambda: screen.query_one(DeliveryTable).row_count == 1, what="log filtered by endpoint")
            # edit
            table().focus()
            await pilot.press("e")
            await wait_until(pilot, lambda: isinstance(app.screen, EndpointFormDialog), what="edit form")
            app.screen.query_one("#endpoint-description", Input).value = "staging"
            app.screen.query_one("#endpoint-save", Button).press()
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="edit confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: api.ok("GET", f"/api/v1/webhook_endpoints/{made['id']}")["description"] == "staging", what="edited")
            # disable, then enable
            for want in ("disabled", "enabled"):
                await pilot.press("x")
                await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what=f"{want} confirmation")
                await pilot.press("y")
                await wait_until(pilot, lambda: api.ok("GET", f"/api/v1/webhook_endpoints/{made['id']}")["status"] == want, what=want)
            # rotate
            await pilot.press("k")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="rotate confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: any("rotated" in n for n in notifications(app)), what="rotated")
            assert api.ok("GET", f"/api/v1/webhook_endpoints/{made['id']}")["previous_secret_expires_at"]
            # replay what succeeded
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, ReplayDialog), what="replay form")
            app.screen.query_one("#replay-status", Select).value = "success"
            app.screen.query_one("#replay-go", Button).press()
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="replay confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: any("1 deliveries queued again" in n for n in notifications(app)), what="replayed")
            wait_sync(lambda: len(rx.requests) >= 2, 20, "replayed delivery")
            assert rx.requests[1].event_id == rx.requests[0].event_id

    with Receiver() as rx:
        run(scenario(rx))
