"""The due loop: each worker settles and delivers what has fallen due, in batches, on time.

One thread per worker process (and one inside the embedded daemon). Each pass, in one
transaction (one commit: on SQLite one write lock and one fsync per pass, not four):

1. records the webhook attempts that finished since the last pass;
2. settles due payments, then due refunds, then due settlements, many at a time (``FOR UPDATE
   SKIP LOCKED`` so several workers take disjoint batches);
3. leases due deliveries up to the sender's free capacity and hands them to the sender, which
   posts them concurrently (bounded per destination, with a short queue per destination); leases
   a saturated destination cannot take now are given back, due again a moment later.

Between passes it sleeps until the earliest due time it knows of, and is woken earlier by new
work: the in-process alarm (the embedded committer rings it) or PostgreSQL NOTIFY (the listener
rings it). Work therefore runs when it falls due, not on a scheduler tick. The rows stay the
truth: a killed worker's transactions roll back and its leases lapse, so another pass — here or
in another worker — picks the work up; nothing is settled twice.

Settlement runs (paying balances out) go on their own schedule, ``PAYGATE_SETTLEMENT_INTERVAL``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from .. import db, deliveries, payments, refunds, settlements, wakeup
from ..clock import after, utcnow
from ..processor import SimulatedBank
from .sender import DeliverySender

log = logging.getLogger("paygate.due")

IDLE_WAKE_S = 1.0  # with nothing known to be due, look again this often (a missed NOTIFY, a clock step)
PASS_GAP_S = 0.005  # at least this between passes: under load, due work gathers into batches
SATURATED_RETRY_S = 1.0  # a lease a saturated destination could not take is due again after this


def _step(name: str, fn, *args) -> list:
    """One step of a pass inside a savepoint: a step that fails (a row it cannot handle) is rolled
    back and logged alone, so it never holds up the other steps' work. Its result is then empty."""
    try:
        with db.database.atomic():
            return fn(*args) or []
    except Exception:
        log.warning("due loop: %s failed; the rest of the pass goes on", name, exc_info=True)
        return []


class DueLoop(threading.Thread):
    def __init__(self, settings, alarm: wakeup.Alarm | None = None, sender: DeliverySender | None = None):
        super().__init__(name="paygate-due-loop", daemon=True)
        self.settings = settings
        self.alarm = alarm or wakeup.alarm
        self.sender = sender or DeliverySender(settings, on_result=lambda *_: self.alarm.ring_in(0))
        self.batch = settings.settle_batch
        self.bank = SimulatedBank(settings)
        self.next_settlement_run = after(settings.settlement_interval_s)  # its own schedule
        self.stopped = threading.Event()
        self.passes = 0
        self.errors = 0

    # --- one pass ------------------------------------------------------------------------

    def record_finished(self) -> int:
        """Record the attempts that finished; make claims the sender dropped unsent due again now."""
        finished, unsent = self.sender.take_results(), self.sender.take_unsent()
        if finished or unsent:
            db.unit_of_work(self._record, finished, unsent)
        return len(finished) + len(unsent)

    def _record(self, finished, unsent) -> None:
        if finished:
            deliveries.record_attempts(finished, deliveries.retry_delays(self.settings), self.settings.webhook_disable_after_s)
        if unsent:
            deliveries.release_leases([c.delivery_id for c in unsent])

    def _pass_work(self, finished, unsent, capacity: int):
        """A pass's writes, in one transaction: one commit (one fsync, one SQLite write lock) for
        everything it records, settles and leases. Deliveries the settlements created are leased
        at once. Nothing is sent before the commit: a rolled-back pass leased nothing."""
        _step("record webhook attempts", self._record, finished, unsent)
        settled = _step("settle payments", payments.settle_due_payments, self.batch)
        refunded = _step("settle refunds", refunds.settle_due_refunds, self.batch)
        _step("settle settlements", settlements.settle_due_settlements, self.batch, self.bank)
        claims = _step("lease deliveries", deliveries.lease_due_deliveries, capacity, deliveries.lease_seconds(self.settings)) if capacity > 0 else []
        return len(settled) >= self.batch or len(refunded) >= self.batch, claims

    def run_settlements_when_due(self) -> None:
        """The settlement run, on its own schedule (``PAYGATE_SETTLEMENT_INTERVAL``); its events'
        deliveries are leased by the next pass."""
        if utcnow() < self.next_settlement_run:
            return
        self.next_settlement_run = after(self.settings.settlement_interval_s)
        if settlements.run_settlements(self.bank):
            self.alarm.ring_in(0)

    def run_pass(self) -> bool:
        """One pass; True when more work is known to be due right away."""
        self.passes += 1
        self.run_settlements_when_due()
        finished, unsent = self.sender.take_results(), self.sender.take_unsent()
        capacity = self.sender.capacity()
        full, claims = db.unit_of_work(self._pass_work, finished, unsent, capacity)
        refused = self.sender.submit(claims) if claims else []
        if refused:
            db.unit_of_work(deliveries.release_leases, [c.delivery_id for c in refused], after(SATURATED_RETRY_S))
        leased_full = capacity > 0 and len(claims) >= capacity and len(refused) < len(claims)
        return full or leased_full or bool(finished or unsent)

    def next_due(self) -> datetime | None:
        times = [t for t in (db.read(payments.next_due_at), db.read(refunds.next_due_at), db.read(deliveries.next_delivery_due_at)) if t]
        times += [t for t in (db.read(settlements.next_due_at), self.next_settlement_run) if t]
        return min(times) if times else None

    # --- the thread ----------------------------------------------------------------------

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                more = self.run_pass()
                self.stopped.wait(PASS_GAP_S)
                if not more:
                    self.alarm.sleep(self.next_due(), IDLE_WAKE_S)
            except Exception:  # a database outage: keep the rows, try again shortly
                self.errors += 1
                log.warning("due loop pass failed; retrying", exc_info=True)
                self.stopped.wait(min(1.0, 0.1 * self.errors))
                continue
            self.errors = 0

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped.set()
        self.alarm.ring_in(0)
        self.join(timeout)
        self.sender.close()
        try:  # what finished sending is recorded, so no delivery goes out twice needlessly
            self.record_finished()
        except Exception:
            log.warning("could not record the last webhook attempts; their leases will lapse and they will be retried")
