"""DeliverySender against real HTTP receivers: per-destination bounds, queues, refusals, stale claims.

No database: the sender only posts claims and hands back results; the due loop records them.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from paygate.deliveries import Claim
from paygate.jobs import sender as sender_module
from paygate.jobs.sender import DeliverySender, destination
from tests.support.receiver import Receiver

SETTINGS = SimpleNamespace(webhook_timeout_s=5.0, private_webhooks_allowed=True)


def _claims(url: str, n: int, prefix: str = "whd", merchant: str = "m-1") -> list[Claim]:
    return [Claim(f"{prefix}_{i:04d}", f"evt_{prefix}_{i:04d}", url, b'{"i":%d}' % i, "whsec_test", 1, merchant_id=merchant) for i in range(n)]


def _wait_results(sender: DeliverySender, n: int, timeout: float = 30.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        assert time.monotonic() < deadline, f"only {len(got)} of {n} sends finished"
        got += sender.take_results()
        time.sleep(0.01)
    return got


def test_one_destination_posts_at_most_its_bound_at_once_and_queues_the_rest():
    with Receiver(delay_s=0.05) as receiver:
        sender = DeliverySender(SETTINGS, threads=16, per_destination=3)
        try:
            claims = _claims(receiver.url, 24)
            assert sender.submit(claims) == [], "24 fit in the destination's queue (3 × 8)"
            assert sender.in_flight() == 24
            results = _wait_results(sender, 24)
        finally:
            sender.close()
    assert sorted(c.delivery_id for c, _ in results) == [c.delivery_id for c in claims]
    assert all(r.response_code == 200 and r.error is None for _, r in results)
    assert receiver.max_active <= 3
    assert receiver.max_active >= 2, "the queue is drained by several senders at once"
    assert sorted(r.body for r in receiver.requests) == sorted(c.body for c in claims)
    assert sender.in_flight() == 0 and sender.take_unsent() == []


def test_claims_beyond_the_queue_are_refused_and_duplicates_are_dropped():
    with Receiver(delay_s=0.2) as receiver:
        sender = DeliverySender(SETTINGS, threads=8, per_destination=1)
        try:
            claims = _claims(receiver.url, 12)
            refused = sender.submit(claims)
            assert [c.delivery_id for c in refused] == [c.delivery_id for c in claims[8:]], "queue of 1 × 8"
            assert sender.submit(claims[:3]) == [], "already queued: neither refused nor queued twice"
            assert sender.in_flight() == 8
            _wait_results(sender, 8)
        finally:
            sender.close()
    assert len(receiver.requests) == 8 and receiver.max_active == 1


def test_a_slow_destination_does_not_hold_up_another():
    with Receiver(delay_s=1.0) as slow, Receiver() as fast:
        sender = DeliverySender(SETTINGS, threads=8, per_destination=2)
        try:
            sender.submit(_claims(slow.url.replace("127.0.0.1", "localhost"), 6, "slow", "m-slow"))
            assert sender.submit(_claims(fast.url, 16, "fast", "m-fast")) == []
            fast.wait_for(16, timeout=10)
            assert len(slow.requests) <= 2, "the fast destination finished while the slow one was still on its first sends"
        finally:
            sender.close(wait=False)
    assert destination(slow.url) != destination(slow.url.replace("127.0.0.1", "localhost"))


def test_a_claim_that_waited_too_long_is_handed_back_unsent(monkeypatch):
    monkeypatch.setattr(sender_module, "MAX_QUEUE_WAIT_S", 0.3)
    with Receiver(delay_s=0.5) as receiver:
        sender = DeliverySender(SETTINGS, threads=4, per_destination=1)
        try:
            claims = _claims(receiver.url, 3)
            sender.submit(claims)
            results = _wait_results(sender, 1)
            deadline = time.monotonic() + 10
            unsent: list = []
            while len(unsent) < 2 and time.monotonic() < deadline:
                unsent += sender.take_unsent()
                time.sleep(0.02)
        finally:
            sender.close()
    assert [c.delivery_id for c, _ in results] == [claims[0].delivery_id]
    assert [c.delivery_id for c in unsent] == [c.delivery_id for c in claims[1:]]
    assert len(receiver.requests) == 1 and sender.in_flight() == 0


def test_close_hands_back_queued_claims_and_waits_for_the_posting_ones():
    with Receiver(delay_s=0.3) as receiver:
        sender = DeliverySender(SETTINGS, threads=4, per_destination=1)
        claims = _claims(receiver.url, 5)
        sender.submit(claims)
        deadline = time.monotonic() + 5
        while receiver.active == 0 and not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        sender.close()
        finished = sender.take_results()
        unsent = sender.take_unsent()
    assert len(finished) == 1 and finished[0][1].response_code == 200
    assert sorted(c.delivery_id for c in unsent) == [c.delivery_id for c in claims[1:]]
    assert len(receiver.requests) == 1
    with pytest.raises(RuntimeError):
        sender.submit(claims)


def test_a_merchant_at_its_bound_takes_turns_between_its_endpoints():
    """threads=4: a merchant may post 2 at once, 1 per endpoint. Two slow endpoints hold both; the
    merchant's third endpoint waits its turn and is served before the slow ones are drained."""
    with Receiver(delay_s=0.3) as slow1, Receiver(delay_s=0.3) as slow2, Receiver() as fast:
        sender = DeliverySender(SETTINGS, threads=4, per_destination=4)
        try:
            assert (sender.per_merchant, sender.per_destination) == (2, 1)
            sender.submit(_claims(slow1.url, 3, "s1") + _claims(slow2.url, 3, "s2"))
            sender.submit(_claims(fast.url, 3, "f"))
            results = _wait_results(sender, 9)
        finally:
            sender.close()
    assert all(r.response_code == 200 for _, r in results)
    assert slow1.max_active == slow2.max_active == 1
    assert fast.arrivals[0] < max(slow1.arrivals + slow2.arrivals), "the waiting endpoint got a turn before the others were drained"
