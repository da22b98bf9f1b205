"""Dialogs of the webhooks screen: add or edit an endpoint, and ask what to replay.

Each dismisses with the request body to send (or None when cancelled); the screen confirms and
calls the API. Input is checked by the API, which answers with the valid event types.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select


class EndpointFormDialog(ModalScreen[dict | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, endpoint: dict | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.endpoint = endpoint

    def compose(self) -> ComposeResult:
        e = self.endpoint or {}
        with Vertical(classes="dialog", id="endpoint-form"):
            yield Label(f"Edit endpoint {e['id']}" if e else "Add a webhook endpoint", classes="section-title")
            yield Input(e.get("url", ""), placeholder="https://example.com/webhooks", id="endpoint-url")
            yield Input(",".join(e.get("enabled_events", ["*"])), placeholder="payment.*, refund.processed or *", id="endpoint-events")
            yield Input(e.get("description") or "", placeholder="description (optional)", id="endpoint-description")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="endpoint-save")
                yield Button("Cancel (esc)", id="endpoint-cancel")

    def body(self) -> dict:
        events = [e.strip() for e in self.query_one("#endpoint-events", Input).value.split(",") if e.strip()]
        body = {"url": self.query_one("#endpoint-url", Input).value.strip(), "enabled_events": events}
        description = self.query_one("#endpoint-description", Input).value.strip()
        if description or self.endpoint:
            body["description"] = description or None
        return body

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.body() if event.button.id == "endpoint-save" else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(self.body())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReplayDialog(ModalScreen[dict | None]):
    """Since when (``2h``, ``30m``, ``7d`` or an ISO time) and which deliveries to send again."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, endpoint_id: str) -> None:
        super().__init__(classes="dialog-screen")
        self.endpoint_id = endpoint_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="replay-form"):
            yield Label(f"Replay deliveries of {self.endpoint_id}", classes="section-title")
            yield Input("24h", placeholder="since: 2h, 30m, 7d or 2026-01-02T10:00:00Z", id="replay-since")
            yield Select([(s, s) for s in ("failed", "success", "any")], value="failed", allow_blank=False, id="replay-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Replay", variant="warning", id="replay-go")
                yield Button("Cancel (esc)", id="replay-cancel")

    def body(self) -> dict:
        return {"since": self.query_one("#replay-since", Input).value.strip(), "status": self.query_one("#replay-status", Select).value}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.body() if event.button.id == "replay-go" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
