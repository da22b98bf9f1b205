"""``python -m bench.settle_micro [--backend postgres|sqlite] [--tree DIR] [-n N]``: settlement
alone, in this process: CPU per payment of ``payments.settle_due_payments`` (Python) and of its
PostgreSQL backend, without daemons, queues or pollers in the way.

N payments are created through the real create path (``payments.create_payments``, batches of
64, zero bank delay), then settled in batches of ``--batch`` (the due loop's ``settle_batch``),
one transaction each, as the due loop's pass does. ``--webhook-url`` gives the merchant a default
endpoint (deliveries are written too). Attribution switches, for profiling only:
``--no-ledger`` skips the journal, ``--drop-index NAME`` drops an index before settling.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds the process has run (schedstat: nanoseconds, unlike /proc/PID/stat's ticks)."""
    if pid is None:
        return 0.0
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def _by_statement(database, pid, clock=None):
    """Wrap ``execute_sql`` of the bound database: backend CPU per statement kind (its first words)."""
    import re

    totals: dict = {}
    inner = database.obj.execute_sql

    def execute_sql(sql, params=None, *a, **k):
        b0 = clock() if clock else _backend_cpu(pid)
        try:
            return inner(sql, params, *a, **k)
        finally:
            kind = re.sub(r"\s+", " ", sql)[:70]
            n, t = totals.get(kind, (0, 0.0))
            totals[kind] = (n + 1, t + (clock() if clock else _backend_cpu(pid)) - b0)

    database.obj.execute_sql = execute_sql
    return totals


def _deliver(args, backend_pid, db, totals) -> dict:
    """Lease every pending delivery in batches of ``--lease-batch`` and record each as a 200 (no
    HTTP): the database side of the webhook path, per delivery."""
    from paygate import config, deliveries
    from paygate.clock import utcnow

    settings = config.current()
    if totals is not None:
        totals.clear()
    done = 0
    c0, b0, w0 = time.process_time(), _backend_cpu(backend_pid), time.perf_counter()
    while True:
        claims = db.unit_of_work(deliveries.lease_due_deliveries, args.lease_batch, deliveries.lease_seconds(settings))
        if not claims:
            break
        results = [(c, deliveries.AttemptResult(200, "ok", None, 1, utcnow())) for c in claims]
        db.unit_of_work(deliveries.record_attempts, results, deliveries.retry_delays(settings), settings.webhook_disable_after_s)
        done += len(claims)
    c1, b1, w1 = time.process_time(), _backend_cpu(backend_pid), time.perf_counter()
    if totals is not None:
        for kind, (count, t) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
            print(f"{t * 1000 / max(done, 1):8.4f} ms/delivery  {count:5d}x  {kind}", file=sys.stderr)
    return {"deliveries": done, "deliver_py_cpu_ms": (c1 - c0) * 1000 / max(done, 1), "deliver_pg_cpu_ms": (b1 - b0) * 1000 / max(done, 1),
            "deliver_wall_ms": (w1 - w0) * 1000 / max(done, 1)}


def run(args) -> dict:
    from devstack.services import Postgres

    from paygate import bootstrap, config, db, payments
    from paygate.merchants import TEST_MERCHANT
    from paygate.models import Merchant
    from paygate.processor import SimulatedBank

    pg = None
    if args.backend == "postgres":
        pg = Postgres(fsync=True).start()
        url = pg.create_database("m_" + os.urandom(4).hex())
        settings = config.load({}, database_url=url, test_mode=True, seed_test_merchant=True, test_processing_delay_ms=0)
    else:
        settings = config.load({}, data_dir=Path(tempfile.mkdtemp(prefix="settle-micro-")), test_mode=True, seed_test_merchant=True, test_processing_delay_ms=0)
    try:
        bootstrap.start(settings)
        if args.webhook_url:
            db.unit_of_work(lambda: Merchant.update(webhook_url=args.webhook_url).where(Merchant.id == TEST_MERCHANT["id"]).execute())
        from bench import seed

        bank = SimulatedBank(settings)
        order_ids = seed.orders(args.n)
        for i in range(0, args.n, 64):
            reqs = [payments.PaymentRequest({"order_id": o, "method": "upi", "vpa": "shopper@okbank"}, TEST_MERCHANT["id"]) for o in order_ids[i:i + 64]]
            db.unit_of_work(payments.create_payments, reqs, bank)
        if args.values_inserts:
            db.UNNEST_MIN_ROWS = 1 << 30
        if args.no_ledger:
            from paygate import ledger

            ledger.book_payments = lambda *a, **k: None
        for sql in args.pre_sql or ():
            db.unit_of_work(lambda: db.database.execute_sql(sql))
        for name in args.drop_index or ():
            db.unit_of_work(lambda: db.database.execute_sql(f"DROP INDEX IF EXISTS {name}"))
        backend_pid = db.read(lambda: db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]) if pg else None
        time.sleep(0.2)
        totals = None
        if args.by_statement:  # SQLite runs in this process: its statements' CPU is this thread's
            totals = _by_statement(db.database, backend_pid, None if backend_pid else time.thread_time)
        done = 0
        c0, b0, w0 = time.process_time(), _backend_cpu(backend_pid), time.perf_counter()
        profiler = None
        if args.cprofile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        while True:
            got = len(db.unit_of_work(payments.settle_due_payments, args.batch))
            if not got:
                break
            done += got
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(args.cprofile))
        c1, b1, w1 = time.process_time(), _backend_cpu(backend_pid), time.perf_counter()
        if done != args.n:
            raise RuntimeError(f"settled {done} of {args.n}")
        if totals is not None:
            for kind, (count, t) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
                print(f"{t * 1000 / done:8.4f} ms/payment  {count:5d}x  {kind}", file=sys.stderr)
        delivery = _deliver(args, backend_pid, db, totals) if args.deliver else {}
        return {
            "backend": args.backend, "tree": str(Path.cwd()), "n": done, "batch": args.batch,
            "no_ledger": args.no_ledger, "dropped": args.drop_index or [], "webhook_url": bool(args.webhook_url),
            "py_cpu_ms": (c1 - c0) * 1000 / done, "pg_cpu_ms": (b1 - b0) * 1000 / done, "wall_ms": (w1 - w0) * 1000 / done,
            "per_s": done / (w1 - w0), **delivery,
        }
    finally:
        if pg is not None:
            try:
                db.database.close()
            except Exception:
                pass
            pg.destroy()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench.settle_micro", description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--tree", type=Path)
    p.add_argument("-n", type=int, default=5000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--webhook-url", default=None)
    p.add_argument("--no-ledger", action="store_true")
    p.add_argument("--deliver", action="store_true", help="then lease and record every delivery (needs --webhook-url)")
    p.add_argument("--lease-batch", type=int, default=64)
    p.add_argument("--values-inserts", action="store_true", help="multi-row INSERTs as VALUES lists (no unnest)")
    p.add_argument("--drop-index", action="append")
    p.add_argument("--pre-sql", action="append", help="run this SQL before settling (attribution experiments)")
    p.add_argument("--json", type=Path)
    p.add_argument("--by-statement", action="store_true", help="print PostgreSQL backend CPU per statement kind")
    p.add_argument("--cprofile", type=Path, help="write a cProfile of the settling loop here (CPU figures then include the profiler)")
    args = p.parse_args(argv)
    if args.tree and args.tree.resolve() != Path.cwd().resolve():
        rest = [a for i, a in enumerate(argv) if a != "--tree" and (i == 0 or argv[i - 1] != "--tree")]
        code = ("import runpy, sys; sys.argv = ['bench.settle_micro'] + sys.argv[1:]; "
                f"runpy.run_path({str(HERE)!r}, run_name='__main__')")
        return subprocess.call([str(args.tree.resolve() / ".venv/bin/python"), "-c", code, *rest], cwd=args.tree.resolve())
    out = run(args)
    line = json.dumps(out)
    print(line)
    if args.json:
        with args.json.open("a") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
