"""Lists at scale (issue 22): page 1 vs page 10,000 by cursor and by offset, and each search filter.

Seeds one merchant with N payments (default 1,000,000) and 100 other merchants with 10,000 each,
in bulk SQL (``INSERT … SELECT`` over ``generate_series`` on PostgreSQL, a recursive CTE on SQLite;
no API), each payment with its own order. The rows look like a shop's: receipts ``INV-00000042``
(each merchant numbers its own), customers' VPAs (``priya2345@oksbi``: ~66,000 customers for the big merchant,
repeat buyers, some shared between shops), card networks and last 4s, amounts mostly in whole rupees, 5 % failed, a few
refunded, the newest pending, and times spread over 180 days. Then it times, in process (the core's
list function, serialization included, no HTTP), p50/p99 per case, with the CPU milliseconds a call
costs (this process, plus the PostgreSQL backend serving it and its parallel workers, from /proc).

Page 10,000 by cursor jumps straight to it: ``starting_after`` is the 249,975th payment, newest
first (its id is looked up once, with an OFFSET, before timing); walking 10,000 pages to get there
costs the same per page, so the jump times the page a walk would reach.

``--before /work/before`` also times the code before issue 22 (its own checkout and virtualenv, in
a subprocess, bound to the same database): its offset page 10,000 with the ``total`` it counted, and
its filters (status, method, from/to, ``q`` an id prefix), first on today's schema, then with the
list indexes of migrations 40 and 70–74 dropped (the schema it ran on).

    python -m bench.lists --backend sqlite --payments 20000 --each 200    # a quick try
    python -m bench.lists --backend postgres --before /work/before         # the issue's size
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = 25
DEEP_PAGE = 10_000
SPAN_S = 180 * 86400
NAMES = ("kiran", "asha", "rahul", "priya", "arjun", "meera", "vikram", "anita", "suresh", "divya", "rohan", "neha", "amit", "pooja", "sanjay", "lakshmi")
BANKS = ("okaxis", "oksbi", "okhdfcbank", "okicici", "ybl", "paytm")
NETWORKS = ("visa", "mastercard", "rupay")
CUSTOMERS = 1_000_000


# --- Seeding ------------------------------------------------------------------------------------


def _case(expr: str, values) -> str:
    return f"CASE {expr} " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(values)) + " END"


class _Sql:
    """The few expressions the two backends spell differently."""

    def __init__(self, postgres: bool):
        self.pg = postgres

    def series(self, n: int, select: str) -> str:
        """``select`` (over column ``i``) for i = 1..n, as an INSERT's source."""
        if self.pg:
            return f"{select} FROM generate_series(1::bigint, {int(n)}) AS g(i)"
        return f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {int(n)}) {select} FROM g"

    def hex16(self) -> str:
        return "substr(md5(random()::text || i::text), 1, 16)" if self.pg else "lower(hex(randomblob(8)))"

    def lpad(self, expr: str, width: int) -> str:
        return f"lpad(({expr})::text, {width}, '0')" if self.pg else f"substr('{'0' * width}' || ({expr}), -{width}, {width})"

    def ts(self, epoch: str) -> str:
        return f"(to_timestamp({epoch}) AT TIME ZONE 'UTC')" if self.pg else f"strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch')"


def seed_merchant(merchant_id: str, n: int, end_epoch: int, customer_offset: int = 0) -> None:
    """``n`` payments (i = 1 the newest, one ``SPAN_S / n`` apart), each with its own order."""
    from paygate import db

    assert merchant_id.replace("-", "").isalnum()  # inlined as a literal below
    sql = _Sql(db.is_postgres())
    m = f"'{merchant_id}'"
    card = "i % 3 = 0"
    # The shop's customers (one in ~15 payments is a new one) are people out of everyone's
    # CUSTOMERS; shops share some of them. Name, bank and number are read off the person.
    customer = f"(({customer_offset} + (i * 7919) % {max(1000, n // 15)}) % {CUSTOMERS})"
    failed, refunded, partly = "i % 20 = 0", "i % 97 = 0", "i % 89 = 0"
    status = f"CASE WHEN {failed} THEN 'failed' WHEN i <= 5 THEN 'pending' WHEN {refunded} THEN 'refunded' WHEN {partly} THEN 'partially_refunded' ELSE 'success' END"
    # 70 % whole rupees (₹1–₹50,000), the rest any amount up to ₹50,000.
    amount = "CASE WHEN i % 10 < 7 THEN (1 + (i * 7919) % 50000) * 100 ELSE 100 + (i * 104729) % 5000000 END"
    created = sql.ts(f"({end_epoch} - ((i - 1) * {SPAN_S}) / {n})")
    vpa = (
        f"{_case(f'{customer} % {len(NAMES)}', NAMES)} || ({customer} / {len(NAMES) * len(BANKS)}) || '@' || "
        f"{_case(f'({customer} / {len(NAMES)}) % {len(BANKS)}', BANKS)}"
    )
    temp = "bench_seed"

    def write():
        def execute(statement):  # no parameters: psycopg2 still reads % as one
            db.database.execute_sql(statement.replace("%", "%%") if sql.pg else statement)

        execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} (i bigint PRIMARY KEY, order_id varchar(32), payment_id varchar(32))")
        execute(f"DELETE FROM {temp}")
        execute(f"INSERT INTO {temp} (i, order_id, payment_id) " + sql.series(n, f"SELECT i, 'order_' || {sql.hex16()}, 'pay_' || {sql.hex16()}"))
        execute(
            'INSERT INTO "order" (id, merchant_id, amount, currency, receipt, notes, status, created_at, updated_at) '
            f"SELECT order_id, {m}, {amount}, 'INR', 'INV-' || {sql.lpad('i', 8)}, '{{}}', "
            f"CASE WHEN {failed} OR i <= 5 THEN 'created' ELSE 'paid' END, {created}, {created} FROM {temp}"
        )
        execute(
            "INSERT INTO payment (id, order_id, merchant_id, amount, currency, method, vpa, card_network, card_last4, status, "
            "captured, captured_amount, error_code, error_description, bank_outcome, bank_decline_code, due_at, created_at, updated_at) "
            f"SELECT payment_id, order_id, {m}, {amount}, 'INR', CASE WHEN {card} THEN 'card' ELSE 'upi' END, "
            f"CASE WHEN {card} THEN NULL ELSE {vpa} END, "
            f"CASE WHEN {card} THEN {_case(f'(i / 3) % {len(NETWORKS)}', NETWORKS)} ELSE NULL END, "
            f"CASE WHEN {card} THEN {sql.lpad('(i * 7907) % 10000', 4)} ELSE NULL END, "
            f"{status}, {'false' if sql.pg else '0'}, NULL, "
            f"CASE WHEN {failed} THEN 'PAYMENT_FAILED' ELSE NULL END, CASE WHEN {failed} THEN 'Payment declined by the bank' ELSE NULL END, "
            f"CASE WHEN {failed} THEN 'decline' ELSE 'success' END, NULL, {created}, {created}, {created} FROM {temp}"
        )
        execute(f"DELETE FROM {temp}")

    db.unit_of_work(write)


def seed(payments: int, others: int, each: int) -> tuple[str, list[str], float]:
    """The big merchant and ``others`` merchants; returns their ids and the seconds it took."""
    from paygate import db, merchants

    started = time.perf_counter()
    end_epoch = int(time.time())
    tag = secrets.token_hex(3)
    big, _ = db.unit_of_work(merchants.create_merchant, "Lists bench", f"bench-{tag}@example.test")
    rest = [db.unit_of_work(merchants.create_merchant, f"Lists bench {k}", f"bench-{tag}-{k}@example.test")[0].id for k in range(others)]
    # A bulk load builds the secondary indexes once at the end (as a restore does): the same
    # definitions, read back from the database, so the schema measured is the migrations' one.
    indexes = db.read(_secondary_indexes)
    db.unit_of_work(lambda: [db.database.execute_sql(f'DROP INDEX "{name}"') for name in indexes])
    seed_merchant(big.id, payments, end_epoch)
    for k, other in enumerate(rest):
        seed_merchant(other, each, end_epoch - k, customer_offset=(k + 1) * 9973)
    loaded = time.perf_counter()

    def build():
        if db.is_postgres():
            db.database.execute_sql("SET maintenance_work_mem = '256MB'")
        for statement in indexes.values():
            db.database.execute_sql(statement)

    db.unit_of_work(build)
    assert set(db.read(_secondary_indexes)) == set(indexes)
    print(f"loaded in {loaded - started:.0f} s, built {len(indexes)} indexes in {time.perf_counter() - loaded:.0f} s", flush=True)
    # Statistics, and GIN's pending list merged, as autovacuum does on a live table.
    db.read(lambda: db.database.execute_sql("VACUUM ANALYZE" if db.is_postgres() else "ANALYZE"))
    return big.id, rest, time.perf_counter() - started


def settle(timeout_s: float = 180.0) -> None:
    """Let the load's aftermath finish before timing: a checkpoint (PostgreSQL writing out the
    seeded pages, SQLite moving its WAL into the database file) and no autovacuum at work. The
    first run timed without this read the count at twice the CPU of a run a minute later."""
    from paygate import db

    if not db.is_postgres():
        db.read(lambda: db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)"))
        return
    db.read(lambda: db.database.execute_sql("CHECKPOINT"))
    deadline = time.monotonic() + timeout_s
    busy = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
    while db.read(lambda: db.database.execute_sql(busy).fetchone()[0]) and time.monotonic() < deadline:
        time.sleep(2)


def _secondary_indexes() -> dict:
    """``{name: CREATE INDEX …}`` of the payment and order tables' indexes (primary keys aside)."""
    from paygate import db

    if db.is_postgres():
        rows = db.database.execute_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('payment', 'order') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        )
    else:
        rows = db.database.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('payment', 'order') AND sql IS NOT NULL")
    return dict(rows.fetchall())


# --- Timing -------------------------------------------------------------------------------------


def _backend_pid():
    from paygate import db

    return db.read(lambda: db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]) if db.is_postgres() else None


def _proc_cpu_s(pid) -> float:
    """CPU seconds of the PostgreSQL backend ``pid``, plus what the postmaster's exited children
    spent: a parallel plan's workers are processes of their own, reaped by the postmaster."""
    if pid is None:
        return 0.0

    def stat(p):
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    own = stat(pid)
    reaped = stat(own[1])  # the parent: utime, stime, cutime, cstime are fields 11-14 after the name
    return (int(own[11]) + int(own[12]) + int(reaped[13]) + int(reaped[14])) / os.sysconf("SC_CLK_TCK")


def measure(fn, repeats: int, budget_s: float, backend_pid=None) -> dict:
    """p50/p99 wall ms of ``fn`` over up to ``repeats`` runs (at least 5, else stop after
    ``budget_s``) after one warm-up, and CPU ms a run (this process + the database backend)."""
    fn()
    samples = []
    cpu0, db0, started = time.process_time(), _proc_cpu_s(backend_pid), time.perf_counter()
    while len(samples) < repeats and (len(samples) < 5 or time.perf_counter() - started < budget_s):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    cpu = (time.process_time() - cpu0 + _proc_cpu_s(backend_pid) - db0) * 1000 / len(samples)
    samples.sort()
    return {"p50": samples[len(samples) // 2], "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))], "cpu": cpu, "n": len(samples)}


def _print_row(name: str, r: dict | None) -> None:
    if r is None:
        print(f"  {name:<58} {'n/a':>9}")
    else:
        print(f"  {name:<58} {r['p50']:9.2f} {r['p99']:9.2f} {r['cpu']:9.2f} {r['n']:5d}", flush=True)


def _header(title: str) -> None:
    print(f"\n{title}\n  {'case':<58} {'p50 ms':>9} {'p99 ms':>9} {'cpu ms':>9} {'n':>5}", flush=True)


# --- The cases ----------------------------------------------------------------------------------


def pick_values(merchant_id: str, n: int) -> dict:
    """Values a person would search for, taken from one UPI and one card payment deep in the history."""
    card_i = (n * 123_456 // 1_000_000) // 3 * 3 or 3  # i % 3 == 0: a card payment (see seed_merchant)
    deep_page = min(DEEP_PAGE, n // PAGE - 1)
    from paygate import db
    from paygate.models import Order, Payment

    def read():
        def by_receipt(receipt):
            return Payment.select(Payment, Order.receipt).join(Order).where((Order.merchant == merchant_id) & (Order.receipt == receipt)).objects().get()

        upi, card = by_receipt(f"INV-{card_i + 1:08d}"), by_receipt(f"INV-{card_i:08d}")
        newest_first = Payment.select(Payment.id).where(Payment.merchant == merchant_id).order_by(Payment.created_at.desc(), Payment.id.desc())
        deep = newest_first.offset((deep_page - 1) * PAGE - 1).limit(1).scalar()  # the last row of the page before
        end = Payment.select(Payment.created_at).where(Payment.merchant == merchant_id).order_by(Payment.created_at.desc()).limit(1).scalar()
        return upi, card, deep, end

    upi, card, deep, end = db.read(read)
    import calendar

    hour = time.gmtime(calendar.timegm(end.timetuple()) - 30 * 86400)
    hour_from, hour_to = time.strftime("%Y-%m-%dT%H:00:00Z", hour), time.strftime("%Y-%m-%dT%H:59:59Z", hour)
    return {
        "deep_page": deep_page,
        "deep_cursor": deep,
        "from": hour_from,
        "to": hour_to,
        "order_id": upi.order_id,
        "receipt": upi.receipt,
        "vpa": upi.vpa,
        "card_last4": card.card_last4,
        "amount": str(card.amount),
        "amount_gte": str(card.amount - 500),
        "amount_lte": str(card.amount + 500),
        "q_vpa": upi.vpa.split("@")[0],
        "q_receipt": upi.receipt,
        "q_id_prefix": upi.id[:10],
    }


def filter_cases(v: dict) -> dict:
    return {
        "status=failed": {"status": "failed"},
        "status=refunded": {"status": "refunded"},
        "method=card": {"method": "card"},
        "from/to (one hour, a month ago)": {"from": v["from"], "to": v["to"]},
        "order_id": {"order_id": v["order_id"]},
        "receipt": {"receipt": v["receipt"]},
        "vpa": {"vpa": v["vpa"]},
        "card_last4": {"card_last4": v["card_last4"]},
        "amount": {"amount": v["amount"]},
        "amount range (±₹5)": {"amount_gte": v["amount_gte"], "amount_lte": v["amount_lte"]},
        f"q (VPA fragment {v['q_vpa']})": {"q": v["q_vpa"]},
        f"q (receipt {v['q_receipt']})": {"q": v["q_receipt"]},
    }


def after_cases(merchant_id: str, v: dict, repeats: int, budget_s: float, title: str = "after (this code)") -> dict:
    from paygate import db, paging, payment_search, serialize
    from paygate.models import Payment

    pid = _backend_pid()
    out = {}

    def run(name, fn):
        out[name] = measure(lambda: db.read(fn), repeats, budget_s, pid)
        _print_row(name, out[name])

    def listed(params):
        return lambda: payment_search.list_payments(merchant_id, {"limit": str(PAGE), **params})

    def page_only(params):  # the page a cursor walk reads, without the seed's count
        return lambda: paging.cursor_page(payment_search.payment_query(merchant_id, params), Payment, paging.Cursor(PAGE), serialize.payment)

    def count_only(params):
        return lambda: payment_search.payment_query(merchant_id, params).count()

    _header(title)
    run("page 1 (no cursor: page + total, the seed's shape)", listed({}))
    run("  page 1, the page alone", page_only({}))
    run("  page 1, the total COUNT alone", count_only({}))
    run("page 2 by cursor", listed({"starting_after": db.read(lambda: payment_search.list_payments(merchant_id, {"limit": str(PAGE)}))["data"][-1]["id"]}))
    deep = v["deep_page"]
    run(f"page {deep:,} by cursor (jump: starting_after row {(deep - 1) * PAGE:,})", listed({"starting_after": v["deep_cursor"]}))
    run(f"page {deep:,} by cursor + include[]=total_count", listed({"starting_after": v["deep_cursor"], "include[]": "total_count"}))
    run("offset 10,000 (the new bound) + total", listed({"offset": str(paging.MAX_OFFSET)}))
    for name, params in filter_cases(v).items():
        run(f"{name} (page 1 + total)", listed(params))
        if name.split("=")[0] in ("status", "method") or name.startswith("from"):
            run("  the page alone", page_only(params))
            run("  the total COUNT alone", count_only(params))
    return out


BEFORE_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, ".")
from paygate import bootstrap, config, db, payments
args = json.loads(sys.argv[1])
settings = config.load({}, database_url=args["url"], seed_test_merchant=False)
bootstrap.start(settings, migrate=False)
sys.path.insert(0, args["bench"])
from lists_timing import measure
pid = db.read(lambda: db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]) if db.is_postgres() else None
out = {}
for name, params in args["cases"].items():
    params = {"limit": "25", **params}
    out[name] = measure(lambda: db.read(payments.list_payments, args["merchant"], params), args["repeats"], args["budget"], pid)
    print(json.dumps({name: out[name]}), flush=True)
"""


def before_cases(before: Path, url: str, merchant_id: str, v: dict, repeats: int, budget_s: float, title: str) -> dict:
    """The code before issue 22 (its checkout and virtualenv) listing from the same database."""
    cases = {
        "page 1 (offset 0 + total)": {},
        f"page {v['deep_page']:,} by offset ({(v['deep_page'] - 1) * PAGE:,}) + total": {"offset": str((v["deep_page"] - 1) * PAGE)},
        "offset 10,000 + total": {"offset": "10000"},
        "status=failed": {"status": "failed"},
        "status=refunded": {"status": "refunded"},
        "method=card": {"method": "card"},
        "from/to (one hour, a month ago)": {"from": v["from"], "to": v["to"]},
        f"q (id prefix {v['q_id_prefix']}: the old q)": {"q": v["q_id_prefix"]},
    }
    # The timing function, shared as a file so both codes are timed by the same lines.
    helper = Path(tempfile.mkdtemp(prefix="paygate-bench-before-"))
    (helper / "lists_timing.py").write_text(
        "import os, time\nfrom pathlib import Path\n" + _source(_proc_cpu_s) + "\n" + _source(measure) + "\n"
    )
    arg = json.dumps({"url": url, "merchant": merchant_id, "cases": cases, "repeats": repeats, "budget": budget_s, "bench": str(helper)})
    _header(title)
    proc = subprocess.Popen([str(before / ".venv/bin/python"), "-c", BEFORE_SCRIPT, arg], cwd=before, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ""})
    out = {}
    for line in proc.stdout:
        (name, r), = json.loads(line).items()
        out[name] = r
        _print_row(name, r)
    if proc.wait() != 0:
        raise SystemExit(f"the before code failed (exit {proc.returncode})")
    return out


def _source(fn) -> str:
    import inspect

    return inspect.getsource(fn)


def drop_list_indexes() -> list[str]:
    """Drop the indexes issue 22 added (migration 40 and 70–74): the schema the before code ran on."""
    from paygate import db, migrations

    names = [name for name, _t, _c in migrations._LIST_INDEXES]
    names += [name for name, _t, _c in (migrations._TEXT_INDEXES_PG if db.is_postgres() else migrations._TEXT_INDEXES_SQLITE)]
    names += [name for name, _t, _c in (migrations._SCALE_INDEXES_SQLITE if db.is_sqlite() else ())]
    db.unit_of_work(lambda: [db.database.execute_sql(f"DROP INDEX IF EXISTS {name}") for name in names])
    db.read(lambda: db.database.execute_sql("ANALYZE"))
    return names


def main() -> None:
    from paygate import bootstrap, config, db
    from paygate.models import Payment

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite", help="postgres: start bench's PostgreSQL (fsync on)")
    parser.add_argument("--database-url", default=None, help="an existing postgresql:// database instead of starting one")
    parser.add_argument("--payments", type=int, default=1_000_000, help="the big merchant's payments")
    parser.add_argument("--merchants", type=int, default=100, help="other merchants")
    parser.add_argument("--each", type=int, default=10_000, help="payments per other merchant")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--budget", type=float, default=4.0, help="seconds a case may take once it has 5 samples")
    parser.add_argument("--seeded", action="store_true", help="--database-url holds a seeded history already: measure only")
    parser.add_argument(
        "--serial", action="store_true",
        help="PostgreSQL without parallel workers (PGOPTIONS, both codes): the backend does all the work, so its CPU is the call's",
    )
    parser.add_argument("--before", type=Path, default=None, help="a checkout of the code before issue 22 with its .venv")
    args = parser.parse_args()
    pg = None
    if args.serial:  # read by libpq at connect: this process's connections and the before code's
        os.environ["PGOPTIONS"] = (os.environ.get("PGOPTIONS", "") + " -c max_parallel_workers_per_gather=0").strip()
    if args.backend == "postgres" and not args.database_url:
        from devstack.services import Postgres

        pg = Postgres(fsync=True).start()
        args.database_url = pg.create_database("lists")
    try:
        if args.database_url:
            url = args.database_url
        else:
            url = "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="paygate-bench-lists-")) / "paygate.db")
        settings = config.load({}, database_url=url, seed_test_merchant=False)
        bootstrap.start(settings)
        if args.seeded:
            from paygate.models import Merchant

            big, seconds = db.read(lambda: Merchant.select(Merchant.id).where(Merchant.name == "Lists bench").order_by(Merchant.created_at.desc()).scalar()), 0.0
            args.payments = db.read(lambda: Payment.select().where(Payment.merchant == big).count())
            args.merchants = db.read(lambda: Merchant.select().where(Merchant.name.startswith("Lists bench ")).count())
            total = db.read(lambda: Payment.select().count())
            args.each = (total - args.payments) // max(1, args.merchants)
        else:
            big, _others, seconds = seed(args.payments, args.merchants, args.each)
            total = db.read(lambda: Payment.select().count())
        assert total == args.payments + args.merchants * args.each, total
        parallel = db.read(lambda: db.database.execute_sql("SHOW max_parallel_workers_per_gather").fetchone()[0]) if db.is_postgres() else "-"
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {'PostgreSQL (fsync on)' if db.is_postgres() else 'SQLite'} "
              f"(max_parallel_workers_per_gather {parallel}): seeded {total:,} payments "
              f"({args.payments:,} for one merchant, {args.merchants} × {args.each:,}) in {seconds:.0f} s; load {os.getloadavg()[0]:.1f}", flush=True)
        settle()
        v = pick_values(big, args.payments)
        print(json.dumps(v), flush=True)
        results = {"after": after_cases(big, v, args.repeats, args.budget)}
        if args.before:
            results["before"] = before_cases(args.before, url, big, v, args.repeats, args.budget, "before (246394f), today's schema")
            # Again, now that the before code has run too: the order of the runs is not the difference.
            results["after_again"] = after_cases(big, v, args.repeats, args.budget, "after again (this code), after the before")
            print("dropped:", ", ".join(drop_list_indexes()))
            results["before_schema"] = before_cases(args.before, url, big, v, args.repeats, args.budget, "before (246394f), its own schema")
        print(f"\nload {os.getloadavg()[0]:.1f} at {time.strftime('%H:%M UTC', time.gmtime())}")
        print(json.dumps(results))
    finally:
        if pg is not None:
            db.database.close()
            pg.destroy()


if __name__ == "__main__":
    main()
