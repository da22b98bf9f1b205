"""The payments table: newest first, one page at a time, redrawn only when something changed."""

from __future__ import annotations

from textual.widgets import DataTable

from ..format import instrument, money, status, when


class PaymentTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Payment", key="id")
        self.add_column("Amount", key="amount")
        self.add_column("Method", key="method")
        self.add_column("Instrument", key="instrument")
        self.add_column("Status", key="status")
        self.add_column("Captured", key="captured")
        self.add_column("Created (UTC)", key="created")
        self._shown: tuple = ()

    def show(self, payments: list[dict]) -> None:
        signature = tuple((p["id"], p["status"], p["captured"]) for p in payments)
        if signature == self._shown:
            return
        self._shown = signature
        selected = self.selected_id
        self.clear()
        for p in payments:
            self.add_row(
                p["id"], money(p["amount"], p["currency"]), p["method"].upper(), instrument(p), status(p["status"]),
                "yes" if p["captured"] else "", when(p["created_at"]), key=p["id"],
            )
        if selected is not None and selected in {p["id"] for p in payments}:
            self.move_cursor(row=self.get_row_index(selected))

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
