"""LISTEN for new work on PostgreSQL and ring the due loop's alarm (``paygate.wakeup``).

A dedicated autocommit connection per worker process. The API's group commit sends
``NOTIFY paygate_due, '<earliest due, Unix ms>'`` inside each transaction that created due work;
PostgreSQL delivers it at commit. A lost connection is reopened with a back-off; meanwhile the
due loop still wakes at the due times it reads from the rows, so a missed notification delays
nothing by more than the loop's idle wake.
"""

from __future__ import annotations

import logging
import select
import threading

import psycopg2

from .. import wakeup

log = logging.getLogger("paygate.listen")


class DueListener(threading.Thread):
    def __init__(self, database_url: str, alarm: wakeup.Alarm | None = None):
        super().__init__(name="paygate-due-listener", daemon=True)
        self.database_url = database_url
        self.alarm = alarm or wakeup.alarm
        self.stopped = threading.Event()
        self.notifications = 0

    def _connect(self):
        dsn = "postgresql://" + self.database_url.split("://", 1)[1]
        conn = psycopg2.connect(dsn, connect_timeout=5)
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with conn.cursor() as cur:
            cur.execute(f"LISTEN {wakeup.CHANNEL}")
        return conn

    def _listen(self, conn) -> None:
        while not self.stopped.is_set():
            if select.select([conn], [], [], 1.0) == ([], [], []):
                continue
            conn.poll()
            while conn.notifies:
                note = conn.notifies.pop(0)
                self.notifications += 1
                self.alarm.ring(wakeup.due_from_payload(note.payload))

    def run(self) -> None:
        backoff = 0.2
        while not self.stopped.is_set():
            conn = None
            try:
                conn = self._connect()
                self.alarm.ring_in(0)  # (re)connected: whatever was announced meanwhile is read from the rows
                backoff = 0.2
                self._listen(conn)
            except Exception as exc:
                log.info("LISTEN connection lost (%s); reconnecting in %.1f s", type(exc).__name__, backoff)
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        pass

    def stop(self) -> None:
        self.stopped.set()
