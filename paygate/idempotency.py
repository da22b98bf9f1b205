"""Idempotency keys, Stripe-style: scoped to a merchant and an operation, kept 24 hours.

Two phases. :func:`claim` commits an ``in_progress`` row *before* the work starts, so a second
request with the same key sees it: a different body is IDEMPOTENCY_ERROR (422), the same body
while the first still runs is CONFLICT_ERROR (409), and after completion it gets the stored
response replayed. The work's own transaction calls :func:`complete`, so the response is stored
atomically with what it describes. A request that fails validation releases its key.
A claim left behind by a crashed process expires after ``LOCK_S`` and can be taken over.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from .clock import utcnow
from .db import database, for_update, insert_row, is_postgres, update_where
from .errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidRequest
from .models import IdempotencyKey

TTL = timedelta(hours=24)
LOCK_S = 30
PAYMENT_CREATE = "payment.create"
REFUND_CREATE = "refund.create"


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: str


def validate_key(key) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidRequest("Idempotency-Key must be 1 to 255 printable ASCII characters", field="Idempotency-Key")
    return key


def fingerprint(body) -> str:
    """A digest of the request that holds no card number or CVV (only network-free last four)."""
    safe = copy.deepcopy(body) if isinstance(body, dict) else body
    card = safe.get("card") if isinstance(safe, dict) else None
    if isinstance(card, dict):
        number = card.get("number")
        if isinstance(number, str):
            digits = "".join(ch for ch in number if ch.isdigit())
            card["number"] = f"{len(digits)}:{digits[-4:]}"
        card.pop("cvv", None)
    text = json.dumps(safe, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def claim(merchant_id: str, scope: str, key: str, request_hash: str) -> Replay | None:
    """Take the key for this request (None), or return the stored response to replay. Own transaction.

    On PostgreSQL this transaction commits without waiting for its WAL flush: the claim is only a
    marker, and the work's own (synchronous) commit later flushes the WAL up to and past it, so a
    crash can lose a claim only together with everything it guarded.
    """
    now = utcnow()
    if is_postgres():
        database.execute_sql("SET LOCAL synchronous_commit = off")
    inserted = insert_row(
        IdempotencyKey,
        dict(
            merchant=merchant_id,
            scope=scope,
            key=key,
            request_hash=request_hash,
            status="in_progress",
            locked_until=now + timedelta(seconds=LOCK_S),
            created_at=now,
            expires_at=now + TTL,
        ),
        ignore_conflict=True,
    )
    if inserted:
        return None
    row = for_update(
        IdempotencyKey.select().where(
            (IdempotencyKey.merchant == merchant_id) & (IdempotencyKey.scope == scope) & (IdempotencyKey.key == key)
        )
    ).get()
    if row.expires_at <= now:
        _retake(row, request_hash, now)
        return None
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if row.status == "completed":
        return Replay(row.response_code, row.response_body)
    if row.locked_until > now:
        raise IdempotencyKeyInProgress()
    _retake(row, request_hash, now)  # abandoned by a crashed request
    return None


def _retake(row, request_hash, now):
    row.request_hash = request_hash
    row.status = "in_progress"
    row.response_code = None
    row.response_body = None
    row.locked_until = now + timedelta(seconds=LOCK_S)
    row.created_at = now
    row.expires_at = now + TTL
    row.save()


def complete(merchant_id: str, scope: str, key: str, status_code: int, body: str) -> None:
    """Store the response; call inside the transaction that did the work."""
    update_where(
        IdempotencyKey,
        {"status": "completed", "response_code": status_code, "response_body": body},
        {"merchant": merchant_id, "scope": scope, "key": key},
    )


def release(merchant_id: str, scope: str, key: str) -> None:
    """Forget an in-progress claim whose request failed before doing anything."""
    IdempotencyKey.delete().where(
        (IdempotencyKey.merchant == merchant_id)
        & (IdempotencyKey.scope == scope)
        & (IdempotencyKey.key == key)
        & (IdempotencyKey.status == "in_progress")
    ).execute()


def purge_expired(limit: int = 1000) -> int:
    now = utcnow()
    ids = [r.id for r in IdempotencyKey.select(IdempotencyKey.id).where(IdempotencyKey.expires_at < now).limit(limit)]
    if not ids:
        return 0
    return IdempotencyKey.delete().where(IdempotencyKey.id.in_(ids)).execute()
