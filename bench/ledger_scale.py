"""The ledger at scale (issue 19): a CSV export of 1,000,000 balance transactions from a running
``paygate serve``, and ``paygate ledger verify`` over 1,000,000 payments.

Seeds N successful payments of the test merchant with their ledger entries, fast and in bulk
(COPY on PostgreSQL, executemany on SQLite; never through the API): each payment, its
``payment`` entry (fee by ``fees.fee`` at the default UPI price) and the lines that post it,
pooled as settlement pools them (``ledger.Journal``: three lines per ``--pool`` payments that
succeeded together; ``--pool 1``: three lines per payment, the old layout), spread over
30 days that ended 3 days ago, so every one has matured; and one ``release`` entry per 10,000
payments that marks them (what the due loop would have written). Then measures:

1. ``GET /api/v1/reports/balance_transactions.csv`` over all N rows, streamed from the running
   daemon: rows per second and the daemon's RSS growth (peak during the export − before it),
   with the daemon's CPU seconds. Targets: ≥ 50,000 rows/s, growth ≤ 50 MB.
2. ``paygate ledger verify`` over the whole database: wall seconds. Target: < 60 s.

    python -m bench.ledger_scale --rows 20000                 # a quick check, PostgreSQL (fsync on)
    python -m bench.ledger_scale --rows 1000000 --backend postgres
    python -m bench.ledger_scale --rows 1000000 --backend sqlite   # the embedded default
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
import string
import subprocess
import sys
import time
from datetime import timedelta

import requests

from bench.stack import AUTH, RssSampler, Services, bind_core, cpu_seconds, deployment, tree_rss_mb, uptime

TARGETS = {"export_rows_per_s": 50_000, "export_rss_growth_mb": 50, "verify_s": 60}
CHUNK = 50_000
PY_SPY = "/work/main/.venv/bin/py-spy"
RELEASE_EVERY = 10_000  # payments one seeded release entry marks (the product's RELEASE_BATCH)


def _rows(merchant_id: str, order_id: str, n: int, start: int, stop: int, prefix: str, end, span_s: int, pool: int):
    """Payments, entries and lines for indexes [start, stop): plain tuples in column order. The
    payments of one pool succeeded at the same time; a pool cut by a chunk's edge posts in two parts
    (each sums to zero)."""
    from paygate import config, ledger
    from paygate.fees import default_prices, fee

    price = default_prices(config.current())["upi"]
    after = timedelta(seconds=config.current().funds_available_after_s)
    payments, entries, pools = [], [], {}
    for i in range(start, stop):
        first = i - i % pool
        at = end - timedelta(seconds=(n - 1 - first) * span_s // n)
        on = at + after
        amount = 100 + (i * 7919) % 500000
        charged = fee(amount, price)
        pid, txn = f"pay_{prefix}{i:012d}", f"txn_{prefix}{i:012d}"
        journal = f"jrnl_{prefix}{i // pool:012d}" if pool > 1 else None
        release = f"txn_{prefix}r{i // RELEASE_EVERY:011d}"
        payments.append((pid, order_id, merchant_id, amount, "INR", "upi", "bench@okbank", "success", False, "success", at, at, at))
        entries.append((txn, merchant_id, "INR", ledger.EntryType.PAYMENT, pid, amount, charged, amount - charged, on, None, release, journal, at))
        sums = pools.setdefault(journal or txn, [at, on, 0, 0, 0])
        sums[2:] = sums[2] - amount, sums[3] + amount - charged, sums[4] + charged
    lines = []
    for key, (at, on, clearing, pending, fees_) in pools.items():
        lines.append((key, merchant_id, "INR", ledger.Account.BANK_CLEARING, clearing, at, at))
        lines.append((key, merchant_id, "INR", ledger.Account.PENDING, pending, on, at))
        lines.append((key, merchant_id, "INR", ledger.Account.FEE_REVENUE, fees_, at, at))
    return payments, entries, lines


PAYMENT_COLUMNS = ("id", "order_id", "merchant_id", "amount", "currency", "method", "vpa", "status", "captured", "bank_outcome", "due_at", "created_at", "updated_at")
ENTRY_COLUMNS = ("id", "merchant_id", "currency", "type", "source", "amount", "fee", "net", "available_on", "settlement_id", "released_by", "journal", "created_at")
LINE_COLUMNS = ("entry", "merchant_id", "currency", "account", "amount", "available_on", "created_at")


def _copy(cursor, table: str, columns, rows) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buf.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def _insert(cursor, table: str, columns, rows) -> None:
    def text(v):  # the text SQLite's adapter would store for a datetime
        return v.strftime("%Y-%m-%d %H:%M:%S.%f") if hasattr(v, "strftime") else v

    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", [tuple(text(v) for v in r) for r in rows])


def seed(merchant_id: str, n: int, span_s: int = 30 * 86400, pool: int = 256) -> dict:
    """N matured, released payments with their entries, in bulk. Returns timings."""
    from paygate import db, ids, ledger
    from paygate.clock import utcnow
    from paygate.models import Order

    started = time.perf_counter()
    now = utcnow()
    end = now - timedelta(days=3)
    prefix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
    order_id = ids.new_order_id()
    db.unit_of_work(lambda: Order.create(id=order_id, merchant=merchant_id, amount=100, currency="INR", status="paid", created_at=end, updated_at=end))
    pg = db.is_postgres()
    put = _copy if pg else _insert
    releases: dict[str, int] = {}
    with db.database.connection_context():
        for start in range(0, n, CHUNK):
            payments, entries, lines = _rows(merchant_id, order_id, n, start, min(n, start + CHUNK), prefix, end, span_s, pool)
            for e in entries:
                releases[e[10]] = releases.get(e[10], 0) + e[7]
            with db.database.atomic():
                cursor = db.database.cursor()
                put(cursor, "payment", PAYMENT_COLUMNS, payments)
                put(cursor, "ledger_entry", ENTRY_COLUMNS, entries)
                put(cursor, "ledger_line", LINE_COLUMNS, lines)
        entries, lines = [], []
        for release_id, total in releases.items():
            entries.append((release_id, merchant_id, "INR", ledger.EntryType.RELEASE, None, total, 0, total, now, None, release_id, None, now))
            lines.append((release_id, merchant_id, "INR", ledger.Account.PENDING, -total, now, now))
            lines.append((release_id, merchant_id, "INR", ledger.Account.AVAILABLE, total, now, now))
        with db.database.atomic():
            cursor = db.database.cursor()
            put(cursor, "ledger_entry", ENTRY_COLUMNS, entries)
            put(cursor, "ledger_line", LINE_COLUMNS, lines)
        if pg:
            for table in ("payment", "ledger_entry", "ledger_line"):
                db.database.execute_sql(f"ANALYZE {table}")
        else:
            db.database.execute_sql("ANALYZE")
    return {"seed_s": round(time.perf_counter() - started, 1), "releases": len(releases)}


def export(d, expected: int, profile: str | None = None) -> dict:
    """Stream the whole report; count rows, time it, sample the daemon's RSS and CPU
    (``profile``: a py-spy flame graph of the daemon during the export, written there)."""
    pids = [d.server.pid]
    spy = None
    if profile:
        spy = subprocess.Popen([PY_SPY, "record", "-r", "50", "-f", "raw", "-o", profile, "-p", str(d.server.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    before = tree_rss_mb(d.server.pid)
    cpu0 = cpu_seconds(pids)
    rows, first_line = 0, None
    with RssSampler(pids) as rss:
        t0 = time.perf_counter()
        with requests.get(d.base_url + "/api/v1/reports/balance_transactions.csv", headers=AUTH, stream=True, timeout=(10, 120)) as r:
            r.raise_for_status()
            tail = b""
            for chunk in r.iter_content(chunk_size=1 << 16):
                rows += chunk.count(b"\n")
                if first_line is None:
                    first_line = chunk.split(b"\n", 1)[0].decode()
                tail = chunk[-1:]
        elapsed = time.perf_counter() - t0
    if spy:
        spy.send_signal(2)
        spy.wait(30)
    rows -= 1  # the header
    assert tail == b"\n" and rows == expected, f"exported {rows} rows, expected {expected}"
    return {
        "export_rows": rows,
        "export_s": round(elapsed, 2),
        "export_rows_per_s": round(rows / elapsed),
        "export_rss_before_mb": round(before, 1),
        "export_rss_peak_mb": round(rss.peak, 1),
        "export_rss_growth_mb": round(max(0.0, rss.peak - before), 1),
        "export_daemon_cpu_s": round(cpu_seconds(pids) - cpu0, 2),
        "export_header": first_line,
    }


def verify(d, timeout: int) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "paygate", "ledger", "verify"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    assert out.returncode == 0, out.stdout + out.stderr
    return {"verify_s": round(elapsed, 2), "verify_output": out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""}


def run(backend: str, n: int, verify_timeout: int, profile: str | None = None, pool: int = 256) -> dict:
    from paygate.merchants import TEST_MERCHANT

    services = Services() if backend == "postgres" else None
    try:
        with deployment(backend, services, {}, api_workers=1, worker_processes=0) as d:
            bind_core(d)
            figures = {"backend": backend, "rows": n, "pool": pool, "uptime_before": uptime()}
            figures.update(seed(TEST_MERCHANT["id"], n, pool=pool))
            figures.update(export(d, n, profile and f"{profile}.{backend}.txt"))
            figures.update(verify(d, verify_timeout))
            figures["uptime_after"] = uptime()
            return figures
    finally:
        if services:
            services.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="payments to seed (balance transactions to export)")
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="postgres")
    parser.add_argument("--pool", type=int, default=256, help="payments per pooled journal entry (1: each its own lines)")
    parser.add_argument("--verify-timeout", type=int, default=300)
    parser.add_argument("--json", default=None, help="write the figures here")
    parser.add_argument("--profile", default=None, help="py-spy the daemon during the export: PREFIX.<backend>.txt (raw, for flamegraph.pl)")
    args = parser.parse_args()
    results = [run(b, args.rows, args.verify_timeout, args.profile, args.pool) for b in (("postgres", "sqlite") if args.backend == "both" else (args.backend,))]
    for figures in results:
        print(f"\n{figures['backend']}: {figures['rows']} payments seeded in {figures['seed_s']} s (pool {figures['pool']})")
        for key, target in TARGETS.items():
            ok = figures[key] >= target if key.endswith("per_s") else figures[key] <= target if key.endswith("_mb") else figures[key] < target
            print(f"  {key:24} {figures[key]:>12}   target {'≥' if key.endswith('per_s') else '≤' if key.endswith('_mb') else '<'} {target}  {'ok' if ok else 'MISSED'}")
        print(f"  export: {figures['export_s']} s, daemon CPU {figures['export_daemon_cpu_s']} s, RSS {figures['export_rss_before_mb']} → peak {figures['export_rss_peak_mb']} MB")
        print(f"  load: {figures['uptime_before']}  /  {figures['uptime_after']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
