"""The console's Balance screen against the live daemon: available/pending/in transit, the next
settlement, and the settlement history with a drill-down to the lines a settlement paid."""

from __future__ import annotations

from textual.widgets import Label

from paygate.tui.screens.settlement_detail import SettlementDetailScreen
from paygate.tui.widgets.balance_transaction_table import BalanceTransactionTable
from paygate.tui.widgets.settlement_table import SettlementTable
from tests.support.payouts import pay_out_and_reconcile
from tests.tui.conftest import console, run, wait_until


def _card(app, card_id: str) -> str:
    return str(app.screen.query_one(f"#{card_id} .stat-value", Label).render())


def test_balance_screen_shows_money_and_drills_into_a_settlement(shop, deployment):
    api, creds = shop
    payment = api.paid_payment(50000, "card")
    fee = api.ok("GET", "/api/v1/balance_transactions")["data"][0]["fee"]
    net = 50000 - fee
    settlement, recon = pay_out_and_reconcile(api, deployment)
    assert settlement["amount"] == net and recon["unmatched"] == 0
    bank_file = deployment.root / "data" / "bank" / f"{settlement['id']}.csv"

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("5")
            await wait_until(pilot, lambda: app.current_mode == "balance" and app.screen.query_one(SettlementTable).row_count == 1, what="settlement history")
            await wait_until(pilot, lambda: _card(app, "card-available") == "₹0.00", what="balance cards")
            assert _card(app, "card-pending") == "₹0.00" and _card(app, "card-in-transit") == "₹0.00"  # the bank paid it
            last = lambda: str(app.screen.query_one("#last-reconciliation", Label).render())  # noqa: E731
            await wait_until(pilot, lambda: "all matched" in last(), what="last reconciliation")
            assert bank_file.name in last()
            assert app.screen.query_one(SettlementTable).selected_id == settlement["id"]
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, SettlementDetailScreen), what="settlement detail")
            lines = lambda: app.screen.query_one(BalanceTransactionTable)  # noqa: E731
            await wait_until(pilot, lambda: lines().row_count == 1, what="settlement lines")
            assert str(lines().get_row_at(0)[2]) == payment["id"]
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, SettlementDetailScreen), what="detail closed")

    run(scenario())
