import pytest

from paygate.clock import utcnow
from paygate.errors import ExpiredCard, InvalidCard, InvalidRequest, InvalidVpa
from paygate.instruments import card_network, luhn_ok, parse_card, parse_instrument, parse_vpa

NEXT_YEAR = utcnow().year + 1


def card(number="4242 4242 4242 4242", month=12, year=NEXT_YEAR, cvv="123"):
    return {"number": number, "expiry_month": month, "expiry_year": year, "cvv": cvv, "holder_name": "A"}


@pytest.mark.parametrize("vpa", ["user@paytm", "first.last-1_x@okicici", "a@b"])
def test_valid_vpas(vpa):
    assert parse_vpa(vpa).vpa == vpa


@pytest.mark.parametrize("vpa", ["user", "@bank", "user@", "user@bank.com", "us er@bank", "user@@bank", None, 5, "ü@bank", "user@bank\n"])
def test_invalid_vpas(vpa):
    with pytest.raises(InvalidVpa):
        parse_vpa(vpa)


@pytest.mark.parametrize(
    "number,network",
    [("4111111111111111", "visa"), ("5555555555554444", "mastercard"), ("378282246310005", "amex"), ("6011111111111117", "rupay"), ("6521000000000007", "rupay"), ("8100000000000002", "rupay"), ("3530111333300000", "unknown")],
)
def test_networks(number, network):
    assert luhn_ok(number)
    assert card_network(number) == network


def test_card_keeps_only_network_and_last4():
    inst = parse_card(card("4242-4242-4242-4242"))
    assert (inst.method, inst.card_network, inst.card_last4) == ("card", "visa", "4242")
    assert "4242424242424242" not in repr(inst) and "123" not in repr(inst).replace("card_last4", "")


@pytest.mark.parametrize("number", ["4242424242424241", "4242", "42424242424242424242", "abcd efgh ijkl mnop", "", None, 4242424242424242, "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"])
def test_invalid_card_numbers(number):
    with pytest.raises(InvalidCard):
        parse_card(card(number))


def test_missing_card_is_invalid_card():
    with pytest.raises(InvalidCard):
        parse_instrument({"method": "card"})


@pytest.mark.parametrize("month,year", [(13, NEXT_YEAR), (0, NEXT_YEAR), (1, 2020), (1, 20)])
def test_expired_or_invalid_expiry(month, year):
    with pytest.raises(ExpiredCard):
        parse_card(card(month=month, year=year))


@pytest.mark.parametrize("month,year", [("ab", NEXT_YEAR), (True, NEXT_YEAR), ("12/30", None), (12, "2030-01"), (12, 150), (None, NEXT_YEAR)])
def test_expiry_in_the_wrong_format_is_a_bad_request_not_an_expired_card(month, year):
    with pytest.raises(InvalidRequest) as caught:
        parse_card(card(month=month, year=year))
    assert caught.value.code == "BAD_REQUEST_ERROR" and "format" in caught.value.description


def test_two_digit_year_and_current_month_are_valid():
    now = utcnow()
    assert parse_card(card(month=now.month, year=now.year % 100)).card_last4 == "4242"


def test_test_instruments_force_outcomes():
    assert parse_card(card("4242424242424242")).forced_outcome == "success"
    assert parse_card(card("4000 0000 0000 0002")).forced_outcome == "decline"
    assert parse_vpa("success@paygate").forced_outcome == "success"
    assert parse_vpa("failure@paygate").forced_outcome == "decline"
    assert parse_vpa("someone@okbank").forced_outcome is None
