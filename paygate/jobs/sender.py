"""Concurrent webhook sends, bounded per destination and per merchant, with short queues.

``DeliverySender`` posts leased deliveries (``paygate.deliveries.Claim``) on a thread pool with
``paygate.jobs.delivery.send`` (the process's kept-alive urllib3 pool, and the send deadline). It
never touches the database: the caller leases, submits, and records what :meth:`take_results`
hands back. It is the one place a worker sends webhooks from (the due loop and the queue's tasks
both submit here).

Claims queue in lanes, one per merchant and destination (scheme, host and port of the claim's
URL). One merchant's lanes together have at most ``per_merchant`` sends posting at once (half
the threads by default): a merchant whose endpoints are all slow or dead holds at most that share
of the worker, so it never delays another merchant's deliveries. A lane has at most
``per_destination`` (and at most half its merchant's share): one slow endpoint leaves room for
the merchant's others. A lane's senders drain it in order (their kept-alive connections
stay busy); a lane that may not start a sender now (its merchant is at its bound) waits for one of
that merchant's senders to finish. A lane holds at most ``per_destination * QUEUE_FACTOR`` claims
and a merchant's lanes together ``per_merchant * QUEUE_FACTOR``; :meth:`submit` refuses the
rest: the caller gives their leases back (``deliveries.release_leases``).

A claim that waited in a queue longer than ``MAX_QUEUE_WAIT_S`` is not sent: its lease (which
counts on that wait, then the send deadline) might lapse mid-send and another worker send it too.
It is handed back by :meth:`take_unsent` so the caller makes it due again at once. A delivery id
already queued or posting is never started twice (a duplicate is dropped: the send in flight
records the row's next state).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ..clock import utcnow
from ..deliveries import SENDER_QUEUE_WAIT_S, AttemptResult, Claim
from .delivery import send

log = logging.getLogger("paygate.webhooks")

DEFAULT_THREADS = 32
DEFAULT_PER_DESTINATION = 8
MERCHANT_SHARE = 2  # one merchant may hold at most 1/MERCHANT_SHARE of the threads
QUEUE_FACTOR = 8  # queued claims per lane (and per merchant), per allowed concurrent send
MAX_QUEUE_WAIT_S = SENDER_QUEUE_WAIT_S  # the lease (deliveries.lease_seconds) allows for this wait
_DEFAULT_PORTS = {"http": 80, "https": 443}


def destination(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``: the unit the bounds apply to."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a malformed URL (bad port): its own destination; the send records the error
        return "", url, None


class _Lane:
    """One merchant's claims to one destination."""

    __slots__ = ("key", "merchant", "queue", "senders")

    def __init__(self, key, merchant):
        self.key = key
        self.merchant = merchant
        self.queue: deque[tuple[float, Claim]] = deque()  # (monotonic time queued, claim)
        self.senders = 0  # pool tasks draining this lane


class DeliverySender:
    def __init__(self, settings, on_result=None, *, threads: int | None = None, per_destination: int | None = None, per_merchant: int | None = None):
        self.settings = settings
        self.on_result = on_result  # called as on_result(claim, result) from the sending thread
        self.threads = threads or getattr(settings, "delivery_threads", None) or DEFAULT_THREADS
        self.per_merchant = per_merchant or max(1, self.threads // MERCHANT_SHARE)
        per_destination = per_destination or getattr(settings, "delivery_per_destination", None) or DEFAULT_PER_DESTINATION
        self.per_destination = min(per_destination, max(1, self.per_merchant // 2))
        self.queue_limit = self.per_destination * QUEUE_FACTOR
        self.merchant_queue_limit = self.per_merchant * QUEUE_FACTOR
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="paygate-send")
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()  # delivery ids queued or posting
        self._lanes: dict[tuple, _Lane] = {}
        self._sending = Counter()  # merchant → senders draining its lanes
        self._queued = Counter()  # merchant → claims waiting in its lanes
        self._waiting: dict[tuple, _Lane] = {}  # lanes with claims and no sender, their merchant at its bound
        self._results: list[tuple[Claim, AttemptResult]] = []
        self._unsent: list[Claim] = []
        self._closed = False

    def submit(self, claims) -> list[Claim]:
        """Queue what the bounds allow; return the claims refused for that."""
        refused: list[Claim] = []
        now = time.monotonic()
        with self._lock:
            if self._closed:
                raise RuntimeError("the sender is closed")
            for claim in claims:
                if claim.delivery_id in self._in_flight:
                    log.debug("delivery %s is already being sent; not starting it twice", claim.delivery_id)
                    continue
                key = (claim.merchant_id, destination(claim.url))
                lane = self._lanes.get(key)
                if self._queued[claim.merchant_id] >= self.merchant_queue_limit or lane is not None and len(lane.queue) >= self.queue_limit:
                    refused.append(claim)
                    continue
                if lane is None:
                    lane = self._lanes[key] = _Lane(key, claim.merchant_id)
                self._in_flight.add(claim.delivery_id)
                lane.queue.append((now, claim))
                self._queued[lane.merchant] += 1
                self._start(lane)
        return refused

    def _start(self, lane: _Lane) -> None:
        """Start one more sender on ``lane`` if its bounds allow; else, when it has none, it waits
        for one of its merchant's senders (hold the lock)."""
        if lane.senders >= self.per_destination:
            return
        if self._sending[lane.merchant] >= self.per_merchant:
            if not lane.senders:
                self._waiting[lane.key] = lane
            return
        lane.senders += 1
        self._sending[lane.merchant] += 1
        self._pool.submit(self._drain, lane)

    def _rotate(self, lane: _Lane) -> _Lane:
        """Between two sends, a sender moves to its merchant's longest-waiting lane, if one waits:
        the merchant's lanes take turns with the senders its bound allows (hold the lock)."""
        waiting = next((w for w in self._waiting.values() if w.merchant == lane.merchant), None)
        if waiting is None:
            return lane
        del self._waiting[waiting.key]
        self._leave(lane)
        if lane.queue and not lane.senders:
            self._waiting[lane.key] = lane
        waiting.senders += 1
        return waiting

    def _leave(self, lane: _Lane) -> None:
        lane.senders -= 1
        if not lane.senders and not lane.queue and self._lanes.get(lane.key) is lane:
            del self._lanes[lane.key]

    def _next(self, lane: _Lane) -> tuple[_Lane, Claim | None]:
        """The next claim still worth sending, and its lane; None (and this sender retires) when
        there is none."""
        with self._lock:
            lane = self._rotate(lane)
            while lane.queue:
                queued_at, claim = lane.queue.popleft()
                self._queued[lane.merchant] -= 1
                if time.monotonic() - queued_at <= MAX_QUEUE_WAIT_S:
                    return lane, claim
                self._in_flight.discard(claim.delivery_id)
                self._unsent.append(claim)
            self._leave(lane)
            self._sending[lane.merchant] -= 1
            if not self._sending[lane.merchant]:
                del self._sending[lane.merchant], self._queued[lane.merchant]
            return lane, None

    def _drain(self, lane: _Lane) -> None:
        while True:
            lane, claim = self._next(lane)
            if claim is None:
                return
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
            for lane in self._lanes.values():
                while lane.queue:
                    claim = lane.queue.popleft()[1]
                    self._queued[lane.merchant] -= 1
                    self._in_flight.discard(claim.delivery_id)
                    self._unsent.append(claim)
            self._waiting.clear()
        self._pool.shutdown(wait=wait)
