"""One merchant's slow receivers never delay another merchant's deliveries.

A real due loop on a real database of each backend, real HTTP receivers: merchant A's five
endpoints all hang (each send is cut at the send deadline), merchant B's endpoint answers at once.
A may hold only its share of the worker's sender threads, so B's deliveries, due after A's hang
began, arrive before that hang ends. Bounded: one send deadline (6 s: wide enough that a slow CI
machine's setup after the hang began cannot eat the window) and the loop's stop.
"""

from __future__ import annotations

import time
import uuid

from paygate import db, endpoints, events, merchants
from paygate.jobs.due_loop import DueLoop
from paygate.models import WebhookAttempt, WebhookDelivery
from tests.core.test_delivery_batches import quiet  # noqa: F401  (only this test's deliveries are due)
from tests.support.receiver import Receiver
from devstack.waiting import wait_until

DEADLINE_S = 6.0


def _merchant(name: str, url: str | None = None):
    row, _ = db.unit_of_work(merchants.create_merchant, name, f"bound-{uuid.uuid4().hex[:10]}@example.test")
    if url:
        db.unit_of_work(merchants.set_webhook_url, row.id, url, allow_private=True)
    return row


def _events(merchant_id: str, url: str | None, n: int) -> list[str]:
    made = []
    for i in range(n):
        _, work = db.unit_of_work(events.record_event, merchant_id, url, events.PAYMENT_SUCCESS, f"pay_{i}", {"i": i})
        made.extend(w.id for w in work)
    return made


def test_a_merchant_whose_endpoints_all_hang_holds_only_its_share_and_others_stay_on_time(core_db, quiet):
    settings = core_db.replace(webhook_timeout_s=DEADLINE_S, delivery_threads=32, delivery_per_destination=8, allow_private_webhook_urls=True)
    hanging = [Receiver(delay_s=60) for _ in range(5)]
    with Receiver() as fast:
        for rx in hanging:
            rx.__enter__()
        loop = DueLoop(settings)
        try:
            a = _merchant("Hanging Shop")
            for rx in hanging:
                db.unit_of_work(endpoints.create_endpoint, a.id, {"url": rx.url, "enabled_events": ["*"]}, allow_private=True)
            a_rows = _events(a.id, None, 8)  # 5 endpoints × 8 = 40: more than every sender thread of the worker
            assert len(a_rows) == 40
            b = _merchant("On-time Shop", fast.url)  # made before the hang so only its events are written inside it
            loop.start()
            wait_until(lambda: sum(len(rx.arrivals) for rx in hanging) >= loop.sender.per_merchant, 15, "A's hang to begin")
            hang_began = min(t for rx in hanging for t in rx.arrivals)
            b_rows = _events(b.id, fast.url, 3)
            due = time.monotonic()
            fast.wait_for(3, timeout=15)
            a_arrivals = sorted(t for rx in hanging for t in rx.arrivals)
        finally:
            loop.stop()
            for rx in hanging:
                rx.__exit__(None, None, None)
    hang_ends = hang_began + DEADLINE_S  # A's first sends are cut here
    assert due < hang_ends, f"the test's own setup took {due - hang_began:.2f} s of the {DEADLINE_S:g} s hang"
    outside = [round(t - hang_began, 2) for t in fast.arrivals if not due <= t < hang_ends]
    assert not outside, f"B's deliveries, due {due - hang_began:.2f} s into A's hang, arrived at {outside} s (hang ends at {DEADLINE_S:g})"
    assert len([t for t in a_arrivals if t < hang_ends]) == loop.sender.per_merchant == 16, "A held only its share (half of 32 threads)"
    statuses = db.read(lambda: {r.status for r in WebhookDelivery.select().where(WebhookDelivery.id.in_(b_rows))})
    assert statuses == {"success"}
    errors = db.read(lambda: {a.error for a in WebhookAttempt.select().where(WebhookAttempt.delivery.in_(a_rows))})
    assert errors <= {f"timed out after {DEADLINE_S:g} s"}, errors
