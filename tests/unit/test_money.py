import pytest

from paygate.errors import InvalidRequest
from paygate.money import MAX_AMOUNT, format_amount, parse_amount, parse_currency


@pytest.mark.parametrize(
    "amount,currency,shown",
    [(50000, "INR", "₹500.00"), (49900, "INR", "₹499.00"), (100, "INR", "₹1.00"), (123456789, "INR", "₹1,234,567.89"), (5, "USD", "$0.05"), (1500, "JPY", "¥1,500"), (-2500, "INR", "-₹25.00")],
)
def test_format_amount_is_exact(amount, currency, shown):
    assert format_amount(amount, currency) == shown


@pytest.mark.parametrize("bad", [99, 0, -100, 100.0, 100.5, "500", True, None, [100], MAX_AMOUNT + 1])
def test_parse_amount_refuses_anything_but_an_int_in_range(bad):
    with pytest.raises(InvalidRequest) as err:
        parse_amount(bad)
    assert err.value.field == "amount"


def test_parse_amount_message_for_too_small():
    with pytest.raises(InvalidRequest, match="amount must be at least 100"):
        parse_amount(99)


def test_parse_amount_accepts_bounds():
    assert parse_amount(100) == 100 and parse_amount(MAX_AMOUNT) == MAX_AMOUNT


def test_currency_defaults_and_normalises():
    assert parse_currency(None) == "INR"
    assert parse_currency("usd") == "USD"
    with pytest.raises(InvalidRequest):
        parse_currency("XXX")
    with pytest.raises(InvalidRequest):
        parse_currency(356)
