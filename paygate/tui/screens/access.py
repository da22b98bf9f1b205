"""Keys and audit: the merchant's API keys (revoke one after a confirmation) and the audit log.

Never shows a secret: listing keys returns none. Needs a key with ``keys:write`` and
``audit:read`` (the seeded key has full access); without them the tables stay empty and the
API's PERMISSION_ERROR is shown as a notification.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Label

from ..messages import Fetched
from ..widgets.audit_table import AuditTable
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.key_table import KeyTable
from .base import ConsoleScreen
from .confirm import ConfirmDialog

REFRESH_S = 2.0


class AccessScreen(ConsoleScreen):
    refresh_s = REFRESH_S
    AUTO_FOCUS = "#key-table"
    BINDINGS = [Binding("x", "revoke", "Revoke key")]

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="access"):
            yield Label("API keys (x revoke)", classes="section-title")
            yield KeyTable(id="key-table")
            yield Label("Audit log · newest first", classes="section-title", id="audit-title")
            yield AuditTable(id="audit-table")
        yield Footer()

    def refresh_data(self) -> None:
        if self.should_poll:
            self.poll("keys", self.api.api_keys)
            self.poll("audit", self.api.audit_log, limit=50)

    def on_fetched(self, message: Fetched) -> None:
        if message.key == "keys":
            self.keys = {k["id"]: k for k in message.data["data"]}
            self.query_one(KeyTable).show(message.data["data"])
        elif message.key == "audit":
            self.query_one(AuditTable).show(message.data["data"])
        elif message.key == "revoked":
            self.notify(f"Key {message.data['id']} revoked: every API process refuses it within a second", title="paygate")
            self.refresh_data()

    def action_revoke(self) -> None:
        key = self.keys.get(self.query_one(KeyTable).selected_id or "")
        if key is None or key["status"] == "revoked":
            return
        question = f"Revoke {key['id']} ({key['name']})? Scripts using it stop working at once."
        self.app.push_screen(ConfirmDialog(question, "Revoke"), lambda yes: yes and self.fetch("revoked", self.api.revoke_api_key, key["id"]))
