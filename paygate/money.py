"""Money: integer minor units plus an ISO-4217 code. Never a float.

Refuses floats, bools and strings as amounts; formats for people (``₹500.00``).
"""

from __future__ import annotations

from .errors import InvalidRequest

# Digits after the decimal point, and the symbol people expect. Unknown codes are refused.
CURRENCIES: dict[str, tuple[int, str]] = {
    "INR": (2, "₹"),
    "USD": (2, "$"),
    "EUR": (2, "€"),
    "GBP": (2, "£"),
    "SGD": (2, "S$"),
    "AED": (2, "AED "),
    "JPY": (0, "¥"),
}
DEFAULT_CURRENCY = "INR"
MIN_AMOUNT = 100
# Largest amount accepted: well inside 2**53 so every JSON consumer (JavaScript included)
# reads it exactly, and inside a signed 64-bit column.
MAX_AMOUNT = 10**12


def parse_amount(value, *, field: str = "amount", minimum: int = MIN_AMOUNT) -> int:
    """Validate an amount from a request body: an int of minor units within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{field} must be an integer in minor units (paise)", field=field)
    if value < minimum:
        raise InvalidRequest(f"{field} must be at least {minimum}", field=field)
    if value > MAX_AMOUNT:
        raise InvalidRequest(f"{field} must be at most {MAX_AMOUNT}", field=field)
    return value


def parse_currency(value, *, field: str = "currency") -> str:
    if value is None:
        return DEFAULT_CURRENCY
    if not isinstance(value, str) or value.upper() not in CURRENCIES:
        supported = ", ".join(sorted(CURRENCIES))
        raise InvalidRequest(f"{field} must be one of {supported}", field=field)
    return value.upper()


def format_amount(amount: int, currency: str = DEFAULT_CURRENCY) -> str:
    """``format_amount(50000, "INR") == "₹500.00"``; exact integer arithmetic, no floats."""
    digits, symbol = CURRENCIES.get(currency, (2, currency + " "))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if digits == 0:
        return f"{sign}{symbol}{amount:,}"
    major, minor = divmod(amount, 10**digits)
    return f"{sign}{symbol}{major:,}.{minor:0{digits}d}"
