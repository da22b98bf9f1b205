"""The payments table: newest first, one page at a time, redrawn only when something changed."""

from __future__ import annotations

from ..format import instrument, money, status, when
from .record_table import RecordTable


class PaymentTable(RecordTable):
    headings = ("Payment", "Amount", "Method", "Instrument", "Status", "Captured", "Created (UTC)")
    narrow_headings = ("Payment", "Amount", "Instrument", "Status", "Created (UTC)")  # the instrument says the method

    def signature(self, p: dict) -> tuple:
        return (p["id"], p["status"], p["captured"])

    def cells(self, p: dict) -> tuple:
        return (
            p["id"], money(p["amount"], p["currency"]), p["method"].upper(), instrument(p), status(p["status"]),
            "yes" if p["captured"] else "", when(p["created_at"]),
        )
