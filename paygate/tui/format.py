"""How the console writes money, rates, times and statuses: integers in, text out, no floats."""

from __future__ import annotations

from ..money import format_amount

STATUS_STYLE = {
    "success": "green",
    "processed": "green",
    "pending": "yellow",
    "failed": "red",
    "partially_refunded": "cyan",
    "refunded": "blue",
}


def money(amount: int | None, currency: str = "INR") -> str:
    return "-" if amount is None else format_amount(int(amount), currency)


def rate(bps: int | None) -> str:
    """Basis points as a percentage with two decimals, by integer arithmetic."""
    if bps is None:
        return "-"
    return f"{bps // 100}.{bps % 100:02d}%"


def when(iso: str | None) -> str:
    """``2026-03-14T15:09:26Z`` → ``03-14 15:09:26`` (UTC; the column header says so)."""
    if not iso:
        return "-"
    return iso[5:10] + " " + iso[11:19]


def status(value: str | None) -> str:
    if not value:
        return "-"
    return f"[{STATUS_STYLE.get(value, 'white')}]{value}[/]"


def instrument(p: dict) -> str:
    if p.get("method") == "upi":
        return p.get("vpa") or "upi"
    return f"{p.get('card_network') or 'card'} ••{p.get('card_last4') or ''}"
