"""Request throughput and latency: the hello-world baseline, payment create (c=16 and c=64), payment GET."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from . import seed
from .loadgen import run_wrk
from .stack import KEY, SECRET, RssSampler, cpu_seconds, hello_server


def _lines_file(values) -> str:
    f = tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="bench-ids-", delete=False)
    f.write("\n".join(values) + "\n")
    f.close()
    return f.name


def hello_rps(workers: int, seconds: float, connections: int = 64, warmup: bool = True) -> dict:
    with hello_server(workers) as url:
        if warmup:
            run_wrk(url, "plain", connections=connections, seconds=1)
        r = run_wrk(url, "plain", connections=connections, seconds=seconds)
    return {"hello_rps": r.rps, "hello_p99_ms": r.p99_ms}


def create_and_get(d, seconds: float, rss_pids, pg_pid=None, warmup: bool = True) -> tuple[dict, list[str]]:
    """Creates at c=16 and c=64 against a pool of orders that stay unpaid during the run
    (the deployment's settlement delay is long), then GETs of the payments just made.

    Also CPU milliseconds per request (daemon processes, and PostgreSQL's): unlike req/s, these
    barely move when other work shares the machine, so before/after comparisons stay meaningful."""
    order_file = _lines_file(seed.orders(256))
    run_id = secrets.token_hex(4)
    url = d.base_url + "/api/v1/payments"
    out = {}
    try:
        if warmup:
            run_wrk(url, "create", connections=16, seconds=1, args=(order_file, run_id + "w", KEY, SECRET))
        c16 = run_wrk(url, "create", connections=16, seconds=seconds, args=(order_file, run_id + "a", KEY, SECRET))
        cpu0 = cpu_seconds(rss_pids), cpu_seconds([pg_pid] if pg_pid else [])
        with RssSampler(rss_pids) as rss:
            c64 = run_wrk(url, "create", connections=64, seconds=seconds, args=(order_file, run_id + "b", KEY, SECRET))
        cpu1 = cpu_seconds(rss_pids), cpu_seconds([pg_pid] if pg_pid else [])
        done = max(c64.requests - c64.errors, 1)
        out["create_cpu_ms"] = (cpu1[0] - cpu0[0]) * 1000 / done
        if pg_pid:
            out["create_pg_cpu_ms"] = (cpu1[1] - cpu0[1]) * 1000 / done
        out.update(
            create_c16_rps=c16.rps, create_c16_p50_ms=c16.p50_ms, create_c16_p99_ms=c16.p99_ms, create_c16_errors=c16.errors,
            create_rps=c64.rps, create_p50_ms=c64.p50_ms, create_p99_ms=c64.p99_ms, create_errors=c64.errors,
            daemon_rss_load_mb=rss.peak,
        )
    finally:
        Path(order_file).unlink(missing_ok=True)
    from paygate import db
    from paygate.models import Payment

    payment_ids = db.read(lambda: [r[0] for r in Payment.select(Payment.id).limit(1000).tuples()])
    ids_file = _lines_file(payment_ids)
    try:
        cpu0 = cpu_seconds(rss_pids)
        g = run_wrk(d.base_url, "get", connections=64, seconds=seconds, args=(ids_file, KEY, SECRET))
        out["get_cpu_ms"] = (cpu_seconds(rss_pids) - cpu0) * 1000 / max(g.requests - g.errors, 1)
        out.update(get_rps=g.rps, get_p50_ms=g.p50_ms, get_p99_ms=g.p99_ms, get_errors=g.errors)
    finally:
        Path(ids_file).unlink(missing_ok=True)
    return out, payment_ids
