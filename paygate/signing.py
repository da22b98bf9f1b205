"""Webhook signatures, alone: what paygate signs with and what a receiver verifies.

The body is the event's stored ``body``, byte for byte. ``X-Webhook-Signature`` is the hex
HMAC-SHA256 of it keyed with the merchant's secret string (what the seed README's Node snippet
verifies). When the secret is a Standard Webhooks secret (``whsec_`` + base64), the
``webhook-id``/``webhook-timestamp``/``webhook-signature`` headers are added as well.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

STANDARD_PREFIX = "whsec_"


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


def signature_headers(secret: str, event_id: str, body: bytes, timestamp: int, *, previous: tuple[str, ...] = (), hex_header: bool = True) -> dict[str, str]:
    """Every signature header for one send. ``timestamp`` is the send time (fresh on each retry).

    ``previous`` are secrets still inside their rotation overlap: ``webhook-signature`` then
    carries one ``v1,…`` entry per secret, space-separated, so a receiver holding either verifies.
    ``hex_header`` is the seed family's ``X-Webhook-Signature`` (the merchant's default endpoint).
    """
    headers = {"X-Webhook-Id": event_id, "X-Webhook-Timestamp": str(timestamp)}
    if hex_header:
        headers["X-Webhook-Signature"] = hex_signature(secret, body)
    keys = [k for k in (standard_key(s) for s in (secret, *previous)) if k is not None]
    if keys:
        headers["webhook-id"] = event_id
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = " ".join(standard_signature(k, event_id, timestamp, body) for k in keys)
    return headers


def verify_hex(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(hex_signature(secret, body), signature or "")


def mask_secret(secret: str | None) -> str | None:
    """What a merchant listing may show: the prefix and the last four characters."""
    if not secret:
        return None
    prefix = STANDARD_PREFIX if secret.startswith(STANDARD_PREFIX) else ""
    return f"{prefix}…{secret[-4:]}"
