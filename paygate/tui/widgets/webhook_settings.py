"""Webhook URL (edit, save) and signing secret (masked until revealed; rotate), plus a test send."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label


class WebhookSettings(Vertical):
    def compose(self) -> ComposeResult:
        with Horizontal(classes="settings-row"):
            yield Label("URL", classes="settings-label")
            yield Input(placeholder="https://example.com/webhooks (empty = no deliveries)", id="webhook-url")
            yield Button("Save", id="save-url", variant="primary")
            yield Button("Send test", id="send-test")
        with Horizontal(classes="settings-row"):
            yield Label("Secret", classes="settings-label")
            yield Label("••••••••••••••••", id="webhook-secret")
            yield Button("Reveal", id="reveal-secret")
            yield Button("Rotate", id="rotate-secret", variant="warning")

    def show_url(self, url: str | None, *, unless_editing: bool = False) -> None:
        """Show the merchant's URL; a refresh (``unless_editing``) never overwrites what is being typed."""
        field = self.query_one("#webhook-url", Input)
        if unless_editing and (field.has_focus or field.value != getattr(self, "_shown_url", field.value)):
            return
        self._shown_url = url or ""
        field.value = self._shown_url

    def show_secret(self, secret: str | None) -> None:
        self.query_one("#webhook-secret", Label).update(secret or "••••••••••••••••")
        self.query_one("#reveal-secret", Button).label = "Hide" if secret else "Reveal"

    @property
    def url(self) -> str | None:
        return self.query_one("#webhook-url", Input).value.strip() or None
