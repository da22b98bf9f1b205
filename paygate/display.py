"""How people read a payment: money and the instrument, as text. Shared by the CLI and the console.

Integers in, text out; nothing here parses or rounds (see ``money.py``). Safe to show: a card is
its network and last four digits, never more.
"""

from __future__ import annotations

from .money import format_amount


def money(amount: int | None, currency: str = "INR") -> str:
    return "-" if amount is None else format_amount(int(amount), currency)


def instrument(payment: dict) -> str:
    """How the shopper paid: the VPA, or the card network and last four digits."""
    if payment.get("method") == "upi":
        return payment.get("vpa") or "upi"
    return f"{payment.get('card_network') or 'card'} •••• {payment.get('card_last4') or '????'}"
