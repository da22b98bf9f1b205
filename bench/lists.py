"""Lists at scale (issue 22): page 1 vs a deep page by cursor and by offset, and each search filter.

Seeds N payments for one merchant (``bench.analytics_seed``: one ``INSERT … SELECT``), each with
its own order and receipt, plus a spread of distinctive values (every 1,000th payment gets its own VPA, amount and card last 4 and
an order with its own receipt) so each filter finds a few rows among many, as a person's search
does. Then times the core's list function (what ``GET /api/v1/payments`` runs, serialization
included, HTTP excluded) and prints p50/p99 per case. In process: no daemon needed.

    python -m bench.lists --payments 20000                       # embedded SQLite, a temp file
    python -m bench.lists --payments 1000000 --database-url postgresql://…
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

PAGE = 25


def _one_order_each(merchant_id: str, prefix: str) -> None:
    """The seeder hangs every payment off one anchor order; a shop has about one order per
    payment, each with its own receipt. Give each seeded payment its own order (in SQL)."""
    from paygate import db

    def write():
        db.database.execute_sql(
            'INSERT INTO "order" (id, merchant_id, amount, currency, receipt, notes, status, created_at, updated_at) '
            "SELECT 'order_' || substr(id, 5), merchant_id, amount, currency, 'inv-' || substr(id, 5), '{}', 'paid', created_at, created_at "
            "FROM payment WHERE merchant_id = %s AND id LIKE %s".replace("%s", "?" if db.is_sqlite() else "%s"),
            (merchant_id, prefix + "%"),
        )
        db.database.execute_sql(
            "UPDATE payment SET order_id = 'order_' || substr(id, 5) WHERE merchant_id = %s AND id LIKE %s".replace("%s", "?" if db.is_sqlite() else "%s"),
            (merchant_id, prefix + "%"),
        )

    db.unit_of_work(write)


def _distinctive(merchant_id: str, prefix: str, n: int) -> int:
    """Give every 1,000th seeded payment its own order (receipt), VPA, amount and card last 4."""
    from paygate import db, ids
    from paygate.clock import utcnow
    from paygate.models import Order, Payment

    marked = 0

    def write():
        nonlocal marked
        for i in range(1000, n + 1, 1000):
            order_id = ids.new_order_id()
            Order.create(id=order_id, merchant=merchant_id, amount=100, currency="INR", receipt=f"rcpt-bench-{i}", created_at=utcnow())
            pid = f"{prefix}{i:012d}"
            Payment.update(order=order_id, vpa=f"kiran{i}@okaxis", amount=777_000 + i, card_last4=f"{i % 10000:04d}").where(Payment.id == pid).execute()
            marked += 1

    db.unit_of_work(write)
    return marked


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _time(fn, repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples = sorted(samples[1:])  # the first run warms caches
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    from paygate import bootstrap, config, db, merchants, payment_search
    from paygate.models import Payment

    from .analytics_seed import seed_payments

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="postgresql://… (default: the embedded SQLite in a temporary folder)")
    parser.add_argument("--payments", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if args.database_url:
        settings = config.load({}, database_url=args.database_url)
    else:
        settings = config.load({}, data_dir=Path(tempfile.mkdtemp(prefix="paygate-bench-lists-")))
    bootstrap.start(settings)
    merchant, _ = db.unit_of_work(merchants.create_merchant, "Lists bench", f"bench-{secrets.token_hex(4)}@example.test")
    seeded = seed_payments(merchant.id, args.payments)
    _one_order_each(merchant.id, seeded["prefix"])
    marked = _distinctive(merchant.id, seeded["prefix"], args.payments)
    # Statistics, and GIN's pending list merged, as autovacuum does on a live table.
    db.read(lambda: db.database.execute_sql("VACUUM ANALYZE" if db.is_postgres() else "ANALYZE"))
    print(f"seeded {args.payments} payments ({marked} distinctive) in {seeded['seconds']:.1f}s on {'PostgreSQL' if db.is_postgres() else 'SQLite'}")

    deep_index = max(1, args.payments - PAGE - 1)  # ids are prefix + i, i = 1 the newest
    deep_cursor = f"{seeded['prefix']}{deep_index:012d}"
    pick = 1000 if args.payments >= 1000 else None
    cases = {
        "page 1 (no cursor: counts total, the seed's shape)": {},
        "page 2 by cursor": {"starting_after": f"{seeded['prefix']}{PAGE:012d}"},
        f"deep page by cursor (row {deep_index})": {"starting_after": deep_cursor},
        "deep page by offset 10,000 (the bound)": {"offset": str(min(10_000, args.payments - PAGE))},
        "status=failed": {"status": "failed"},
        "method=card": {"method": "card"},
        "from/to (an hour a day ago)": {"from": _iso(seeded["end_epoch"] - 90000), "to": _iso(seeded["end_epoch"] - 86400)},
    }
    if pick:
        cases.update(
            {
                "vpa": {"vpa": f"kiran{pick}@okaxis"},
                "receipt": {"receipt": f"rcpt-bench-{pick}"},
                "card_last4": {"card_last4": f"{pick:04d}"},
                "amount": {"amount": str(777_000 + pick)},
                "amount range": {"amount_gte": "777000", "amount_lte": "778500"},
                "q (VPA fragment)": {"q": f"kiran{pick}"},
                "q (receipt)": {"q": f"rcpt-bench-{pick}"},
            }
        )
    print(f"{'case':<52} {'p50 ms':>8} {'p99 ms':>8}")
    for name, params in cases.items():
        params = {"limit": str(PAGE), **params}
        p50, p99 = _time(lambda: db.read(payment_search.list_payments, merchant.id, params), args.repeats)
        print(f"{name:<52} {p50:8.2f} {p99:8.2f}")
    assert db.read(lambda: Payment.select().where(Payment.merchant == merchant.id).count()) == args.payments


if __name__ == "__main__":
    main()
