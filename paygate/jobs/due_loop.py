"""The due loop: each worker settles and delivers what has fallen due, in batches, on time.

One thread per worker process (and one inside the embedded daemon). Each pass, in one
transaction (one commit: on SQLite one write lock and one fsync per pass, not four):

1. records the webhook attempts that finished since the last pass;
2. settles due payments, then due refunds, then due settlements, many at a time (``FOR UPDATE
   SKIP LOCKED`` so several workers take disjoint batches), and releases matured funds from
   pending to available (``ledger.release_due``: one release entry per merchant and currency,
   at most once a second, or at once while a batch came back full; an account another worker is
   releasing is skipped);
3. leases due deliveries up to the sender's free capacity and hands them to the sender, which
   posts them concurrently (bounded per destination, with a short queue per destination); leases
   a saturated destination cannot take now are given back, due again a moment later.

Between passes it sleeps until the earliest due time it knows of, and is woken earlier by new
work: the in-process alarm (the embedded committer rings it) or PostgreSQL NOTIFY (the listener
rings it). Work therefore runs when it falls due, not on a scheduler tick. The rows stay the
truth: a killed worker's transactions roll back and its leases lapse, so another pass — here or
in another worker — picks the work up; nothing is settled twice.

The huey tasks of the worker (``jobs.tasks``: work that another process enqueued, the sweeper's
orphans, a manual retry) run the same code: :meth:`DueLoop.settle_now` wakes the loop, whose
next pass settles the named row with the other due rows, and :meth:`DueLoop.deliver_now` leases
one delivery and hands it to this loop's sender, whose attempts the loop records with the batch's. A webhook is sent from one place
(the sender) and recorded one way (``deliveries.record_attempts``).
Settlement runs (paying balances out) go on their own schedule, ``PAYGATE_SETTLEMENT_INTERVAL``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from .. import db, deliveries, ledger, payments, refunds, settlements, wakeup
from ..clock import after, utcnow
from ..errors import CommitInDoubt
from ..processor import SimulatedBank
from ..work import SETTLE_PAYMENT, SETTLE_REFUND
from .sender import DeliverySender

log = logging.getLogger("paygate.due")

IDLE_WAKE_S = 1.0  # with nothing known to be due, look again this often (a missed NOTIFY, a clock step)
PASS_GAP_S = 0.005  # at least this between passes: under load, due work gathers into batches
RELEASE_EVERY_S = 1.0  # matured funds are released at most this late (and no pass pays a query more often)
SATURATED_RETRY_S = 1.0  # a lease a saturated destination could not take is due again after this
STEP_BACKOFF_MAX_S = 60.0  # a step that keeps failing is tried at most this seldom (0.5 s, 1 s, 2 s, … up to this)
STEP_LOG_EVERY_S = 60.0  # and logged at most once per this, with its count
SETTLE = {SETTLE_PAYMENT: payments.settle_due_payments, SETTLE_REFUND: refunds.settle_due_refunds}

_running: "DueLoop | None" = None  # this process's loop: the tasks run their work through it


def running() -> "DueLoop | None":
    """The due loop started in this process (None before one starts, or after it stopped)."""
    return _running




class DueLoop(threading.Thread):
    def __init__(self, settings, alarm: wakeup.Alarm | None = None, sender: DeliverySender | None = None):
        super().__init__(name="paygate-due-loop", daemon=True)
        self.settings = settings
        self.alarm = alarm or wakeup.alarm
        self.sender = sender or DeliverySender(settings, on_result=lambda *_: self.alarm.ring_in(0))
        self.batch = settings.settle_batch
        self.bank = SimulatedBank(settings)
        self.next_settlement_run = after(settings.settlement_interval_s)  # its own schedule
        self.next_release = utcnow()  # the release step's next run: its own pace (RELEASE_EVERY_S)
        self.stopped = threading.Event()
        self.passes = 0
        self.errors = 0
        self.step_failures: dict[str, int] = {}  # per step, since start (a failing step is counted, then skipped for a while)
        self.clock = time.monotonic
        self._backoff: dict[str, tuple[int, float]] = {}  # step → (failures in a row, when to try it again)
        self._logged: dict[str, float] = {}
        self._unrecorded: tuple[list, list] = ([], [])  # attempts sent but not yet recorded: never sent again

    def _step(self, name: str, fn, *args) -> list | None:
        """One step of a pass inside a savepoint: a step that fails (a row it cannot handle) is
        rolled back alone, so it never holds up the other steps' work; it returns None then.

        A step that keeps failing backs off (it is skipped, returning None, until its next try),
        is counted in ``step_failures``, and is logged once per ``STEP_LOG_EVERY_S``, not per pass.
        """
        now = self.clock()
        streak, retry_at = self._backoff.get(name, (0, 0.0))
        if now < retry_at:
            return None
        try:
            with db.database.atomic():
                result = fn(*args) or []
        except Exception:
            self.step_failures[name] = self.step_failures.get(name, 0) + 1
            self._backoff[name] = (streak + 1, now + min(STEP_BACKOFF_MAX_S, 0.5 * 2**streak))
            if now - self._logged.get(name, float("-inf")) >= STEP_LOG_EVERY_S:
                self._logged[name] = now
                log.warning("due loop: %s failed (%d times since start); backing off, the rest of the pass goes on", name, self.step_failures[name], exc_info=True)
            return None
        self._backoff.pop(name, None)
        return result

    def backoff_pause(self) -> float:
        """How long to wait before the next pass while a step backs off (at most ``IDLE_WAKE_S``):
        work a failing step leaves due must not wake the loop at once, pass after pass."""
        if not self._backoff:
            return 0.0
        wait = min(retry_at for _, retry_at in self._backoff.values()) - self.clock()
        return min(IDLE_WAKE_S, max(0.0, wait))

    # --- one pass ------------------------------------------------------------------------

    def _take_finished(self) -> tuple[list, list]:
        """What the sender finished (or dropped unsent), after what earlier passes could not record."""
        finished, unsent = self._unrecorded[0] + self.sender.take_results(), self._unrecorded[1] + self.sender.take_unsent()
        self._unrecorded = (finished, unsent)  # until a commit records them
        return finished, unsent

    def record_finished(self) -> int:
        """Record the attempts that finished; make claims the sender dropped unsent due again now."""
        finished, unsent = self._take_finished()
        if finished or unsent:
            db.unit_of_work(self._record, finished, unsent)
        self._unrecorded = ([], [])
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
        recorded = not (finished or unsent) or self._step("record webhook attempts", self._record, finished, unsent) is not None
        if not recorded:  # keep them leased meanwhile: what was sent is recorded later, never sent again
            held = [c.delivery_id for c, _ in finished] + [c.delivery_id for c in unsent]
            self._step("hold unrecorded deliveries", deliveries.release_leases, held, after(deliveries.lease_seconds(self.settings)))
        settled = self._step("settle payments", SETTLE[SETTLE_PAYMENT], self.batch) or []
        refunded = self._step("settle refunds", SETTLE[SETTLE_REFUND], self.batch) or []
        self._step("settle settlements", settlements.settle_due_settlements, self.batch, self.bank)
        released = self.release_when_due()
        claims = (self._step("lease deliveries", deliveries.lease_due_deliveries, capacity, deliveries.lease_seconds(self.settings)) or []) if capacity > 0 else []
        full = len(settled) >= self.batch or len(refunded) >= self.batch or any(n >= ledger.RELEASE_BATCH for n in released)
        return full, claims, recorded

    def release_when_due(self) -> list[int]:
        """The release step (pending → available), at most once per ``RELEASE_EVERY_S`` unless
        the last one filled a batch. In the pass's transaction; how many each release took."""
        now = utcnow()
        if now < self.next_release:
            return []
        released = self._step("release matured funds", ledger.release_due, ledger.RELEASE_BATCH, now)
        full = released is not None and any(n >= ledger.RELEASE_BATCH for n in released)
        self.next_release = now if full else after(RELEASE_EVERY_S, now)
        return released or []

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
        finished, unsent = self._take_finished()
        capacity = self.sender.capacity()
        try:
            full, claims, recorded = db.unit_of_work(self._pass_work, finished, unsent, capacity)
        except CommitInDoubt:  # they may be recorded already: recording them again would log them twice
            self._unrecorded = ([], [])
            raise
        if recorded:
            self._unrecorded = ([], [])
        refused = self.submit(claims)
        leased_full = capacity > 0 and len(claims) >= capacity and len(refused) < len(claims)
        return full or leased_full or (recorded and bool(finished or unsent))

    def submit(self, claims) -> list:
        """Hand leased claims to the sender; give back, due a moment later, those its bounds refuse."""
        refused = self.sender.submit(claims) if claims else []
        if refused:
            db.unit_of_work(deliveries.release_leases, [c.delivery_id for c in refused], after(SATURATED_RETRY_S))
        return refused

    # --- the same work for named rows (the huey tasks) -----------------------------------

    def settle_now(self) -> None:
        """A task names a payment or refund that is due: wake the loop, whose next pass settles it
        with every other due row, in one batch. Settling the named row here would be a transaction
        per row racing the pass for the same rows (a backlog's tasks then cost a transaction each,
        most of them finding their row settled already); the row's due time and status decide
        either way, so a duplicate task changes nothing."""
        self.alarm.ring_in(0)

    def deliver_now(self, delivery_id: str) -> None:
        """Lease one due delivery and hand it to the sender (nothing when it is not due or not
        pending); the loop records its attempt with the others."""
        claim = db.write(deliveries.claim_delivery, delivery_id, deliveries.lease_seconds(self.settings))
        if claim is not None:
            self.submit([claim])

    def next_due(self) -> datetime | None:
        times = [t for t in (db.read(payments.next_due_at), db.read(refunds.next_due_at), db.read(deliveries.next_delivery_due_at)) if t]
        times += [t for t in (db.read(settlements.next_due_at), self.next_settlement_run) if t]
        maturing = db.read(ledger.next_release_at)
        if maturing:
            times.append(max(maturing, self.next_release))
        return min(times) if times else None

    # --- the thread ----------------------------------------------------------------------

    def start(self) -> None:
        global _running
        _running = self
        super().start()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                more = self.run_pass()
                self.stopped.wait(max(PASS_GAP_S, self.backoff_pause()))
                if not more:
                    self.alarm.sleep(self.next_due(), IDLE_WAKE_S)
            except Exception:  # a database outage: keep the rows, try again shortly
                self.errors += 1
                log.warning("due loop pass failed; retrying", exc_info=True)
                self.stopped.wait(min(1.0, 0.1 * self.errors))
                continue
            self.errors = 0

    def stop(self, timeout: float = 10.0) -> None:
        global _running
        if _running is self:
            _running = None
        self.stopped.set()
        self.alarm.ring_in(0)
        self.join(timeout)
        self.sender.close()
        try:  # what finished sending is recorded, so no delivery goes out twice needlessly
            self.record_finished()
        except Exception:
            log.warning("could not record the last webhook attempts; their leases will lapse and they will be retried")
