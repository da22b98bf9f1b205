"""The fee rule at its edges: integer arithmetic, round half up, never more than the gross."""

from __future__ import annotations

import pytest

from paygate.fees import Price, fee
from paygate.money import MAX_AMOUNT


@pytest.mark.parametrize(
    ("gross", "price", "expected"),
    [
        (1, Price(200, 0), 0),  # 0.02 paise rounds down
        (24, Price(200, 0), 0),  # 0.48
        (25, Price(200, 0), 1),  # 0.5 rounds half up
        (75, Price(200, 0), 2),  # 1.5 rounds half up
        (50000, Price(200, 0), 1000),
        (50000, Price(190, 300), 1250),
        (1, Price(0, 300), 1),  # the fixed fee alone may not exceed the gross
        (100, Price(10_000, 0), 100),  # 100 % is the whole gross
        (100, Price(10_000, 5), 100),
        (MAX_AMOUNT, Price(200, 0), MAX_AMOUNT // 50),
        (MAX_AMOUNT, Price(10_000, 10**12), MAX_AMOUNT),
        (0, Price(200, 300), 0),
    ],
)
def test_fee_rounds_half_up_and_never_exceeds_gross(gross, price, expected):
    charged = fee(gross, price)
    assert charged == expected
    assert isinstance(charged, int) and 0 <= charged <= max(gross, 0)
