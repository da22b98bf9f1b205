"""The console's Balance screen against the live daemon: available/pending/in transit, the next
settlement, and the settlement history with a drill-down to the lines a settlement paid."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Label

from devstack.waiting import wait_until as wait_for
from paygate.tui.screens.settlement_detail import SettlementDetailScreen
from paygate.tui.widgets.balance_transaction_table import BalanceTransactionTable
from paygate.tui.widgets.settlement_table import SettlementTable
from tests.tui.conftest import console, run, wait_until


def _card(app, card_id: str) -> str:
    return str(app.screen.query_one(f"#{card_id} .stat-value", Label).render())


def test_balance_screen_shows_money_and_drills_into_a_settlement(shop, deployment):
    api, creds = shop
    payment = api.paid_payment(50000, "card")
    fee = api.ok("GET", "/api/v1/balance_transactions")["data"][0]["fee"]
    net = 50000 - fee
    wait_for(lambda: api.ok("GET", "/api/v1/balance")["available"][0]["amount"] == net, 15, "funds available (TEST_MODE)")
    run_settlements = subprocess.run([sys.executable, "-m", "paygate", "settlements", "run"], env=deployment.process_env(), cwd=deployment.root, capture_output=True, text=True, timeout=60)
    assert run_settlements.returncode == 0, run_settlements.stderr
    settlement = wait_for(lambda: [s for s in api.ok("GET", "/api/v1/settlements")["data"] if s["status"] == "processed"], 15, "settlement processed")[0]
    bank_file = deployment.root / "data" / "bank" / f"{settlement['id']}.csv"
    wait_for(bank_file.exists, 10, "the bank's settlement file")
    recon = subprocess.run([sys.executable, "-m", "paygate", "reconcile", str(bank_file)], env=deployment.process_env(), cwd=deployment.root, capture_output=True, text=True, timeout=60)
    assert recon.returncode == 0, recon.stdout + recon.stderr

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
