"""Help: every key, and where the numbers come from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# paygate console

| key | what |
|---|---|
| `1` `2` `3` `4` `5` `6` | Overview · Transactions · Webhooks · Events · Balance · Keys & audit |
| `ctrl+p` | command palette (screens, windows, test webhook, …) |
| `?` | this help · `q` quit |
| `h` `d` `w` | overview window: last hour / day / week |
| `enter` | open the selected payment, delivery or settlement |
| `[` `]` | previous / next page of payments |
| `/` | search payments by id (prefix) |
| `c` · `r` | in a payment: capture · refund (both ask first) |
| `r` · `t` | on webhooks: retry the selected delivery · send a test event |
| `x` | on keys & audit: revoke the selected API key (asks first) |
| `esc` | close a dialog |

The console talks to the daemon over HTTP with your merchant credentials
(`--api-url/--api-key/--api-secret`, `PAYGATE_API_*`, or `~/.config/paygate/config.toml`).
Money is shown from integer minor units; success rate = successful ÷ settled payments.
When the daemon is unreachable a red banner appears and the console reconnects by itself.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            with VerticalScroll():
                yield Markdown(HELP)
