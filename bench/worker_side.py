"""``python -m bench.worker_side [--backend postgres|sqlite] [--tree DIR] [--profile DIR]``: the
worker-side figures alone (drain at zero bank delay, webhooks/s), with CPU per payment.

The same calls as ``python -m bench`` (``drain.drain_prequeued`` / ``drain_end_to_end`` and
``webhooks.deliveries_per_s`` in a ``deployment(...)`` at ``TEST_PROCESSING_DELAY=0``), plus the
CPU the workers (and PostgreSQL) used, read from /proc: CPU per payment barely moves when the
machine is shared, unlike payments/s. On PostgreSQL the worker figure is the ``paygate worker``
processes; on the embedded default it is the one ``paygate serve`` process (creates included).

``--tree DIR`` runs the same driver against another checkout (e.g. ``/work/before``) with that
checkout's venv, so two code versions are measured by identical code back to back.
``--profile DIR`` records py-spy (``--gil``, raw collapsed stacks) of each worker meanwhile;
timings under the profiler are not the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
PY_SPY = os.environ.get("PY_SPY", "/work/main/.venv/bin/py-spy")


def _reexec(tree: Path, argv: list[str]) -> int:
    """Run this very file inside ``tree`` (its venv, its ``bench`` and ``paygate``)."""
    python = tree / ".venv" / "bin" / "python"
    code = ("import runpy, sys; sys.argv = ['bench.worker_side'] + sys.argv[1:]; "
            f"runpy.run_path({str(HERE)!r}, run_name='__main__')")
    return subprocess.call([str(python), "-c", code, *argv], cwd=tree)


class Profiler:
    def __init__(self, out_dir: Path | None):
        self.out_dir, self.procs = out_dir, []

    def attach(self, pid: int, name: str):
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        out = self.out_dir / f"{name}-{pid}.txt"
        self.procs.append(subprocess.Popen([PY_SPY, "record", "--gil", "-r", "100", "-f", "raw", "-o", str(out), "-p", str(pid), "--subprocesses"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(2)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


class Probe:
    """CPU snapshots taken by a figure's own polling: at the first unit of work seen and at each
    later poll, so worker start-up is not counted; per unit over the units done in between."""

    def __init__(self, workers_cpu, pg_cpu):
        self.workers_cpu, self.pg_cpu = workers_cpu, pg_cpu
        self.first = self.last = None  # (units done, worker CPU s, PostgreSQL CPU s)

    def saw(self, value, n, done_of):
        done = done_of(value, n)
        if done > 0:
            snap = (done, self.workers_cpu(), self.pg_cpu())
            if self.first is None:
                self.first = snap
            elif done > self.last[0]:
                self.last = snap
            self.last = self.last or snap
        return value

    def per_unit(self):
        if self.first is None or self.last is None or self.last[0] <= self.first[0]:
            return None, None, 0
        units = self.last[0] - self.first[0]
        return (self.last[1] - self.first[1]) * 1000 / units, (self.last[2] - self.first[2]) * 1000 / units, units


def _enable_pg_stats(services) -> None:
    import psycopg2

    conn = psycopg2.connect(services.pg.url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    conn.close()
    services.pg.restart_server()


def _pg_stats(phase: str, reset: bool = False) -> None:
    """Statements of this database by total time (execution time), then reset."""
    from paygate import db

    def go():
        db.database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        if not reset:
            rows = db.database.execute_sql(
                "SELECT calls, rows, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "ORDER BY 3 DESC LIMIT 14").fetchall()
            print(f"--- PostgreSQL statements, {phase} (ms total, calls, rows)", file=sys.stderr)
            for calls, nrows, ms, query in rows:
                print(f"{ms:9.1f} {calls:7d} {nrows:8d}  {query}", file=sys.stderr)
        db.database.execute_sql("SELECT pg_stat_statements_reset()")

    db.read(go)


def run(backend: str, drain_n: int, webhook_n: int, workers: int, profile: Path | None, pg_stats: bool = False, pre_sql=()) -> dict:
    from bench import drain, webhooks
    from bench.stack import Services, bind_core, cpu_seconds, deployment, postmaster_pid, webhook_receiver

    pg = backend == "postgres"
    services = Services() if pg else None
    if pg and pg_stats:
        _enable_pg_stats(services)
    stats = _pg_stats if pg and pg_stats else (lambda *a, **k: None)
    prof = Profiler(profile)
    out: dict = {"backend": backend, "tree": str(Path.cwd()), "load_before": os.getloadavg()[0]}
    try:
        with deployment(backend, services, {"TEST_PROCESSING_DELAY": "0"}, api_workers=2 if pg else 1, worker_processes=0) as d:
            bind_core(d)
            from paygate import db

            for sql in pre_sql:  # attribution experiments only (e.g. an index dropped)
                db.unit_of_work(lambda: db.database.execute_sql(sql))
            out["pre_sql"] = list(pre_sql)
            pm = postmaster_pid(services) if pg else None
            start_worker = d.start_worker

            def started_worker():
                proc = start_worker()
                prof.attach(proc.pid, "worker")
                return proc

            d.start_worker = started_worker
            if pg:
                # CPU from the first settlement seen to the last (worker start-up excluded),
                # over the payments settled in between
                probe = Probe(lambda: cpu_seconds([p.pid for p in d.workers]), lambda: cpu_seconds([pm]))
                stats("", reset=True)
                count = drain.seed.pending_count
                drain.seed.pending_count = lambda: probe.saw(count(), drain_n, lambda c, n: n - c)
                try:
                    f = drain.drain_prequeued(d, drain_n, workers)
                finally:
                    drain.seed.pending_count = count
                w, p, done = probe.per_unit()
                out.update(f, drain_worker_cpu_ms=w, drain_pg_cpu_ms=p, drain_cpu_counted=done)
                stats(f"drain ({drain_n} payments, creates before the reset)")
            else:
                prof.attach(d.server.pid, "serve-drain")
                c0 = cpu_seconds([d.server.pid])
                f = drain.drain_end_to_end(d, drain_n)
                out.update(f, drain_daemon_cpu_ms=(cpu_seconds([d.server.pid]) - c0) * 1000 / drain_n)
                prof.stop()
            prof.stop()
            with webhook_receiver() as (url, arrivals):
                if pg:
                    probe = Probe(lambda: cpu_seconds([p.pid for p in d.workers]), lambda: cpu_seconds([pm]))
                    plain_start = d.start_worker

                    def start_after_reset():  # the creates are done: count the workers' statements only
                        if not d.workers:
                            stats("", reset=True)
                        return plain_start()

                    d.start_worker = start_after_reset
                    got = webhooks.arrivals
                    webhooks.arrivals = lambda path: probe.saw(got(path), webhook_n, lambda rows, n: len(rows))
                    try:
                        f = webhooks.deliveries_per_s(d, url, arrivals, webhook_n, workers)
                        stats(f"webhooks ({webhook_n} payments created, then {3 * webhook_n} deliveries)")
                    finally:
                        webhooks.arrivals = got
                    w, p, done = probe.per_unit()
                    out.update(f, webhooks_worker_cpu_ms=w, webhooks_pg_cpu_ms=p, webhooks_cpu_counted=done)
                else:
                    prof.attach(d.server.pid, "serve-webhooks")
                    c0 = cpu_seconds([d.server.pid])
                    f = webhooks.deliveries_per_s(d, url, arrivals, webhook_n, 0)
                    out.update(f, webhooks_daemon_cpu_ms=(cpu_seconds([d.server.pid]) - c0) * 1000 / f["webhooks_n"])
            prof.stop()
    finally:
        prof.stop()
        if services:
            services.stop()
    out["load_after"] = os.getloadavg()[0]
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.worker_side", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--tree", type=Path, help="measure this checkout instead (its own venv)")
    parser.add_argument("--drain-n", type=int, default=3000)
    parser.add_argument("--webhook-n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="paygate worker processes (PostgreSQL)")
    parser.add_argument("--profile", type=Path, help="write py-spy raw profiles of the workers here")
    parser.add_argument("--json", type=Path, help="append the figures as one JSON line to this file")
    parser.add_argument("--pre-sql", action="append", default=[], help="run this SQL on the deployment's database first (attribution only)")
    parser.add_argument("--pg-stats", action="store_true", help="load pg_stat_statements and print the top statements of each phase")
    args = parser.parse_args(argv)
    if args.tree and args.tree.resolve() != Path.cwd().resolve():
        rest = [a for i, a in enumerate(argv) if a != "--tree" and (i == 0 or argv[i - 1] != "--tree")]
        return _reexec(args.tree.resolve(), rest)
    t0 = time.monotonic()
    result = run(args.backend, args.drain_n, args.webhook_n, args.workers, args.profile, args.pg_stats, args.pre_sql)
    result["seconds"] = round(time.monotonic() - t0, 1)
    line = json.dumps(result, default=str)
    print(line)
    if args.json:
        with args.json.open("a") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
