"""Webhook endpoints with their health: status, URL, filter, deliveries and success rate over the
last 24 h, and the last error."""

from __future__ import annotations

from ..format import status
from .record_table import RecordTable


def success_rate(health: dict | None) -> str:
    rate = (health or {}).get("success_rate_24h")
    return "-" if rate is None else f"{round(rate * 100)}%"


class EndpointTable(RecordTable):
    headings = ("Endpoint", "Status", "URL", "Events", "24 h", "OK", "Last error")

    def signature(self, e: dict) -> tuple:
        h = e.get("health") or {}
        return (e["id"], e["status"], e["url"], tuple(e["enabled_events"]), h.get("deliveries_24h"), h.get("succeeded_24h"), h.get("last_error"))

    def cells(self, e: dict) -> tuple:
        h = e.get("health") or {}
        label = e["id"] + (" (default)" if e.get("default") else "")
        last = (h.get("last_error") or "-")[:40]
        return (label, status(e["status"]), e["url"], ",".join(e["enabled_events"]), str(h.get("deliveries_24h", 0)), success_rate(h), last)
