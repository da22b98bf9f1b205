"""Concurrent webhook sends, bounded per destination.

``DeliverySender`` posts leased deliveries (``paygate.deliveries.Claim``) on a thread pool with
``paygate.jobs.delivery.send`` (the process's kept-alive urllib3 pool). It never touches the
database: the caller leases, submits, and records what :meth:`take_results` hands back.

A destination (scheme, host and port of the claim's URL) has at most ``per_destination`` sends in
flight (queued or posting), so a slow or dead merchant endpoint holds at most that many threads
and never holds up other merchants' deliveries. :meth:`submit` refuses the claims whose
destination is at its bound: the caller gives their leases back (``deliveries.release_leases``).
A delivery id already in flight is never started twice (a duplicate is dropped, not refused: the
send in flight records the row's next state).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ..clock import utcnow
from ..deliveries import AttemptResult, Claim
from .delivery import send

log = logging.getLogger("paygate.webhooks")

DEFAULT_THREADS = 32
DEFAULT_PER_DESTINATION = 8
_DEFAULT_PORTS = {"http": 80, "https": 443}


def destination(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``: the unit the in-flight bound applies to."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a malformed URL (bad port): its own destination; the send records the error
        return "", url, None


class DeliverySender:
    def __init__(self, settings, on_result=None, *, threads: int | None = None, per_destination: int | None = None):
        self.settings = settings
        self.on_result = on_result  # called as on_result(claim, result) from the sending thread
        self.threads = threads or getattr(settings, "delivery_threads", None) or DEFAULT_THREADS
        self.per_destination = per_destination or getattr(settings, "delivery_per_destination", None) or DEFAULT_PER_DESTINATION
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="paygate-send")
        self._lock = threading.Lock()
        self._in_flight: dict[str, tuple] = {}  # delivery id → its destination
        self._per_destination: dict[tuple, int] = {}
        self._results: list[tuple[Claim, AttemptResult]] = []
        self._closed = False

    def submit(self, claims) -> list[Claim]:
        """Start sending what the per-destination bounds allow; return the claims refused for that.

        Sends beyond the thread count wait in the pool's queue (they count as in flight).
        """
        refused: list[Claim] = []
        started: list[Claim] = []
        with self._lock:
            if self._closed:
                raise RuntimeError("the sender is closed")
            for claim in claims:
                if claim.delivery_id in self._in_flight:
                    log.debug("delivery %s is already being sent; not starting it twice", claim.delivery_id)
                    continue
                dest = destination(claim.url)
                if self._per_destination.get(dest, 0) >= self.per_destination:
                    refused.append(claim)
                    continue
                self._in_flight[claim.delivery_id] = dest
                self._per_destination[dest] = self._per_destination.get(dest, 0) + 1
                started.append(claim)
        for claim in started:
            self._pool.submit(self._send, claim)
        return refused

    def _send(self, claim: Claim) -> None:
        started = time.perf_counter()
        try:
            result = send(claim, self.settings)
        except Exception as exc:  # send() never raises by contract; if it does, it is still an attempt
            log.exception("webhook send of %s raised", claim.delivery_id)
            result = AttemptResult(None, None, f"{type(exc).__name__}: send failed", int((time.perf_counter() - started) * 1000), utcnow())
        with self._lock:
            self._results.append((claim, result))
            dest = self._in_flight.pop(claim.delivery_id)
            left = self._per_destination[dest] - 1
            if left:
                self._per_destination[dest] = left
            else:
                del self._per_destination[dest]
        if result.error:
            log.info("webhook %s attempt %d to %s failed: %s", claim.delivery_id, claim.number, urlsplit(claim.url).hostname, result.error)
        if self.on_result is not None:
            try:
                self.on_result(claim, result)
            except Exception:
                log.exception("on_result callback failed")

    def take_results(self) -> list[tuple[Claim, AttemptResult]]:
        """The sends finished since the last call (each handed out once), oldest first."""
        with self._lock:
            results, self._results = self._results, []
        return results

    def in_flight(self) -> int:
        """Sends started and not yet finished (queued ones included)."""
        with self._lock:
            return len(self._in_flight)

    def close(self, wait: bool = True) -> None:
        """Stop taking claims; with ``wait``, return once every started send has finished."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait)
