"""Idempotency keys, Stripe-style: scoped to a merchant and an operation, kept 24 hours.

One protocol: a key and the work it guards commit together, in the work's own transaction (a
group-committed batch, see ``paygate.group_commit``). The key's row is inserted (or found) first;
the work runs; the response is stored on the row; all commit at once. So a stored key always has
its response and its work beside it, and a key whose work failed or rolled back is simply absent.
A concurrent request with the same key, in another transaction, waits on the unique index until
that commit, then replays the stored response byte for byte; another body under the same key is
IDEMPOTENCY_ERROR (422). A 503 whose commit is in doubt is safe to retry: the key either committed
with its work (the retry replays it) or did not (the retry runs it, once).

Scopes: each operation has its own (``payment.create``, ``refund.create``…);
keys sent on the unauthenticated public payment endpoint live in a scope of their own
(``payment.create.public``), so an anonymous caller can never probe or replay a merchant's keys.

The request's fingerprint is an HMAC-SHA256 of the whole body (card number included, CVV left out)
under the deployment's fingerprint key (a random secret made once, in ``deployment_secret``): two
cards that share their last four digits differ, and no card number can be read back, or guessed
from a fingerprint, without that key. Rows left ``in_progress`` (by versions that claimed a key
in a transaction of its own) are CONFLICT_ERROR (409) until their lock lapses, then taken over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable

from .clock import utcnow
from .db import database, each_in_savepoint, for_update, insert_row, insert_rows, unit_of_work, update_where
from .errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidRequest, PaygateError
from .models import DeploymentSecret, IdempotencyKey
from .serialize import dumps_compact

TTL = timedelta(hours=24)
LOCK_S = 30
PAYMENT_CREATE = "payment.create"
PUBLIC_PAYMENT_CREATE = "payment.create.public"  # keys sent without credentials: never a merchant's
REFUND_CREATE = "refund.create"
FINGERPRINT_KEY_NAME = "idempotency.fingerprint"

_fingerprint_key: bytes | None = None


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: str


@dataclass(frozen=True)
class KeyedRequest:
    """A create that carries an ``Idempotency-Key`` (scoped to the merchant and the operation)."""

    merchant_id: str
    scope: str
    key: str
    request_hash: str

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.merchant_id, self.scope, self.key)


@dataclass
class Answer:
    """What one create answers: a new resource (201) or the replay of a stored response."""

    status: int
    body: str
    replayed: bool = False
    data: dict | None = None
    work: list = field(default_factory=list)

    @classmethod
    def replay(cls, stored: Replay) -> "Answer":
        return cls(stored.status_code, stored.body, replayed=True)


def validate_key(key) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidRequest("Idempotency-Key must be 1 to 255 printable ASCII characters", field="Idempotency-Key")
    return key


def load_fingerprint_key() -> None:
    """Read the deployment's fingerprint key (made by the first process to start). Call at start-up,
    after migrating: every process of a deployment must fingerprint alike."""
    global _fingerprint_key

    def load() -> str:
        insert_row(DeploymentSecret, {"name": FINGERPRINT_KEY_NAME, "value": secrets.token_hex(32)}, ignore_conflict=True)
        return DeploymentSecret.get_by_id(FINGERPRINT_KEY_NAME).value

    _fingerprint_key = bytes.fromhex(unit_of_work(load))


def fingerprint(body) -> str:
    """HMAC-SHA256 of the whole request under the deployment's key; the CVV is left out (a retry
    with the same card is the same request). Nothing of the card can be recovered from it."""
    if _fingerprint_key is None:
        raise RuntimeError("the fingerprint key is not loaded: bootstrap.start() loads it")
    safe = body
    card = body.get("card") if isinstance(body, dict) else None
    if isinstance(card, dict) and "cvv" in card:
        safe = {**body, "card": {k: v for k, v in card.items() if k != "cvv"}}
    text = json.dumps(safe, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hmac.new(_fingerprint_key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def claim(merchant_id: str, scope: str, key: str, request_hash: str) -> Replay | None:
    """Take the key for this request (None), or return the stored response to replay. Call inside
    the transaction of the work the key guards, which then calls :func:`complete`."""
    now = utcnow()
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
    return _existing(merchant_id, scope, key, request_hash, now)


def _existing(merchant_id: str, scope: str, key: str, request_hash: str, now) -> Replay | None:
    """The key is taken: replay it, refuse the request, or (expired, abandoned) take it over."""
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


def purge_expired(limit: int = 1000) -> int:
    now = utcnow()
    ids = [r.id for r in IdempotencyKey.select(IdempotencyKey.id).where(IdempotencyKey.expires_at < now).limit(limit)]
    if not ids:
        return 0
    return IdempotencyKey.delete().where(IdempotencyKey.id.in_(ids)).execute()


# --- keys inside a group-committed batch ---------------------------------------------------


@dataclass
class Unit:
    """A create for the generic batch handler: ``create()`` returns an Outcome (``data``, ``work``)."""

    create: Callable
    keyed: KeyedRequest | None = None


def run_units(units: list[Unit]) -> list:
    """Batch handler: each create in its own savepoint, so a failure of any kind (a domain error or
    an unexpected one) undoes and answers that request only; the others commit together."""
    return each_in_savepoint(_run_unit, units)


def _run_unit(unit: Unit) -> Answer:
    keyed = unit.keyed
    if keyed is not None:
        stored = claim(keyed.merchant_id, keyed.scope, keyed.key, keyed.request_hash)
        if stored is not None:
            return Answer.replay(stored)
    outcome = unit.create()
    body = dumps_compact(outcome.data)
    if keyed is not None:
        complete(keyed.merchant_id, keyed.scope, keyed.key, 201, body)
    return Answer(201, body, data=outcome.data, work=list(outcome.work))


@dataclass(frozen=True)
class _StoredKey:
    request_hash: str
    status: str
    response_code: int | None
    response_body: str | None
    locked_until: datetime
    expires_at: datetime


_as_datetime = IdempotencyKey.expires_at.python_value  # SQLite answers text; PostgreSQL, datetimes


@lru_cache(maxsize=256)
def _stored_sql(merchants: int, scopes: int, keys: int, param: str) -> str:
    """The batch's key lookup, built once per shape (not by the query builder on every batch)."""
    def marks(n: int) -> str:
        return "(" + ", ".join([param] * n) + ")"

    return (
        'SELECT "merchant_id", "scope", "key", "request_hash", "status", "response_code", "response_body", "locked_until", "expires_at" '
        f'FROM "idempotency_key" WHERE "merchant_id" IN {marks(merchants)} AND "scope" IN {marks(scopes)} AND "key" IN {marks(keys)}'
    )


def stored_responses(keyed: list[KeyedRequest], now: datetime) -> dict[tuple, Replay | PaygateError]:
    """What the keys already stored say, in one SELECT: a Replay, or the error the request gets
    (another body: 422; still running: 409). Keys not stored (or expired) are absent."""
    if not keyed:
        return {}
    merchants, scopes, keys = list({k.merchant_id for k in keyed}), list({k.scope for k in keyed}), list({k.key for k in keyed})
    sql = _stored_sql(len(merchants), len(scopes), len(keys), database.param)  # (merchant, scope, key) leads the unique index
    rows = {}
    for merchant, scope, key, request_hash, status, code, body, locked_until, expires_at in database.execute_sql(sql, merchants + scopes + keys).fetchall():
        rows[(merchant, scope, key)] = _StoredKey(request_hash, status, code, body, _as_datetime(locked_until), _as_datetime(expires_at))
    out: dict[tuple, Replay | PaygateError] = {}
    for k in keyed:
        row = rows.get(k.identity)
        if row is None or row.expires_at <= now:
            continue
        if row.request_hash != k.request_hash:
            out[k.identity] = IdempotencyKeyReused()
        elif row.status == "completed":
            out[k.identity] = Replay(row.response_code, row.response_body)
        elif row.locked_until > now:
            out[k.identity] = IdempotencyKeyInProgress()
    return out


def store_completed(answers: list[tuple[KeyedRequest, Answer]], now: datetime) -> dict[tuple, Replay | PaygateError | None]:
    """Store many keys with their responses in one INSERT; for each key already taken, what the
    request gets instead: a Replay, a PaygateError, or None when the old key was taken over."""
    if not answers:
        return {}
    rows = [
        dict(
            merchant=k.merchant_id,
            scope=k.scope,
            key=k.key,
            request_hash=k.request_hash,
            status="completed",
            response_code=a.status,
            response_body=a.body,
            locked_until=now,
            created_at=now,
            expires_at=now + TTL,
        )
        for k, a in answers
    ]
    cursor = insert_rows(IdempotencyKey, rows, on_conflict_nothing=True, returning=("merchant", "scope", "key"))
    inserted = {tuple(r) for r in cursor.fetchall()} if cursor is not None else set()
    taken: dict[tuple, Replay | PaygateError | None] = {}
    for k, a in answers:
        if k.identity in inserted:
            continue
        try:
            taken[k.identity] = _existing(k.merchant_id, k.scope, k.key, k.request_hash, now)
        except PaygateError as exc:
            taken[k.identity] = exc
        if taken[k.identity] is None:  # taken over: store this response on it
            complete(k.merchant_id, k.scope, k.key, a.status, a.body)
    return taken
