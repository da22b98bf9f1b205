"""The committer's CPU per create, in process, no HTTP: ``python bench/commit_cpu.py [--checkout DIR ...]``.

Starts a throwaway PostgreSQL (``--fsync`` to keep it on; off by default, since only this process's
CPU is measured), and for each checkout, in its own venv (``DIR/.venv``) and fresh database, runs
``--windows`` windows of ``--batches`` group-committed batches of ``--size`` keyed payment creates
through that checkout's own batch handlers (``server.idempotent.handlers``, audit included where
the checkout has it). Prints the lowest CPU ms per create of the windows (the least disturbed by
other work on the machine) and the statements each batch sent. Far steadier than a whole-daemon
figure on a shared machine: the place to A/B a change of the committer's path.

    python bench/commit_cpu.py --checkout /work/before --checkout . --rounds 2
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measure(checkout: str, url: str, batches: int, size: int, windows: int) -> dict:
    """Runs inside the checkout's interpreter."""
    sys.path.insert(0, checkout)
    from paygate import bootstrap, config, db, idempotency, payments
    from paygate.group_commit import GroupCommitter, Submitted
    from paygate.processor import SimulatedBank
    from paygate.server import idempotent

    import bench.seed as seed

    settings = config.load({"TEST_PROCESSING_DELAY": "600000", "TEST_MODE": "true"}, database_url=url, seed_test_merchant=True)
    bootstrap.start(settings, migrate=True)
    committer = GroupCommitter(idempotent.handlers(SimulatedBank(settings)))
    orders = seed.orders(256)
    try:
        from paygate.audit import Actor, AuditContext, Audited

        ctx = AuditContext(seed.MERCHANT_ID, Actor("api_key", "key_test_abc123", "default"), "createPayment",
                           "req_0123456789abcdef", "127.0.0.1", None, {"method": "upi", "order_id": orders[0]})
    except ImportError:  # a checkout without the audit log
        Audited = None
    statements = collections.Counter()
    execute = db.database.obj.execute_sql

    def counting(sql, params=None, *a, **k):
        statements[sql.split()[0].upper()] += 1
        return execute(sql, params, *a, **k)

    db.database.obj.execute_sql = counting
    made = 0

    def batch():
        nonlocal made
        items = []
        for _ in range(size):
            made += 1
            body = {"order_id": orders[made % len(orders)], "method": "upi", "vpa": "shopper@okbank"}
            p = payments.PaymentRequest(body, seed.MERCHANT_ID, f"k{os.getpid()}-{made}", idempotency.fingerprint(body))
            items.append(Submitted(idempotent.PAYMENT_CREATE, Audited(p, ctx) if Audited else p))
        return items

    for _ in range(5):
        committer._commit(batch())
    statements.clear()
    cpu = []
    for _ in range(windows):
        t0 = time.thread_time()
        for _ in range(batches):
            committer._commit(batch())
        cpu.append(time.thread_time() - t0)
    return {"checkout": checkout, "cpu_ms_per_create": round(min(cpu) * 1000 / (batches * size), 4),
            "statements_per_batch": {k: v / (batches * windows) for k, v in statements.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkout", action="append", help="repeat to compare; default: this one")
    ap.add_argument("--rounds", type=int, default=1, help="passes over the checkouts, alternating")
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--size", type=int, default=12, help="creates per batch (a busy daemon's batches hold 10–14)")
    ap.add_argument("--windows", type=int, default=6)
    ap.add_argument("--fsync", action="store_true")
    ap.add_argument("--_child", nargs=2, metavar=("CHECKOUT", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        print(json.dumps(measure(args._child[0], args._child[1], args.batches, args.size, args.windows)))
        return 0
    sys.path.insert(0, str(REPO))
    from devstack.services import Postgres

    checkouts = [str(Path(c).resolve()) for c in (args.checkout or [REPO])]
    pg = Postgres(fsync=args.fsync).start()
    try:
        for _ in range(args.rounds):
            for co in checkouts:
                url = pg.create_database("c_" + uuid.uuid4().hex[:10])
                py = Path(co) / ".venv" / "bin" / "python"
                cmd = [str(py if py.exists() else sys.executable), str(Path(__file__).resolve()), "--batches", str(args.batches),
                       "--size", str(args.size), "--windows", str(args.windows), "--_child", co, url]
                out = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp", env={**os.environ, "PYTHONPATH": co})
                print(out.stdout.strip() or out.stderr[-2000:], flush=True)
    finally:
        pg.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
