"""Group commit: the creates of many concurrent requests share one transaction and one durable commit.

A request hands its unit of work to :class:`GroupCommitter` and waits on a future. Committer
threads take whatever has queued up (plus what arrives within a short window, bounded in time and
in count), run it as one transaction — each kind of work through its batch handler, with
multi-row statements — and commit once. Only then is any future resolved, so an answer still
means committed (fsync on PostgreSQL, ``synchronous=FULL`` on SQLite).

Each request keeps its own answer: a handler returns one result per request, where a domain error
(a missing order, an over-refund, a reused key) is that request's result and never its
neighbours'. Should the batch fail *before* its COMMIT (a deadlock, an unexpected error in one
request's work), nothing of it was committed, and it is run once more in one transaction with
each request in its own savepoint, so the culprit fails by itself and the others commit together.

Should it fail once COMMIT was sent (the connection lost at that moment), the outcome is unknown:
every request of the batch gets :class:`~paygate.errors.CommitInDoubt` (503, retry with the same
Idempotency-Key) and nothing is run again, since running it again could write it twice.

Refuses: work that is not a create (reads and other writes keep their own short transactions),
and any create beyond ``max_queue`` waiting ones (:class:`~paygate.errors.Overloaded`, 503 with
``Retry-After``): a flood is answered at once instead of growing the process's memory.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from . import db
from .errors import CommitInDoubt, Overloaded, PaygateError, ServiceUnavailable

log = logging.getLogger("paygate.commit")

# A batch handler: the payloads of one kind, in arrival order → one result (or PaygateError) each.
BatchHandler = Callable[[list], list]


@dataclass
class Submitted:
    kind: str
    payload: object
    future: Future = field(default_factory=Future)  # or an asyncio future of ``loop``
    loop: object = None


@dataclass
class BatchStats:
    batches: int = 0
    requests: int = 0
    largest: int = 0
    isolated_retries: int = 0  # batches run again, one savepoint per request, after failing before COMMIT
    in_doubt: int = 0  # batches whose COMMIT failed with its outcome unknown (answered 503)
    refused_full: int = 0  # creates refused because the queue held max_queue already


class GroupCommitter:
    """Committer threads over one queue. ``handlers`` maps a kind to its batch handler.

    ``announce(earliest_due)`` runs inside each transaction that created due work (PostgreSQL:
    NOTIFY, delivered at commit); ``after_commit(earliest_due)`` runs after the commit (the
    in-process wake-up of an embedded worker).
    """

    def __init__(
        self,
        handlers: dict[str, BatchHandler],
        *,
        window_s: float = 0.002,
        max_batch: int = 128,
        threads: int = 1,
        announce: Callable[[datetime], None] | None = None,
        after_commit: Callable[[datetime], None] | None = None,
        max_queue: int = 0,
    ):
        self.handlers = handlers
        self.max_queue = max_queue  # 0: unbounded
        self.window_s = window_s
        self.max_batch = max_batch
        self.announce = announce
        self.after_commit = after_commit
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"paygate-commit-{i}", daemon=True) for i in range(threads)]
        self._stopping = False

    def start(self) -> "GroupCommitter":
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then end the threads."""
        self._stopping = True
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)

    def submit(self, kind: str, payload) -> Future:
        """Queue a create from any thread; the future resolves after its batch commits."""
        return self._put(Submitted(kind, payload))

    def submit_async(self, kind: str, payload):
        """Queue a create from an event loop's thread; await the returned asyncio future. A whole
        batch is handed back to each loop with one ``call_soon_threadsafe``, not one per request."""
        import asyncio

        loop = asyncio.get_running_loop()
        return self._put(Submitted(kind, payload, loop.create_future(), loop))

    def _put(self, item: Submitted):
        if item.kind not in self.handlers:
            raise ValueError(f"no batch handler for {item.kind!r}")
        if self._stopping:
            _resolve([(item, ServiceUnavailable("The server is shutting down; retry shortly"))])
        elif self.max_queue and self._queue.qsize() >= self.max_queue:
            self.stats.refused_full += 1
            _resolve([(item, Overloaded())])
        else:
            self._queue.put(item)
        return item.future

    # --- the committer threads -----------------------------------------------------------

    def _gather(self, first: Submitted) -> tuple[list[Submitted], bool]:
        batch, stop = [first], False
        deadline = time.monotonic() + self.window_s
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                stop = True
                break
            batch.append(item)
        return batch, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._gather(first)
            try:
                self._commit(batch)
            except BaseException as exc:  # never leave a request waiting forever
                log.exception("group commit failed unexpectedly")
                _hand_back([(item, exc) for item in batch if not item.future.done()])
            if stop:
                return

    def _transaction(self, batch: list[Submitted], isolated: bool = False) -> list:
        results: list = [None] * len(batch)
        by_kind: dict[str, list[int]] = {}
        for i, item in enumerate(batch):
            by_kind.setdefault(item.kind, []).append(i)
        for kind, positions in by_kind.items():
            payloads = [batch[i].payload for i in positions]
            handler = self.handlers[kind]
            answers = db.each_in_savepoint(lambda p: handler([p])[0], payloads) if isolated else handler(payloads)
            for i, answer in zip(positions, answers):
                results[i] = answer
        earliest = _earliest_due(results)
        if earliest is not None and self.announce is not None:
            self.announce(earliest)
        return results

    def _commit(self, batch: list[Submitted]) -> None:
        try:
            try:
                results = db.unit_of_work(self._transaction, batch)
            except CommitInDoubt:
                raise
            except Exception as exc:  # before COMMIT: nothing of the batch was committed
                if len(batch) == 1 or (isinstance(exc, ServiceUnavailable) and not db.ping()):
                    raise
                log.warning("batch of %d failed before commit (%s); running it again, each request in a savepoint", len(batch), type(exc).__name__)
                self.stats.isolated_retries += 1
                results = db.unit_of_work(self._transaction, batch, True)
        except CommitInDoubt:
            self._in_doubt(batch)
            return
        except Exception as exc:
            if not isinstance(exc, PaygateError):
                log.error("unit of work failed: %s", type(exc).__name__, exc_info=exc)
            _hand_back([(item, exc) for item in batch])
            return
        self.stats.batches += 1
        self.stats.requests += len(batch)
        self.stats.largest = max(self.stats.largest, len(batch))
        earliest = _earliest_due(results)
        if earliest is not None and self.after_commit is not None:
            self.after_commit(earliest)
        _hand_back(list(zip(batch, results)))

    def _in_doubt(self, batch: list[Submitted]) -> None:
        """COMMIT was sent and failed: each request gets its own 503, and nothing runs again."""
        self.stats.in_doubt += 1
        log.error("commit of a batch of %d in doubt: answering 503 to each request, running nothing again", len(batch))
        _hand_back([(item, CommitInDoubt()) for item in batch])


def _hand_back(answers: list[tuple[Submitted, object]]) -> None:
    """Resolve futures: thread futures here, each event loop's in one call on its own thread."""
    by_loop: dict = {}
    for item, result in answers:
        by_loop.setdefault(item.loop, []).append((item, result))
    for loop, items in by_loop.items():
        if loop is None:
            _resolve(items)
        else:
            try:
                loop.call_soon_threadsafe(_resolve, items)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass


def _resolve(items) -> None:
    for item, result in items:
        answer(item.future, result)


def answer(future, result) -> None:
    """Resolve ``future`` with ``result``, raising it when it is an exception; a future already
    done (an asyncio future whose request was cancelled: the client went away) is left alone."""
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _earliest_due(results) -> datetime | None:
    earliest = None
    for result in results:
        for work in getattr(result, "work", None) or ():
            if earliest is None or work.due_at < earliest:
                earliest = work.due_at
    return earliest
