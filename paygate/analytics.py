"""Merchant analytics: totals, the split by method and time buckets, from SQL aggregates only.

Live part: one grouped query over ``payment(merchant_id, created_at)`` (bucket x method x
status: a few hundred rows at most) and one sum over ``refund(merchant_id, created_at)``.
Python only folds those small result sets; no payment row is ever loaded into Python.

Hourly rollup, so a day or a week costs the same with a million payments as with a hundred:
an hour that ended more than ``ROLLUP_LAG`` ago and holds no pending payment can never change
again (a settled payment keeps its class: a refund leaves it "successful"), so the first
request that sees it folds it into ``AnalyticsHour`` rows, and later requests read those
instead of the payments. Hours that are still open, or still have pending payments, are always
computed live. The rollup is written in its own short transaction after the read, and losing
that write (a busy database) only means the next request computes the hour live again.

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

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peewee import SQL, fn

from . import db
from .clock import iso, unix, utcnow
from .errors import InvalidRequest, ServiceUnavailable
from .models import AnalyticsHour, Payment, Refund
from .money import parse_currency
from .states import PaymentStatus, RefundStatus

log = logging.getLogger(__name__)

SUCCESSFUL = (PaymentStatus.SUCCESS, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
METHODS = ("upi", "card")
HOUR = 3600
ROLLUP_LAG = timedelta(minutes=10)  # far longer than settlement takes (5-10 s)


@dataclass(frozen=True)
class Window:
    name: str
    bucket_seconds: int
    buckets: int


WINDOWS = {
    "hour": Window("hour", 60, 60),  # 60 one-minute buckets (always live)
    "day": Window("day", HOUR, 24),  # 24 hourly buckets
    "week": Window("week", 6 * HOUR, 28),  # 28 six-hour buckets
}
DEFAULT_WINDOW = "day"


@dataclass
class Report:
    data: dict
    currency: str
    closed_hours: list[tuple] = field(default_factory=list)  # AnalyticsHour rows to write


def parse_window(raw) -> Window:
    if raw is None:
        return WINDOWS[DEFAULT_WINDOW]
    if raw not in WINDOWS:
        raise InvalidRequest(f"window must be one of {', '.join(WINDOWS)}", field="window")
    return WINDOWS[raw]


def _from_epoch(seconds: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)


def window_bounds(window: Window, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) aligned to bucket boundaries, so consecutive refreshes show stable buckets."""
    step = window.bucket_seconds
    end = _from_epoch((unix(now) // step + 1) * step)
    return end - timedelta(seconds=step * window.buckets), end


def _bucket_expr(start_epoch: int, step: int):
    """The bucket index of ``created_at``: integer division of epoch seconds, per backend."""
    if db.is_postgres():
        return fn.FLOOR((fn.date_part("epoch", Payment.created_at) - start_epoch) / step).cast("integer")
    epoch = fn.strftime("%s", Payment.created_at).cast("integer")
    return ((epoch - start_epoch) / step).cast("integer")


def _live_groups(merchant_id: str, currency: str, start: datetime, end: datetime, step: int):
    """(bucket index from ``start``, method, status, count, amount) for payments in [start, end)."""
    bucket = _bucket_expr(unix(start), step).alias("bucket")
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
    for index, method, status, count, amount in query.tuples():
        yield int(index), method, status, int(count), int(amount or 0)


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


def _rate_bps(successful: int, failed: int):
    """Rounded half up, by integers: 26 of 30 is 8667 (86.67 %), not a truncated 86.66 %."""
    settled = successful + failed
    return None if settled == 0 else (successful * 20000 + settled) // (2 * settled)


def _empty() -> dict:
    return {"volume": 0, "count": 0, "successful": 0, "failed": 0, "pending": 0}


def _outcome(status: str) -> str:
    if status in SUCCESSFUL:
        return "successful"
    return "failed" if status == PaymentStatus.FAILED else "pending"


class _Folder:
    """Adds grouped counts into totals, per-method and per-bucket accumulators."""

    def __init__(self, window: Window, start: datetime):
        self.window, self.start_epoch = window, unix(start)
        self.totals = _empty()
        self.by_method = {m: _empty() for m in METHODS}
        self.buckets = [_empty() for _ in range(window.buckets)]

    def add(self, at_epoch: int, method: str, outcome: str, count: int, amount: int) -> None:
        index = (at_epoch - self.start_epoch) // self.window.bucket_seconds
        targets = [self.totals, self.by_method.setdefault(method, _empty())]
        if 0 <= index < self.window.buckets:
            targets.append(self.buckets[index])
        for acc in targets:
            acc["count"] += count
            acc[outcome] += count
            if outcome == "successful":
                acc["volume"] += amount


def _fold_live(folder: _Folder, merchant_id, currency, start, end, step) -> None:
    for index, method, status, count, amount in _live_groups(merchant_id, currency, start, end, step):
        folder.add(unix(start) + index * step, method, _outcome(status), count, amount)


def _fold_hours(folder: _Folder, merchant_id: str, currency: str, start: datetime, end: datetime, now: datetime) -> list[tuple]:
    """Fold rolled-up hours; compute the others live. Returns newly closed hours to roll up."""
    done = set()
    rows = AnalyticsHour.select(AnalyticsHour.hour_start, AnalyticsHour.method, AnalyticsHour.outcome, AnalyticsHour.count, AnalyticsHour.volume).where(
        (AnalyticsHour.merchant == merchant_id) & (AnalyticsHour.currency == currency) & (AnalyticsHour.hour_start >= start) & (AnalyticsHour.hour_start < end)
    )
    for hour_start, method, outcome, count, volume in rows.tuples():
        hour = unix(hour_start) if isinstance(hour_start, datetime) else unix(datetime.fromisoformat(str(hour_start)))
        done.add(hour)
        if method:
            folder.add(hour, method, outcome, int(count), int(volume))
    hours = range(unix(start), unix(end), HOUR)
    missing = [h for h in hours if h not in done]
    if not missing:
        return []
    live_start = _from_epoch(missing[0])
    per_hour: dict[int, list] = {}
    for index, method, status, count, amount in _live_groups(merchant_id, currency, live_start, end, HOUR):
        hour = missing[0] + index * HOUR
        if hour in done:
            continue
        outcome = _outcome(status)
        folder.add(hour, method, outcome, count, amount)
        per_hour.setdefault(hour, []).append((method, outcome, count, amount))
    closed_before = unix(now - ROLLUP_LAG)
    closed = []
    for hour in missing:
        groups = per_hour.get(hour, [])
        if hour + HOUR > closed_before or any(outcome == "pending" for _, outcome, _, _ in groups):
            continue
        merged: dict[tuple, list] = {}
        for method, outcome, count, amount in groups:
            acc = merged.setdefault((method, outcome), [0, 0])
            acc[0] += count
            acc[1] += amount if outcome == "successful" else 0
        closed.append((hour, "", "", 0, 0))
        closed.extend((hour, m, o, c, v) for (m, o), (c, v) in merged.items())
    return closed


def _finish(acc: dict) -> dict:
    return {**acc, "success_rate_bps": _rate_bps(acc["successful"], acc["failed"])}


def compute(merchant_id: str, params: dict, now: datetime | None = None, *, use_rollup: bool = True) -> Report:
    """The analytics document, plus the newly closed hours to roll up (a read: run with ``db.read``)."""
    window = parse_window(params.get("window"))
    currency = parse_currency(params.get("currency"))
    now = now or utcnow()
    start, end = window_bounds(window, now)
    folder = _Folder(window, start)
    closed: list[tuple] = []
    if use_rollup and window.bucket_seconds % HOUR == 0:
        closed = _fold_hours(folder, merchant_id, currency, start, end, now)
    else:
        _fold_live(folder, merchant_id, currency, start, end, window.bucket_seconds)
    refund_count, refunded = _refunded(merchant_id, currency, start, end)
    step = timedelta(seconds=window.bucket_seconds)
    data = {
        "window": window.name,
        "currency": currency,
        "from": iso(start),
        "to": iso(end),
        "bucket_seconds": window.bucket_seconds,
        "totals": {**_finish(folder.totals), "refunded": refunded, "refund_count": refund_count},
        "by_method": {m: _finish(acc) for m, acc in folder.by_method.items()},
        "buckets": [{"start": iso(start + step * i), **_finish(acc)} for i, acc in enumerate(folder.buckets)],
    }
    return Report(data, currency, closed)


def roll_up(merchant_id: str, currency: str, closed: list[tuple]) -> None:
    """Write closed hours (a unit of work). Racing writers are harmless: the unique index wins."""
    rows = [
        {"merchant": merchant_id, "currency": currency, "hour_start": _from_epoch(h), "method": m, "outcome": o, "count": c, "volume": v}
        for h, m, o, c, v in closed
    ]
    for i in range(0, len(rows), 500):
        AnalyticsHour.insert_many(rows[i : i + 500]).on_conflict_ignore().execute()


def merchant_analytics(merchant_id: str, params: dict, now: datetime | None = None) -> dict:
    """Read-only analytics (no rollup written): for callers already inside a read."""
    return compute(merchant_id, params, now).data


def analytics_report(merchant_id: str, params: dict, now: datetime | None = None) -> dict:
    """``GET /api/v1/analytics``: compute on a read connection, then roll up newly closed hours."""
    report = db.read(compute, merchant_id, params, now)
    if report.closed_hours:
        try:
            db.unit_of_work(roll_up, merchant_id, report.currency, report.closed_hours)
        except ServiceUnavailable:
            log.info("analytics rollup skipped: database busy; the hours stay live for now")
    return report.data
