"""Volume, count and success rate per payment method, as a small table."""

from __future__ import annotations

from textual.widgets import DataTable

from ..format import money, rate


class MethodSplit(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.add_columns("Method", "Volume", "Payments", "Success rate")

    def show(self, by_method: dict, currency: str) -> None:
        self.clear()
        for method in sorted(by_method):
            m = by_method[method]
            self.add_row(method.upper(), money(m["volume"], currency), str(m["count"]), rate(m["success_rate_bps"]), key=method)
