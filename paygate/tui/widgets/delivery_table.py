"""The webhook delivery log: event, endpoint, status, attempts, last response.

One event goes to every matching endpoint, one row each: the endpoint column tells them apart."""

from __future__ import annotations

from ..format import status, when
from .record_table import RecordTable


class DeliveryTable(RecordTable):
    headings = ("Delivery", "Event", "Endpoint", "Status", "Attempts", "Response", "Last attempt (UTC)")
    narrow_headings = ("Delivery", "Event", "Endpoint", "Status", "Response", "Last attempt (UTC)")

    def signature(self, d: dict) -> tuple:
        return (d["id"], d["status"], d["attempts"])

    def cells(self, d: dict) -> tuple:
        code = "-" if d.get("response_code") is None else str(d["response_code"])
        endpoint = d.get("endpoint_id") or "default"
        return (d["id"][:8] + "…", d["event"], endpoint, status(d["status"]), str(d["attempts"]), code, when(d.get("last_attempt_at")))
