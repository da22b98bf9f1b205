"""The webhook delivery log: event, status, attempts, last response."""

from __future__ import annotations

from ..format import status, when
from .record_table import RecordTable


class DeliveryTable(RecordTable):
    headings = ("Delivery", "Event", "Status", "Attempts", "Response", "Last attempt (UTC)")

    def signature(self, d: dict) -> tuple:
        return (d["id"], d["status"], d["attempts"])

    def cells(self, d: dict) -> tuple:
        code = "-" if d.get("response_code") is None else str(d["response_code"])
        return (d["id"][:8] + "…", d["event"], status(d["status"]), str(d["attempts"]), code, when(d.get("last_attempt_at")))
