"""Analytics over many payments: seed rows in bulk, then time ``GET /api/v1/analytics``.

Rows come from ``bench.analytics_seed`` (one ``INSERT … SELECT`` inside the database), so a
million payments take seconds.
"""

from __future__ import annotations

import statistics
import time

import requests

from .stack import AUTH

PATH = "/api/v1/analytics"


def seed_payments(n: int) -> float:
    """Add N payments to the seeded merchant with the analytics issue's bulk seeder; returns seconds."""
    from . import analytics_seed
    from .seed import MERCHANT_ID

    from paygate import db
    from paygate.clock import after
    from paygate.models import Payment

    seeded = analytics_seed.seed_payments(MERCHANT_ID, n)
    # The seeder leaves some rows pending with a past due time: history for the read path, not
    # live work. Move their due time a day ahead, so the workers' due loops do not settle them in
    # the middle of the measurement (and a claim, so no sweeper of an older build does either).
    db.unit_of_work(lambda: Payment.update(due_at=after(86400), claimed_until=after(86400))
                    .where(Payment.id.startswith(seeded["prefix"]) & (Payment.status == "pending")).execute())
    return seeded["seconds"]


def analytics_ms(base_url: str, repeats: int = 5) -> dict:
    """Median wall time of the analytics call (first call discarded: it warms caches)."""
    session = requests.Session()
    session.headers.update(AUTH)
    timings = []
    for i in range(repeats + 1):
        t0 = time.monotonic()
        r = session.get(base_url + PATH, timeout=120)
        elapsed = (time.monotonic() - t0) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"GET {PATH}: {r.status_code} {r.text[:200]}")
        if i:
            timings.append(elapsed)
    return {"analytics_ms": statistics.median(timings), "analytics_max_ms": max(timings)}
