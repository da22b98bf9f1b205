"""Settlement history: payouts to the merchant's bank, newest first."""

from __future__ import annotations

from ..format import money, status, when
from .record_table import RecordTable


class SettlementTable(RecordTable):
    headings = ("Settlement", "Status", "Amount", "Bank reference", "Created (UTC)", "Processed (UTC)")

    def signature(self, s: dict) -> tuple:
        return (s["id"], s["status"], s.get("bank_reference"))

    def cells(self, s: dict) -> tuple:
        outcome = s.get("bank_reference") or s.get("failure_code") or "-"
        return (s["id"], status(s["status"]), money(s["amount"], s["currency"]), outcome, when(s["created_at"]), when(s.get("processed_at")))
