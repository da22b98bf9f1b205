"""The live event feed: newest at the top, bounded so a long-running console stays small."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.widgets import DataTable

from ..format import money, when

MAX_ROWS = 300
STYLE = {"success": "green", "failed": "red", "created": "cyan", "pending": "yellow", "processed": "green", "test": "magenta"}


def summary(event: dict) -> str:
    data = event.get("data") or {}
    obj = data.get("payment") or data.get("refund") or {}
    if not obj:
        return str(data.get("message", "")) if isinstance(data, dict) else ""
    amount = money(obj["amount"], obj.get("currency", "INR")) if isinstance(obj.get("amount"), int) else ""
    return " ".join(x for x in (amount, str(obj.get("method", "")).upper(), str(obj.get("status", ""))) if x)


class EventFeed(DataTable):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("At (UTC)", "Event", "Object", "Summary", "Event id")
        self.buffer: deque[dict] = deque(maxlen=MAX_ROWS)

    def add_events(self, events: list[dict]) -> None:
        """Take events oldest first; redraw with the newest on top."""
        seen = {e["id"] for e in self.buffer}
        fresh = [e for e in events if e["id"] not in seen]
        if not fresh:
            return
        for e in fresh:
            self.buffer.appendleft(e)
        self.clear()
        for e in self.buffer:
            kind = e["event"].rsplit(".", 1)[-1]
            self.add_row(when(e["created_at"]), Text(e["event"], style=STYLE.get(kind, "white")), e.get("object_id") or "-", Text(summary(e)), e["id"], key=e["id"])
