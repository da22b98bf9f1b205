"""The console at 80x24, a default terminal: every screen keeps its key widgets and its footer
on screen (the daemon panel once vanished, columns and the footer were cut), and the help
screen's key column never wraps."""

from __future__ import annotations

from textual.widgets import Footer

from paygate.tui.screens.help import HelpScreen
from paygate.tui.widgets.daemon_status import DaemonStatus
from paygate.tui.widgets.payment_table import PaymentTable
from tests.tui.conftest import console, run, screen_lines, wait_until

SIZE = (80, 24)
# screen key → the widgets that make it usable, each of which must be wholly on screen
KEY_WIDGETS = {
    "1": ["#stat-cards", "#method-split", "#daemon-status", "#trend-chart"],
    "2": ["#payment-filters", "#filter-search", "#payment-table", "#page-label"],
    "3": ["#webhook-url", "#delivery-table"],
    "4": ["#event-feed"],
    "5": ["#balance-cards", "#settlement-table"],
    "6": ["#key-table"],
}


def _on_screen(app, selector) -> bool:
    widget = app.screen.query_one(selector)
    region, screen = widget.region, app.screen.region
    return widget.display and region.area > 0 and screen.contains_region(region)


def test_every_screen_fits_80x24_with_its_footer(shop):
    api, creds = shop
    api.paid_payment(25000, "card")

    async def scenario():
        app = console(creds)
        async with app.run_test(size=SIZE) as pilot:
            for key, selectors in KEY_WIDGETS.items():
                await pilot.press(key)
                await wait_until(pilot, lambda: all(_on_screen(app, s) for s in selectors), what=f"screen {key}: {selectors} on screen")
                footer = app.screen.query_one(Footer)
                assert footer.region.y == SIZE[1] - 1 and _on_screen(app, Footer)
                await pilot.pause(0.1)
                cut = [str(k.render()) for k in footer.query("FooterKey, FooterLabel") if not app.screen.region.contains_region(k.region)]
                assert not cut, f"screen {key}: footer entries cut off: {cut}"
                if key == "1":
                    await wait_until(pilot, lambda: "declined" in str(app.screen.query_one(DaemonStatus).render()), what="daemon panel filled")
                if key == "2":
                    table = app.screen.query_one(PaymentTable)
                    await wait_until(pilot, lambda: table.row_count == 1, what="a payment row")
                    # every column is readable within the table's width (scrolling sideways is not usable)
                    assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.region.width

    run(scenario())


def test_help_key_column_does_not_wrap_at_80x24(shop):
    _, creds = shop

    async def scenario():
        app = console(creds)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            await pilot.pause(0.2)
            lines = screen_lines(app)
            for keys in ("1 2 3 4 5 6", "ctrl+p", "h d w", "enter"):  # rows near the top: no scrolling needed
                row = next((line for line in lines if line.strip(" │┃▊▎█").startswith(keys)), None)
                assert row is not None, f"{keys!r} not on one line: {lines}"

    run(scenario())
