"""One webhook delivery: its payload and every attempt (response code, error, duration); retry."""

from __future__ import annotations

import json

from rich.text import Text

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Label, Static

from ..format import status, when
from ..messages import Fetched
from .base import ConsoleModal


class DeliveryDetailScreen(ConsoleModal):
    AUTO_FOCUS = "#close"
    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("r", "retry", "Retry")]

    def __init__(self, delivery_id: str) -> None:
        super().__init__(classes="dialog-screen")
        self.delivery_id = delivery_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="delivery-detail"):
            yield Label(f"Delivery {self.delivery_id}", classes="section-title")
            with VerticalScroll():
                yield Static("Loading…", id="delivery-fields")
                yield Label("Attempts", classes="subsection")
                yield DataTable(id="attempt-table", cursor_type="none")
                yield Label("Payload", classes="subsection")
                yield Static("", id="delivery-payload", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Retry (r)", id="retry", variant="warning")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#attempt-table", DataTable).add_columns("#", "At (UTC)", "Response", "Duration", "Error / excerpt")
        self.fetch("delivery", self.api.delivery, self.delivery_id)

    def on_fetched(self, message: Fetched) -> None:
        if message.key == "retried":
            self.notify(message.data.get("message", "Webhook retry scheduled"), title="paygate")
            self.fetch("delivery", self.api.delivery, self.delivery_id)
            return
        d = message.data
        self.query_one("#delivery-fields", Static).update(
            f"{d['event']} → {d['url']}\n{status(d['status'])} · {d['attempts']} attempts · next retry {when(d.get('next_retry_at'))}"
        )
        table = self.query_one("#attempt-table", DataTable)
        table.clear()
        for a in d.get("attempt_log", []):
            code = "-" if a.get("response_code") is None else str(a["response_code"])
            duration = "-" if a.get("duration_ms") is None else f"{a['duration_ms']} ms"
            detail = (a.get("error") or a.get("response_excerpt") or "")[:60]
            table.add_row(str(a["number"]), when(a["attempted_at"]), code, duration, Text(detail))
        payload = d.get("payload")
        self.query_one("#delivery-payload", Static).update(json.dumps(payload, indent=2, ensure_ascii=False) if payload else "-")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "close":
            self.dismiss()
        else:
            self.action_retry()

    def action_retry(self) -> None:
        self.fetch("retried", self.api.retry_delivery, self.delivery_id)
