"""Webhook delivery, the hot path: lease due deliveries, record attempts, the retry schedule.

The HTTP POST itself lives in the jobs adapter (``paygate.jobs.delivery`` / ``jobs.sender``):
this module never imports a transport. A delivery is driven by its row:

- a **lease** moves ``next_retry_at`` (and ``claimed_until``) to the lease's end, so nobody else
  finds the row due while it is being sent, and a killed worker's delivery becomes due again when
  the lease lapses;
- the adapter posts outside any transaction;
- **recording** appends the attempt and moves the row: success, a retry at its next time, or
  failed after ``MAX_ATTEMPTS``. The move applies only while the row is still at the attempt
  being recorded (``status`` pending and ``attempts = number - 1``): a manual retry in between wins.

Batched units of work (the due loop), run by the caller inside ``db.unit_of_work``:
``lease_due_deliveries`` → send concurrently → ``record_attempts`` (and ``release_leases`` for
what was leased but not sent). ``claim_delivery`` (the queue task) leases one row by id with the
same statements; its attempt is sent and recorded like the batch's.

A delivery whose destination is gone — the merchant's ``webhook_url`` removed, its endpoint
deleted or disabled — ends ``failed`` with a ``failure_code`` saying why (``end_pending``, and the
lease for one that was due meanwhile): it is never sent to an old URL, nor sent unsigned.

On PostgreSQL each step is one statement (data-modifying CTEs; ``FOR UPDATE SKIP LOCKED`` so
concurrent leasers take disjoint rows). On SQLite the caller's IMMEDIATE transaction makes a step
of two statements exclusive; each UPDATE re-checks its guard, so no row is ever claimed twice
even outside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import ids
from .clock import after, parse_db_datetime, utcnow
from .db import database, is_postgres
from .models import WebhookDelivery
from .states import DeliveryStatus, guard
from .work import CLAIM_GRACE_S, DELIVER_WEBHOOK, DueWork

# Delay before attempt n+1, indexed by attempts made so far: attempt 1 now, then +1 min, +5 min, +30 min, +2 h.
RETRY_DELAYS_S = (0, 60, 300, 1800, 7200)
TEST_RETRY_DELAYS_S = (0, 5, 10, 15, 20)  # WEBHOOK_RETRY_INTERVALS_TEST=true
MAX_ATTEMPTS = len(RETRY_DELAYS_S)
EXCERPT_BYTES = 1024
# A leased claim waits at most this long for a sender thread (then it is handed back unsent).
SENDER_QUEUE_WAIT_S = 4.0
# After the send, the time the due loop takes to record it (its next pass, one commit).
RECORD_MARGIN_S = 4.0
# Why a delivery ended without being sent (``failure_code``): its destination is gone.
WEBHOOK_URL_REMOVED = "webhook_url_removed"
ENDPOINT_DELETED = "endpoint_deleted"
ENDPOINT_DISABLED = "endpoint_disabled"
FAILURE_CODES = (WEBHOOK_URL_REMOVED, ENDPOINT_DELETED, ENDPOINT_DISABLED)
# A queue item may fire a little before its due time (clocks of different hosts); accept that.
DUE_TOLERANCE_S = 1.0
# Rows per statement: well under SQLite's 32,766 bound variables (7 per attempt row).
_CHUNK = 500


def retry_delays(settings) -> tuple[int, ...]:
    return TEST_RETRY_DELAYS_S if settings.webhook_retry_intervals_test else RETRY_DELAYS_S


@dataclass(frozen=True)
class Claim:
    """A leased delivery: everything the adapter needs to send it, without touching the database."""

    delivery_id: str
    event_id: str
    url: str
    body: bytes
    secret: str = field(repr=False)  # never in a log line
    number: int  # the attempt being made, 1-based
    endpoint_id: str | None = None
    merchant_id: str | None = None  # whose endpoint: the sender bounds what one merchant may hold
    previous_secrets: tuple[str, ...] = field(default=(), repr=False)  # still inside their rotation overlap: signed with too
    default_endpoint: bool = True  # the merchant's webhook_url: X-Webhook-Signature, never auto-disabled
    failing_since: datetime | None = None  # the endpoint's run of failures began then (None: healthy)


@dataclass(frozen=True)
class AttemptResult:
    response_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int
    attempted_at: object  # naive UTC datetime

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.response_code is not None and 200 <= self.response_code < 300


def lease_seconds(settings) -> float:
    """How long a leased delivery is left alone, derived from the send deadline: the longest wait
    for a sender thread, the whole send (``webhook_timeout_s`` ends it, whatever the receiver
    does), and the time to record it. A lease therefore outlives the longest send it covers, and
    no other worker sends the delivery while it is in flight."""
    return SENDER_QUEUE_WAIT_S + float(settings.webhook_timeout_s) + RECORD_MARGIN_S


def _ts(value):
    """A datetime as the column stores it (peewee's own conversion, so comparisons stay exact)."""
    return WebhookDelivery.next_retry_at.db_value(value)


def _marks(n: int) -> str:
    return ", ".join([database.obj.param] * n)


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- lease ---------------------------------------------------------------------------------------



# PostgreSQL: one statement. ``due`` picks and locks the rows (SKIP LOCKED: a concurrent leaser
# takes other rows instead of waiting; a single-row claim waits and re-checks instead), ``c``
# moves them to the lease's end, and the outer SELECT joins the body and the merchant's current
# URL and secret. {where} and {lock} vary between the batch and the single-row form.
# The endpoint's columns come from a LEFT JOIN: the default endpoint has no row.
_ENDPOINT_COLUMNS = "w.id, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, w.failing_since"
_DEFAULT_PREVIOUS_COLUMNS = ", m.previous_webhook_secret, m.previous_webhook_secret_expires_at"  # the default endpoint's overlap
_LEASE_PG_SQL = (
    "WITH due AS ("
    "SELECT id, next_retry_at AS due_at FROM webhook_delivery WHERE {where} {lock}"
    "), c AS ("
    "UPDATE webhook_delivery d SET next_retry_at = %s, claimed_until = %s FROM due WHERE d.id = due.id "
    "RETURNING d.id, d.attempts, d.url, d.event_id, d.endpoint_id, due.due_at"
    ") "
    "SELECT c.id, c.attempts, c.url, c.event_id, e.body, m.webhook_secret, m.webhook_url, m.id, c.endpoint_id, " + _ENDPOINT_COLUMNS + _DEFAULT_PREVIOUS_COLUMNS + " "
    "FROM c JOIN event e ON e.id = c.event_id JOIN merchant m ON m.id = e.merchant_id "
    "LEFT JOIN webhook_endpoint w ON w.id = c.endpoint_id "
    "ORDER BY c.due_at, c.id"
)
_DUE_BATCH = "status = %s AND attempts < %s AND next_retry_at <= %s ORDER BY next_retry_at LIMIT %s"
_DUE_ONE = "id = %s AND status = %s AND attempts < %s AND (next_retry_at IS NULL OR next_retry_at <= %s)"
_LEASE_BATCH_PG_SQL = _LEASE_PG_SQL.format(where=_DUE_BATCH, lock="FOR UPDATE SKIP LOCKED")
_LEASE_ONE_PG_SQL = _LEASE_PG_SQL.format(where=_DUE_ONE, lock="FOR UPDATE")

# SQLite: read the due rows with their bodies, then move exactly those (the UPDATE repeats the
# guard and returns what it moved, so a row is never claimed twice even in autocommit).
_SELECT_DUE_SQLITE = (
    "SELECT d.id, d.attempts, d.url, d.event_id, e.body, m.webhook_secret, m.webhook_url, m.id, d.endpoint_id, " + _ENDPOINT_COLUMNS + _DEFAULT_PREVIOUS_COLUMNS + " "
    "FROM webhook_delivery d JOIN event e ON e.id = d.event_id JOIN merchant m ON m.id = e.merchant_id "
    "LEFT JOIN webhook_endpoint w ON w.id = d.endpoint_id "
    "WHERE {where}"
)
_DUE_BATCH_SQLITE = "d.status = ? AND d.attempts < ? AND d.next_retry_at <= ? ORDER BY d.next_retry_at LIMIT ?"
_DUE_ONE_SQLITE = "d.id = ? AND d.status = ? AND d.attempts < ? AND (d.next_retry_at IS NULL OR d.next_retry_at <= ?)"
_MOVE_LEASED_SQLITE = (
    "UPDATE webhook_delivery SET next_retry_at = ?, claimed_until = ? "
    "WHERE id IN ({ids}) AND status = ? AND attempts < ? AND (next_retry_at IS NULL OR next_retry_at <= ?) RETURNING id"
)


def _db_time(value):
    return parse_db_datetime(value) if isinstance(value, str) else value


def _still_signing(previous: str | None, until, now: datetime) -> tuple[str, ...]:
    """A rotated-out secret while its overlap lasts."""
    until = _db_time(until)
    return (previous,) if previous and until is not None and until > now else ()


def _claim_from_row(row, now: datetime) -> Claim | str:
    """The claim for a leased row, or the failure code of a row whose destination is gone."""
    delivery_id, attempts, url, event_id, body, secret, current_url, merchant_id, endpoint_id = row[:9]
    w_id, w_url, w_secret, w_previous, w_previous_until, w_failing_since, m_previous, m_previous_until = row[9:]
    common = dict(delivery_id=delivery_id, event_id=event_id, body=body.encode("utf-8"), number=attempts + 1, endpoint_id=endpoint_id, merchant_id=merchant_id)
    if endpoint_id is None or endpoint_id == ids.default_endpoint_id(merchant_id):
        # A merchant who fixes a broken URL expects the pending retries to go to the new one; one
        # who removes it expects them to stop.
        if not current_url:
            return WEBHOOK_URL_REMOVED
        return Claim(url=current_url, secret=secret, previous_secrets=_still_signing(m_previous, m_previous_until, now), **common)
    if w_id is None:  # deleted: nothing to send to, no secret to sign with
        return ENDPOINT_DELETED
    previous = _still_signing(w_previous, w_previous_until, now)
    return Claim(url=w_url, secret=w_secret, previous_secrets=previous, default_endpoint=False, failing_since=_db_time(w_failing_since), **common)


def _lease(delivery_id: str | None, limit: int, lease_s: float) -> list[Claim]:
    """Lease one delivery by id (``delivery_id``) or up to ``limit`` due ones, oldest due first."""
    if limit <= 0:
        return []
    now = utcnow()
    lease_end = _ts(after(lease_s, now))
    due_by = _ts(after(DUE_TOLERANCE_S, now))
    pending = DeliveryStatus.PENDING
    if is_postgres():
        if delivery_id is None:
            sql, due = _LEASE_BATCH_PG_SQL, (pending, MAX_ATTEMPTS, due_by, limit)
        else:
            sql, due = _LEASE_ONE_PG_SQL, (delivery_id, pending, MAX_ATTEMPTS, due_by)
        return _sendable(database.execute_sql(sql, due + (lease_end, lease_end)).fetchall(), now)
    if delivery_id is None:
        select = _SELECT_DUE_SQLITE.format(where=_DUE_BATCH_SQLITE), (pending, MAX_ATTEMPTS, due_by, limit)
    else:
        select = _SELECT_DUE_SQLITE.format(where=_DUE_ONE_SQLITE), (delivery_id, pending, MAX_ATTEMPTS, due_by)
    rows = database.execute_sql(*select).fetchall()
    moved: set[str] = set()
    for chunk in _chunks([r[0] for r in rows]):
        sql = _MOVE_LEASED_SQLITE.format(ids=_marks(len(chunk)))
        moved.update(r[0] for r in database.execute_sql(sql, (lease_end, lease_end, *chunk, pending, MAX_ATTEMPTS, due_by)).fetchall())
    return _sendable([r for r in rows if r[0] in moved], now)


def _sendable(rows, now: datetime) -> list[Claim]:
    """The claims of the leased rows; rows whose destination is gone end instead (no statement
    unless there is one)."""
    claims: list[Claim] = []
    gone: dict[str, list[str]] = {}
    for row in rows:
        claim = _claim_from_row(row, now)
        if isinstance(claim, Claim):
            claims.append(claim)
        else:
            gone.setdefault(claim, []).append(row[0])
    for code, delivery_ids in gone.items():
        end_pending(WebhookDelivery.id.in_(delivery_ids), code, now)
    return claims


def end_pending(where, code: str, now: datetime | None = None) -> int:
    """End the pending deliveries ``where`` selects: ``failed``, with ``code`` saying why (one of
    ``FAILURE_CODES``), and nothing left to send. Returns how many ended."""
    now = now or utcnow()
    status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.FAILED)
    return (
        WebhookDelivery.update(status=status, failure_code=code, next_retry_at=None, claimed_until=None, updated_at=now)
        .where(where & (WebhookDelivery.status == DeliveryStatus.PENDING))
        .execute()
    )


def end_default_endpoint_deliveries(merchant_id: str, code: str = WEBHOOK_URL_REMOVED) -> int:
    """End the pending deliveries to the merchant's webhook_url (rows from before endpoints included)."""
    default = (WebhookDelivery.endpoint_id == ids.default_endpoint_id(merchant_id)) | WebhookDelivery.endpoint_id.is_null()
    return end_pending((WebhookDelivery.merchant == merchant_id) & default, code)


def lease_due_deliveries(limit: int, lease_s: float) -> list[Claim]:
    """Lease up to ``limit`` pending deliveries that are due, oldest due first; run in a unit of work.

    Each claim is for the row's next attempt, to the merchant's current URL, signed with the
    current secret; a row whose destination is gone ends instead (``failure_code``). Concurrent leasers get disjoint rows. A
    leased row is not due again until ``lease_s`` has passed: record or release it before then.
    """
    return _lease(None, limit, lease_s)


def claim_delivery(delivery_id: str, lease_s: float) -> Claim | None:
    """Lease one pending, due delivery for one attempt; None when it is not ours to send now.

    Idempotent against duplicates: the lease moves ``next_retry_at`` past now, so a second queue
    item for the same row finds it not due and does nothing.
    """
    claims = _lease(delivery_id, 1, lease_s)
    return claims[0] if claims else None


_RELEASE_SQL = (
    "UPDATE webhook_delivery SET next_retry_at = {p}, claimed_until = {p} WHERE id IN ({ids}) AND status = {p} AND next_retry_at > {p}"
)


def release_leases(delivery_ids, retry_at: datetime | None = None) -> int:
    """Give leased deliveries back unsent, due again at ``retry_at`` (default: now); no attempt counted.

    Only rows still under a lease (pending, ``next_retry_at`` in the future) move, so a row a manual
    retry made due meanwhile keeps its time. Returns how many rows moved.
    """
    ids = list(dict.fromkeys(delivery_ids))
    if not ids:
        return 0
    now = utcnow()
    retry_at = retry_at or now
    p = database.obj.param
    moved = 0
    for chunk in _chunks(ids):
        sql = _RELEASE_SQL.format(p=p, ids=_marks(len(chunk)))
        params = (_ts(retry_at), _ts(after(CLAIM_GRACE_S, retry_at)), *chunk, DeliveryStatus.PENDING, _ts(now))
        moved += database.execute_sql(sql, params).rowcount
    return moved


# --- record --------------------------------------------------------------------------------------

_ATTEMPT_COLUMNS = "(delivery_id, number, attempted_at, response_code, response_excerpt, error, duration_ms)"
# PostgreSQL: the attempts (one multi-row INSERT) and the moves (one UPDATE … FROM VALUES) in one
# statement. The casts type the VALUES columns (a column of NULLs would otherwise be text).
_RECORD_PG_SQL = (
    "WITH attempt AS (INSERT INTO webhook_attempt " + _ATTEMPT_COLUMNS + " VALUES {attempts}) "
    "UPDATE webhook_delivery d SET url = v.url, status = v.status, attempts = v.number, last_attempt_at = v.attempted_at, "
    "response_code = v.response_code, next_retry_at = v.next_retry_at, claimed_until = v.claimed_until, updated_at = %s "
    "FROM (VALUES {moves}) AS v (id, url, status, number, attempted_at, response_code, next_retry_at, claimed_until) "
    "WHERE d.id = v.id AND d.status = %s AND d.attempts = v.number - 1 "
    "RETURNING d.id, d.attempts"
)
_MOVE_PG_ROW = "(%s, %s, %s, %s::integer, %s::timestamp, %s::integer, %s::timestamp, %s::timestamp)"
_ATTEMPT_SQLITE = "INSERT INTO webhook_attempt " + _ATTEMPT_COLUMNS + " VALUES {attempts}"
_MOVE_SQLITE = (
    "UPDATE webhook_delivery SET url = ?, status = ?, attempts = ?, last_attempt_at = ?, response_code = ?, "
    "next_retry_at = ?, claimed_until = ?, updated_at = ? WHERE id = ? AND status = ? AND attempts = ?"
)


@dataclass(frozen=True)
class _Move:
    claim: Claim
    result: AttemptResult
    status: str
    next_retry_at: datetime | None
    claimed_until: datetime | None


def _plan(claim: Claim, result: AttemptResult, delays, now: datetime) -> _Move:
    next_retry_at = claimed_until = None
    if result.succeeded:
        status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.SUCCESS)
    elif claim.number >= MAX_ATTEMPTS:
        status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.FAILED)
    else:
        status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.PENDING)
        next_retry_at = after(delays[min(claim.number, len(delays) - 1)], now)
        claimed_until = after(CLAIM_GRACE_S, next_retry_at)
    return _Move(claim, result, status, next_retry_at, claimed_until)


def _attempt_params(m: _Move) -> tuple:
    r = m.result
    return (m.claim.delivery_id, m.claim.number, _ts(r.attempted_at), r.response_code, r.response_excerpt, r.error, r.duration_ms)


def _move_params(m: _Move) -> tuple:
    c = m.claim
    return (c.delivery_id, c.url, m.status, c.number, _ts(m.result.attempted_at), m.result.response_code, _ts(m.next_retry_at), _ts(m.claimed_until))


def _write_moves(moves: list[_Move], now: datetime) -> set[tuple[str, int]]:
    """Insert every attempt and apply every guarded move; the (id, number) pairs that moved."""
    pending = DeliveryStatus.PENDING
    moved: set[tuple[str, int]] = set()
    for chunk in _chunks(moves):
        attempt_marks = ", ".join(["(" + _marks(7) + ")"] * len(chunk))
        attempts = [v for m in chunk for v in _attempt_params(m)]
        if is_postgres():
            sql = _RECORD_PG_SQL.format(attempts=attempt_marks, moves=", ".join([_MOVE_PG_ROW] * len(chunk)))
            params = attempts + [_ts(now)] + [v for m in chunk for v in _move_params(m)] + [pending]  # in text order
            moved.update((i, n) for i, n in database.execute_sql(sql, params).fetchall())
            continue
        database.execute_sql(_ATTEMPT_SQLITE.format(attempts=attempt_marks), attempts)
        for m in chunk:
            delivery_id, url, status, number, attempted_at, code, next_retry_at, claimed_until = _move_params(m)
            params = (url, status, number, attempted_at, code, next_retry_at, claimed_until, _ts(now), delivery_id, pending, number - 1)
            if database.execute_sql(_MOVE_SQLITE, params).rowcount == 1:
                moved.add((delivery_id, number))
    return moved


def record_attempts(results: list[tuple[Claim, AttemptResult]], delays: tuple[int, ...] = RETRY_DELAYS_S, disable_after_s: float | None = None) -> list[DueWork]:
    """Record a batch of attempts in the caller's unit of work; the retries that fall due later.

    Every attempt is appended (one multi-row INSERT); each delivery moves to success, to a retry
    at its next time on ``delays``, or to failed after ``MAX_ATTEMPTS`` — unless a manual retry
    reset it meanwhile, in which case the attempt is logged and the row left as the retry set it.
    Webhook endpoints' runs of failures are kept current, and those failing for longer than
    ``disable_after_s`` are disabled (``endpoints.note_attempts``).
    """
    if not results:
        return []
    now = utcnow()
    moves = [_plan(claim, result, delays, now) for claim, result in results]
    moved = _write_moves(moves, now)
    work = [
        DueWork(DELIVER_WEBHOOK, m.claim.delivery_id, m.next_retry_at)
        for m in moves
        if m.next_retry_at is not None and (m.claim.delivery_id, m.claim.number) in moved
    ]
    return work + _note_endpoints(results, now, disable_after_s)


def _note_endpoints(results, now: datetime, disable_after_s: float | None) -> list[DueWork]:
    if all(claim.default_endpoint for claim, _ in results):
        return []  # the common case: no statement, no import
    from . import endpoints

    span = endpoints.DEFAULT_DISABLE_AFTER_S if disable_after_s is None else disable_after_s
    return endpoints.note_attempts(results, now, span)


# --- when to wake ----------------------------------------------------------------------------------

_NEXT_DUE_SQL = "SELECT MIN(next_retry_at) FROM webhook_delivery WHERE status = {p}"


def next_delivery_due_at() -> datetime | None:
    """When the earliest pending delivery falls due (a lease's end counts): None when none is pending.

    One index lookup on (status, next_retry_at). A due loop sleeps until then or until woken.
    """
    value = database.execute_sql(_NEXT_DUE_SQL.format(p=database.obj.param), (DeliveryStatus.PENDING,)).fetchone()[0]
    if isinstance(value, str):  # SQLite hands back the stored text
        value = parse_db_datetime(value)
    return value
