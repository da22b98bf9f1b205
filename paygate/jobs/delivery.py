"""Webhook delivery: the one place paygate makes an outbound HTTP request to a merchant.

It speaks HTTP through urllib3 (the connection pool underneath ``requests``) directly: one
thread-safe keep-alive pool per process, and none of the per-request session machinery, which
was most of a delivery's CPU time.

``deliver(delivery_id)`` is idempotent: one conditional UPDATE leases the row (nothing happens
when it is not pending or not due), the POST runs outside any transaction, a second atomic
write records the attempt, and the next retry is returned for the task layer to enqueue after
that commit (this module imports nothing else of ``paygate.jobs``).

Refuses: redirects (a 3xx is a failed attempt), bodies other than the event's stored bytes, and
— unless ``private_webhooks_allowed`` — destinations that resolve to private, loopback,
link-local or otherwise non-public addresses (checked at send time, not only when the URL is set).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError, TimeoutError as Urllib3Timeout

from .. import config, db, deliveries, signing
from ..addresses import is_public_address
from ..clock import unix, utcnow

log = logging.getLogger("paygate.webhooks")

USER_AGENT = "paygate-webhooks/1.0"
SMALL_BODY_BYTES = 64 * 1024  # read whole (keeps the connection alive); larger: first 1 KB, then drop
_DNS_TTL_S = 30.0
_pool_lock = threading.Lock()
_pool: urllib3.PoolManager | None = None
_dns_cache: dict[str, tuple[float, bool]] = {}


class DestinationRefused(Exception):
    """The webhook URL resolves to an address paygate is configured not to call."""


def _http() -> urllib3.PoolManager:
    """The process's keep-alive pool (thread-safe): no connection set-up per delivery."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = urllib3.PoolManager(num_pools=256, maxsize=32, block=False, retries=False)
    return _pool


_is_public = is_public_address  # the same rule as when the URL was set (paygate/addresses.py)


def check_destination(url: str, allow_private: bool) -> None:
    """Raise DestinationRefused when ``url``'s host resolves to a non-public address."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    cached = _dns_cache.get(host)
    now = time.monotonic()
    if cached and cached[0] > now:
        public = cached[1]
    else:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            raise DestinationRefused(f"cannot resolve {host}") from None
        public = bool(infos) and all(_is_public(info[4][0]) for info in infos)
        if len(_dns_cache) > 10_000:
            _dns_cache.clear()
        _dns_cache[host] = (now + _DNS_TTL_S, public)
    if not public:
        raise DestinationRefused("destination refused: the URL resolves to a private, loopback or link-local address")


def _excerpt(response) -> str:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) <= SMALL_BODY_BYTES:
        raw = response.read()[: deliveries.EXCERPT_BYTES]  # read whole: the connection goes back to the pool
    else:
        raw = response.read(deliveries.EXCERPT_BYTES)
        response.close()  # unknown or large: drop the connection rather than read it all
    return raw.decode("utf-8", errors="replace")


def send(claim: deliveries.Claim, settings) -> deliveries.AttemptResult:
    """POST the event's bytes, signed; never raises — every outcome becomes an attempt record."""
    attempted_at = utcnow()
    started = time.perf_counter()
    code = excerpt = error = None
    try:
        check_destination(claim.url, settings.private_webhooks_allowed)
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        headers.update(signing.signature_headers(claim.secret, claim.event_id, claim.body, unix(attempted_at)))
        timeout = urllib3.Timeout(connect=settings.webhook_timeout_s, read=settings.webhook_timeout_s)
        response = _http().request(
            "POST", claim.url, body=claim.body, headers=headers, timeout=timeout, redirect=False, retries=False, preload_content=False
        )
        try:
            code = response.status
            excerpt = _excerpt(response)
        finally:
            response.release_conn()
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except DestinationRefused as exc:
        error = str(exc)
    except Urllib3Timeout:
        error = f"timed out after {settings.webhook_timeout_s:g} s"
    except (HTTPError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: could not connect or send"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return deliveries.AttemptResult(code, excerpt, error, duration_ms, attempted_at)


def deliver(delivery_id: str) -> list:
    """Send one due delivery; return its follow-up work (the next retry, if any)."""
    settings = config.current()
    # The claim is one conditional UPDATE (atomic by itself) and a read: it needs no enclosing
    # transaction, so it runs in autocommit and saves the BEGIN/COMMIT round trips.
    claim = db.write(deliveries.claim_delivery, delivery_id, deliveries.lease_seconds(settings))
    if claim is None:
        return []
    result = send(claim, settings)
    record = db.unit_of_work if deliveries.record_needs_transaction() else db.write  # one statement on PostgreSQL
    outcome = record(deliveries.record_attempt, claim, result, deliveries.retry_delays(settings))
    if result.error:
        log.info("webhook %s attempt %d to %s failed: %s", claim.delivery_id, claim.number, urlsplit(claim.url).hostname, result.error)
    return outcome.work
