"""Webhooks: URL and secret settings, a test send, the webhook endpoints with their health (add,
edit, disable/enable, rotate the secret, replay — each after a confirmation), and the delivery
log with retry, filtered by status and by endpoint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Label, Select

from ...client import since_iso
from ...states import DeliveryStatus
from ..messages import Fetched
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.delivery_table import DeliveryTable
from ..widgets.endpoint_table import EndpointTable
from ..widgets.webhook_settings import WebhookSettings
from .base import ConsoleScreen
from .confirm import ConfirmDialog
from .delivery_detail import DeliveryDetailScreen
from .endpoint_dialogs import EndpointFormDialog, ReplayDialog

REFRESH_S = 2.0


# The endpoint keys share one footer entry, so the footer fits 80 columns (help lists each).
ENDPOINT_KEYS = Binding.Group("Endpoint")


class WebhooksScreen(ConsoleScreen):
    AUTO_FOCUS = "#delivery-table"  # so 1-4 switch screens instead of typing into the URL field
    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("t", "send_test", "Send test"),
        Binding("enter", "open", "Attempts", show=False),
        Binding("a", "add_endpoint", "Add endpoint", group=ENDPOINT_KEYS),
        Binding("e", "edit_endpoint", "Edit", group=ENDPOINT_KEYS),
        Binding("x", "toggle_endpoint", "Disable/enable", group=ENDPOINT_KEYS),
        Binding("k", "rotate_endpoint", "Rotate key", group=ENDPOINT_KEYS),
        Binding("p", "replay_endpoint", "Replay", group=ENDPOINT_KEYS),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.status_filter: str | None = None
        self.endpoint_filter: str | None = None
        self.endpoints: dict[str, dict] = {}
        self.secret_shown = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="webhooks"):
            yield Label("Webhook settings", classes="section-title")
            yield WebhookSettings(id="webhook-settings")
            yield Label("Endpoints (a add · e edit · x disable/enable · k rotate key · p replay)", classes="section-title")
            yield EndpointTable(id="endpoint-table")
            with Horizontal(id="delivery-header"):
                yield Label("Delivery log", classes="section-title")
                yield Select([], prompt="any endpoint", id="delivery-endpoint")
                yield Select([(s, s) for s in DeliveryStatus.ALL], prompt="any status", id="delivery-status")
            yield DeliveryTable(id="delivery-table")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_log)
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_log()

    def refresh_data(self) -> None:
        if self.app.connected:
            self.refresh_log()

    def refresh_log(self) -> None:
        if self.should_poll:
            context = (self.status_filter, self.endpoint_filter)
            self.poll("deliveries", self.api.deliveries, status=self.status_filter, endpoint_id=self.endpoint_filter, limit=20, context=context)
            self.poll("endpoints", self.api.webhook_endpoints)
            self.poll("me", self.api.me)  # the URL may change elsewhere (CLI, API): follow it

    def on_select_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if event.select.id == "delivery-endpoint":
            self.endpoint_filter = value
        elif event.select.id == "delivery-status":
            self.status_filter = value
        self.refresh_log()

    # --- endpoints -----------------------------------------------------------------------

    def _selected_endpoint(self) -> dict | None:
        endpoint = self.endpoints.get(self.query_one(EndpointTable).selected_id or "")
        if endpoint is None:
            self.notify("Select an endpoint first", title="paygate", severity="warning")
        elif endpoint.get("default"):
            self.notify("The default endpoint is the webhook URL above", title="paygate", severity="warning")
            return None
        return endpoint

    def _confirm(self, question: str, label: str, then) -> None:
        self.app.push_screen(ConfirmDialog(question, label), lambda yes: yes and then())

    def action_add_endpoint(self) -> None:
        def submitted(body: dict | None) -> None:
            if body:
                self._confirm(f"Add an endpoint for {body['url']} ({','.join(body['enabled_events'])})?", "Add", lambda: self.fetch("endpoint-added", self.api.create_webhook_endpoint, **body))

        self.app.push_screen(EndpointFormDialog(), submitted)

    def action_edit_endpoint(self) -> None:
        endpoint = self._selected_endpoint()
        if endpoint is None:
            return

        def submitted(body: dict | None) -> None:
            if body:
                self._confirm(f"Save changes to {endpoint['id']}?", "Save", lambda: self.fetch("endpoint-saved", self.api.update_webhook_endpoint, endpoint["id"], **body))

        self.app.push_screen(EndpointFormDialog(endpoint), submitted)

    def action_toggle_endpoint(self) -> None:
        endpoint = self._selected_endpoint()
        if endpoint is None:
            return
        target = "enabled" if endpoint["status"] == "disabled" else "disabled"
        verb = "Enable" if target == "enabled" else "Disable"
        question = f"{verb} {endpoint['id']}?" + (" Its pending deliveries stop." if target == "disabled" else " Skipped deliveries are not resent (replay them).")
        self._confirm(question, verb, lambda: self.fetch("endpoint-saved", self.api.update_webhook_endpoint, endpoint["id"], status=target))

    def action_rotate_endpoint(self) -> None:
        endpoint = self._selected_endpoint()
        if endpoint is not None:
            question = f"Rotate the secret of {endpoint['id']}? The old one keeps signing for 24 h."
            self._confirm(question, "Rotate", lambda: self.fetch("endpoint-rotated", self.api.rotate_webhook_endpoint_secret, endpoint["id"]))

    def action_replay_endpoint(self) -> None:
        endpoint = self._selected_endpoint()
        if endpoint is None:
            return

        def submitted(body: dict | None) -> None:
            if not body:
                return
            try:
                since = since_iso(body["since"])
            except ValueError as exc:
                self.notify(f"since: {exc}", title="paygate", severity="error")
                return
            question = f"Send {body['status']} deliveries of {endpoint['id']} since {since} again?"
            self._confirm(question, "Replay", lambda: self.fetch("endpoint-replayed", self.api.replay_webhook_endpoint, endpoint["id"], since, status=body["status"]))

        self.app.push_screen(ReplayDialog(endpoint["id"]), submitted)

    def _show_endpoints(self, page: dict) -> None:
        data = page["data"]
        self.endpoints = {e["id"]: e for e in data}
        self.query_one(EndpointTable).show(data)
        choices = [(e["id"] + (" (default)" if e.get("default") else ""), e["id"]) for e in data]
        select = self.query_one("#delivery-endpoint", Select)
        if getattr(self, "_endpoint_choices", None) != choices:
            self._endpoint_choices = choices
            select.set_options(choices)
            if self.endpoint_filter in self.endpoints:
                select.value = self.endpoint_filter

    def on_button_pressed(self, event: Button.Pressed) -> None:
        settings = self.query_one(WebhookSettings)
        if event.button.id == "save-url":
            url = settings.url
            self.fetch("url-saved", self.api.set_webhook_url, url)
        elif event.button.id == "send-test":
            self.action_send_test()
        elif event.button.id == "reveal-secret":
            if self.secret_shown:
                self.secret_shown = False
                settings.show_secret(None)
            else:
                self.fetch("secret", self.api.webhook_secret)
        elif event.button.id == "rotate-secret":
            self.app.push_screen(
                ConfirmDialog("Rotate the webhook secret? The old one keeps signing beside it for 24 h.", "Rotate"),
                lambda yes: yes and self.fetch("secret", self.api.rotate_webhook_secret),
            )

    def action_send_test(self) -> None:
        self.fetch("test-sent", self.api.send_test_webhook)

    def action_retry(self) -> None:
        delivery_id = self.query_one(DeliveryTable).selected_id
        if delivery_id:
            self.fetch("retried", self.api.retry_delivery, delivery_id)

    def action_open(self) -> None:
        delivery_id = self.query_one(DeliveryTable).selected_id
        if delivery_id:
            self.app.push_screen(DeliveryDetailScreen(delivery_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(DeliveryDetailScreen(event.row_key.value))

    def on_fetched(self, message: Fetched) -> None:
        settings = self.query_one(WebhookSettings)
        if message.key == "me":
            settings.show_url(message.data.get("webhook_url"), unless_editing=True)
        elif message.key == "url-saved":
            settings.show_url(message.data.get("webhook_url"))
            self.notify(f"Webhook URL saved: {message.data.get('webhook_url') or 'none (deliveries off)'}", title="paygate")
        elif message.key == "secret":
            self.secret_shown = True
            settings.show_secret(message.data["webhook_secret"])
            if "message" in message.data:
                self.notify(message.data["message"], title="paygate")
        elif message.key == "test-sent":
            self.notify(f"Test event {message.data.get('event_id', '')} queued", title="paygate")
            self.refresh_log()
        elif message.key == "retried":
            self.notify(message.data.get("message", "Webhook retry scheduled"), title="paygate")
            self.refresh_log()
        elif message.key == "deliveries" and message.context == (self.status_filter, self.endpoint_filter):
            self.query_one(DeliveryTable).show(message.data["data"])
        elif message.key == "endpoints":
            self._show_endpoints(message.data)
        elif message.key in ("endpoint-added", "endpoint-rotated"):
            what = "added" if message.key == "endpoint-added" else "rotated"
            self.notify(f"Endpoint {message.data['id']} {what}. Its secret, shown once: {message.data['secret']}", title="paygate", timeout=30)
            self.refresh_log()
        elif message.key == "endpoint-saved":
            self.notify(f"Endpoint {message.data['id']} saved ({message.data['status']})", title="paygate")
            self.refresh_log()
        elif message.key == "endpoint-replayed":
            self.notify(f"{message.data['queued']} deliveries queued again", title="paygate")
            self.refresh_log()
