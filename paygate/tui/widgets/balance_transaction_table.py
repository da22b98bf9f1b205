"""Balance transactions: every money movement with its fee and net (a settlement's lines)."""

from __future__ import annotations

from ..format import money, status, when
from .record_table import RecordTable


class BalanceTransactionTable(RecordTable):
    headings = ("Transaction", "Type", "Source", "Amount", "Fee", "Net", "Status", "Available on (UTC)")

    def signature(self, t: dict) -> tuple:
        return (t["id"], t["status"], t.get("settlement_id"))

    def cells(self, t: dict) -> tuple:
        cur = t["currency"]
        return (t["id"], t["type"], t.get("source") or "-", money(t["amount"], cur), money(t["fee"], cur), money(t["net"], cur), status(t["status"]), when(t["available_on"]))
