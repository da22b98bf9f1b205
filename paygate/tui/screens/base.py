"""What every console screen shares: the connection banner and calling the API off the loop.

``fetch`` runs one API call in a thread worker; its result comes back to the screen as a
:class:`Fetched` or :class:`FetchFailed` message. A connection error flips the app into
"disconnected" (a banner, automatic reconnect); an API error becomes a notification.
"""

from __future__ import annotations

from textual import work
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer

from ...client import ApiError
from ..messages import FetchFailed, Fetched


class ApiCalls:
    """Mixed into screens: ``self.fetch(key, call, *args)`` and error handling for its results."""

    @property
    def api(self):
        return self.app.api

    @property
    def should_poll(self) -> bool:
        """Poll only the screen in front, and only while the daemon answers (the watchdog pings)."""
        return self.app.connected and self.is_current

    def poll(self, key: str, call, *args, context=None, **kwargs) -> None:
        """A periodic ``fetch`` that is skipped while the previous one is still in flight, so a
        slow daemon never piles up requests."""
        busy = self.__dict__.setdefault("_in_flight", set())
        if key in busy:
            return
        busy.add(key)
        self.fetch(key, call, *args, context=context, **kwargs)

    @work(thread=True, group="api")
    def fetch(self, key: str, call, *args, context=None, **kwargs) -> None:
        try:
            data = call(*args, **kwargs)
        except ApiError as exc:
            self.__dict__.get("_in_flight", set()).discard(key)
            self.post_message(FetchFailed(key, exc))
            return
        self.__dict__.get("_in_flight", set()).discard(key)
        self.app.call_from_thread(self.app.mark_connected)
        self.post_message(Fetched(key, data, context))

    def on_fetch_failed(self, message: FetchFailed) -> None:
        error = message.error
        if error.code == "CONNECTION_ERROR":
            self.app.mark_disconnected(error.description)
        else:
            self.notify(f"{error.description} ({error.code})", title="paygate", severity="error", timeout=6)

    def refresh_data(self) -> None:
        """Reload what the screen shows (called on show, on a timer and on reconnect)."""


class ConsoleScreen(ApiCalls, Screen):
    """A full screen of the console. Below 100 columns it gets the ``narrow`` class (the CSS
    rearranges) and a compact footer, so everything still fits an 80x24 terminal.

    A screen that sets ``refresh_s`` reloads its data (``refresh_data``) when shown and then every
    ``refresh_s`` seconds."""

    refresh_s: float | None = None

    def on_mount(self) -> None:
        if self.refresh_s:
            self.set_interval(self.refresh_s, self.refresh_data)
            self.refresh_data()

    def on_screen_resume(self) -> None:
        if self.refresh_s:
            self.refresh_data()

    def on_resize(self, event) -> None:
        narrow = event.size.width < 100
        self.set_class(narrow, "narrow")
        for footer in self.query(Footer):
            footer.compact = narrow


class ConsoleModal(ApiCalls, ModalScreen):
    """A dialog over a screen (payment detail, delivery detail) that also calls the API."""
