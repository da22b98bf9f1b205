"""A merchant's API keys: create (the secret is shown once), list, revoke, rotate with overlap.

A key's id is its ``X-Api-Key`` value; only SHA-256 digests of secrets are stored. Rotation keeps
the key and gives it a new secret; the previous secret keeps working for ``expire_previous_in``
seconds (the webhook secret rotation's manners), so a fleet can switch without downtime.

Refuses: granting a scope the calling key does not hold (a ``keys:write`` key cannot mint a
full-access key), rotating a revoked or expired key, revoking the merchant's last active key that
can manage keys (a lock-out only an operator could undo), and another merchant's key (404).
"""

from __future__ import annotations

from . import ids, paging
from .clock import after, iso, parse_iso, utcnow
from .endpoints import previous_secret_ttl
from .errors import InvalidRequest, NotFound
from .merchants import auth_cache, hash_secret
from .models import ApiKey
from .scopes import FULL_ACCESS, validate_scopes
from .text import parse_text

MAX_NAME = 100


def status(row: ApiKey, now=None) -> str:
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def as_dict(row: ApiKey) -> dict:
    """A key as its merchant sees it: never a secret, not even a hash."""
    return {
        "id": row.id,
        "object": "api_key",
        "name": row.name,
        "scopes": row.scopes.split(),
        "status": status(row),
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at),
        "revoked_at": iso(row.revoked_at),
        "last_used_at": iso(row.last_used_at),
        "previous_secret_expires_at": iso(row.previous_secret_expires_at),
    }


def _expires_at(body: dict):
    raw = body.get("expires_at")
    if raw is None:
        return None
    try:
        when = parse_iso(raw) if isinstance(raw, str) else None
    except (ValueError, OverflowError):
        when = None
    if when is None or when <= utcnow():
        raise InvalidRequest("expires_at must be an ISO-8601 time in the future, or null", field="expires_at")
    return when


def create_key(merchant_id: str, body, granted=(FULL_ACCESS,)) -> dict:
    """A new key; returns it with its secret (never retrievable again). ``granted``: the caller's scopes."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    name = parse_text(body.get("name"), "name", MAX_NAME)
    if not name or not name.strip():
        raise InvalidRequest(f"name is required (at most {MAX_NAME} characters)", field="name")
    scopes = validate_scopes(body.get("scopes"))
    if FULL_ACCESS not in granted:
        beyond = [s for s in scopes if s not in granted]
        if beyond:
            raise InvalidRequest(f"this key cannot grant the {beyond[0]} scope, which it does not hold itself", field="scopes")
    expires_at = _expires_at(body)
    secret = ids.new_api_secret()
    now = utcnow()
    row = ApiKey.create(
        id=ids.new_api_key(),
        merchant=merchant_id,
        name=name.strip(),
        scopes=" ".join(scopes),
        secret_hash=hash_secret(secret),
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    return {**as_dict(row), "secret": secret}


def _own_key(key_id, merchant_id: str) -> ApiKey:
    if not isinstance(key_id, str) or len(key_id) > 64:
        raise NotFound("API key not found")
    row = ApiKey.get_or_none((ApiKey.id == key_id) & (ApiKey.merchant == merchant_id))
    if row is None:
        raise NotFound("API key not found")
    return row


def list_keys(merchant_id: str, params) -> dict:
    query = ApiKey.select().where(ApiKey.merchant == merchant_id)
    return paging.cursor_page(query, ApiKey, paging.parse_cursor(params), as_dict)


def revoke_key(key_id, merchant_id: str) -> dict:
    """Revoke now (idempotent): every process refuses the key within a second."""
    row = _own_key(key_id, merchant_id)
    if row.revoked_at is None and _manages_keys(row) and not _other_key_manager(row):
        raise InvalidRequest("This is the merchant's last active key that can manage keys: create another one first")
    if row.revoked_at is None:
        row.revoked_at = row.updated_at = utcnow()
        row.save()
    auth_cache.forget(row.id)
    return as_dict(row)


def _manages_keys(row: ApiKey) -> bool:
    return bool({FULL_ACCESS, "keys:write"} & set(row.scopes.split()))


def _other_key_manager(row: ApiKey) -> bool:
    """Another active key of the merchant that can still create keys (so revoking is no lock-out)."""
    now = utcnow()
    others = ApiKey.select().where(
        (ApiKey.merchant == row.merchant_id) & (ApiKey.id != row.id) & ApiKey.revoked_at.is_null() & (ApiKey.expires_at.is_null() | (ApiKey.expires_at > now))
    )
    return any(_manages_keys(k) for k in others)


def rotate_key(key_id, merchant_id: str, body) -> dict:
    """A new secret now; the previous one keeps working for ``expire_previous_in`` seconds."""
    body = body or {}
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    row = _own_key(key_id, merchant_id)
    if status(row) != "active":
        raise InvalidRequest(f"a {status(row)} key cannot be rotated; create a new key")
    ttl = previous_secret_ttl(body)  # the same overlap rule as a webhook secret's rotation
    secret = ids.new_api_secret()
    now = utcnow()
    row.previous_secret_hash = row.secret_hash if ttl else None
    row.previous_secret_expires_at = after(ttl, now) if ttl else None
    row.secret_hash = hash_secret(secret)
    row.updated_at = now
    row.save()
    auth_cache.forget(row.id)
    return {**as_dict(row), "secret": secret}
