"""Merchants: creation (the secret is shown once, stored hashed), authentication, settings.

Authentication is on every request's hot path: a small time-bounded cache maps an API key to
its merchant snapshot, and secrets are compared in constant time as SHA-256 digests (API secrets
are long random strings; a slow KDF buys nothing and costs every request).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from . import ids
from .addresses import is_private_host
from .clock import utcnow
from .errors import AuthenticationFailed, InvalidRequest, NotFound
from .models import Merchant

TEST_MERCHANT = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "name": "Test Merchant",
    "email": "test@example.com",
    "api_key": "key_test_abc123",
    "api_secret": "secret_test_xyz789",
    "webhook_secret": "whsec_test_abc123",
}
CACHE_TTL_S = 5.0


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


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _snapshot(m: Merchant) -> MerchantSnapshot:
    return MerchantSnapshot(m.id, m.name, m.email, m.api_key, m.api_secret_hash, m.webhook_url, bool(m.is_active))


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


def authenticate(api_key, api_secret) -> MerchantSnapshot:
    """Return the merchant for these credentials or raise AuthenticationFailed. Runs a query only on a cache miss."""
    if not isinstance(api_key, str) or not isinstance(api_secret, str) or not api_key or not api_secret:
        raise AuthenticationFailed()
    if len(api_key) > 64 or len(api_secret) > 256 or not (api_key.isascii() and api_key.isprintable()):
        raise AuthenticationFailed()  # keys are printable ASCII: odd bytes never reach a query
    snap = auth_cache.get(api_key)
    if snap is None:
        row = Merchant.get_or_none(Merchant.api_key == api_key)
        if row is None:
            hmac.compare_digest(hash_secret(api_secret), hash_secret(""))  # same work either way
            raise AuthenticationFailed()
        snap = _snapshot(row)
        auth_cache.put(snap)
    if not hmac.compare_digest(hash_secret(api_secret), snap.api_secret_hash) or not snap.is_active:
        raise AuthenticationFailed()
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
    return m, secret


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
