"""How the console writes money, rates, times and statuses: integers in, text out, no floats."""

from __future__ import annotations

from ..display import instrument, money

__all__ = ["instrument", "money", "rate", "status", "when"]

STATUS_STYLE = {
    "success": "green",
    "processed": "green",
    "pending": "yellow",
    "failed": "red",
    "partially_refunded": "cyan",
    "refunded": "blue",
}


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

