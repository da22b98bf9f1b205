"""Running consumers: threads inside ``paygate serve`` (embedded) or ``paygate worker`` processes.

Each runs the due loop (settlement and delivery in batches, when due; ``due_loop.py``), woken
on PostgreSQL by the listener; the huey consumer for work sent between processes (a manual
webhook retry, a test event); and the maintenance loop: a heartbeat (so ``worker_status`` is
measured), the sweeper (a second line behind the due loop: orphaned queue items re-enqueued),
and expiry of old idempotency keys. It sweeps once at start, then every ``sweep_interval_s``.
"""

from __future__ import annotations

import logging
import threading

from huey.consumer import Consumer

from .. import db, heartbeat, idempotency, sweeper
from .dispatch import dispatch
from .due_loop import DueLoop
from .listener import DueListener
from . import tasks  # noqa: F401  (registers the tasks with huey)
from .queue import huey

log = logging.getLogger("paygate.worker")


class EmbeddedConsumer(Consumer):
    """A consumer that can start off the main thread (no signal handlers of its own)."""

    def _set_signal_handlers(self):
        pass


class Maintenance(threading.Thread):
    def __init__(self, settings, role: str):
        super().__init__(name=f"paygate-{role}-maintenance", daemon=True)
        self.settings = settings
        self.role = role
        self.name_id = heartbeat.worker_name(role)
        self.stopped = threading.Event()
        self.ticks = 0
        self.failures = 0  # ticks that raised; reported on the heartbeat row (/health, /metrics)

    def tick(self) -> int:
        db.unit_of_work(heartbeat.beat, self.name_id, self.role, self.failures)
        work = db.unit_of_work(sweeper.claim_orphaned_work)
        if work:
            log.info("sweeper re-enqueued %d orphaned items", len(work))
            dispatch(work)
        if self.ticks % 150 == 0:
            db.unit_of_work(idempotency.purge_expired)
        self.ticks += 1
        return len(work)

    def run(self):
        while not self.stopped.is_set():
            try:
                self.tick()
            except Exception:  # a database or Redis outage, or a bug: keep trying, and say so
                self.failures += 1
                log.exception("maintenance tick failed (%d failures since start)", self.failures)
            self.stopped.wait(self.settings.sweep_interval_s)

    def stop(self):
        self.stopped.set()
        try:
            db.unit_of_work(heartbeat.forget, self.name_id)
        except Exception:
            pass


class DueRunner:
    """The due loop, and on PostgreSQL the listener that wakes it when other processes commit work."""

    def __init__(self, settings):
        self.loop = DueLoop(settings)
        self.listener = DueListener(settings.database_url) if db.is_postgres() else None

    def start(self):
        if self.listener is not None:
            self.listener.start()
        self.loop.start()

    def stop(self):
        if self.listener is not None:
            self.listener.stop()
        self.loop.stop()


class EmbeddedWorker:
    """The due loop, consumer threads and maintenance inside the daemon process (the embedded default)."""

    def __init__(self, settings):
        self.consumer = EmbeddedConsumer(huey, workers=settings.worker_threads, worker_type="thread", periodic=False)
        self.maintenance = Maintenance(settings, "embedded")
        self.due = DueRunner(settings)

    def start(self):
        self.due.start()
        self.consumer.start()
        self.maintenance.start()
        log.info("embedded worker started with %d threads", self.consumer.workers)

    def stop(self):
        self.maintenance.stop()
        self.due.stop()
        self.consumer.stop(graceful=True)


def run_worker(settings) -> None:
    """``paygate worker``: a consumer process (blocks). SIGINT/SIGTERM finish in-flight tasks first."""
    from .. import bootstrap

    bootstrap.start(settings)
    due = DueRunner(settings)
    due.start()
    maintenance = Maintenance(settings, "worker")
    maintenance.start()
    consumer = Consumer(
        huey,
        workers=settings.worker_threads,
        worker_type="thread",
        periodic=False,
        shutdown_timeout=30,
        graceful_signal="TERM",
    )
    try:
        consumer.run()
    finally:
        maintenance.stop()
        due.stop()
