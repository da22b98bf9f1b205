"""The payment dialog: refreshes while open, never proposes a refund amount, says the unit of
the amount field, and offers Capture only while a capture is possible; then the overview says
"1 refund" in the singular."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Input, Label

from paygate.tui.screens.confirm import ConfirmDialog
from tests.tui.conftest import console, notifications, open_payment, run, wait_until


def test_refund_needs_an_amount_in_rupees_and_the_dialog_follows_it_to_refunded(shop):
    api, creds = shop
    payment = api.paid_payment(50000, "card")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            detail = await open_payment(pilot, app, payment["id"])
            assert str(detail.query_one("#refund-unit", Label).render()) == "Refund ₹"

            detail.query_one("#refund", Button).press()  # a blank amount is not "everything"
            await wait_until(pilot, lambda: any("Enter the amount to refund in ₹" in n for n in notifications(app)), what="amount asked for")
            assert not isinstance(app.screen, ConfirmDialog)
            assert api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["data"] == []

            detail.query_one("#refund-amount", Input).value = "500"
            detail.query_one("#refund", Button).press()
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="refund confirmation")
            assert "₹500.00" in str(app.screen.question)
            await pilot.press("y")
            # no key pressed from here: the open dialog follows the refund to processed by itself
            await wait_until(pilot, lambda: detail.payment["status"] == "refunded", timeout=15, what="payment refunded in the dialog")
            await wait_until(pilot, lambda: "processed" in str(detail.query_one("#refund-table", DataTable).get_row_at(0)), what="refund processed")

            assert detail.query_one("#capture", Button).display is False
            await pilot.press("c")  # the key does not offer it either
            await pilot.pause(0.3)
            assert app.screen is detail

            await pilot.press("escape")
            await pilot.press("1")  # the overview counts it in the singular
            note = lambda: str(app.screen.query_one("#card-refunded").query_one(".stat-note").render())
            await wait_until(pilot, lambda: note() == "1 refund processed", what="'1 refund processed'")

    run(scenario())


def test_digits_typed_right_after_opening_go_into_the_refund_amount(shop):
    """The dialog opened with the focus on Close, so "500" typed at once was lost: the digits were
    the app's screen keys (5 switched to the balance screen). They belong in the amount field."""
    api, creds = shop
    payment = api.paid_payment(50000, "card")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            detail = await open_payment(pilot, app, payment["id"])
            await pilot.press("5", "0", "0", ".", "5")
            await pilot.pause(0.2)
            assert app.current_mode == "transactions" and app.screen is detail
            assert detail.query_one("#refund-amount", Input).value == "500.5"
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="refund confirmation")
            assert "₹500.50" in str(app.screen.question)

    run(scenario())
