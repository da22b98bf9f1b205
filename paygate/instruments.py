"""Payment instruments: validating what a shopper typed, and keeping only what may be stored.

A card number and CVV exist only inside :func:`parse_card`'s caller's stack frame: the result
keeps the network and the last four digits, nothing else. Nothing here logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clock import utcnow
from .errors import ExpiredCard, InvalidCard, InvalidRequest, InvalidVpa
from .text import parse_text

VPA_PATTERN = re.compile(r"[a-zA-Z0-9._-]+@[a-zA-Z0-9]+\Z")
_NETWORKS = (
    ("visa", re.compile(r"4")),
    ("mastercard", re.compile(r"5[1-5]")),
    ("amex", re.compile(r"3[47]")),
    ("rupay", re.compile(r"60|65|8[1-9]")),
)

# Deterministic test instruments: their outcome wins over TEST_PAYMENT_SUCCESS and the dice.
MAX_HOLDER_NAME_CHARS = 200
SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
SUCCESS_VPA = "success@paygate"
FAILURE_VPA = "failure@paygate"


@dataclass(frozen=True)
class Instrument:
    """What paygate keeps of a payment instrument, plus the test outcome it forces (if any)."""

    method: str  # "upi" | "card"
    vpa: str | None = None
    card_network: str | None = None
    card_last4: str | None = None
    forced_outcome: str | None = None  # "success" | "decline" | None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_network(digits: str) -> str:
    for name, pattern in _NETWORKS:
        if pattern.match(digits):
            return name
    return "unknown"


def parse_vpa(vpa) -> Instrument:
    if not isinstance(vpa, str) or len(vpa) > 255 or not VPA_PATTERN.match(vpa):
        raise InvalidVpa("Invalid VPA format", field="vpa")
    forced = {SUCCESS_VPA: "success", FAILURE_VPA: "decline"}.get(vpa.lower())
    return Instrument(method="upi", vpa=vpa, forced_outcome=forced)


EXPIRY_FORMAT = "Invalid card expiry format: expiry_month and expiry_year are numbers, such as 12 and 2030 (or 30)"


def _month_year(month, year) -> tuple[int, int]:
    """(month, year) of a card's expiry. One code per cause: a value that is not a number (or a
    year that is no year) is BAD_REQUEST_ERROR; a month outside 1-12 is EXPIRED_CARD, as the
    contract says, like a date in the past."""

    def as_int(value, field):
        if isinstance(value, bool):
            raise InvalidRequest(EXPIRY_FORMAT, field=field)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 4:
            return int(value.strip())
        raise InvalidRequest(EXPIRY_FORMAT, field=field)

    m = as_int(month, "card.expiry_month")
    y = as_int(year, "card.expiry_year")
    if not 1 <= m <= 12:
        raise ExpiredCard("Invalid expiry month", field="card.expiry_month")
    if y < 100:
        y += 2000
    if not 2000 <= y <= 2200:
        raise InvalidRequest(EXPIRY_FORMAT, field="card.expiry_year")
    return m, y


def parse_card(card) -> Instrument:
    """Validate a card object; return only what may be stored. Raises INVALID_CARD / EXPIRED_CARD."""
    if not isinstance(card, dict):
        raise InvalidCard("card details are required", field="card")
    number = card.get("number")
    if not isinstance(number, str):
        raise InvalidCard("Invalid card number", field="card.number")
    digits = re.sub(r"[\s-]", "", number)
    if not (13 <= len(digits) <= 19) or not digits.isascii() or not digits.isdigit() or not luhn_ok(digits):
        raise InvalidCard("Invalid card number", field="card.number")
    month, year = _month_year(card.get("expiry_month"), card.get("expiry_year"))
    now = utcnow()
    if (year, month) < (now.year, now.month):
        raise ExpiredCard("Card has expired", field="card.expiry_month")
    cvv = card.get("cvv")
    if cvv is not None and not (isinstance(cvv, str) and cvv.isascii() and cvv.isdigit() and 3 <= len(cvv) <= 4):
        raise InvalidCard("Invalid CVV", field="card.cvv")
    parse_text(card.get("holder_name"), "card.holder_name", MAX_HOLDER_NAME_CHARS)
    forced = {SUCCESS_CARD: "success", DECLINED_CARD: "decline"}.get(digits)
    return Instrument(method="card", card_network=card_network(digits), card_last4=digits[-4:], forced_outcome=forced)


def parse_instrument(body: dict) -> Instrument:
    method = body.get("method")
    if method == "upi":
        return parse_vpa(body.get("vpa"))
    if method == "card":
        return parse_card(body.get("card"))
    raise InvalidRequest("method must be 'upi' or 'card'", field="method")
