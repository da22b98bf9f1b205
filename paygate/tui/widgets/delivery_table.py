"""The webhook delivery log: event, status, attempts, last response."""

from __future__ import annotations

from textual.widgets import DataTable

from ..format import status, when


class DeliveryTable(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("Delivery", "Event", "Status", "Attempts", "Response", "Last attempt (UTC)")
        self._shown: tuple = ()

    def show(self, deliveries: list[dict]) -> None:
        signature = tuple((d["id"], d["status"], d["attempts"]) for d in deliveries)
        if signature == self._shown:
            return
        self._shown = signature
        selected = self.selected_id
        self.clear()
        for d in deliveries:
            code = "-" if d.get("response_code") is None else str(d["response_code"])
            self.add_row(d["id"][:8] + "…", d["event"], status(d["status"]), str(d["attempts"]), code, when(d.get("last_attempt_at")), key=d["id"])
        if selected in {d["id"] for d in deliveries}:
            self.move_cursor(row=self.get_row_index(selected))

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
