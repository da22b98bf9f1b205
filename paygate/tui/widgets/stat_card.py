"""A headline number with its label (volume, count, success rate, refunded)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label


class StatCard(Vertical):
    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(id=id, classes="stat-card")
        self._title = title

    def compose(self) -> ComposeResult:
        yield Label(self._title, classes="stat-title")
        yield Label("…", classes="stat-value")
        yield Label("", classes="stat-note")

    def show(self, value: str, note: str = "") -> None:
        self.query_one(".stat-value", Label).update(value)
        self.query_one(".stat-note", Label).update(note)
