"""Balance: what is available, pending and on its way to the bank, what the next settlement
would pay, the last reconciliation of a bank file, and the settlement history with a drill-down
to each settlement's lines."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label

from ..format import money, when
from ..messages import Fetched
from ..widgets.balance_transaction_table import BalanceTransactionTable
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.settlement_table import SettlementTable
from ..widgets.stat_card import StatCard
from .base import ConsoleScreen
from .settlement_detail import SettlementDetailScreen

REFRESH_S = 2.0


def amounts(items: list[dict]) -> str:
    """``[{amount, currency}, …]`` as text, one currency after another (``-`` when none)."""
    return " · ".join(money(x["amount"], x["currency"]) for x in items) or "-"


class BalanceScreen(ConsoleScreen):
    refresh_s = REFRESH_S
    AUTO_FOCUS = "#settlement-table"
    BINDINGS = [Binding("enter", "open", "Lines", show=False)]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="balance"):
            with Horizontal(id="balance-cards"):
                yield StatCard("Available", id="card-available")
                yield StatCard("Pending", id="card-pending")
                yield StatCard("In transit", id="card-in-transit")
                yield StatCard("Next settlement", id="card-next")
            yield Label("Last reconciliation: none yet", id="last-reconciliation")
            yield Label("Settlements (enter: lines)", classes="section-title")
            yield SettlementTable(id="settlement-table")
            yield Label("Latest balance transactions", classes="section-title")
            yield BalanceTransactionTable(id="balance-transactions")
        yield Footer()

    def refresh_data(self) -> None:
        if self.should_poll:
            self.poll("balance", self.api.balance)
            self.poll("settlements", self.api.settlements, limit=20)
            self.poll("transactions", self.api.balance_transactions, limit=20)
            self.poll("reconciliations", self.api.reconciliations, limit=1)

    def action_open(self) -> None:
        settlement_id = self.query_one(SettlementTable).selected_id
        if settlement_id:
            self.app.push_screen(SettlementDetailScreen(settlement_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "settlement-table":
            self.app.push_screen(SettlementDetailScreen(event.row_key.value))

    def on_fetched(self, message: Fetched) -> None:
        if message.key == "settlements":
            self.query_one(SettlementTable).show(message.data["data"])
        elif message.key == "transactions":
            self.query_one(BalanceTransactionTable).show(message.data["data"])
        elif message.key == "reconciliations" and message.data["data"]:
            r = message.data["data"][0]
            verdict = "[green]all matched[/]" if not r["unmatched"] else f"[red]{r['unmatched']} unmatched[/]"
            self.query_one("#last-reconciliation", Label).update(f"Last reconciliation: {r['file_name']} · {r['rows']} rows · {verdict} · {when(r['created_at'])}")
        elif message.key == "balance":
            b = message.data
            self.query_one("#card-available", StatCard).show(amounts(b["available"]), "can be settled now")
            self.query_one("#card-pending", StatCard).show(amounts(b["pending"]), "not yet available")
            self.query_one("#card-in-transit", StatCard).show(amounts(b["in_transit"]), "paid out, bank not done")
            payable = [x for x in b["available"] if x["amount"] > 0]
            carried = [x for x in b["available"] if x["amount"] < 0]
            note = "at the next settlement run" if payable else ("a negative balance is carried" if carried else "nothing available")
            self.query_one("#card-next", StatCard).show(amounts(payable), note)
