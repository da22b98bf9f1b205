"""Events: the live feed, followed with the ``after`` cursor so nothing is missed or repeated."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, Label

from ..messages import Fetched
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.event_feed import EventFeed
from .base import ConsoleScreen

REFRESH_S = 1.0


class EventsScreen(ConsoleScreen):
    AUTO_FOCUS = "#event-feed"
    def __init__(self) -> None:
        super().__init__()
        self.cursor: str | None = None  # the newest event id seen
        self.in_flight = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="events"):
            yield Label("Live events · newest first", classes="section-title", id="events-title")
            yield EventFeed(id="event-feed")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_data)
        self.refresh_data()

    def refresh_data(self) -> None:
        if not self.should_poll or self.in_flight:
            return
        self.in_flight = True
        if self.cursor is None:
            self.fetch("events", self.api.events, limit=50, context="latest")
        else:
            self.fetch("events", self.api.events, after=self.cursor, limit=100, context="after")

    def on_fetch_failed(self, message) -> None:
        self.in_flight = False
        if message.error.code == "NOT_FOUND_ERROR":
            self.cursor = None  # the cursor event is gone (another database?): start over
            return
        super().on_fetch_failed(message)

    def on_fetched(self, message: Fetched) -> None:
        if message.key != "events":
            return
        self.in_flight = False
        data = message.data["data"]
        ordered = list(reversed(data)) if message.context == "latest" else data
        if ordered:
            self.cursor = ordered[-1]["id"]
        self.query_one(EventFeed).add_events(ordered)
        count = len(self.query_one(EventFeed).buffer)
        self.query_one("#events-title", Label).update(f"Live events · newest first · {count} shown")
