"""Merchants: creation (the secret is shown once, stored hashed), authentication, settings.

Authentication is on every request's hot path: a small time-bounded cache maps an API key to
its merchant snapshot, and secrets are compared in constant time as SHA-256 digests (API secrets
are long random strings; a slow KDF buys nothing and costs every request). A cache entry lives
one second, so a key revoked on any process is refused by every process within a second; expiry
is checked against the clock on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from peewee import DatabaseError

from . import ids
from .addresses import is_private_host
from .clock import utcnow
from .db import database
from .errors import ApiKeyExpired, ApiKeyRevoked, AuthenticationFailed, InvalidRequest, NotFound
from .models import ApiKey, Merchant
from .scopes import FULL_ACCESS

TEST_MERCHANT = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "name": "Test Merchant",
    "email": "test@example.com",
    "api_key": "key_test_abc123",
    "api_secret": "secret_test_xyz789",
    "webhook_secret": "whsec_test_abc123",
}
CACHE_TTL_S = 1.0
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key


@dataclass(frozen=True)
class MerchantSnapshot:
    """The authenticated merchant as a request sees it (immutable, safe to cache)."""

    id: str
    name: str
    email: str
    api_key: str
    api_secret_hash: str
    webhook_url: str | None
    is_active: bool
    # The API key this request authenticated with (the merchant's first key has full access).
    key_name: str = "default"
    scopes: tuple = (FULL_ACCESS,)
    previous_secret_hash: str | None = None
    previous_secret_expires_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _snapshot(k: ApiKey) -> MerchantSnapshot:
    m = k.merchant
    return MerchantSnapshot(
        m.id, m.name, m.email, k.id, k.secret_hash, m.webhook_url, bool(m.is_active),
        k.name, tuple(k.scopes.split()), k.previous_secret_hash, k.previous_secret_expires_at, k.expires_at, k.revoked_at,
    )


def _load_key(api_key: str) -> MerchantSnapshot | None:
    row = ApiKey.select(ApiKey, Merchant).join(Merchant).where(ApiKey.id == api_key).first()
    if row is None:
        return None
    now = utcnow()
    if row.revoked_at is None and (row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY):
        _touch(api_key, now)
    return _snapshot(row)


def _touch(api_key: str, now: datetime) -> None:
    """Record use, coalesced: one conditional UPDATE a minute per key across every process."""
    try:
        ApiKey.update(last_used_at=now).where(
            (ApiKey.id == api_key) & (ApiKey.last_used_at.is_null() | (ApiKey.last_used_at < now - LAST_USED_EVERY))
        ).execute()
    except DatabaseError:  # a busy database: the next minute tries again; authentication goes on
        if not database.in_transaction():
            return
        raise


class _AuthCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, MerchantSnapshot]] = {}

    def get(self, api_key: str) -> MerchantSnapshot | None:
        entry = self._entries.get(api_key)
        if entry and entry[0] > time.monotonic():
            return entry[1]
        return None

    def put(self, snap: MerchantSnapshot):
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[snap.api_key] = (time.monotonic() + CACHE_TTL_S, snap)

    def forget(self, api_key: str):
        with self._lock:
            self._entries.pop(api_key, None)


auth_cache = _AuthCache()


def authenticate(api_key, api_secret, *, fresh: bool = False) -> MerchantSnapshot:
    """Return the merchant for these credentials or raise AuthenticationFailed. Runs a query only on
    a cache miss, or with ``fresh`` (a secret the cached snapshot refused may be one rotated in on
    another process within the last second)."""
    if not isinstance(api_key, str) or not isinstance(api_secret, str) or not api_key or not api_secret:
        raise AuthenticationFailed()
    if len(api_key) > 64 or len(api_secret) > 256 or not (api_key.isascii() and api_key.isprintable()):
        raise AuthenticationFailed()  # keys are printable ASCII: odd bytes never reach a query
    snap = None if fresh else auth_cache.get(api_key)
    if snap is None:
        snap = _load_key(api_key)
        if snap is None:
            hmac.compare_digest(hash_secret(api_secret), hash_secret(""))  # same work either way
            raise AuthenticationFailed()
        auth_cache.put(snap)
    given = hash_secret(api_secret)
    now = utcnow()
    if not hmac.compare_digest(given, snap.api_secret_hash):
        previous = snap.previous_secret_hash
        if previous is None or not hmac.compare_digest(given, previous):
            raise AuthenticationFailed()
        if snap.previous_secret_expires_at is None or snap.previous_secret_expires_at <= now:
            raise ApiKeyExpired("This API secret was rotated and its overlap has ended; use the new secret")
    if not snap.is_active:
        raise AuthenticationFailed()
    if snap.revoked_at is not None:
        raise ApiKeyRevoked()
    if snap.expires_at is not None and snap.expires_at <= now:
        raise ApiKeyExpired()
    return snap


def create_merchant(name: str, email: str, *, webhook_url: str | None = None) -> tuple[Merchant, str]:
    """Create a merchant; returns the row and the API secret, which is never retrievable again."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidRequest("name is required (at most 200 characters)", field="name")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise InvalidRequest("a valid email is required", field="email")
    if Merchant.get_or_none(Merchant.email == email.strip().lower()):
        raise InvalidRequest("a merchant with this email already exists", field="email")
    secret = ids.new_api_secret()
    m = Merchant.create(
        id=ids.new_uuid(),
        name=name.strip(),
        email=email.strip().lower(),
        api_key=ids.new_api_key(),
        api_secret_hash=hash_secret(secret),
        webhook_url=webhook_url,
        webhook_secret=ids.new_webhook_secret(),
    )
    _first_key(m.id, m.api_key, m.api_secret_hash).execute()
    return m, secret


def _first_key(merchant_id: str, api_key: str, secret_hash: str):
    """The merchant's first key, full access: the one ``Merchant.api_key`` names."""
    now = utcnow()
    row = dict(id=api_key, merchant=merchant_id, name="default", scopes=FULL_ACCESS, secret_hash=secret_hash, created_at=now, updated_at=now)
    return ApiKey.insert(**row).on_conflict_ignore()


def ensure_test_merchant() -> bool:
    """Create the seeded test merchant if absent (idempotent, race-safe). True when created now."""
    t = TEST_MERCHANT
    inserted = (
        Merchant.insert(
            id=t["id"],
            name=t["name"],
            email=t["email"],
            api_key=t["api_key"],
            api_secret_hash=hash_secret(t["api_secret"]),
            webhook_secret=t["webhook_secret"],
        )
        .on_conflict_ignore()
        .execute()
    )
    _first_key(t["id"], t["api_key"], hash_secret(t["api_secret"])).execute()  # a revoked seed key stays revoked
    return bool(inserted)


def get_merchant(merchant_id: str) -> Merchant:
    m = Merchant.get_or_none(Merchant.id == merchant_id)
    if m is None:
        raise NotFound("Merchant not found")
    return m


MAX_URL_CHARS = 2048
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# http(s)://[user[:password]@]host[:port][/path?query#fragment], with a host name (any script)
# or an IPv4 address (no IPv6 literals); no spaces or control characters anywhere. The OpenAPI
# document states this same pattern.
WEBHOOK_URL = re.compile(
    r"[hH][tT][tT][pP][sS]?://([^\x00-\x20\x7f/?#@\[\]\\]+@)?"
    r"([^\x00-\x20\x7f/?#@\[\]:\\]+)(:" + _PORT + r")?([/?#][^\x00-\x20\x7f]*)?\Z"
)


def validate_webhook_url(url, *, allow_private: bool) -> str | None:
    """An http(s) URL or None. Private, loopback and link-local hosts only when allowed."""
    if url is None:
        return None
    if not isinstance(url, str) or len(url) > MAX_URL_CHARS or not WEBHOOK_URL.match(url):
        raise InvalidRequest("webhook_url must be an http or https URL, or null", field="webhook_url")
    try:
        host = urlsplit(url).hostname
    except ValueError:  # e.g. a host that Unicode normalisation turns into a separator
        host = None
    if not host:
        raise InvalidRequest("webhook_url must be an http or https URL, or null", field="webhook_url")
    if not allow_private and is_private_host(host):
        raise InvalidRequest("webhook_url must not point to a private, loopback or link-local address", field="webhook_url")
    return url


def set_webhook_url(merchant_id: str, url, *, allow_private: bool) -> Merchant:
    url = validate_webhook_url(url, allow_private=allow_private)
    m = get_merchant(merchant_id)
    if url is None and m.webhook_url is not None:  # its pending deliveries have nowhere to go: they end
        from .deliveries import end_default_endpoint_deliveries

        end_default_endpoint_deliveries(merchant_id)
    m.webhook_url = url
    m.updated_at = utcnow()
    m.save()
    auth_cache.forget(m.api_key)
    return m


def rotate_webhook_secret(merchant_id: str, expire_previous_in: int = 86400) -> Merchant:
    """A new secret now; the old one keeps signing beside it for ``expire_previous_in`` seconds
    (0: at once), so a receiver still holding it verifies the sends of the overlap."""
    m = get_merchant(merchant_id)
    now = utcnow()
    m.previous_webhook_secret = m.webhook_secret if expire_previous_in else None
    m.previous_webhook_secret_expires_at = now + timedelta(seconds=expire_previous_in) if expire_previous_in else None
    m.webhook_secret = ids.new_webhook_secret()
    m.updated_at = now
    m.save()
    return m
