"""Merchant analytics: totals, the split by method and time buckets, from SQL aggregates only.

One grouped query over ``payment(merchant_id, created_at)`` (bucket x method x status, a few
hundred rows at most) and one over ``refund(merchant_id, created_at)``; Python only folds those
small result sets. Nothing here loads payments into Python, so the answer costs the same whether
the merchant has a hundred payments or a million.

Definitions (documented in the API reference):
- ``volume``: sum of the amounts of *successful* payments (status ``success``,
  ``partially_refunded`` or ``refunded``: the money was collected), minor units.
- ``count``: every payment created in the window, pending ones included.
- ``success_rate_bps``: successful / settled (successful + failed) in basis points, an integer
  (``9123`` = 91.23 %); ``null`` when nothing has settled. Pending payments are not counted
  against the rate, as Stripe's dashboard does.
- ``refunded``: sum of *processed* refunds created in the window.
One currency at a time (``currency``, default INR): adding rupees to dollars means nothing.

Refuses: unknown windows and currencies (``BAD_REQUEST_ERROR``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import SQL, fn

from .clock import iso, unix, utcnow
from .db import is_postgres
from .errors import InvalidRequest
from .models import Payment, Refund
from .money import parse_currency
from .states import PaymentStatus, RefundStatus

SUCCESSFUL = (PaymentStatus.SUCCESS, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
METHODS = ("upi", "card")


@dataclass(frozen=True)
class Window:
    name: str
    bucket_seconds: int
    buckets: int


WINDOWS = {
    "hour": Window("hour", 60, 60),  # 60 one-minute buckets
    "day": Window("day", 3600, 24),  # 24 hourly buckets
    "week": Window("week", 6 * 3600, 28),  # 28 six-hour buckets
}
DEFAULT_WINDOW = "day"


def parse_window(raw) -> Window:
    if raw is None or raw == "":
        return WINDOWS[DEFAULT_WINDOW]
    if raw not in WINDOWS:
        raise InvalidRequest(f"window must be one of {', '.join(WINDOWS)}", field="window")
    return WINDOWS[raw]


def window_bounds(window: Window, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) aligned to bucket boundaries, so consecutive refreshes show stable buckets."""
    step = window.bucket_seconds
    end_epoch = (unix(now) // step + 1) * step
    end = datetime(1970, 1, 1) + timedelta(seconds=end_epoch)
    return end - timedelta(seconds=step * window.buckets), end


def _bucket_expr(start_epoch: int, step: int):
    """The bucket index of ``created_at``: integer division of epoch seconds, per backend."""
    if is_postgres():
        return fn.FLOOR((fn.date_part("epoch", Payment.created_at) - start_epoch) / step).cast("integer")
    epoch = fn.strftime("%s", Payment.created_at).cast("integer")
    return ((epoch - start_epoch) / step).cast("integer")


def _rate_bps(successful: int, failed: int):
    settled = successful + failed
    return None if settled == 0 else successful * 10000 // settled


def _empty() -> dict:
    return {"volume": 0, "count": 0, "successful": 0, "failed": 0, "pending": 0}


def _add(acc: dict, status: str, count: int, amount: int) -> None:
    acc["count"] += count
    if status in SUCCESSFUL:
        acc["successful"] += count
        acc["volume"] += amount
    elif status == PaymentStatus.FAILED:
        acc["failed"] += count
    else:
        acc["pending"] += count


def _finish(acc: dict) -> dict:
    return {**acc, "success_rate_bps": _rate_bps(acc["successful"], acc["failed"])}


def _payment_groups(merchant_id: str, currency: str, start: datetime, end: datetime, window: Window):
    bucket = _bucket_expr(unix(start), window.bucket_seconds).alias("bucket")
    query = (
        Payment.select(bucket, Payment.method, Payment.status, fn.COUNT(SQL("*")).alias("n"), fn.SUM(Payment.amount).alias("amount"))
        .where(
            (Payment.merchant == merchant_id)
            & (Payment.created_at >= start)
            & (Payment.created_at < end)
            & (Payment.currency == currency)
        )
        .group_by(SQL("1"), Payment.method, Payment.status)
    )
    return query.tuples()


def _refunded(merchant_id: str, currency: str, start: datetime, end: datetime) -> tuple[int, int]:
    row = (
        Refund.select(fn.COUNT(Refund.id), fn.COALESCE(fn.SUM(Refund.amount), 0))
        .join(Payment, on=(Refund.payment == Payment.id))
        .where(
            (Refund.merchant == merchant_id)
            & (Refund.created_at >= start)
            & (Refund.created_at < end)
            & (Refund.status == RefundStatus.PROCESSED)
            & (Payment.currency == currency)
        )
        .tuples()
        .first()
    )
    return int(row[0] or 0), int(row[1] or 0)


def merchant_analytics(merchant_id: str, params: dict, now: datetime | None = None) -> dict:
    """The analytics document for ``GET /api/v1/analytics`` (a read: run it with ``db.read``)."""
    window = parse_window(params.get("window"))
    currency = parse_currency(params.get("currency") or None)
    start, end = window_bounds(window, now or utcnow())
    totals = _empty()
    by_method = {m: _empty() for m in METHODS}
    buckets = [_empty() for _ in range(window.buckets)]
    for index, method, status, count, amount in _payment_groups(merchant_id, currency, start, end, window):
        count, amount = int(count), int(amount or 0)
        _add(totals, status, count, amount)
        _add(by_method.setdefault(method, _empty()), status, count, amount)
        if index is not None and 0 <= int(index) < window.buckets:
            _add(buckets[int(index)], status, count, amount)
    refund_count, refunded = _refunded(merchant_id, currency, start, end)
    step = timedelta(seconds=window.bucket_seconds)
    return {
        "window": window.name,
        "currency": currency,
        "from": iso(start),
        "to": iso(end),
        "bucket_seconds": window.bucket_seconds,
        "totals": {**_finish(totals), "refunded": refunded, "refund_count": refund_count},
        "by_method": {m: _finish(acc) for m, acc in by_method.items()},
        "buckets": [
            {"start": iso(start + step * i), **_finish(acc)} for i, acc in enumerate(buckets)
        ],
    }
