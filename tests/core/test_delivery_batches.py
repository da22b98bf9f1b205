"""Deliveries in batches, on a real database of each backend: lease, release, record, next due time.

Leasing is global (any merchant's due rows), so each test parks the pending deliveries other
tests left behind and puts them back afterwards; its own rows are parked when it ends.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest

from paygate import db, deliveries, events, merchants, webhooks
from paygate.clock import utcnow
from paygate.models import Merchant, WebhookAttempt, WebhookDelivery

DELAYS = deliveries.TEST_RETRY_DELAYS_S
LEASE_S = 30.0
FAR = datetime(2999, 1, 1)


@pytest.fixture
def quiet(core_db):
    """Only this test's deliveries are due while it runs."""
    pending = WebhookDelivery.status == "pending"
    saved = db.read(lambda: list(WebhookDelivery.select(WebhookDelivery.id, WebhookDelivery.next_retry_at, WebhookDelivery.claimed_until).where(pending).tuples()))
    db.unit_of_work(lambda: WebhookDelivery.update(next_retry_at=FAR).where(pending).execute())
    yield
    db.unit_of_work(lambda: WebhookDelivery.update(next_retry_at=FAR).where(pending).execute())

    def restore():
        for delivery_id, next_retry_at, claimed_until in saved:
            WebhookDelivery.update(next_retry_at=next_retry_at, claimed_until=claimed_until).where(WebhookDelivery.id == delivery_id).execute()

    db.unit_of_work(restore)


def _merchant():
    row, _ = db.unit_of_work(merchants.create_merchant, "Batch Shop", f"batch-{uuid.uuid4().hex[:10]}@example.test")
    db.unit_of_work(lambda: Merchant.update(webhook_url="https://hooks.example.test/in").where(Merchant.id == row.id).execute())
    return db.read(lambda: Merchant.get_by_id(row.id))


def _deliveries(merchant, n: int, due_ago_s: float = 60.0) -> list[str]:
    """``n`` pending deliveries, due ``due_ago_s`` … ``due_ago_s - n + 1`` seconds ago (oldest first)."""
    made = []
    for i in range(n):
        _, work = db.unit_of_work(events.record_event, merchant.id, merchant.webhook_url, events.PAYMENT_SUCCESS, f"pay_{i}", {"i": i})
        made.append(work[0].id)
    now = utcnow()
    for i, delivery_id in enumerate(made):
        _set(delivery_id, next_retry_at=now - timedelta(seconds=due_ago_s - i))
    return made


def _set(delivery_id, **values):
    db.unit_of_work(lambda: WebhookDelivery.update(**values).where(WebhookDelivery.id == delivery_id).execute())


def _row(delivery_id) -> WebhookDelivery:
    return db.read(lambda: WebhookDelivery.get_by_id(delivery_id))


def _attempts(delivery_id) -> list[int]:
    return db.read(lambda: [a.number for a in WebhookAttempt.select().where(WebhookAttempt.delivery == delivery_id).order_by(WebhookAttempt.id)])


def _lease(limit: int, lease_s: float = LEASE_S):
    return db.unit_of_work(deliveries.lease_due_deliveries, limit, lease_s)


def _result(code=None, error=None):
    return deliveries.AttemptResult(code, "ok" if code else None, error, 3, utcnow())


# --- lease ---------------------------------------------------------------------------------------


def test_lease_takes_due_rows_oldest_first_and_not_again_until_the_lease_lapses(quiet):
    m = _merchant()
    made = _deliveries(m, 5)
    later = _deliveries(m, 1)[0]
    _set(later, next_retry_at=utcnow() + timedelta(seconds=60))
    assert db.read(deliveries.next_delivery_due_at) == _row(made[0]).next_retry_at

    first = _lease(3)
    assert [c.delivery_id for c in first] == made[:3]
    claim = first[0]
    event_body = db.read(lambda: _row(made[0]).event.body)
    assert claim.body == event_body.encode() and claim.secret == m.webhook_secret and claim.url == m.webhook_url and claim.number == 1
    before = utcnow()
    row = _row(made[0])
    assert row.next_retry_at == row.claimed_until and LEASE_S - 2 <= (row.next_retry_at - before).total_seconds() <= LEASE_S + 1

    assert [c.delivery_id for c in _lease(10)] == made[3:], "the rest of what is due; the future row is not"
    assert _lease(10) == [], "leased rows are not due again while their lease runs"
    assert db.read(deliveries.next_delivery_due_at) == _row(made[0]).next_retry_at, "the first lease's end: a lease's end counts"

    _set(made[1], next_retry_at=utcnow() - timedelta(seconds=1))  # its lease lapsed: a killed worker's row
    again = _lease(10)
    assert [(c.delivery_id, c.number) for c in again] == [(made[1], 1)]
    assert _attempts(made[1]) == [], "a lease is not an attempt"


def test_lease_skips_rows_out_of_attempts_and_single_claim_takes_one_row(quiet):
    m = _merchant()
    spent, ok = _deliveries(m, 2)
    _set(spent, attempts=deliveries.MAX_ATTEMPTS)
    assert db.unit_of_work(deliveries.claim_delivery, spent, LEASE_S) is None
    claim = db.unit_of_work(deliveries.claim_delivery, ok, LEASE_S)
    assert claim.delivery_id == ok and claim.number == 1
    assert _lease(10) == [] and db.unit_of_work(deliveries.lease_due_deliveries, 0, LEASE_S) == []


def test_concurrent_leasers_get_disjoint_sets(quiet):
    m = _merchant()
    made = _deliveries(m, 40)
    start = threading.Barrier(4, timeout=20)
    got: list[list[str]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def leaser(i):
        try:
            start.wait()
            for _ in range(40):  # bounded: 40 rows, at least one per pass until empty
                claims = _lease(7)
                if not claims:
                    return
                got[i].extend(c.delivery_id for c in claims)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=leaser, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    everything = [d for part in got for d in part]
    assert sorted(everything) == sorted(made), "every due row leased exactly once"


def test_an_open_lease_transaction_neither_blocks_nor_shares_its_rows(quiet, backend):
    if backend != "postgres":
        pytest.skip("SQLite serializes writers (IMMEDIATE): a second leaser waits instead")
    m = _merchant()
    made = _deliveries(m, 10)
    leased, release = threading.Event(), threading.Event()
    held: list = []

    def hold():
        def lease_and_wait():
            held.extend(deliveries.lease_due_deliveries(4, LEASE_S))
            leased.set()
            release.wait(20)

        db.unit_of_work(lease_and_wait)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert leased.wait(20)
        started = time.monotonic()
        other = _lease(100)
        assert time.monotonic() - started < 5, "a leaser must skip locked rows, not wait for them"
    finally:
        release.set()
        holder.join(30)
    mine = [c.delivery_id for c in held]
    assert mine == made[:4] and [c.delivery_id for c in other] == made[4:]
    assert _lease(100) == [], "the held lease committed"


# --- release ---------------------------------------------------------------------------------------


def test_release_makes_leased_rows_due_again_without_an_attempt(quiet):
    m = _merchant()
    a, b, c = _deliveries(m, 3)
    assert [x.delivery_id for x in _lease(2)] == [a, b]
    assert db.unit_of_work(deliveries.release_leases, [a], utcnow()) == 1
    again = _lease(10)
    assert [(x.delivery_id, x.number) for x in again] == [(c, 1), (a, 1)], "oldest due first: c was due before a's release"
    assert _row(a).attempts == 0 and _attempts(a) == []

    later = utcnow() + timedelta(seconds=30)
    assert db.unit_of_work(deliveries.release_leases, [a, b, a], later) == 2
    assert _lease(10) == [], "released to a later time: not due yet"
    assert _row(a).next_retry_at == _row(b).next_retry_at
    assert db.read(deliveries.next_delivery_due_at) == min(_row(x).next_retry_at for x in (a, b, c)), "c's lease end counts too"
    assert _row(b).next_retry_at == later.replace(microsecond=later.microsecond)

    _set(c, next_retry_at=utcnow() - timedelta(seconds=1))  # due (a manual retry, a lapsed lease): not ours to move
    assert db.unit_of_work(deliveries.release_leases, [c], later) == 0
    assert db.unit_of_work(deliveries.release_leases, [], later) == 0


# --- record ----------------------------------------------------------------------------------------


def test_record_attempts_moves_success_retry_and_failed_in_one_batch(quiet):
    m = _merchant()
    ok, retry, last, reset = _deliveries(m, 4)
    _set(last, attempts=deliveries.MAX_ATTEMPTS - 1)
    _set(reset, attempts=1)
    claims = {c.delivery_id: c for c in _lease(10)}
    assert claims[last].number == deliveries.MAX_ATTEMPTS and claims[reset].number == 2
    db.unit_of_work(webhooks.retry_delivery, reset, m.id)  # a manual retry while the attempt is in flight

    before = utcnow()
    work = db.unit_of_work(
        deliveries.record_attempts,
        [
            (claims[ok], _result(204)),
            (claims[retry], _result(500, "HTTP 500")),
            (claims[last], _result(error="timed out after 5 s")),
            (claims[reset], _result(500, "HTTP 500")),
        ],
        DELAYS,
    )

    row = _row(ok)
    assert (row.status, row.attempts, row.response_code, row.next_retry_at, row.claimed_until) == ("success", 1, 204, None, None)
    row = _row(retry)
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
    assert DELAYS[1] - 1 <= (row.next_retry_at - before).total_seconds() <= DELAYS[1] + 1
    assert [(w.task, w.id, w.due_at) for w in work] == [("deliver_webhook", retry, row.next_retry_at)]
    row = _row(last)
    assert (row.status, row.attempts, row.next_retry_at) == ("failed", deliveries.MAX_ATTEMPTS, None)
    row = _row(reset)
    assert (row.status, row.attempts) == ("pending", 0), "the manual retry wins over the late result"
    assert _attempts(ok) == [1] and _attempts(retry) == [1] and _attempts(last) == [deliveries.MAX_ATTEMPTS] and _attempts(reset) == [2]
    logged = db.read(lambda: WebhookAttempt.get(WebhookAttempt.delivery == last))
    assert logged.error == "timed out after 5 s" and logged.response_code is None and logged.duration_ms == 3

    assert [c.delivery_id for c in _lease(10)] == [reset], "only the manually retried row is due now"
    assert db.unit_of_work(deliveries.record_attempts, [], DELAYS) == []


def test_record_attempts_of_a_large_batch(quiet):
    m = _merchant()
    made = _deliveries(m, 30)
    claims = _lease(100)
    assert len(claims) == 30
    results = [(c, _result(200) if i % 2 else _result(503, "HTTP 503")) for i, c in enumerate(claims)]
    work = db.unit_of_work(deliveries.record_attempts, results, DELAYS)
    assert sorted(w.id for w in work) == sorted(made[0::2])
    statuses = db.read(lambda: dict(WebhookDelivery.select(WebhookDelivery.id, WebhookDelivery.status).where(WebhookDelivery.id.in_(made)).tuples()))
    assert [statuses[d] for d in made] == ["pending", "success"] * 15
    assert db.read(lambda: WebhookAttempt.select().where(WebhookAttempt.delivery.in_(made)).count()) == 30
