"""Transactions: the payments table, live, filtered and paged on the server (never all rows)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label

from ..messages import Fetched
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.payment_filters import PaymentFilter, PaymentFilters
from ..widgets.payment_table import PaymentTable
from .base import ConsoleScreen
from .payment_detail import PaymentDetailScreen

REFRESH_S = 1.0
PAYMENT_PAGE = 20


class TransactionsScreen(ConsoleScreen):
    AUTO_FOCUS = "#payment-table"
    BINDINGS = [
        Binding("right_square_bracket,pagedown", "page(1)", "Next page", key_display="]"),
        Binding("left_square_bracket,pageup", "page(-1)", "Prev page", key_display="["),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("enter", "open", "Details", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.payment_filter = PaymentFilter()
        self.page_offset = 0
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="transactions"):
            yield PaymentFilters(id="payment-filters")
            yield PaymentTable(id="payment-table")
            with Horizontal(id="payment-pager"):
                yield Label("", id="page-label")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_data)
        self.refresh_data()
        self.query_one(PaymentTable).focus()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self, now: bool = False) -> None:
        if not self.should_poll:
            return
        f = self.payment_filter
        key = (f, self.page_offset)
        call = self.fetch if now else self.poll  # a new filter or page is asked for at once
        call("payments", self.api.payments, offset=self.page_offset, status=f.status, method=f.method, start=f.start, q=f.q, limit=PAYMENT_PAGE, context=key)

    def on_payment_filters_changed(self, message: PaymentFilters.Changed) -> None:
        self.payment_filter = message.value
        self.page_offset = 0
        self.query_one(PaymentTable).focus()
        self.refresh_data(now=True)

    def action_page(self, step: int) -> None:
        new = self.page_offset + step * PAYMENT_PAGE
        if 0 <= new < max(self.total, 1):
            self.page_offset = new
            self.refresh_data(now=True)

    def action_search(self) -> None:
        self.query_one("#filter-search").focus()

    def action_open(self) -> None:
        payment_id = self.query_one(PaymentTable).selected_id
        if payment_id:
            self.app.push_screen(PaymentDetailScreen(payment_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(PaymentDetailScreen(event.row_key.value))

    def on_fetched(self, message: Fetched) -> None:
        if message.key != "payments" or message.context != (self.payment_filter, self.page_offset):
            return  # an answer to an older filter or page
        page = message.data
        self.total = page["total"]
        self.query_one(PaymentTable).show(page["data"])
        pages = max(1, -(-self.total // PAYMENT_PAGE))
        current = self.page_offset // PAYMENT_PAGE + 1
        self.query_one("#page-label", Label).update(
            f"Page {current} of {pages} · {self.total} payments · newest first · [b]enter[/] details · [b]\\[ ][/] page"
        )
