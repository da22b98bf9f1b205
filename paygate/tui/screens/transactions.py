"""Transactions: the payments table, live, filtered and paged on the server (never all rows).

Pages move by cursor (``starting_after`` the last row shown, ``ending_before`` the first), never
by offset, so paging stays cheap and goes past the API's 10,000-row offset bound. The first page
follows new payments as they arrive; an older page stays put while you read it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label

from ..messages import Fetched
from ..widgets.connection_banner import ConnectionBanner
from ..widgets.payment_filters import SEARCHED, PaymentFilter, PaymentFilters
from ..widgets.payment_table import PaymentTable
from .base import ConsoleScreen
from .payment_detail import PaymentDetailScreen

REFRESH_S = 1.0
PAYMENT_PAGE = 20
PAGES = Binding.Group("Page")


class TransactionsScreen(ConsoleScreen):
    page_size = PAYMENT_PAGE
    AUTO_FOCUS = "#payment-table"
    BINDINGS = [
        Binding("left_square_bracket,pageup", "page(-1)", "Prev page", key_display="[", group=PAGES),
        Binding("right_square_bracket,pagedown", "page(1)", "Next page", key_display="]", group=PAGES),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("enter", "open", "Details", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.payment_filter = PaymentFilter()
        self.cursor: dict = {}  # {} (the newest page), {"starting_after": id} or {"ending_before": id}
        self.page_number = 1
        self.older = self.newer = False  # whether a page exists past each end of this one
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionBanner()
        with Vertical(id="transactions"):
            yield PaymentFilters(id="payment-filters")
            yield Label("", id="search-hint")
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
        key = (f, tuple(self.cursor.items()))
        call = self.fetch if now else self.poll  # a new filter or page is asked for at once
        call("payments", self.api.payments, **self.cursor, status=f.status, method=f.method, start=f.start, q=f.q, limit=self.page_size, context=key)

    def on_payment_filters_changed(self, message: PaymentFilters.Changed) -> None:
        self.payment_filter = message.value
        self.cursor, self.page_number = {}, 1
        self.query_one(PaymentTable).focus()
        self.refresh_data(now=True)

    def action_page(self, step: int) -> None:
        """``]`` the next (older) page, after the last row shown; ``[`` the previous one."""
        if step > 0 and self.older and self.rows:
            self.cursor, self.page_number = {"starting_after": self.rows[-1]["id"]}, self.page_number + 1
        elif step < 0 and self.newer and self.rows:
            self.cursor, self.page_number = {"ending_before": self.rows[0]["id"]}, self.page_number - 1
        else:
            return
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
        if message.key != "payments" or message.context != (self.payment_filter, tuple(self.cursor.items())):
            return  # an answer to an older filter or page
        page = message.data
        if "ending_before" in self.cursor:
            self.newer, self.older = page["has_more"], True
            if not self.newer:  # back at the top: follow new payments again
                self.cursor, self.page_number = {}, 1
        else:
            self.newer, self.older = "starting_after" in self.cursor, page["has_more"]
        self.rows = page["data"]
        self.query_one(PaymentTable).show(self.rows)
        self.show_search_hint()
        counted = f" of {page['total']}" if "total" in page else ""  # the newest page comes counted
        older = "more older ]" if self.older else "oldest"
        self.query_one("#page-label", Label).update(
            f"Page {self.page_number} · {len(self.rows)}{counted} shown · newest first · {older} · [b]enter[/] details"
        )

    def show_search_hint(self) -> None:
        """Say what was searched when nothing matches, so an empty table is not a mystery."""
        hint = self.query_one("#search-hint", Label)
        f = self.payment_filter
        if self.rows or f == PaymentFilter():
            hint.display = False
            return
        searched = f"No payments match “{f.q}” in {SEARCHED}" if f.q else "No payments match these filters"
        hint.update(f"{searched}. Ids and VPAs are matched from their start; receipts from the start on SQLite, anywhere on PostgreSQL.")
        hint.display = True
