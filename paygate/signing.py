"""Webhook signatures, alone: what paygate signs with and what a receiver verifies.

The body is the event's stored ``body``, byte for byte. ``X-Webhook-Signature`` is the hex
HMAC-SHA256 of it keyed with the merchant's secret string (what the seed README's Node snippet
verifies). When the secret is a Standard Webhooks secret (``whsec_`` + base64), the
``webhook-id``/``webhook-timestamp``/``webhook-signature`` headers are added as well.

:func:`verify` is the receiver's side (``paygate.webhooks.verify``): either header family, any of
several signatures (a rotation's overlap), constant-time comparisons, a timestamp tolerance.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping

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
    ``hex_header`` is the seed family's ``X-Webhook-Signature`` (the merchant's default endpoint);
    during an overlap ``X-Webhook-Signature-Previous`` carries the previous secret's.
    """
    headers = {"X-Webhook-Id": event_id, "X-Webhook-Timestamp": str(timestamp)}
    if hex_header:
        headers["X-Webhook-Signature"] = hex_signature(secret, body)
        if previous:  # one value per header: the rotated-out secret's goes beside it
            headers["X-Webhook-Signature-Previous"] = hex_signature(previous[0], body)
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


DEFAULT_TOLERANCE_S = 300
PREVIOUS_HEX_HEADER = "x-webhook-signature-previous"


class WebhookVerificationError(ValueError):
    """The request did not come from paygate with this secret (or came too late): answer 400."""


def verify(payload: bytes | str, headers: Mapping[str, str], secret: str | Iterable[str], *, tolerance: int = DEFAULT_TOLERANCE_S, now: int | None = None) -> dict:
    """Check a webhook request and return its event (the parsed body); raise WebhookVerificationError.

    Like stripe-python's ``Webhook.construct_event``. ``payload`` is the raw body, exactly as
    received (never re-serialized JSON). ``secret`` may be several (yours during a rotation).
    Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) are
    checked when present and the secret is a ``whsec_`` key: the timestamp is signed, so a request
    older or newer than ``tolerance`` seconds is refused. Otherwise the seed family's
    ``X-Webhook-Signature`` (hex HMAC of the body; ``X-Webhook-Signature-Previous`` during a
    rotation) is checked; it does not sign a time, so deduplicate on the event id.
    """
    body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    lower = {k.lower(): v for k, v in headers.items()}
    keys = [k for k in (standard_key(s) for s in secrets) if k is not None]
    if keys and "webhook-signature" in lower:
        _verify_standard(body, lower, keys, tolerance, int(time.time()) if now is None else now)
    elif "x-webhook-signature" in lower:
        offered = [lower["x-webhook-signature"], lower.get(PREVIOUS_HEX_HEADER, "")]
        if not any(_same(hex_signature(s, body), sig) for s in secrets for sig in offered if sig):
            raise WebhookVerificationError("No signature matches: wrong secret, or the body was changed")
    else:
        raise WebhookVerificationError("No paygate signature header (webhook-signature or X-Webhook-Signature)")
    try:
        return json.loads(body)
    except ValueError:
        raise WebhookVerificationError("The body is not JSON") from None


def _verify_standard(body: bytes, headers: dict, keys: list[bytes], tolerance: int, now: int) -> None:
    event_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not event_id or not stamp.isdigit():
        raise WebhookVerificationError("Missing webhook-id or webhook-timestamp")
    if abs(now - int(stamp)) > tolerance:
        raise WebhookVerificationError(f"Timestamp outside the tolerance of {tolerance} s (a replay, or a clock off)")
    offered = [part[3:] for part in headers["webhook-signature"].split() if part.startswith("v1,")]
    expected = [standard_signature(k, event_id, int(stamp), body)[3:] for k in keys]
    if not any(_same(e, o) for e in expected for o in offered):
        raise WebhookVerificationError("No signature matches: wrong secret, or the body was changed")


def _same(expected: str, offered: str) -> bool:
    """Constant-time, and never a TypeError on a header that is not ASCII."""
    return hmac.compare_digest(expected.encode(), offered.encode("utf-8", "replace"))
