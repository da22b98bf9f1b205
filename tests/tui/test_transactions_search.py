"""Transactions search is the API's ``q`` (receipt, VPA, card last 4, amount, ids), says what it
searched when nothing matches, and pages by cursor (so it is not bound by the offset limit)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label

from paygate.tui.widgets.payment_table import PaymentTable
from tests.support.api import SUCCESS_CARD
from tests.tui.conftest import console, run, wait_until


async def _search(pilot, app, text: str) -> None:
    search = app.screen.query_one("#filter-search", Input)
    search.value = text
    await search.action_submit()


@pytest.mark.postgres_smoke
def test_search_reaches_receipt_vpa_last4_and_amount_and_says_when_nothing_matches(shop, backend):
    api, creds = shop
    inside = api.create_payment(api.create_order(44400, receipt="inv-kiran-2")["id"], "upi")  # found anywhere on PostgreSQL
    by_receipt = api.create_payment(api.create_order(11100, receipt="kiran-invoice-7")["id"], "upi", vpa="asha@okbank")
    by_vpa = api.create_payment(api.create_order(22200)["id"], "upi", vpa="kiran.s@okaxis")
    by_card = api.create_payment(api.create_order(33300)["id"], "card", card={**SUCCESS_CARD, "number": "4000056655665556"})
    by_amount = api.create_payment(api.create_order(123456)["id"], "upi")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2")
            table = lambda: app.screen.query_one(PaymentTable)  # noqa: E731
            await wait_until(pilot, lambda: table().row_count == 5, what="all payments")
            search = app.screen.query_one("#filter-search", Input)
            assert "receipt" in search.placeholder and "VPA" in search.placeholder  # says what is searched

            await _search(pilot, app, "kiran")
            kiran = {by_receipt["id"], by_vpa["id"]} | ({inside["id"]} if backend == "postgres" else set())  # SQLite: from the start
            await wait_until(pilot, lambda: set(table().rows) == kiran, what="kiran in a receipt and a VPA")
            await _search(pilot, app, "5556")
            await wait_until(pilot, lambda: set(table().rows) == {by_card["id"]}, what="card last 4")
            await _search(pilot, app, "₹1,234.56")
            await wait_until(pilot, lambda: set(table().rows) == {by_amount["id"]}, what="amount as shown")

            hint = lambda: app.screen.query_one("#search-hint", Label)  # noqa: E731
            assert not hint().display
            await _search(pilot, app, "nobody-like-this")
            await wait_until(pilot, lambda: table().row_count == 0 and hint().display, what="the no-match hint")
            text = str(hint().render())
            assert "nobody-like-this" in text and "receipt" in text and "card last 4" in text

    run(scenario())


def test_pages_move_by_cursor_not_offset(shop):
    api, creds = shop
    made = [api.create_payment(api.create_order(10000 + i)["id"], "upi")["id"] for i in range(5)]
    newest_first = made[::-1]

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            calls = []
            payments = app.api.payments

            def recorded(**kwargs):
                calls.append(kwargs)
                return payments(**kwargs)

            app.api.payments = recorded
            await pilot.press("2")
            screen = app.screen
            screen.page_size = 2
            screen.refresh_data(now=True)
            rows = lambda: list(screen.query_one(PaymentTable).rows)  # noqa: E731
            label = lambda: str(screen.query_one("#page-label", Label).render())  # noqa: E731
            await wait_until(pilot, lambda: [r.value for r in rows()] == newest_first[:2], what="page 1")
            for page in (2, 3):
                await pilot.press("right_square_bracket")
                await wait_until(pilot, lambda: [r.value for r in rows()] == newest_first[2 * page - 2 : 2 * page] and f"Page {page}" in label(), what=f"page {page}")
            assert "oldest" in label()
            await pilot.press("right_square_bracket")  # nothing older: stays
            await pilot.pause(0.3)
            assert [r.value for r in rows()] == newest_first[4:]
            for page in (2, 1):
                await pilot.press("left_square_bracket")
                await wait_until(pilot, lambda: [r.value for r in rows()] == newest_first[2 * page - 2 : 2 * page] and f"Page {page}" in label(), what=f"back to page {page}")
            assert not any(c.get("offset") for c in calls)
            assert any(c.get("starting_after") for c in calls) and any(c.get("ending_before") for c in calls)

    run(scenario())
