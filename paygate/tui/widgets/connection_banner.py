"""A red strip across the top while the daemon cannot be reached; hidden otherwise."""

from __future__ import annotations

from textual.widgets import Static


class ConnectionBanner(Static):
    DEFAULT_CLASSES = "hidden"

    def on_mount(self) -> None:
        self.watch(self.app, "connected", self._follow, init=True)

    def _follow(self, connected: bool) -> None:
        if connected:
            self.show_up()
        else:
            self.show_down(self.app.down_reason or "no answer")

    def show_down(self, detail: str) -> None:
        self.update(f"⚠ Daemon unreachable — {detail}. Reconnecting automatically…")
        self.remove_class("hidden")

    def show_up(self) -> None:
        self.add_class("hidden")
