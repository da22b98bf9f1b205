"""Overview: live analytics for the last hour, day or week, refreshed every second."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Label

from ..format import money, rate
from ..messages import Fetched
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.daemon_status import DaemonStatus
from ..widgets.method_split import MethodSplit
from ..widgets.stat_card import StatCard
from ..widgets.trend_chart import TrendChart
from .base import ConsoleScreen

REFRESH_S = 1.0
WINDOWS = Binding.Group("Window")


WINDOW_NAMES = {"hour": "Last hour", "day": "Last 24 hours", "week": "Last 7 days"}


def window_title(analytics: dict, now: datetime) -> str:
    """``Last hour · INR · 2026-03-14T14:09Z → now``: the window's last bucket runs on past the
    present moment, but nothing after now has happened, so the title never names a future time."""
    end = analytics["to"][:16]
    shown_end = "now" if end > now.strftime("%Y-%m-%dT%H:%M") else end + "Z"
    return f"{WINDOW_NAMES[analytics['window']]} · {analytics['currency']} · {analytics['from'][:16]}Z → {shown_end}   [dim](h/d/w to change)[/]"


class OverviewScreen(ConsoleScreen):
    refresh_s = REFRESH_S
    BINDINGS = [
        Binding("h", "window('hour')", "Hour", group=WINDOWS),
        Binding("d", "window('day')", "Day", group=WINDOWS),
        Binding("w", "window('week')", "Week", group=WINDOWS),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.analytics_window = "hour"

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="overview"):
            yield Label("", id="window-title", classes="section-title")
            with Horizontal(id="stat-cards"):
                yield StatCard("Volume", id="card-volume")
                yield StatCard("Payments", id="card-count")
                yield StatCard("Success rate", id="card-rate")
                yield StatCard("Refunded", id="card-refunded")
            with Horizontal(id="overview-lower"):
                with Vertical(id="overview-left"):
                    yield MethodSplit(id="method-split")
                    yield DaemonStatus(id="daemon-status")
                yield TrendChart(id="trend-chart")
        yield Footer()

    def refresh_data(self) -> None:
        if self.should_poll:
            self.poll("analytics", self.api.analytics, self.analytics_window, context=self.analytics_window)
            self.poll("health", self.api.health)
            self.poll("jobs", self.api.jobs_status)
            self.poll("declined", self.api.payments, status="failed", limit=1)
            self.poll("failed_webhooks", self.api.deliveries, status="failed", limit=1)

    def action_window(self, window: str) -> None:
        self.analytics_window = window
        if self.app.connected:
            self.fetch("analytics", self.api.analytics, window, context=window)

    def on_fetched(self, message: Fetched) -> None:
        if message.key in ("health", "jobs", "declined", "failed_webhooks"):
            self.query_one(DaemonStatus).show(message.key, message.data)
            return
        if message.key != "analytics" or message.context != self.analytics_window:
            return
        a = message.data
        cur, t = a["currency"], a["totals"]
        self.query_one("#window-title", Label).update(window_title(a, datetime.now(timezone.utc)))
        self.query_one("#card-volume", StatCard).show(money(t["volume"], cur), f"{t['successful']} successful")
        self.query_one("#card-count", StatCard).show(str(t["count"]), f"{t['failed']} declined · {t['pending']} pending")
        self.query_one("#card-rate", StatCard).show(rate(t["success_rate_bps"]), "of settled payments")
        self.query_one("#card-refunded", StatCard).show(money(t["refunded"], cur), f"{t['refund_count']} {'refund' if t['refund_count'] == 1 else 'refunds'} processed")
        self.query_one(MethodSplit).show(a["by_method"], cur)
        self.query_one(TrendChart).show(a)
