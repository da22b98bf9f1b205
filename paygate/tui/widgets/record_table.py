"""A table of API records keyed by id: redrawn only when what it shows changed, keeping the cursor."""

from __future__ import annotations

from textual.widgets import DataTable


class RecordTable(DataTable):
    """Subclasses say which columns to show (``headings``), which fields mean "changed"
    (``signature``) and how a record reads in a row (``cells``)."""

    headings: tuple[str, ...] = ()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*self.headings)
        self._shown: tuple = ()

    def signature(self, record: dict) -> tuple:
        raise NotImplementedError

    def cells(self, record: dict) -> tuple:
        raise NotImplementedError

    def show(self, records: list[dict]) -> None:
        shown = tuple(self.signature(r) for r in records)
        if shown == self._shown:
            return
        self._shown = shown
        selected = self.selected_id
        self.clear()
        for r in records:
            self.add_row(*self.cells(r), key=r["id"])
        if selected is not None and selected in {r["id"] for r in records}:
            self.move_cursor(row=self.get_row_index(selected))

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
