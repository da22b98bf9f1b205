"""SIGKILL of ``paygate serve`` while group-committed batches are being written, on both backends.

A 201 means the batch holding that payment committed: after the daemon is killed (twice) and
started again, every acknowledged payment is in the database, and no batch is half-written — each
payment has its two creation events and its idempotency key, and each stored key names a payment
that exists. Clients retry with their Idempotency-Key, so nothing is created twice either. The
audit log holds exactly one row per committed create, and no gap in any merchant's chain.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.faults.support import Ledger, Load, assert_exactly_once, assert_none_survive, descendants
from devstack.daemon import Deployment

pytestmark = pytest.mark.slow


class SqliteLedger(Ledger):
    """The same checks, read from the embedded database file."""

    def __init__(self, path):
        self.path = path

    def database_env(self) -> dict:
        return {"PAYGATE_DATA_DIR": str(self.path.parent)}

    def query(self, sql: str, args=()) -> list[tuple]:
        conn = sqlite3.connect(self.path, timeout=15)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def killable(request):
    if request.param == "postgres":
        d = request.getfixturevalue("cluster")(workers=1)
        yield d, Ledger(d.env["DATABASE_URL"])
        return
    d = Deployment("sqlite", {}, worker_processes=0).start()
    try:
        yield d, SqliteLedger(d.root / "data" / "paygate.db")
    finally:
        d.stop()


def _kill_and_restart(d, n: int) -> None:
    below = descendants(d.server.pid)
    d.server.send_signal(signal.SIGKILL)
    d.server.wait(10)
    assert_none_survive(below)
    d.server = d._spawn(["serve"], f"serve-after-kill{n}")
    d.wait_healthy(30)


def test_sigkill_serve_mid_batch_loses_no_acknowledged_payment(killable):
    d, ledger = killable
    load = Load(d.base_url, give_up_s=60)
    thread = load.run_until_stopped(threads=16)
    for n in range(2):
        deadline = time.monotonic() + 30
        start = len(load.acked)
        while len(load.acked) < start + 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        _kill_and_restart(d, n)  # creates are in flight: some batch is open or committing
    time.sleep(1)
    load.halt(thread)
    acked = list(load.acked.values())
    assert len(acked) >= 80
    ledger.wait_all_final(timeout=90)
    assert_exactly_once(ledger, acked)
    assert ledger.query("SELECT count(*) FROM payment")[0][0] == len(acked), "a payment no client acknowledged"
    half_written = ledger.query(
        """SELECT p.id FROM payment p LEFT JOIN event e ON e.object_id = p.id AND e.type IN ('payment.created', 'payment.pending')
           GROUP BY p.id HAVING count(e.id) <> 2"""
    )
    assert not half_written, f"payments without both creation events: {half_written[:5]}"
    keys = ledger.query("SELECT key, response_body FROM idempotency_key WHERE scope = 'payment.create'")
    assert {k for k, _ in keys} == set(load.acked), "every acknowledged create stored its key, and no other"
    assert all(load.acked[k] in body for k, body in keys), "a stored response names another payment"
    # the audit log matches the committed changes exactly: one row per payment and per order, chains whole
    for operation, table in (("createPayment", "payment"), ("createOrder", '"order"')):
        audited = sorted(o for (o,) in ledger.query("SELECT object_id FROM audit_entry WHERE operation = %s" % f"'{operation}'"))
        assert audited == sorted(i for (i,) in ledger.query(f"SELECT id FROM {table}")), f"{operation}: audit rows differ from committed rows"
    chains = ledger.query("SELECT count(*), min(seq), max(seq) FROM audit_entry GROUP BY merchant_id")
    assert all((n, lo) == (hi, 1) for n, lo, hi in chains), f"an audit chain has a gap: {chains}"


def test_sigkill_of_serve_takes_its_worker_processes_with_it(deploy):
    d = deploy(api_workers=2, worker_processes=0)
    workers = descendants(d.server.pid)
    assert len(workers) >= 2, "serve --workers 2 runs two worker processes"
    d.server.send_signal(signal.SIGKILL)
    d.server.wait(10)
    assert_none_survive(workers)


def test_sanics_last_resort_kills_the_workers_not_the_group_that_launched_serve(deploy):
    """A second ^C during shutdown makes Sanic SIGKILL its workers; the launcher's group lives on."""
    d = deploy(api_workers=2, worker_processes=0)
    workers = descendants(d.server.pid)
    launcher = subprocess.Popen(["sleep", "60"], process_group=d.server.pid)  # shares serve's process group
    try:
        os.kill(d.server.pid, signal.SIGINT)
        time.sleep(0.05)
        os.kill(d.server.pid, signal.SIGINT)  # "Shutdown interrupted. Killing."
        try:
            d.server.wait(15)
        except subprocess.TimeoutExpired:
            pytest.fail("serve did not end after the second ^C:\n" + d.log_tail("serve", 200))
        assert "Shutdown interrupted. Killing." in d.log_tail("serve", 200), "the second ^C reached Sanic's kill path"
        assert launcher.poll() is None, f"a process sharing serve's group was killed ({launcher.returncode})"
        assert_none_survive(workers)
    finally:
        launcher.kill()
        launcher.wait()
