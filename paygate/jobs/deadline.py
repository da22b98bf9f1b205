"""The send deadline: a webhook send ends a fixed time after it starts, whatever the receiver does.

urllib3's timeouts bound each socket operation, not the whole call: a receiver that drips one byte
every 2 s never trips a 5 s read timeout, and held a send for as long as it liked (past its lease,
so another worker sent the same delivery again). Here one watchdog thread per process keeps the
sends in flight ordered by deadline; when one passes, it shuts that send's sockets down, so the
blocked connect, write or read returns at once and the send reports a timeout. A cut connection
is never reused.

A send opens a :class:`Watch` (:meth:`Watchdog.start`) in its own thread; the connections it uses
attach themselves to it (:func:`attach_current`, called by the connection classes of
``paygate.jobs.delivery``); :meth:`Watchdog.finish` closes it and says whether it was cut.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time

log = logging.getLogger("paygate.webhooks")

MIN_WAKE_S = 0.05  # the watchdog wakes at most this often: cuts land within this after the deadline


class DeadlineExceeded(TimeoutError):
    """The send's deadline passed before it could use a connection."""


class Watch:
    """One send: its deadline, the connections it uses, and whether the watchdog cut it."""

    __slots__ = ("deadline", "connections", "expired", "finished")

    def __init__(self, deadline: float):
        self.deadline = deadline  # time.monotonic()
        self.connections: list = []
        self.expired = False
        self.finished = False

    def remaining(self) -> float:
        """Seconds left (never below a millisecond: a zero timeout means "no timeout" to sockets)."""
        return max(0.001, self.deadline - time.monotonic())


def _cut(connection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:  # socket.socket's own shutdown: an SSLSocket's would drop its TLS state under the reader
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class Watchdog:
    def __init__(self):
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self.cut = 0  # sends cut at their deadline since the process started

    def start(self, seconds: float) -> Watch:
        """Watch a send that must end ``seconds`` from now; the calling thread's connections attach to it."""
        watch = Watch(time.monotonic() + seconds)
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="paygate-send-deadline", daemon=True)
                self._thread.start()
            earliest = not self._heap or watch.deadline < self._heap[0][0]
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if earliest:
                self._cond.notify()
        _local.watch = watch
        return watch

    def attach(self, watch: Watch, connection) -> None:
        with self._cond:
            if not watch.expired:
                watch.connections.append(connection)
                return
        _cut(connection)
        raise DeadlineExceeded("the send's deadline passed")

    def finish(self, watch: Watch) -> bool:
        """The send is over (its connections are no longer watched): True when it was cut."""
        _local.watch = None
        with self._cond:
            watch.finished = True
            watch.connections = []
            return watch.expired

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    watch = heapq.heappop(self._heap)[2]
                    if not watch.finished:
                        watch.expired = True
                        self.cut += 1
                        for connection in watch.connections:
                            _cut(connection)
                wait = max(MIN_WAKE_S, self._heap[0][0] - now) if self._heap else None
                self._cond.wait(wait)


_local = threading.local()
watchdog = Watchdog()


def attach_current(connection) -> None:
    """Put ``connection`` under the deadline of the send running in this thread (if any)."""
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watchdog.attach(watch, connection)
