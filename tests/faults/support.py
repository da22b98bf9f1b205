"""Shared pieces of the fault tests: a private PostgreSQL + Redis, a retrying load, row checks.

The fault tests stop and restart their servers, so they never use the session's shared ones.
``Load`` plays a well-behaved merchant integration: every create carries an Idempotency-Key and
is retried with the same key on 503, 409 and connection errors, and only a 201 counts as
acknowledged. ``Ledger`` reads the deployment's database directly to check exactly-once.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import os
import subprocess
import sys
import threading
import time
import uuid

import psycopg2
import requests

from tests.support.api import DECLINED_CARD, TEST_KEY, TEST_SECRET

HEADERS = {"X-Api-Key": TEST_KEY, "X-Api-Secret": TEST_SECRET}
DECLINE = DECLINED_CARD
RETRYABLE = {409, 429, 503}


def send_webhooks_to(base_url: str, receiver) -> None:
    """Point the seeded merchant's webhook URL at a test receiver."""
    r = requests.put(base_url + "/api/v1/merchants/me", json={"webhook_url": receiver.url}, headers=HEADERS, timeout=10)
    assert r.status_code == 200, r.text


class Load:
    """Create orders and payments with keys, retrying each until acknowledged or ``give_up_s``."""

    def __init__(self, base_url: str, give_up_s: float = 60.0):
        self.base_url = base_url
        self.give_up_s = give_up_s
        self.acked: dict[str, str] = {}  # idempotency key -> payment id
        self.statuses = collections.Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _post(self, path, body, key):
        deadline = time.monotonic() + self.give_up_s
        while time.monotonic() < deadline:
            try:
                r = requests.post(self.base_url + path, json=body, headers={**HEADERS, "Idempotency-Key": key}, timeout=10)
                with self.lock:
                    self.statuses[r.status_code] += 1
                if r.status_code in (200, 201):
                    return r.json()
                assert r.status_code in RETRYABLE, (path, r.status_code, r.text)
                if r.status_code == 503:
                    assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE", r.text
            except requests.RequestException:
                with self.lock:
                    self.statuses["connection"] += 1
            time.sleep(0.2)
        raise AssertionError(f"{path} not acknowledged within {self.give_up_s}s")

    def pay(self, i: int) -> str:
        """One order + one payment (every 10th declined); returns the acknowledged payment id."""
        key = f"fault-{uuid.uuid4().hex}"
        order = self._post("/api/v1/orders", {"amount": 10000 + i}, key + "-order")
        body = {"order_id": order["id"], "method": "card", "card": DECLINE} if i % 10 == 9 else {"order_id": order["id"], "method": "upi", "vpa": f"u{i}@okaxis"}
        payment = self._post("/api/v1/payments", body, key)
        with self.lock:
            self.acked[key] = payment["id"]
        return payment["id"]

    def run_many(self, n: int, threads: int = 12) -> list[str]:
        with cf.ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.pay, range(n)))

    def run_until_stopped(self, threads: int = 6) -> threading.Thread:
        """Keep creating payments on ``threads`` threads until ``self.stop`` is set."""

        def loop(t):
            i = t
            while not self.stop.is_set():
                self.pay(i)
                i += threads

        def main():
            with cf.ThreadPoolExecutor(threads) as pool:
                list(pool.map(loop, range(threads)))

        thread = threading.Thread(target=main, daemon=True)
        thread.start()
        return thread

    def halt(self, thread: threading.Thread) -> None:
        """Stop a :meth:`run_until_stopped` load and wait (bounded) for its last payment."""
        self.stop.set()
        thread.join(90)
        assert not thread.is_alive(), "the load did not stop within 90 s"


class Ledger:
    """Direct reads of a deployment's PostgreSQL database."""

    def __init__(self, database_url: str):
        self.url = database_url

    def database_env(self) -> dict:
        """How a ``paygate`` command reaches this database."""
        return {"DATABASE_URL": self.url}

    def query(self, sql: str, args=()) -> list[tuple]:
        conn = psycopg2.connect(self.url, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()

    def unfinished(self) -> dict:
        rows = self.query(
            """SELECT 'payment', count(*) FROM payment WHERE status = 'pending'
               UNION ALL SELECT 'refund', count(*) FROM refund WHERE status = 'pending'
               UNION ALL SELECT 'delivery', count(*) FROM webhook_delivery WHERE status = 'pending'
               UNION ALL SELECT 'settlement', count(*) FROM settlement WHERE status = 'created'"""
        )
        return {k: n for k, n in rows}

    def wait_paid_out(self, timeout: float) -> None:
        """Until every positive available balance is settled and the bank has answered every
        settlement (their webhooks delivered): the due loop's settlement runs are quiet."""
        deadline = time.monotonic() + timeout
        owed = None
        while time.monotonic() < deadline:
            owed = self.query(
                """SELECT count(*) FROM (SELECT merchant_id FROM ledger_entry
                   WHERE settlement_id IS NULL AND type IN ('payment', 'refund', 'adjustment', 'settlement_failure', 'capture_release')
                   GROUP BY merchant_id, currency HAVING sum(net) > 0) AS owed"""
            )[0][0]
            if not owed and not any(self.unfinished().values()):
                return
            time.sleep(0.5)
        raise AssertionError(f"balances still owed or settlements unfinished after {timeout}s: {owed}, {self.unfinished()}")

    def wait_all_final(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        left = None
        while time.monotonic() < deadline:
            left = self.unfinished()
            if not any(left.values()):
                return
            time.sleep(0.5)
        raise AssertionError(f"work still unfinished after {timeout}s: {left}")

    def settlement_events_per_payment(self) -> dict[str, int]:
        rows = self.query(
            """SELECT p.id, count(e.id) FROM payment p LEFT JOIN event e
               ON e.object_id = p.id AND e.type IN ('payment.success', 'payment.failed') GROUP BY p.id"""
        )
        return dict(rows)

    def processed_events_per_refund(self) -> dict[str, int]:
        rows = self.query(
            """SELECT r.id, count(e.id) FROM refund r LEFT JOIN event e
               ON e.object_id = r.id AND e.type IN ('refund.processed', 'refund.failed') GROUP BY r.id"""
        )
        return dict(rows)

    def event_ids(self) -> set[str]:
        return {r[0] for r in self.query("SELECT id FROM event WHERE type <> 'webhook.test'")}


def assert_exactly_once(ledger: Ledger, payment_ids, refund_ids=()) -> None:
    """Every acknowledged payment exists and settled exactly once; same for refunds."""
    per_payment = ledger.settlement_events_per_payment()
    missing = [p for p in payment_ids if p not in per_payment]
    assert not missing, f"{len(missing)} acknowledged payments lost: {missing[:5]}"
    wrong = {p: n for p, n in per_payment.items() if n != 1}
    assert not wrong, f"payments settled other than exactly once: {list(wrong.items())[:5]}"
    statuses = dict(ledger.query("SELECT status, count(*) FROM payment GROUP BY status"))
    assert "pending" not in statuses, statuses
    if refund_ids:
        per_refund = ledger.processed_events_per_refund()
        assert set(refund_ids) <= set(per_refund)
        wrong = {r: n for r, n in per_refund.items() if n != 1}
        assert not wrong, f"refunds processed other than exactly once: {list(wrong.items())[:5]}"
        over = ledger.query(
            """SELECT p.id FROM payment p JOIN refund r ON r.payment_id = p.id AND r.status = 'processed'
               GROUP BY p.id, p.amount HAVING sum(r.amount) > p.amount"""
        )
        assert not over, f"refunded more than paid: {over}"
    assert_ledger_holds(ledger)


def assert_ledger_holds(ledger: Ledger) -> None:
    """``paygate ledger verify`` over the whole database: every entry balanced, every payment,
    refund and settlement booked exactly once, every settlement paying exactly what it claimed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_") and k not in ("DATABASE_URL", "REDIS_URL")}
    out = subprocess.run([sys.executable, "-m", "paygate", "ledger", "verify"], env={**env, **ledger.database_env()}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def assert_every_event_delivered(ledger: Ledger, receiver) -> None:
    """At least once, with one id: each event's bytes are identical on every delivery."""
    got = collections.defaultdict(set)
    for r in list(receiver.requests):
        got[r.json()["id"]].add(r.body)
    missing = ledger.event_ids() - set(got)
    assert not missing, f"{len(missing)} events never delivered: {sorted(missing)[:5]}"
    changed = {k: len(v) for k, v in got.items() if len(v) != 1}
    assert not changed, f"an event id was delivered with different bodies: {changed}"
    failed = ledger.query("SELECT count(*) FROM webhook_delivery WHERE status <> 'success'")[0][0]
    assert failed == 0, f"{failed} deliveries did not succeed"


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children…), read from /proc."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            parent_of[int(entry)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parent_of.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def assert_none_survive(pids, timeout: float = 10.0) -> None:
    """Every process of a killed deployment ends within ``timeout`` (an orphan fails the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    survivors = [p for p in pids if alive(p)]
    for p in survivors:  # never leave them running after the test
        os.kill(p, 9)
    assert not survivors, f"processes of the killed serve still running: {survivors}"
