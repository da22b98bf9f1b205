"""The console app: five screens on the number keys, a help screen, a command palette, and a
connection watchdog that turns a down daemon into a banner and reconnects by itself.

Every network call runs in a thread worker (``@work(thread=True)``) and comes back as a message;
nothing blocks the event loop, so the console stays responsive even when the daemon does not.
"""

from __future__ import annotations

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive

from ..client import ApiError, Client, Credentials
from .screens.access import AccessScreen
from .screens.balance import BalanceScreen
from .screens.events import EventsScreen
from .screens.help import HelpScreen
from .screens.overview import OverviewScreen
from .screens.transactions import TransactionsScreen
from .screens.webhooks import WebhooksScreen

WATCHDOG_S = 1.0
SCREENS = Binding.Group("Screens")
CALL_TIMEOUT_S = 4.0  # short, so a daemon that is down shows as a banner instead of a frozen console


def console_client(creds: Credentials) -> Client:
    """The console's client: every call blocking, so screens run them in thread workers only."""
    return Client(creds, timeout=CALL_TIMEOUT_S)


class PaygateConsole(App):
    TITLE = "paygate"
    CSS_PATH = "paygate.tcss"
    MODES = {
        "overview": OverviewScreen,
        "transactions": TransactionsScreen,
        "webhooks": WebhooksScreen,
        "events": EventsScreen,
        "balance": BalanceScreen,
        "access": AccessScreen,
    }
    DEFAULT_MODE = "overview"
    # The six screens share one footer entry ("1 2 3 4 5 6 Screens"), so the footer fits 80 columns.
    BINDINGS = [
        Binding("1", "switch_mode('overview')", "Overview", group=SCREENS),
        Binding("2", "switch_mode('transactions')", "Transactions", group=SCREENS),
        Binding("3", "switch_mode('webhooks')", "Webhooks", group=SCREENS),
        Binding("4", "switch_mode('events')", "Events", group=SCREENS),
        Binding("5", "switch_mode('balance')", "Balance", group=SCREENS),
        Binding("6", "switch_mode('access')", "Keys & audit", group=SCREENS),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    connected: reactive[bool] = reactive(True)
    down_reason: reactive[str] = reactive("")

    def __init__(self, api: Client) -> None:
        super().__init__()
        self.api = api
        self.identified = False
        self.sub_title = api.creds.api_url

    def on_mount(self) -> None:
        self.set_interval(WATCHDOG_S, self.check_daemon)
        self.check_daemon()

    # -- connection -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="watchdog")
    def check_daemon(self) -> None:
        """While connected, confirm who we are; while down, ping until the daemon answers."""
        if self.connected and self.identified:
            return  # screens' own calls notice a failure; no need to ping a healthy daemon
        try:
            me = self.api.me()
        except ApiError as exc:
            if exc.code == "CONNECTION_ERROR":
                self.call_from_thread(self.mark_disconnected, exc.description)
            else:
                self.call_from_thread(self.notify, f"{exc.description} ({exc.code})", title="paygate", severity="error")
            return
        self.call_from_thread(self.mark_connected, me)

    def mark_disconnected(self, reason: str) -> None:
        self.down_reason = reason
        self.connected = False

    def mark_connected(self, me: dict | None = None) -> None:
        if me:
            self.identified = True
            self.sub_title = f"{me.get('name', '')} · {self.api.creds.api_url}"
        if not self.connected:
            self.connected = True
            self.notify("Reconnected to the daemon", title="paygate")
            refresh = getattr(self.screen, "refresh_data", None)
            if refresh:
                refresh()

    # -- navigation -------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for mode, title in (("overview", "Overview"), ("transactions", "Transactions"), ("webhooks", "Webhooks"), ("events", "Events"), ("balance", "Balance"), ("access", "Keys & audit")):
            yield SystemCommand(f"Go to {title}", f"Switch to the {title.lower()} screen", lambda m=mode: self.switch_mode(m))
        for window in ("hour", "day", "week"):
            yield SystemCommand(f"Overview: last {window}", f"Analytics over the last {window}", lambda w=window: self._overview_window(w))
        yield SystemCommand("Send test webhook", "Queue a webhook.test event to the configured URL", self._send_test)
        yield SystemCommand("Help", "Keys and what the numbers mean", self.action_help)

    def _overview_window(self, window: str) -> None:
        self.switch_mode("overview")
        self.screen.action_window(window)

    def _send_test(self) -> None:
        self.switch_mode("webhooks")
        self.screen.action_send_test()


def run(creds: Credentials) -> None:
    PaygateConsole(console_client(creds)).run()
