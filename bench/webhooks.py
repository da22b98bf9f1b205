"""Webhook deliveries per second to a local receiver, and create→webhook latency."""

from __future__ import annotations

import statistics
import time

from devstack.waiting import wait_until

from . import seed
from .drain import create_payments

def arrivals(path) -> list[tuple[float, str, str]]:
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append((float(parts[0]), parts[1], parts[2]))
    return out


def _wait_arrivals(path, expected: int, timeout: float) -> list:
    """Wait for ``expected`` arrivals, or until none arrived for 10 s after the first one (then
    report what came). Workers that are still starting may take a while to send the first."""
    deadline = time.monotonic() + timeout
    last_count, last_change = 0, time.monotonic()
    while time.monotonic() < deadline:
        got = arrivals(path)
        if len(got) >= expected:
            return got
        if len(got) != last_count:
            last_count, last_change = len(got), time.monotonic()
        elif last_count and time.monotonic() - last_change > 10:
            break
        time.sleep(0.1)
    return arrivals(path)


def deliveries_per_s(d, receiver_url, receiver_file, n: int, prequeue_workers: int = 0) -> dict:
    """N payments → 3N deliveries (created, pending, success). With ``prequeue_workers`` the
    deliveries are queued while no worker runs, then that many workers start."""
    seed.set_webhook_url(receiver_url)
    receiver_file.write_text("")
    if prequeue_workers:
        d.kill_workers()
    create_payments(d, n)
    for _ in range(prequeue_workers):
        d.start_worker()
    got = _wait_arrivals(receiver_file, 3 * n, timeout=120)
    if len(got) < 2:
        raise RuntimeError(f"only {len(got)} of {3 * n} webhooks arrived")
    times = sorted(t for t, _, _ in got)
    return {"webhooks_per_s": len(got) / max(times[-1] - times[0], 1e-3), "webhooks_n": len(got), "webhooks_expected": 3 * n}


def create_to_webhook(d, receiver_url, receiver_file, n: int, rate: float = 20) -> dict:
    """Paced creates (not a saturation test); p50 from the create request to the payment.success webhook."""
    seed.set_webhook_url(receiver_url)
    receiver_file.write_text("")
    result = create_payments(d, n, concurrency=4, rate=rate)
    sent = {r[2]: r[0] for r in result["results"]}
    wait_until(lambda: sum(1 for _, e, _ in arrivals(receiver_file) if e == "payment.success") >= n, 60, f"{n} payment.success webhooks", interval=0.2)
    got = arrivals(receiver_file)
    success = [t - sent[p] for t, e, p in got if e == "payment.success" and p in sent]
    created = [t - sent[p] for t, e, p in got if e == "payment.created" and p in sent]
    if not success:
        raise RuntimeError("no payment.success webhook arrived")
    return {
        "create_to_webhook_p50_ms": statistics.median(success) * 1000,
        "create_to_created_webhook_p50_ms": statistics.median(created) * 1000 if created else None,
        "create_to_webhook_n": len(success),
    }
