"""Webhooks: signing, the retry schedule, and the delivery log's units of work.

The HTTP POST itself lives in the jobs adapter (``paygate.jobs.delivery``): this module never
imports a transport. A delivery is driven by its row: ``claim_delivery`` takes a short lease
(it moves ``next_retry_at`` to the lease's end, so a duplicate queue item finds nothing due and
a killed worker's delivery becomes due again when the lease lapses), the adapter posts outside
any transaction, and ``record_attempt`` appends the attempt and schedules the next one.

Signing: the body is the event's stored ``body``, byte for byte. ``X-Webhook-Signature`` is the
hex HMAC-SHA256 of it keyed with the merchant's secret string (what the seed README's Node
snippet verifies). When the secret is a Standard Webhooks secret (``whsec_`` + base64), the
``webhook-id``/``webhook-timestamp``/``webhook-signature`` headers are added as well.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from . import events, ids, serialize
from .clock import after, utcnow
from .db import database, for_update, is_postgres
from .errors import InvalidRequest, NotFound
from .models import Event, Merchant, WebhookAttempt, WebhookDelivery
from .paging import parse_choice, parse_page, _int_param
from .payments import Outcome
from .states import DeliveryStatus, guard
from .work import CLAIM_GRACE_S, DELIVER_WEBHOOK, DueWork

# Delay before attempt n+1, indexed by attempts made so far: attempt 1 now, then +1 min, +5 min, +30 min, +2 h.
RETRY_DELAYS_S = (0, 60, 300, 1800, 7200)
TEST_RETRY_DELAYS_S = (0, 5, 10, 15, 20)  # WEBHOOK_RETRY_INTERVALS_TEST=true
MAX_ATTEMPTS = len(RETRY_DELAYS_S)
EXCERPT_BYTES = 1024
# A queue item may fire a little before its due time (clocks of different hosts); accept that.
DUE_TOLERANCE_S = 1.0
STANDARD_PREFIX = "whsec_"
TEST_EVENT_MESSAGE = "This is a test webhook from paygate"


def retry_delays(settings) -> tuple[int, ...]:
    return TEST_RETRY_DELAYS_S if settings.webhook_retry_intervals_test else RETRY_DELAYS_S


# --- signing -------------------------------------------------------------------------------


def hex_signature(secret: str, body: bytes) -> str:
    """The seed family's ``X-Webhook-Signature``: HMAC-SHA256(secret string, body) as hex."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_key(secret: str) -> bytes | None:
    """The Standard Webhooks signing key, or None when ``secret`` is not of that form."""
    if not secret.startswith(STANDARD_PREFIX):
        return None
    try:
        key = base64.b64decode(secret[len(STANDARD_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) >= 16 else None


def standard_signature(key: bytes, event_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_headers(secret: str, event_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Every signature header for one send. ``timestamp`` is the send time (fresh on each retry)."""
    headers = {
        "X-Webhook-Signature": hex_signature(secret, body),
        "X-Webhook-Id": event_id,
        "X-Webhook-Timestamp": str(timestamp),
    }
    key = standard_key(secret)
    if key is not None:
        headers["webhook-id"] = event_id
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = standard_signature(key, event_id, timestamp, body)
    return headers


def verify_hex(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(hex_signature(secret, body), signature or "")


def mask_secret(secret: str | None) -> str | None:
    """What a merchant listing may show: the prefix and the last four characters."""
    if not secret:
        return None
    prefix = STANDARD_PREFIX if secret.startswith(STANDARD_PREFIX) else ""
    return f"{prefix}…{secret[-4:]}"


# --- delivery: claim, attempt, retry --------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A leased delivery: everything the adapter needs to send it, without touching the database."""

    delivery_id: str
    event_id: str
    url: str
    body: bytes
    secret: str
    number: int  # the attempt being made, 1-based


@dataclass(frozen=True)
class AttemptResult:
    response_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: int
    attempted_at: object  # naive UTC datetime

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


def lease_seconds(settings) -> float:
    """How long a claimed delivery is left alone: the request timeout plus a margin."""
    return float(settings.webhook_timeout_s) + CLAIM_GRACE_S


# The hot path (thousands of deliveries a second) runs two short transactions per attempt, as
# plain parameterised SQL: each statement is a single-row conditional UPDATE or INSERT, atomic on
# both backends without a separate SELECT … FOR UPDATE, and cheap to build.
_CLAIM_SQL = (
    "UPDATE webhook_delivery SET next_retry_at = {p}, claimed_until = {p} "
    "WHERE id = {p} AND status = 'pending' AND attempts < {p} AND (next_retry_at IS NULL OR next_retry_at <= {p}) "
    "RETURNING attempts, url, event_id"
)
_CLAIM_BODY_SQL = "SELECT e.body, m.webhook_secret, m.webhook_url FROM event e JOIN merchant m ON m.id = e.merchant_id WHERE e.id = {p}"
_ATTEMPT_SQL = (
    "INSERT INTO webhook_attempt (delivery_id, number, attempted_at, response_code, response_excerpt, error, duration_ms) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
_RECORD_SQL = (
    "UPDATE webhook_delivery SET url = {p}, status = {p}, attempts = {p}, last_attempt_at = {p}, response_code = {p}, "
    "next_retry_at = {p}, claimed_until = {p}, updated_at = {p} WHERE id = {p} AND status = 'pending' AND attempts = {p}"
)


# On PostgreSQL each step is one statement (a data-modifying CTE), atomic without BEGIN/COMMIT.
_CLAIM_PG_SQL = (
    "WITH c AS (" + _CLAIM_SQL + ") "
    "SELECT c.attempts, c.url, c.event_id, e.body, m.webhook_secret, m.webhook_url "
    "FROM c JOIN event e ON e.id = c.event_id JOIN merchant m ON m.id = e.merchant_id"
)
_RECORD_PG_SQL = "WITH attempt AS (" + _ATTEMPT_SQL + ") " + _RECORD_SQL


def record_needs_transaction() -> bool:
    """SQLite records an attempt in two statements (wrap them in a unit of work); PostgreSQL in one."""
    return not is_postgres()


def _sql(template: str) -> str:
    return template.format(p=database.obj.param)


def _ts(value):
    """A datetime as the column stores it (peewee's own conversion, so comparisons stay exact)."""
    return WebhookDelivery.next_retry_at.db_value(value)


def claim_delivery(delivery_id: str, lease_s: float) -> Claim | None:
    """Lease a pending, due delivery for one attempt; None when it is not ours to send now.

    Sends go to the merchant's current webhook URL (the row's URL when it was since removed),
    signed with the current secret: a fixed URL or a rotated secret applies to pending retries.

    Idempotent against duplicates: the lease moves ``next_retry_at`` past now, so a second queue
    item for the same row finds it not due and does nothing.
    """
    now = utcnow()
    lease_end = _ts(after(lease_s, now))
    params = (lease_end, lease_end, delivery_id, MAX_ATTEMPTS, _ts(after(DUE_TOLERANCE_S, now)))
    if is_postgres():
        row = database.execute_sql(_sql(_CLAIM_PG_SQL), params).fetchone()
        if row is None:
            return None
        attempts, url, event_id, body, secret, current_url = row
    else:
        row = database.execute_sql(_sql(_CLAIM_SQL), params).fetchone()
        if row is None:
            return None
        attempts, url, event_id = row
        body, secret, current_url = database.execute_sql(_sql(_CLAIM_BODY_SQL), (event_id,)).fetchone()
    # A merchant who fixes a broken URL expects the pending retries to go to the new one.
    return Claim(delivery_id=delivery_id, event_id=event_id, url=current_url or url, body=body.encode("utf-8"), secret=secret, number=attempts + 1)


def record_attempt(claim: Claim, result: AttemptResult, delays: tuple[int, ...] = RETRY_DELAYS_S) -> Outcome:
    """Append the attempt and move the delivery: success, a retry at its due time, or failed.

    The move applies only if the row is still at this attempt: if a manual retry reset it
    meanwhile, the attempt is logged and the row is left as the newer action set it.
    """
    now = utcnow()
    attempt = (claim.delivery_id, claim.number, _ts(result.attempted_at), result.response_code, result.response_excerpt, result.error, result.duration_ms)
    work: list[DueWork] = []
    next_retry_at = claimed_until = None
    if result.succeeded:
        status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.SUCCESS)
    elif claim.number >= MAX_ATTEMPTS:
        status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.FAILED)
    else:
        status = guard("delivery", DeliveryStatus.PENDING, DeliveryStatus.PENDING)
        next_retry_at = after(delays[min(claim.number, len(delays) - 1)], now)
        claimed_until = after(CLAIM_GRACE_S, next_retry_at)
    move = (
        claim.url,
        status,
        claim.number,
        _ts(result.attempted_at),
        result.response_code,
        _ts(next_retry_at),
        _ts(claimed_until),
        _ts(now),
        claim.delivery_id,
        claim.number - 1,
    )
    if is_postgres():
        cursor = database.execute_sql(_sql(_RECORD_PG_SQL), attempt + move)
    else:
        database.execute_sql(_sql(_ATTEMPT_SQL), attempt)
        cursor = database.execute_sql(_sql(_RECORD_SQL), move)
    if cursor.rowcount != 1:
        return Outcome({"id": claim.delivery_id, "moved_on": True})
    if next_retry_at is not None:
        work.append(DueWork(DELIVER_WEBHOOK, claim.delivery_id, next_retry_at))
    data = {"id": claim.delivery_id, "status": status, "attempts": claim.number, "response_code": result.response_code}
    return Outcome(data, work)


def _own_delivery(delivery_id, merchant_id: str, lock: bool = False) -> WebhookDelivery:
    if not ids.looks_like("uuid", delivery_id):
        raise NotFound("Webhook log not found")
    query = WebhookDelivery.select().where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.merchant == merchant_id))
    row = (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound("Webhook log not found")
    return row


def retry_delivery(delivery_id: str, merchant_id: str) -> Outcome:
    """A manual retry: attempts back to 0, pending, due now (at the merchant's current URL, if set)."""
    row = _own_delivery(delivery_id, merchant_id, lock=True)
    now = utcnow()
    current_url = Merchant.select(Merchant.webhook_url).where(Merchant.id == merchant_id).scalar()
    row.status = guard("delivery", row.status, DeliveryStatus.PENDING)
    row.attempts = 0
    row.url = current_url or row.url
    row.next_retry_at = now
    row.claimed_until = after(CLAIM_GRACE_S, now)
    row.updated_at = now
    row.save()
    data = {"id": row.id, "status": row.status, "message": "Webhook retry scheduled"}
    return Outcome(data, [DueWork(DELIVER_WEBHOOK, row.id, now)])


# --- the log and the event stream, as the API shows them ------------------------------------


def list_deliveries(merchant_id: str, params: dict) -> dict:
    page = parse_page(params.get("limit"), params.get("offset"))
    status = parse_choice("status", params.get("status"), DeliveryStatus.ALL)
    event_type = parse_choice("event", params.get("event"), events.EVENT_TYPES)
    where = WebhookDelivery.merchant == merchant_id
    if status:
        where &= WebhookDelivery.status == status
    if event_type:
        where &= WebhookDelivery.event_type == event_type
    event_id = params.get("event_id")
    if event_id:
        where &= WebhookDelivery.event == event_id
    query = WebhookDelivery.select().where(where)
    total = query.count()
    rows = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(page.limit).offset(page.offset)
    return serialize.page([serialize.delivery(r) for r in rows], total, page.limit, page.offset)


def get_delivery(delivery_id, merchant_id: str) -> dict:
    row = _own_delivery(delivery_id, merchant_id)
    attempts = WebhookAttempt.select().where(WebhookAttempt.delivery == row.id).order_by(WebhookAttempt.id)
    body = Event.select(Event.body).where(Event.id == row.event_id).scalar()
    return {**serialize.delivery(row), "attempt_log": [serialize.attempt(a) for a in attempts], "payload": json.loads(body) if body else None}


def _check_integers_only(value, path="data"):
    if isinstance(value, float):
        raise InvalidRequest(f"{path} must not contain fractional numbers (amounts are integers)", field=path)
    if isinstance(value, dict):
        for k, v in value.items():
            _check_integers_only(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_integers_only(v, f"{path}[{i}]")


def send_test_event(merchant_id: str, body: dict | None) -> Outcome:
    """Record a ``webhook.test`` event (with the caller's ``data``, if any) and its delivery."""
    body = body or {}
    data = body.get("data", {"message": TEST_EVENT_MESSAGE})
    if not isinstance(data, dict):
        raise InvalidRequest("data must be a JSON object", field="data")
    _check_integers_only(data)
    url = Merchant.select(Merchant.webhook_url).where(Merchant.id == merchant_id).scalar()
    if not url:
        raise InvalidRequest("No webhook URL is configured; set one with PUT /api/v1/merchants/me", field="webhook_url")
    event, work = events.record_event(merchant_id, url, events.WEBHOOK_TEST, None, data)
    delivery = WebhookDelivery.get(WebhookDelivery.event == event.id)
    return Outcome({**serialize.delivery(delivery), "event_id": event.id}, work)


def list_events(merchant_id: str, params: dict) -> dict:
    """Events, newest first; with ``after`` (an event id), the ones after it, oldest first.

    ``after`` is the cursor a follower (``paygate listen``, the console) keeps: pass the last id
    seen and get what happened since, in order.
    """
    limit = _int_param("limit", params.get("limit"), 10, 1, 100)
    event_type = parse_choice("type", params.get("type"), events.EVENT_TYPES)
    where = Event.merchant == merchant_id
    if event_type:
        where &= Event.type == event_type
    after_id = params.get("after")
    if after_id:
        if not ids.looks_like("event", after_id):
            raise InvalidRequest("after must be an event id", field="after")
        seq = Event.select(Event.seq).where((Event.id == after_id) & (Event.merchant == merchant_id)).scalar()
        if seq is None:
            raise NotFound("Event not found")
        rows = list(Event.select().where(where & (Event.seq > seq)).order_by(Event.seq).limit(limit + 1))
    else:
        rows = list(Event.select().where(where).order_by(Event.seq.desc()).limit(limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [serialize.event(e) for e in rows], "has_more": has_more, "limit": limit}


def webhook_secret(merchant_id: str) -> dict:
    secret = Merchant.select(Merchant.webhook_secret).where(Merchant.id == merchant_id).scalar()
    if secret is None:
        raise NotFound("Merchant not found")
    return {"webhook_secret": secret}
