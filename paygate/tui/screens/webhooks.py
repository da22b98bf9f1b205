"""Webhooks: URL and secret settings, a test send, and the delivery log with retry."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Label, Select

from ...states import DeliveryStatus
from ..messages import Fetched
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.delivery_table import DeliveryTable
from ..widgets.webhook_settings import WebhookSettings
from .base import ConsoleScreen
from .confirm import ConfirmDialog
from .delivery_detail import DeliveryDetailScreen

REFRESH_S = 2.0


class WebhooksScreen(ConsoleScreen):
    AUTO_FOCUS = "#delivery-table"  # so 1-4 switch screens instead of typing into the URL field
    BINDINGS = [Binding("r", "retry", "Retry"), Binding("t", "send_test", "Send test"), Binding("enter", "open", "Attempts", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.status_filter: str | None = None
        self.secret_shown = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="webhooks"):
            yield Label("Webhook settings", classes="section-title")
            yield WebhookSettings(id="webhook-settings")
            with Horizontal(id="delivery-header"):
                yield Label("Delivery log", classes="section-title")
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
            self.fetch("me", self.api.me)
            self.refresh_log()

    def refresh_log(self) -> None:
        if self.should_poll:
            self.poll("deliveries", self.api.deliveries, status=self.status_filter, limit=20, context=self.status_filter)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.status_filter = event.value if isinstance(event.value, str) else None
        self.refresh_log()

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
                ConfirmDialog("Rotate the webhook secret? Receivers must switch to the new one.", "Rotate"),
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
            settings.show_url(message.data.get("webhook_url"))
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
        elif message.key == "deliveries" and message.context == self.status_filter:
            self.query_one(DeliveryTable).show(message.data["data"])
