"""Rows the figures need, written straight through paygate's own models (no HTTP in the way),
and the probes that watch payments reach a final status."""

from __future__ import annotations

from paygate import db, ids
from paygate.clock import utcnow
from paygate.merchants import TEST_MERCHANT
from paygate.models import Merchant, Order, Payment

MERCHANT_ID = TEST_MERCHANT["id"]


def orders(n: int, amount: int = 50000) -> list[str]:
    """N fresh orders of the seeded merchant (one per payment where the payment will succeed)."""
    now = utcnow()
    rows = [dict(id=ids.new_order_id(), merchant=MERCHANT_ID, amount=amount, currency="INR", status="created",
                 created_at=now, updated_at=now) for _ in range(n)]

    def write():
        for i in range(0, n, 500):
            Order.insert_many(rows[i:i + 500]).execute()

    db.unit_of_work(write)
    return [r["id"] for r in rows]


def pending_count() -> int:
    return db.read(lambda: Payment.select().where(Payment.status == "pending").count())


def status_counts() -> dict:
    from peewee import fn

    return db.read(lambda: dict(Payment.select(Payment.status, fn.COUNT(Payment.id)).group_by(Payment.status).tuples()))


def last_due_unix() -> float:
    """When the last payment became due (Unix seconds); the database stores naive UTC."""
    from datetime import timezone

    from peewee import fn

    from paygate.clock import parse_db_datetime

    value = db.read(lambda: Payment.select(fn.MAX(Payment.due_at)).scalar())
    if isinstance(value, str):
        value = parse_db_datetime(value)
    return value.replace(tzinfo=timezone.utc).timestamp()


def set_webhook_url(url: str | None) -> None:
    db.unit_of_work(lambda: Merchant.update(webhook_url=url).where(Merchant.id == MERCHANT_ID).execute())


def lateness_ms() -> list[float]:
    """For every settled payment: final (its last update) minus due, in milliseconds."""
    from paygate.clock import db_datetime

    rows = db.read(lambda: list(Payment.select(Payment.due_at, Payment.updated_at).where(Payment.status != "pending").tuples()))
    return [(db_datetime(done) - db_datetime(due)).total_seconds() * 1000.0 for due, done in rows]
