"""Public identifiers: a prefix and 16 characters from ``secrets`` (``pay_…``), or UUIDs.

Two kinds, by what knowing an id gives:

- **Random** (:func:`new_id`): orders and payments, whose ids the public checkout accepts without
  credentials, so an id must not be guessable; refunds, endpoints, settlements alike.
- **Time-ordered** (:func:`new_ordered_id`, :func:`new_uuid7`): rows only their merchant's key can
  read (events, webhook deliveries, balance transactions, journals, audit rows), written several
  per payment. A random key lands on a random page of its index, so each batch commit rewrote one
  index page per row (with SQLite's WAL, 4 KiB each); a key that grows with time appends to the
  index's last pages. Like Stripe's ids, they sort roughly by creation; 7 random characters after
  the time keep them unique across processes.

A string that could not be one of ours is recognised without touching the database, so a
malformed id is a plain 404 and never reaches a query.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
import time
import uuid

_ALPHABET = string.ascii_letters + string.digits
PREFIXES = {"order": "order_", "payment": "pay_", "refund": "rfnd_", "event": "evt_", "webhook_endpoint": "we_", "audit_entry": "aud_", "balance_transaction": "txn_", "journal": "jrnl_", "settlement": "setl_", "reconciliation": "recon_"}
_SHAPES = {kind: re.compile(re.escape(p) + r"[A-Za-z0-9]{16}\Z") for kind, p in PREFIXES.items()}
_SHAPES["event"] = re.compile(r"evt_[A-Za-z0-9]{16,32}\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


_ACCEPT = 256 - 256 % len(_ALPHABET)  # bytes at or above this would bias the alphabet: skipped
# One C call maps each accepted byte to its character and drops the rest (rejection sampling).
_TO_ALPHABET = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) if b < _ACCEPT else 0 for b in range(256))
_REJECTED = bytes(range(_ACCEPT, 256))


def _random(n: int = 16) -> str:
    """``n`` characters of ``[A-Za-z0-9]`` from one ``secrets`` read (rejection sampling, no bias)."""
    out = b""
    while len(out) < n:
        out += secrets.token_bytes(n + n // 4 + 4).translate(_TO_ALPHABET, _REJECTED)
    return out[:n].decode("ascii")


def new_id(kind: str) -> str:
    return PREFIXES[kind] + _random()


# The time part's alphabet in ASCII order, so ids sort (as bytes) by their time part.
_ORDERED = string.digits + string.ascii_uppercase + string.ascii_lowercase
_TIME_CHARS = 9  # microseconds since 1970 in base 62: 62**9 µs is past the year 2398
_LOW = [a + b for a in _ORDERED for b in _ORDERED]  # the last two characters: 62**2 µs = 3.8 ms
_high = (-1, "")  # (us // 62**2, its 7 characters): made every 3.8 ms, not per id; one tuple, read once (threads)


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, digit = divmod(n, 62)
        out.append(_ORDERED[digit])
    return "".join(reversed(out))


def _time_part(us: int) -> str:
    global _high
    high, low = divmod(us, len(_LOW))
    cached = _high
    if cached[0] != high:
        cached = _high = (high, _base62(high, _TIME_CHARS - 2))
    return cached[1] + _LOW[low]


_clock_ns = time.time_ns  # the wall clock, in ns (a test sets its own)


def new_ordered_id(kind: str) -> str:
    """``kind``'s prefix, 9 characters of the time (µs) and 7 random ones: the shape of
    :func:`new_id`, sorting by creation (see the module docstring)."""
    return PREFIXES[kind] + _time_part(_clock_ns() // 1000) + _random(16 - _TIME_CHARS)


def new_uuid7() -> str:
    """An RFC 9562 version 7 UUID: 48 bits of Unix milliseconds, then 74 random bits."""
    value = (_clock_ns() // 1_000_000) << 80 | int.from_bytes(secrets.token_bytes(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # variant 10
    return str(uuid.UUID(int=value))


def new_order_id() -> str:
    return new_id("order")


def new_payment_id() -> str:
    return new_id("payment")


def new_refund_id() -> str:
    return new_id("refund")


def new_event_id() -> str:
    return new_ordered_id("event")


def new_webhook_endpoint_id() -> str:
    return new_id("webhook_endpoint")


def default_endpoint_id(merchant_id: str) -> str:
    """The id of a merchant's default endpoint (its ``webhook_url``): derived, so it needs no row."""
    digest = hashlib.sha256(f"default-endpoint:{merchant_id}".encode()).digest()
    return PREFIXES["webhook_endpoint"] + "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:16])


def new_uuid() -> str:
    return str(uuid.uuid4())


def looks_like(kind: str, value) -> bool:
    """True when ``value`` has the shape of a ``kind`` id ("order", "payment", "refund", "event", "uuid")."""
    if not isinstance(value, str):
        return False
    if kind == "uuid":
        return bool(_UUID.match(value))
    return bool(_SHAPES[kind].match(value))


def new_api_key() -> str:
    return "key_live_" + _random(24)


def new_api_secret() -> str:
    return "secret_live_" + _random(32)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes (the key it signs with)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
