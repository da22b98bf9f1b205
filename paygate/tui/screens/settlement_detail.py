"""One settlement: its outcome at the bank and the balance transactions it paid."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from ..format import money, status, when
from ..messages import Fetched
from ..widgets.balance_transaction_table import BalanceTransactionTable
from .base import ConsoleModal


class SettlementDetailScreen(ConsoleModal):
    AUTO_FOCUS = "#settlement-lines"
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, settlement_id: str) -> None:
        super().__init__(classes="dialog-screen")
        self.settlement_id = settlement_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="settlement-detail"):
            yield Label(f"Settlement {self.settlement_id}", classes="section-title")
            yield Static("Loading…", id="settlement-fields")
            yield Label("Balance transactions paid", classes="subsection")
            yield BalanceTransactionTable(id="settlement-lines")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.fetch("settlement", self.api.settlement, self.settlement_id)

    def on_fetched(self, message: Fetched) -> None:
        s = message.data
        outcome = f"bank reference {s['bank_reference']}" if s.get("bank_reference") else (s.get("failure_code") or "waiting for the bank")
        more = " · more lines: GET /api/v1/balance_transactions?settlement_id=" + s["id"] if s["lines"]["has_more"] else ""
        self.query_one("#settlement-fields", Static).update(
            f"{status(s['status'])} · {money(s['amount'], s['currency'])} · {outcome}\ncreated {when(s['created_at'])} · processed {when(s.get('processed_at'))}{more}"
        )
        self.query_one(BalanceTransactionTable).show(s["lines"]["data"])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()
