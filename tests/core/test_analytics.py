"""Analytics SQL on both backends against bulk-seeded payments whose totals Python recomputes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from peewee import fn

from bench.analytics_seed import expected_row, seed_payments
from paygate import analytics, db, merchants
from paygate.clock import unix
from paygate.models import AnalyticsHour


def _merchant():
    row, _ = db.unit_of_work(merchants.create_merchant, "Seeded", f"s-{uuid.uuid4().hex[:10]}@example.test")
    return row.id


def _expected(rows, start_epoch, step, buckets):
    out = [{"count": 0, "volume": 0, "successful": 0, "failed": 0} for _ in range(buckets)]
    for r in rows:
        index = (r["epoch"] - start_epoch) // step
        if 0 <= index < buckets:
            b = out[index]
            b["count"] += 1
            if r["status"] == "success":
                b["successful"] += 1
                b["volume"] += r["amount"]
            elif r["status"] == "failed":
                b["failed"] += 1
    return out


def test_seeded_payments_fold_into_exact_buckets(core_db):
    merchant_id = _merchant()
    now = datetime(2026, 3, 14, 15, 9, 26)
    n, span = 2000, 3 * 3600
    seed_payments(merchant_id, n, span_s=span, end=now)
    rows = [expected_row(i, n, span, unix(now)) for i in range(1, n + 1)]
    for name in ("hour", "day"):
        body = db.read(analytics.merchant_analytics, merchant_id, {"window": name}, now=now)
        window = analytics.WINDOWS[name]
        start = unix(analytics.window_bounds(window, now)[0])
        want = _expected(rows, start, window.bucket_seconds, window.buckets)
        got = [{k: b[k] for k in ("count", "volume", "successful", "failed")} for b in body["buckets"]]
        assert got == want, name
        assert body["totals"]["count"] == sum(b["count"] for b in want)
        assert body["totals"]["volume"] == sum(b["volume"] for b in want)
    day = db.read(analytics.merchant_analytics, merchant_id, {"window": "day"}, now=now)
    assert day["totals"]["count"] == n  # three hours fit in the day
    cards = [r for r in rows if r["method"] == "card"]
    assert day["by_method"]["card"]["count"] == len(cards)
    assert day["by_method"]["card"]["volume"] == sum(r["amount"] for r in cards if r["status"] == "success")
    ok = sum(r["status"] == "success" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    assert day["totals"]["success_rate_bps"] == (ok * 20000 + ok + failed) // (2 * (ok + failed))  # rounded half up


def test_other_merchants_payments_are_not_counted(core_db):
    mine, theirs = _merchant(), _merchant()
    now = datetime(2026, 3, 14, 12, 0, 0)
    seed_payments(theirs, 300, span_s=600, end=now)
    body = db.read(analytics.merchant_analytics, mine, {"window": "hour"}, now=now)
    assert body["totals"]["count"] == 0 and body["totals"]["success_rate_bps"] is None


def test_rolled_up_hours_give_the_live_answer(core_db):
    merchant_id = _merchant()
    now = datetime(2026, 3, 20, 9, 30, 0)
    seed_payments(merchant_id, 3000, span_s=5 * 86400, end=now)
    for name in ("day", "week"):
        live = db.read(lambda: analytics.compute(merchant_id, {"window": name}, now, use_rollup=False).data)
        first = analytics.analytics_report(merchant_id, {"window": name}, now=now)  # rolls closed hours up
        second = analytics.analytics_report(merchant_id, {"window": name}, now=now)  # reads them back
        assert first == live and second == live, name
    rolled = db.read(lambda: AnalyticsHour.select().where(AnalyticsHour.merchant == merchant_id).count())
    assert rolled > 0
    # the open hour and the last ROLLUP_LAG stay live: nothing at or after (now - lag) is folded
    latest = db.read(lambda: AnalyticsHour.select(fn.MAX(AnalyticsHour.hour_start)).where(AnalyticsHour.merchant == merchant_id).scalar())
    latest = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
    assert latest + timedelta(hours=1) <= now - analytics.ROLLUP_LAG


def test_hours_with_pending_payments_are_not_rolled_up(core_db):
    merchant_id = _merchant()
    now = datetime(2026, 3, 21, 12, 0, 0)
    seed_payments(merchant_id, 100, span_s=1800, end=now - timedelta(hours=3))  # the 5 newest are pending
    analytics.analytics_report(merchant_id, {"window": "day"}, now=now)
    pending_hours = db.read(
        lambda: AnalyticsHour.select().where((AnalyticsHour.merchant == merchant_id) & (AnalyticsHour.method != "")).count()
    )
    assert pending_hours == 0
    body = analytics.analytics_report(merchant_id, {"window": "day"}, now=now)
    assert body["totals"]["pending"] == 5 and body["totals"]["count"] == 100


@pytest.mark.parametrize("successful,failed,bps", [(26, 4, 8667), (2, 1, 6667), (1, 2, 3333), (1, 7, 1250), (0, 3, 0), (5, 0, 10000)])
def test_success_rate_is_rounded_not_truncated(successful, failed, bps):
    assert analytics._rate_bps(successful, failed) == bps
