"""The merchant's API keys: name, scopes, status, expiry and last use. Never a secret: the API
shows one only when a key is created or rotated, and the console does neither."""

from __future__ import annotations

from ..format import when
from .record_table import RecordTable

KEY_STYLE = {"active": "green", "expired": "yellow", "revoked": "red"}


def _styled(value: str) -> str:
    return f"[{KEY_STYLE.get(value, 'white')}]{value}[/]"


class KeyTable(RecordTable):
    headings = ("Key", "Name", "Status", "Scopes", "Created (UTC)", "Expires", "Last used")

    def signature(self, k: dict) -> tuple:
        return (k["id"], k["status"], k.get("last_used_at"), k.get("expires_at"))

    def cells(self, k: dict) -> tuple:
        return (k["id"], k["name"], _styled(k["status"]), " ".join(k["scopes"]), when(k["created_at"]), when(k.get("expires_at")), when(k.get("last_used_at")))
