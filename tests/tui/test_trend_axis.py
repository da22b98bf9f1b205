"""The volume chart's money axis: evenly spaced round ticks, written in the currency."""

from __future__ import annotations

import pytest

from paygate.tui.widgets.trend_chart import money_ticks


@pytest.mark.parametrize(
    "peak,currency,labels",
    [
        (9393800, "INR", ["₹0", "₹25,000", "₹50,000", "₹75,000", "₹100,000"]),  # ₹93,938: no "93938.0"
        (8000000, "INR", ["₹0", "₹20,000", "₹40,000", "₹60,000", "₹80,000"]),
        (0, "INR", ["₹0", "₹10", "₹20", "₹30", "₹40"]),
        (1234, "JPY", ["¥0", "¥500", "¥1,000", "¥1,500", "¥2,000"]),  # no minor unit
    ],
)
def test_money_ticks_are_even_round_and_in_the_currency(peak, currency, labels):
    values, shown = money_ticks(peak, currency)
    assert shown == labels
    assert len({b - a for a, b in zip(values, values[1:])}) == 1 and values[0] == 0
    digits = 0 if currency == "JPY" else 2
    assert values[-1] * 10**digits >= peak
