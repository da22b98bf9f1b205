"""Create cost of one checkout, alone: ``python bench/create_cpu.py [--checkout DIR] [--backend B]``.

Starts PostgreSQL (fsync on) and Redis (bench's ``Services``), ``paygate serve --workers 2`` of
that checkout (or the embedded default with ``--backend sqlite``), runs wrk creates at c=64
(``bench/lua/create.lua``) and prints create req/s, daemon CPU ms per create and PostgreSQL CPU ms
per create, one line per round. Meant for before/after comparisons run back to back:

    python bench/create_cpu.py --checkout /work/before --rounds 2
    python bench/create_cpu.py --rounds 2

The checkout's own ``bench``/``devstack`` and its own venv (``DIR/.venv``, re-executed into when
this interpreter is another one) are used, so the baseline is measured with its own code. With
``--profile FILE`` py-spy (``--gil``, raw) records one Sanic worker during the last round.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _reexec(checkout: Path) -> None:
    py = checkout / ".venv" / "bin" / "python"
    venv = checkout / ".venv"
    if py.exists() and Path(sys.prefix).resolve() != venv.resolve() and not os.environ.get("_CREATE_CPU_CHILD"):
        os.environ["_CREATE_CPU_CHILD"] = "1"
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


def _sanic_workers(root_pid: int) -> list[int]:
    """The serving processes: the descendants of `paygate serve` that use the most CPU."""
    from bench.stack import _tree, cpu_seconds

    kids = [p for p in _tree(root_pid) if p != root_pid]
    return sorted(kids, key=lambda p: cpu_seconds([p]) - sum(cpu_seconds([k]) for k in _tree(p) if k != p))[-2:]


def _threads(root_pid: int, py_spy: str) -> dict:
    """CPU seconds so far of every thread of the serve tree, keyed (tid, Python thread name)."""
    import re

    from bench.stack import _tree

    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in _tree(root_pid):
        names = {}
        dump = subprocess.run([py_spy, "dump", "--json", "--nonblocking", "-p", str(p)], capture_output=True, text=True).stdout
        try:
            names = {str(t.get("os_thread_id")): t.get("thread_name") or "?" for t in json.loads(dump)}
        except ValueError:
            names = {}
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                f = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tid = task.name
            name = names.get(tid) or ("main" if int(tid) == p else "other")
            name = re.sub(r"_\d+$|-\d+$", "", name)
            label = f"{'root' if p == root_pid else 'child'}:{name}"
            out[(f"{p}/{tid}", label + ":user")] = int(f[11]) / tick
            out[(f"{p}/{tid}", label + ":sys")] = int(f[12]) / tick
    return out


def _commits() -> int:
    """Transactions committed in the deployment's database so far (PostgreSQL's statistics lag
    up to a second behind: wait that long first)."""
    from paygate import db

    time.sleep(1.2)
    return db.read(lambda: db.database.execute_sql(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--profile", type=Path, help="py-spy raw output of one Sanic worker in the last round")
    ap.add_argument("--py-spy", default="/work/main/.venv/bin/py-spy")
    ap.add_argument("--threads", action="store_true", help="CPU per create by thread (names from py-spy dump)")
    ap.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    args = ap.parse_args(argv)
    checkout = args.checkout.resolve()
    _reexec(checkout)
    sys.path.insert(0, str(checkout))
    os.environ["PYTHONPATH"] = str(checkout)  # the daemon imports this checkout's paygate (a copy's too)
    os.chdir(checkout)

    from bench import seed
    from bench.loadgen import run_wrk
    from bench.stack import KEY, SECRET, Services, bind_core, cpu_seconds, deployment, postmaster_pid
    from bench.throughput import _lines_file

    pg = args.backend == "postgres"
    services = Services() if pg else None
    try:
        with deployment(args.backend, services, {"TEST_PROCESSING_DELAY": "600000"},
                        api_workers=2 if pg else 1, worker_processes=0) as d:
            bind_core(d)
            time.sleep(1.0)
            orders = _lines_file(seed.orders(256))
            url = d.base_url + "/api/v1/payments"
            pg_pids = [postmaster_pid(services)] if pg else []
            run_wrk(url, "create", connections=16, seconds=2, args=(orders, f"w{os.getpid()}", KEY, SECRET))
            i0, ip0, t0 = cpu_seconds([d.server.pid]), cpu_seconds(pg_pids), time.monotonic()
            time.sleep(5)
            idle = {"idle_cpu_ms_per_s": round((cpu_seconds([d.server.pid]) - i0) * 1000 / (time.monotonic() - t0), 1),
                    "idle_pg_cpu_ms_per_s": round((cpu_seconds(pg_pids) - ip0) * 1000 / (time.monotonic() - t0), 1)}
            print(json.dumps(idle), flush=True)
            for i in range(args.rounds):
                spy = None
                if args.profile and i == args.rounds - 1:
                    target = _sanic_workers(d.server.pid)[-1:] or [d.server.pid]
                    print("profiling", target, "of", _sanic_workers(d.server.pid), file=sys.stderr)
                    spy = subprocess.Popen([args.py_spy, "record", *([] if os.environ.get("NOGIL") else ["--gil"]), "-r", str(args.rate), "--nonblocking", "-d", str(int(args.seconds)), "-f", "raw",
                                            "-o", str(args.profile), "-p", str(target[0])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.5)
                x0 = _commits() if pg else 0
                c0, p0 = cpu_seconds([d.server.pid]), cpu_seconds(pg_pids)
                th0 = _threads(d.server.pid, args.py_spy) if args.threads else {}
                r = run_wrk(url, "create", connections=args.connections, seconds=args.seconds,
                            args=(orders, f"r{os.getpid()}-{i}", KEY, SECRET))
                c1, p1 = cpu_seconds([d.server.pid]), cpu_seconds(pg_pids)
                th1 = _threads(d.server.pid, args.py_spy) if args.threads else {}
                x1 = _commits() if pg else 0
                if spy:
                    spy.wait(args.seconds + 30)
                done = max(r.requests - r.errors, 1)
                out = {"checkout": str(checkout), "backend": args.backend, "round": i, "create_rps": round(r.rps, 1),
                       "create_cpu_ms": round((c1 - c0) * 1000 / done, 3), "errors": r.errors, "p99_ms": round(r.p99_ms, 1)}
                if pg:
                    out["create_pg_cpu_ms"] = round((p1 - p0) * 1000 / done, 3)
                    out["creates_per_commit"] = round(done / max(x1 - x0, 1), 1)
                out["load"] = os.getloadavg()[0]
                if th1:
                    per = {}
                    for k, v in th1.items():
                        per[k[1]] = per.get(k[1], 0) + v - th0.get(k, 0)
                    out["threads_ms"] = {k: round(v * 1000 / done, 3) for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v > 0}
                print(json.dumps(out), flush=True)
            Path(orders).unlink(missing_ok=True)
    finally:
        if services:
            services.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
