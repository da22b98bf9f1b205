"""Concurrent webhook sends, bounded per destination, with a short queue per destination.

``DeliverySender`` posts leased deliveries (``paygate.deliveries.Claim``) on a thread pool with
``paygate.jobs.delivery.send`` (the process's kept-alive urllib3 pool). It never touches the
database: the caller leases, submits, and records what :meth:`take_results` hands back.

A destination (scheme, host and port of the claim's URL) has at most ``per_destination`` sends
posting at once, so a slow or dead merchant endpoint holds at most that many threads and never
holds up other merchants' deliveries. Claims beyond that wait in the destination's queue, which
the destination's own senders drain in order (their kept-alive connections stay busy); the queue
holds at most ``per_destination * QUEUE_FACTOR`` claims, and :meth:`submit` refuses the rest: the
caller gives their leases back (``deliveries.release_leases``).

A claim that waited in a queue longer than ``MAX_QUEUE_WAIT_S`` is not sent: its lease might
lapse mid-send and another worker send it too. It is handed back by :meth:`take_unsent` so the
caller makes it due again at once. A delivery id already queued or posting is never started
twice (a duplicate is dropped: the send in flight records the row's next state).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ..clock import utcnow
from ..deliveries import AttemptResult, Claim
from ..work import CLAIM_GRACE_S
from .delivery import send

log = logging.getLogger("paygate.webhooks")

DEFAULT_THREADS = 32
DEFAULT_PER_DESTINATION = 8
QUEUE_FACTOR = 8  # queued claims per destination, per allowed concurrent send
MAX_QUEUE_WAIT_S = CLAIM_GRACE_S / 2  # the lease is the send timeout plus the grace: keep half of it
_DEFAULT_PORTS = {"http": 80, "https": 443}


def destination(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``: the unit the bounds apply to."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a malformed URL (bad port): its own destination; the send records the error
        return "", url, None


class _Destination:
    __slots__ = ("queue", "senders")

    def __init__(self):
        self.queue: deque[tuple[float, Claim]] = deque()  # (monotonic time queued, claim)
        self.senders = 0  # pool tasks draining this queue


class DeliverySender:
    def __init__(self, settings, on_result=None, *, threads: int | None = None, per_destination: int | None = None):
        self.settings = settings
        self.on_result = on_result  # called as on_result(claim, result) from the sending thread
        self.threads = threads or getattr(settings, "delivery_threads", None) or DEFAULT_THREADS
        self.per_destination = per_destination or getattr(settings, "delivery_per_destination", None) or DEFAULT_PER_DESTINATION
        self.queue_limit = self.per_destination * QUEUE_FACTOR
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="paygate-send")
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()  # delivery ids queued or posting
        self._destinations: dict[tuple, _Destination] = {}
        self._results: list[tuple[Claim, AttemptResult]] = []
        self._unsent: list[Claim] = []
        self._closed = False

    def submit(self, claims) -> list[Claim]:
        """Queue what the per-destination bounds allow; return the claims refused for that."""
        refused: list[Claim] = []
        now = time.monotonic()
        with self._lock:
            if self._closed:
                raise RuntimeError("the sender is closed")
            for claim in claims:
                if claim.delivery_id in self._in_flight:
                    log.debug("delivery %s is already being sent; not starting it twice", claim.delivery_id)
                    continue
                dest = destination(claim.url)
                state = self._destinations.get(dest)
                if state is None:
                    state = self._destinations[dest] = _Destination()
                if len(state.queue) >= self.queue_limit:
                    refused.append(claim)
                    continue
                self._in_flight.add(claim.delivery_id)
                state.queue.append((now, claim))
                if state.senders < self.per_destination:
                    state.senders += 1
                    self._pool.submit(self._drain, dest, state)
        return refused

    def _next(self, dest, state: _Destination) -> Claim | None:
        """The destination's next claim still worth sending; None (and this sender retires) when empty."""
        with self._lock:
            while state.queue:
                queued_at, claim = state.queue.popleft()
                if time.monotonic() - queued_at <= MAX_QUEUE_WAIT_S:
                    return claim
                self._in_flight.discard(claim.delivery_id)
                self._unsent.append(claim)
            state.senders -= 1
            if not state.senders:
                del self._destinations[dest]
            return None

    def _drain(self, dest, state: _Destination) -> None:
        while (claim := self._next(dest, state)) is not None:
            result = self._send(claim)
            with self._lock:
                self._results.append((claim, result))
                self._in_flight.discard(claim.delivery_id)
            if self.on_result is not None:
                try:
                    self.on_result(claim, result)
                except Exception:
                    log.exception("on_result callback failed")

    def _send(self, claim: Claim) -> AttemptResult:
        started = time.perf_counter()
        try:
            result = send(claim, self.settings)
        except Exception as exc:  # send() never raises by contract; if it does, it is still an attempt
            log.exception("webhook send of %s raised", claim.delivery_id)
            result = AttemptResult(None, None, f"{type(exc).__name__}: send failed", int((time.perf_counter() - started) * 1000), utcnow())
        if result.error:
            log.info("webhook %s attempt %d to %s failed: %s", claim.delivery_id, claim.number, urlsplit(claim.url).hostname, result.error)
        return result

    def take_results(self) -> list[tuple[Claim, AttemptResult]]:
        """The sends finished since the last call (each handed out once), oldest first."""
        with self._lock:
            results, self._results = self._results, []
        return results

    def take_unsent(self) -> list[Claim]:
        """Claims dropped unsent after waiting too long in a queue (each handed out once)."""
        with self._lock:
            unsent, self._unsent = self._unsent, []
        return unsent

    def in_flight(self) -> int:
        """Claims queued or posting."""
        with self._lock:
            return len(self._in_flight)

    def capacity(self) -> int:
        """How many more claims are worth leasing now (queued and posting ones count)."""
        return self.threads * 4 - self.in_flight()

    def close(self, wait: bool = True) -> None:
        """Stop taking claims and drop the queued ones (see :meth:`take_unsent`); with ``wait``,
        return once every send already posting has finished."""
        with self._lock:
            self._closed = True
            for state in self._destinations.values():
                while state.queue:
                    claim = state.queue.popleft()[1]
                    self._in_flight.discard(claim.delivery_id)
                    self._unsent.append(claim)
        self._pool.shutdown(wait=wait)
