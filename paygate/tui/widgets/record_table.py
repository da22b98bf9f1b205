"""A table of API records keyed by id: redrawn only when what it shows changed, keeping the cursor."""

from __future__ import annotations

from textual.widgets import DataTable

WIDE_FROM = 90  # columns of table width from which every heading is shown


class RecordTable(DataTable):
    """Subclasses say which columns to show (``headings``), which fields mean "changed"
    (``signature``) and how a record reads in a row (``cells``). ``narrow_headings``, when set,
    are the columns kept in a table narrower than ``WIDE_FROM`` (an 80-column terminal), so every
    column stays readable instead of scrolling off the right edge."""

    headings: tuple[str, ...] = ()
    narrow_headings: tuple[str, ...] | None = None

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self._records: list[dict] = []
        self._shown: tuple = ()
        self._columns_shown: tuple[str, ...] = ()
        self.use_headings(self.headings)

    def on_resize(self, event) -> None:
        narrow = self.narrow_headings is not None and event.size.width < WIDE_FROM
        self.use_headings(self.narrow_headings if narrow else self.headings)

    def use_headings(self, headings: tuple[str, ...]) -> None:
        if headings == self._columns_shown:
            return
        self._columns_shown = headings
        self.clear(columns=True)
        self.add_columns(*headings)
        self._shown = ()
        self.show(self._records)

    def signature(self, record: dict) -> tuple:
        raise NotImplementedError

    def cells(self, record: dict) -> tuple:
        raise NotImplementedError

    def show(self, records: list[dict]) -> None:
        self._records = records
        shown = tuple(self.signature(r) for r in records)
        if shown == self._shown:
            return
        self._shown = shown
        selected = self.selected_id
        self.clear()
        keep = [self.headings.index(h) for h in self._columns_shown]
        for r in records:
            cells = self.cells(r)
            self.add_row(*(cells[i] for i in keep), key=r["id"])
        if selected is not None and selected in {r["id"] for r in records}:
            self.move_cursor(row=self.get_row_index(selected))

    @property
    def selected_id(self) -> str | None:
        if self.row_count == 0:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
