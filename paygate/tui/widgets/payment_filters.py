"""The transactions filter bar: status, method, created since (a date) and free-text search.

The search box is the API's ``q`` (the same query as ``paygate payments list -q``): the order's
receipt, the VPA, a card's last 4, an amount as shown (₹, major units) and payment or order ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from ...states import PaymentStatus

STATUSES = PaymentStatus.ALL
METHODS = ("upi", "card")
SEARCHED = "receipt, VPA, card last 4, amount (₹) and payment/order ids"


@dataclass(frozen=True)
class PaymentFilter:
    status: str | None = None
    method: str | None = None
    start: str | None = None  # an ISO date or timestamp; the API validates it
    q: str | None = None  # free text: receipt, VPA, card last 4, amount, ids (the API's q)


class PaymentFilters(Horizontal):
    class Changed(Message):
        def __init__(self, value: PaymentFilter) -> None:
            super().__init__()
            self.value = value

    def compose(self) -> ComposeResult:
        yield Select([(s, s) for s in STATUSES], prompt="any status", id="filter-status")
        yield Select([(m.upper(), m) for m in METHODS], prompt="any method", id="filter-method")
        yield Input(placeholder="since YYYY-MM-DD", id="filter-from")
        search = Input(placeholder="/ receipt, VPA, last 4, ₹…", id="filter-search")
        search.tooltip = f"Search {SEARCHED}"
        yield search

    @property
    def value(self) -> PaymentFilter:
        def chosen(widget_id):
            v = self.query_one(widget_id, Select).value
            return v if isinstance(v, str) else None  # the prompt ("any …") is a sentinel, not a str

        def typed(widget_id):
            return self.query_one(widget_id, Input).value.strip() or None

        return PaymentFilter(chosen("#filter-status"), chosen("#filter-method"), typed("#filter-from"), typed("#filter-search"))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Changed(self.value))
