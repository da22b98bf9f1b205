"""One payment: its fields, refunds and recent events; capture and refund with confirmation.

It refreshes while open (a refund moves from pending to processed under the reader's eyes),
offers Capture only while capture is possible, and never guesses a refund amount: the field is
in the currency's major units (₹, not the paise the API and CLI take) and says so beside it.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Static

from ...money import CURRENCIES
from ...states import PaymentStatus
from ..format import instrument, money, status, when
from ..messages import Fetched
from .base import ConsoleModal
from .confirm import ConfirmDialog

REFRESH_S = 2.0
AMOUNT = re.compile(r"(\d{1,10})(?:\.(\d{1,2}))?\Z")
# (key, character) of what an amount is typed with; bound here, they outrank the app's 1-6
AMOUNT_KEYS = [(d, d) for d in "0123456789"] + [("full_stop", ".")]


def parse_major(text: str) -> int | None:
    """``"123.45"`` → ``12345`` paise by string arithmetic (never through a float)."""
    m = AMOUNT.match(text.strip())
    if not m:
        return None
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))


def currency_unit(currency: str) -> str:
    """What the amount field takes: the currency's symbol (``₹``), in major units, not paise."""
    return CURRENCIES.get(currency, (2, currency))[1].strip()


class PaymentDetailScreen(ConsoleModal):
    AUTO_FOCUS = "#close"
    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("c", "capture", "Capture"), Binding("r", "focus_refund", "Refund")] + [
        Binding(key, f"type_amount('{character}')", show=False) for key, character in AMOUNT_KEYS
    ]

    def __init__(self, payment_id: str) -> None:
        super().__init__(classes="dialog-screen")
        self.payment_id = payment_id
        self.payment: dict | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="payment-detail"):
            yield Label(f"Payment {self.payment_id}", classes="section-title")
            with VerticalScroll(id="payment-detail-body"):
                yield Static("Loading…", id="payment-fields")
                yield Label("Refunds", classes="subsection")
                yield DataTable(id="refund-table", cursor_type="none")
                yield Label("Events", classes="subsection")
                yield DataTable(id="payment-events", cursor_type="none")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Capture (c)", id="capture", variant="primary")
                yield Label("Refund ₹", id="refund-unit")
                yield Input(placeholder="e.g. 120.50", id="refund-amount", select_on_focus=False)  # keep what was typed
                yield Button("Refund", id="refund", variant="warning")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#refund-table", DataTable).add_columns("Refund", "Amount", "Status", "Created (UTC)", "Processed")
        self.query_one("#payment-events", DataTable).add_columns("Event", "Id", "At (UTC)")
        self.refresh_data()
        self.set_interval(REFRESH_S, self.refresh_data)

    def refresh_data(self) -> None:
        self.fetch("payment", self.api.payment, self.payment_id)
        self.fetch("refunds", self.api.refunds, payment_id=self.payment_id, limit=100)
        # Every event of this payment (by object id, however old), and the recent feed for the
        # events of its refunds (their object is the refund).
        self.fetch("own-events", self.api.events, object_id=self.payment_id, limit=100)
        self.fetch("events", self.api.events, limit=100)

    def on_fetched(self, message: Fetched) -> None:
        handler = {"payment": self._show_payment, "refunds": self._show_refunds, "events": self._show_events, "own-events": self._show_own_events}.get(message.key)
        if handler:
            handler(message.data)
        elif message.key in ("captured", "refunded"):
            what = "Captured" if message.key == "captured" else f"Refund {message.data['id']} created"
            self.notify(f"{what} · {self.payment_id}", title="paygate")
            self.refresh_data()

    def _show_payment(self, p: dict) -> None:
        self.payment = p
        lines = [
            f"[b]{money(p['amount'], p['currency'])}[/]  {status(p['status'])}  {'captured' if p['captured'] else 'not captured'}",
            f"Order {p['order_id']} · {p['method'].upper()} {instrument(p)}",
            f"Created {when(p['created_at'])} · updated {when(p['updated_at'])} (UTC)",
        ]
        if p.get("error_code"):
            lines.append(f"[red]{p['error_code']}: {p.get('error_description') or ''}[/]")
        self.query_one("#payment-fields", Static).update("\n".join(lines))
        capture = self.query_one("#capture", Button)
        capture.disabled = not self.capturable
        capture.display = self.capturable  # a refunded or failed payment is not offered a capture
        refundable = p["status"] in PaymentStatus.REFUNDABLE
        self.query_one("#refund", Button).disabled = not refundable
        self.query_one("#refund-unit", Label).update(f"Refund {currency_unit(p['currency'])}")

    @property
    def capturable(self) -> bool:
        return bool(self.payment) and self.payment["status"] == PaymentStatus.SUCCESS and not self.payment["captured"]

    def _show_refunds(self, page: dict) -> None:
        table = self.query_one("#refund-table", DataTable)
        table.clear()
        for r in page["data"]:
            currency = self.payment["currency"] if self.payment else "INR"
            table.add_row(r["id"], money(r["amount"], currency), status(r["status"]), when(r["created_at"]), when(r.get("processed_at")))

    def _show_own_events(self, page: dict) -> None:
        self.own_events = page["data"]
        self._show_events({"data": getattr(self, "recent_events", [])})

    def _show_events(self, page: dict) -> None:
        self.recent_events = page["data"]
        table = self.query_one("#payment-events", DataTable)
        table.clear()
        own = getattr(self, "own_events", [])
        seen = {e["id"] for e in own}
        mine = own + [e for e in page["data"] if e.get("object_id") == self.payment_id and e["id"] not in seen]
        related = [e for e in page["data"] if e["event"].startswith("refund.") and (e.get("data") or {}).get("refund", {}).get("payment_id") == self.payment_id]
        # the feed is newest first; reversed, a stable sort keeps same-second events in order
        for e in sorted(reversed(mine + related), key=lambda e: e["created_at"]):
            table.add_row(e["event"], e["id"], when(e["created_at"]))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "close":
            self.dismiss()
        elif event.button.id == "capture":
            self.action_capture()
        elif event.button.id == "refund":
            self.action_refund()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_refund()

    def action_type_amount(self, character: str) -> None:
        """A digit typed while the focus is elsewhere (on Close, where the dialog opens) starts the
        amount, instead of being taken by the app's screen keys (1-6) and lost. Once the field has
        the focus it takes the keys itself (an Input consumes printable keys before any binding)."""
        field = self.query_one("#refund-amount", Input)
        field.focus()
        field.insert_text_at_cursor(character)

    def action_focus_refund(self) -> None:
        self.query_one("#refund-amount", Input).focus()

    def action_capture(self) -> None:
        p = self.payment
        if not p or not self.capturable:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.fetch("captured", self.api.capture_payment, self.payment_id)

        self.app.push_screen(ConfirmDialog(f"Capture {money(p['amount'], p['currency'])} of {self.payment_id}?", "Capture"), confirmed)

    def action_refund(self) -> None:
        p = self.payment
        if not p:
            return
        unit = currency_unit(p["currency"])
        text = self.query_one("#refund-amount", Input).value
        amount = parse_major(text) if text.strip() else None  # never "all" by default: say how much
        if amount is None or amount <= 0:
            self.notify(f"Enter the amount to refund in {unit}, like 120 or 120.50 (at most {money(p['amount'], p['currency'])})", severity="error")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.fetch("refunded", self.api.create_refund, self.payment_id, amount, "requested in console")

        self.app.push_screen(ConfirmDialog(f"Refund {money(amount, p['currency'])} of {self.payment_id}?", "Refund"), confirmed)
