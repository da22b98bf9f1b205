"""Waking the due loop when work is committed, instead of polling faster.

Work runs when it falls due. The due loop sleeps until the earliest due time it knows of, and is
rung earlier when new work is committed: in one process (the embedded default) by the
:data:`alarm` the group committer rings after its commit; across processes (PostgreSQL) by a
``NOTIFY`` sent inside the committing transaction — PostgreSQL delivers it only at commit, to
every worker that LISTENs on :data:`CHANNEL` (``paygate.jobs.listener``). The payload is the
earliest due time of the batch, in Unix milliseconds.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from .clock import utcnow
from .db import database, is_postgres

CHANNEL = "paygate_due"


class Alarm:
    """A wake-up time shared between threads: :meth:`ring` brings it forward, :meth:`sleep` waits for it."""

    def __init__(self):
        self._cond = threading.Condition()
        self._wake_at: float | None = None  # time.monotonic() deadline

    def ring(self, due: datetime | None = None) -> None:
        """Wake the sleeper at ``due`` (naive UTC; None or past: now)."""
        delay = 0.0 if due is None else max(0.0, (due - utcnow()).total_seconds())
        self.ring_in(delay)

    def ring_in(self, delay_s: float) -> None:
        at = time.monotonic() + delay_s
        with self._cond:
            if self._wake_at is None or at < self._wake_at:
                self._wake_at = at
                self._cond.notify_all()

    def sleep(self, until: datetime | None, max_s: float) -> None:
        """Sleep until ``until`` (naive UTC), the alarm's time, or ``max_s`` — whichever is first."""
        limit = time.monotonic() + max_s
        if until is not None:
            limit = min(limit, time.monotonic() + max(0.0, (until - utcnow()).total_seconds()))
        with self._cond:
            while True:
                deadline = limit if self._wake_at is None else min(limit, self._wake_at)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._wake_at is not None and self._wake_at <= time.monotonic():
                self._wake_at = None


alarm = Alarm()


def announce(due: datetime) -> None:
    """Inside a transaction: tell other processes' due loops (PostgreSQL NOTIFY, sent at commit)."""
    if is_postgres():
        millis = int((due - datetime(1970, 1, 1)).total_seconds() * 1000)
        database.execute_sql("SELECT pg_notify(%s, %s)", (CHANNEL, str(millis)))


def due_from_payload(payload: str) -> datetime | None:
    try:
        return datetime(1970, 1, 1) + timedelta(milliseconds=int(payload))
    except (ValueError, OverflowError, OSError):
        return None
