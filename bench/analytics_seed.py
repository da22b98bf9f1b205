"""Bulk-insert N payments for one merchant inside the database, for analytics and list benchmarks.

``seed_payments`` generates rows with one ``INSERT … SELECT`` (``generate_series`` on PostgreSQL,
a recursive CTE on SQLite): a million rows take seconds, not the hours the API would. Rows are
deterministic functions of their index ``i`` (1..n), so a test can compute the exact totals:

- created_at: ``end - (i - 1) * span_s // n`` seconds (i = 1 is the newest)
- method: ``card`` when ``i % 3 == 0``, else ``upi``
- status: ``failed`` when ``i % 20 == 0``, ``pending`` for the ``pending_newest`` newest, else
  ``success`` (as in production, only the last few seconds' payments are still pending)
- amount: ``100 + (i * 7919) % 500000`` paise

All payments hang off one anchor order (this is load for read paths, not a realistic ledger).
Run as a script to seed and time ``GET /api/v1/analytics``-equivalent queries:

    python -m bench.analytics_seed --database-url postgresql://… --payments 1000000
"""

from __future__ import annotations

import argparse
import secrets
import string
import time
from datetime import datetime

from paygate.clock import unix, utcnow


def expected_row(i: int, n: int, span_s: int, end_epoch: int, pending_newest: int = 5) -> dict:
    """What ``seed_payments`` writes for index ``i``: the Python twin of the SQL below."""
    status = "failed" if i % 20 == 0 else ("pending" if i <= pending_newest else "success")
    return {
        "epoch": end_epoch - (i - 1) * span_s // n,
        "method": "card" if i % 3 == 0 else "upi",
        "status": status,
        "amount": 100 + (i * 7919) % 500000,
    }


def _columns(i: str, n: int, span_s: int, end_epoch: int, created_sql, pending_newest: int) -> str:
    status = f"CASE WHEN {i} % 20 = 0 THEN 'failed' WHEN {i} <= {int(pending_newest)} THEN 'pending' ELSE 'success' END"
    card = f"{i} % 3 = 0"
    created = created_sql(f"{end_epoch} - (({i} - 1) * {span_s}) / {n}")
    return f"""
        %(prefix)s || {i},  %(order)s, %(merchant)s, 100 + ({i} * 7919) % 500000, %(currency)s,
        CASE WHEN {card} THEN 'card' ELSE 'upi' END,
        CASE WHEN {card} THEN NULL ELSE 'bench@okbank' END,
        CASE WHEN {card} THEN 'visa' ELSE NULL END,
        CASE WHEN {card} THEN '4242' ELSE NULL END,
        {status}, %(false)s,
        CASE WHEN {i} % 20 = 0 THEN 'PAYMENT_FAILED' ELSE NULL END,
        CASE WHEN {i} % 20 = 0 THEN 'Payment declined by the bank' ELSE NULL END,
        CASE WHEN {i} % 20 = 0 THEN 'decline' ELSE 'success' END,
        {created}, {created}, {created}
    """


INSERT_COLUMNS = (
    "id, order_id, merchant_id, amount, currency, method, vpa, card_network, card_last4, status, captured, "
    "error_code, error_description, bank_outcome, due_at, created_at, updated_at"
)


def _anchor_order(merchant_id: str, currency: str, end: datetime) -> str:
    from paygate import ids
    from paygate.models import Order

    order_id = ids.new_order_id()
    Order.create(id=order_id, merchant=merchant_id, amount=100, currency=currency, status="paid", created_at=end, updated_at=end)
    return order_id


def seed_payments(
    merchant_id: str, n: int, *, span_s: int = 30 * 86400, end: datetime | None = None, currency: str = "INR", pending_newest: int = 5
) -> dict:
    """Insert ``n`` payments for ``merchant_id`` spread over ``span_s`` seconds up to ``end``.

    Call with the core's database bound (``bootstrap.start``). Returns ``{"order_id", "end_epoch",
    "prefix", "seconds"}``; ids are ``prefix + i`` (each call gets a fresh random prefix, so calls
    can be repeated). Runs in one transaction; on PostgreSQL it ANALYZEs the table afterwards.
    """
    from paygate.db import database, is_postgres

    end = end or utcnow()
    end_epoch = unix(end)
    prefix = "pay_" + "".join(secrets.choice(string.ascii_letters) for _ in range(4))
    width = 16 - 4  # digits after the prefix keep ids the contract's 20 characters
    started = time.perf_counter()
    with database.connection_context():
        with database.atomic():
            order_id = _anchor_order(merchant_id, currency, end)
            if is_postgres():
                idx = f"lpad(i::text, {width}, '0')"
                cols = _columns("i", n, span_s, end_epoch, lambda e: f"to_timestamp({e}) AT TIME ZONE 'UTC'", pending_newest)
                cols = cols.replace(" % ", " %% ").replace("%(prefix)s || i,", f"%(prefix)s || {idx},", 1)
                sql = f"INSERT INTO payment ({INSERT_COLUMNS}) SELECT {cols} FROM generate_series(1::bigint, {n}) AS i"
                params = {"prefix": prefix, "order": order_id, "merchant": merchant_id, "currency": currency, "false": False}
                database.execute_sql(sql, params)
            else:
                idx = f"substr('{'0' * width}' || i, -{width}, {width})"
                cols = _columns("i", n, span_s, end_epoch, lambda e: f"strftime('%Y-%m-%d %H:%M:%S', {e}, 'unixepoch')", pending_newest)
                cols = cols.replace("%(prefix)s || i,", f"? || {idx},", 1)
                cols = cols.replace("%(order)s, %(merchant)s", "?, ?", 1).replace("%(currency)s", "?", 1).replace("%(false)s", "0", 1)
                sql = (
                    f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) "
                    f"INSERT INTO payment ({INSERT_COLUMNS}) SELECT {cols} FROM seq"
                )
                database.execute_sql(sql, (prefix, order_id, merchant_id, currency))
        if is_postgres():
            database.execute_sql("ANALYZE payment")
    return {"order_id": order_id, "end_epoch": end_epoch, "prefix": prefix, "seconds": time.perf_counter() - started}


def _time_analytics(merchant_id: str, repeats: int) -> dict:
    """Median and worst of ``repeats`` calls per window; the first call also rolls hours up."""
    from paygate import analytics

    out = {}
    for window in analytics.WINDOWS:
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            analytics.analytics_report(merchant_id, {"window": window})
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        out[window] = {"median_ms": round(samples[len(samples) // 2], 1), "max_ms": round(samples[-1], 1)}
    return out


def main() -> None:
    from paygate import bootstrap, config, db, merchants

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="postgresql://… or sqlite:///path (default: the embedded SQLite)")
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--span-days", type=int, default=30, help="spread payments over this many days up to now")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    settings = config.load({}, database_url=args.database_url) if args.database_url else config.load({})
    bootstrap.start(settings)
    email = f"bench-{secrets.token_hex(4)}@example.test"
    merchant, _ = db.unit_of_work(merchants.create_merchant, "Analytics bench", email)
    seeded = seed_payments(merchant.id, args.payments, span_s=args.span_days * 86400)
    print(f"seeded {args.payments} payments over {args.span_days} days in {seeded['seconds']:.1f}s")
    for window, figures in _time_analytics(merchant.id, args.repeats).items():
        print(f"analytics window={window}: median {figures['median_ms']} ms, max {figures['max_ms']} ms")


if __name__ == "__main__":
    main()
