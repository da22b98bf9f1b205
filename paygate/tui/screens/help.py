"""Help: every key, and where the numbers come from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from rich.table import Table
from textual.widgets import Label, Markdown, Static

# (keys, what they do): the key column never wraps, the text beside it does.
KEYS = [
    ("1 2 3 4 5 6", "Overview · Transactions · Webhooks · Events · Balance · Keys & audit"),
    ("ctrl+p", "command palette (screens, windows, test webhook, …)"),
    ("?  q", "this help · quit"),
    ("h d w", "overview window: last hour / day / week"),
    ("enter", "open the selected payment, delivery or settlement"),
    ("[  ]", "previous / next page of payments"),
    ("/", "search payments: receipt, VPA, card last 4, amount (₹), payment/order id"),
    ("c  r", "in a payment: capture · refund (both ask first)"),
    ("r  t", "on webhooks: retry the selected delivery · send a test event"),
    ("a e x k p", "on webhooks: endpoint add · edit · disable/enable · rotate secret · replay"),
    ("x", "on keys & audit: revoke the selected API key (asks first)"),
    ("esc", "close a dialog"),
]

ABOUT = """\
The console talks to the daemon over HTTP with your merchant credentials
(`--api-url/--api-key/--api-secret`, `PAYGATE_API_*`, or `~/.config/paygate/config.toml`).
Money is shown from integer minor units; success rate = successful ÷ settled payments;
*declined* counts payments the bank refused, *failed webhooks* deliveries that gave up.
When the daemon is unreachable a red banner appears and the console reconnects by itself.
"""


def key_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 2, 0, 0))
    table.add_column("key", no_wrap=True, style="bold cyan")
    table.add_column("what", ratio=1)
    for keys, what in KEYS:
        table.add_row(keys, what)
    return table


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            with VerticalScroll():
                yield Label("paygate console", classes="section-title")
                yield Static(key_table(), id="help-keys")
                yield Markdown(ABOUT)
