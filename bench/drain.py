"""Drain: N payments from created to final.

On PostgreSQL + Redis the N payments are created while no worker runs (their settlement is
queued), then the worker processes start: the figure is settlement throughput alone. On the
embedded default the worker lives in the API process, so the figure is end to end (creates and
settlement sharing one process). With the default 5–10 s bank delay, the figure is N over the
time from the first create to the last final status, and ``late_s`` says how long after the last
due time the queue needed to finish: it must stay small (no collapse).
"""

from __future__ import annotations

import time

from . import seed
from .blast import blast
from devstack.waiting import wait_until

from .stack import AUTH


def _payment_requests(order_ids):
    return [{"method": "POST", "path": "/api/v1/payments", "body": {"order_id": o, "method": "upi", "vpa": "shopper@okbank"}}
            for o in order_ids]


def create_payments(d, n: int, concurrency: int = 32, rate: float | None = None) -> dict:
    host, port = d.base_url.split("//")[1].split(":")
    job = {"host": host, "port": int(port), "headers": AUTH, "requests": _payment_requests(seed.orders(n)), "concurrency": concurrency}
    if rate:
        job["rate"] = rate
    result = blast(job, timeout=300)
    bad = [r for r in result["results"] if r is None or r[1] != 201]
    if bad:
        raise RuntimeError(f"{len(bad)} of {n} payment creates failed, e.g. {bad[:3]}")
    return result


def _wait_all_final(timeout: float, what: str = "drain") -> float:
    """Poll until no payment is pending; returns the wall time it happened (fails after ``timeout``)."""
    return wait_until(lambda: time.time() if seed.pending_count() == 0 else None, timeout, f"{what}: every payment final", interval=0.02)


def drain_prequeued(d, n: int, workers: int, timeout: float = 120) -> dict:
    """PostgreSQL + Redis: queue N settlements with no worker up, then start the workers."""
    create_payments(d, n)
    for _ in range(workers):
        d.start_worker()
    first = wait_until(lambda: time.time() if seed.pending_count() < n else None, 60, "a payment settled after the workers started", interval=0.02)
    done = _wait_all_final(timeout)
    # Counted from the first settlement seen, over the whole batch: slightly conservative.
    return {"drain_payments_per_s": n / max(done - first, 1e-3), "drain_n": n}


def drain_end_to_end(d, n: int, timeout: float = 180) -> dict:
    """Create N payments and wait until all are final; throughput over the whole span."""
    t0 = time.time()
    create_payments(d, n)
    created = time.time()
    done = _wait_all_final(timeout)
    return {"drain_payments_per_s": n / (done - t0), "drain_n": n, "drain_create_s": created - t0}


def drain_delayed(d, n: int, timeout: float = 180) -> dict:
    """With the bank delay: throughput from first create to last final, and how long after the
    last payment fell due the last one was final (``late_s``: small means no backlog built up)."""
    t0 = time.time()
    create_payments(d, n)
    done = _wait_all_final(timeout, "delayed drain")
    last_due = seed.last_due_unix()
    return {"drain_delayed_payments_per_s": n / (done - t0), "drain_delayed_n": n, "drain_delayed_late_s": max(0.0, done - last_due)}


def due_lateness(d, n: int, rate: float = 200.0, timeout: float = 120) -> dict:
    """Payments due 1 s after their create (``TEST_PROCESSING_DELAY=1000``), created at ``rate``/s:
    how late each became final after its due time (the database's own clock on both sides)."""
    create_payments(d, n, concurrency=16, rate=rate)
    _wait_all_final(timeout, "due-lateness run")
    late = sorted(seed.lateness_ms())
    if not late:
        raise RuntimeError("no payment settled")
    pick = lambda q: late[min(len(late) - 1, int(q * len(late)))]  # noqa: E731
    return {"due_late_p50_ms": pick(0.50), "due_late_p99_ms": pick(0.99), "due_late_n": len(late)}
