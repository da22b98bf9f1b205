"""``python -m bench [--quick] [--json FILE]``: start everything, measure, print a table, write JSON, stop.

Top-level keys are PostgreSQL (fsync on) + Redis figures; ``embedded`` holds the same figures on
the no-configuration default (SQLite + in-process worker) where they apply. A figure that cannot
be measured yet is null, with its reason under ``unavailable``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import analytics, drain, throughput, webhooks
from .stack import Services, bind_core, deployment, postmaster_pid, tree_rss_mb, uptime, webhook_receiver

KEYS = (
    "hello_rps", "create_rps", "create_p99_ms", "create_c16_rps", "create_c16_p99_ms", "get_rps",
    "drain_payments_per_s", "drain_delayed_payments_per_s", "webhooks_per_s", "create_to_webhook_p50_ms", "due_late_p99_ms",
    "analytics_ms", "daemon_rss_mb", "daemon_rss_load_mb",
)
EXTRA = ("due_late_p50_ms", "create_cpu_ms", "create_pg_cpu_ms", "get_cpu_ms", "drain_delayed_late_s", "create_to_created_webhook_p50_ms", "worker_rss_mb")


@dataclass(frozen=True)
class Plan:
    seconds: float  # each wrk measurement
    warmup: bool  # a 1 s wrk run before each measured one
    api_workers: int  # `paygate serve --workers` on PostgreSQL (the embedded default runs one process)
    worker_processes: int  # `paygate worker` processes on PostgreSQL
    drain_n: int
    delayed_n: int
    delayed_env: dict  # the bank delay for the "default delay" drain
    webhook_n: int
    latency_n: int
    analytics_rows_pg: int
    analytics_rows_embedded: int
    embedded_delayed: bool
    due_late_n: int  # payments due 1 s after create, created at 200/s


# drain_n 20,000: a drain of 3,000 lasted 0.3 s and the 50 ms poll quantized it (RESULTS.md, 2026-12-07)
FULL = Plan(8, True, 2, 2, 20000, 2000, {"TEST_MODE": "false"}, 1000, 100, 1_000_000, 200_000, True, 1000)
# --quick proves the harness in about a minute: small N, 2 s runs, a 2 s bank delay instead of
# the default 5–10 s, and the delayed drain on PostgreSQL only.
QUICK = Plan(2, False, 2, 2, 300, 200, {"TEST_PROCESSING_DELAY": "2000"}, 100, 20, 20_000, 10_000, False, 200)


class Figures(dict):
    """Results of one backend, plus why any figure is missing."""

    def __init__(self):
        super().__init__()
        self.unavailable: dict[str, str] = {}

    def attempt(self, keys, fn, *args, **kw):
        try:
            self.update(fn(*args, **kw))
        except Exception as exc:  # one broken figure must not hide the others
            traceback.print_exc()
            for k in keys:
                self.unavailable[k] = f"{type(exc).__name__}: {exc}"[:300]

    def missing(self, keys, reason):
        for k in keys:
            self.unavailable[k] = reason


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def measure_backend(backend: str, services, plan: Plan) -> Figures:
    pg = backend == "postgres"
    api_workers = plan.api_workers if pg else 1
    workers = plan.worker_processes if pg else 0
    f = Figures()
    log(f"{backend}: create, get, analytics (api processes={api_workers}, worker processes={workers})")
    with deployment(backend, services, {"TEST_PROCESSING_DELAY": "600000"}, api_workers=api_workers, worker_processes=workers) as d:
        bind_core(d)
        time.sleep(1.0)
        f["daemon_rss_mb"] = tree_rss_mb(d.server.pid)
        f.attempt(("create_rps", "create_p99_ms", "create_c16_rps", "create_c16_p99_ms", "get_rps", "daemon_rss_load_mb"),
                  lambda: throughput.create_and_get(d, plan.seconds, [d.server.pid], postmaster_pid(services) if pg else None, plan.warmup)[0])
        if pg:
            f["worker_rss_mb"] = sum(tree_rss_mb(p.pid) for p in d.workers)
        rows = plan.analytics_rows_pg if pg else plan.analytics_rows_embedded
        log(f"{backend}: seeding {rows:,} payments for analytics")
        f["analytics_seed_s"] = analytics.seed_payments(rows)
        f["analytics_rows"] = rows
        f.attempt(("analytics_ms",), analytics.analytics_ms, d.base_url)

    log(f"{backend}: drain at zero simulated delay, webhooks")
    with deployment(backend, services, {"TEST_PROCESSING_DELAY": "0"}, api_workers=api_workers, worker_processes=0) as d:
        bind_core(d)
        if pg:
            f.attempt(("drain_payments_per_s",), drain.drain_prequeued, d, plan.drain_n, workers)
        else:
            f.attempt(("drain_payments_per_s",), drain.drain_end_to_end, d, plan.drain_n)
        with webhook_receiver() as (url, arrivals):
            f.attempt(("webhooks_per_s",), webhooks.deliveries_per_s, d, url, arrivals, plan.webhook_n, workers)
            f.attempt(("create_to_webhook_p50_ms",), webhooks.create_to_webhook, d, url, arrivals, plan.latency_n)

    log(f"{backend}: due lateness ({plan.due_late_n} payments due 1 s after create, at 200/s)")
    with deployment(backend, services, {"TEST_PROCESSING_DELAY": "1000"}, api_workers=api_workers, worker_processes=workers) as d:
        bind_core(d)
        f.attempt(("due_late_p99_ms", "due_late_p50_ms"), drain.due_lateness, d, plan.due_late_n)

    if pg or plan.embedded_delayed:
        log(f"{backend}: drain with the bank delay {plan.delayed_env}")
        with deployment(backend, services, plan.delayed_env, api_workers=api_workers, worker_processes=workers) as d:
            bind_core(d)
            f.attempt(("drain_delayed_payments_per_s",), drain.drain_delayed, d, plan.delayed_n)
    else:
        f.missing(("drain_delayed_payments_per_s",), "skipped in --quick (the bank delay costs ≥ 10 s per backend)")
    return f


def run(plan: Plan, quick: bool) -> dict:
    started = time.monotonic()
    out: dict = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "quick" if quick else "full",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        "load_before": uptime(),
        "plan": plan.__dict__,
    }
    log("starting PostgreSQL (fsync on) and Redis")
    services = Services()
    try:
        log(f"hello-world baseline ({plan.api_workers} processes)")
        hello = Figures()
        hello.attempt(("hello_rps",), throughput.hello_rps, plan.api_workers, plan.seconds, 64, plan.warmup)
        embedded_hello = Figures()
        embedded_hello.attempt(("hello_rps",), throughput.hello_rps, 1, plan.seconds, 64, plan.warmup)
        pg = measure_backend("postgres", services, plan)
        embedded = measure_backend("sqlite", None, plan)
    finally:
        services.stop()
    pg.update(hello)
    embedded.update(embedded_hello)
    for figs in (pg, embedded):
        if figs.get("hello_rps") and figs.get("create_rps"):
            figs["create_vs_hello"] = figs["create_rps"] / figs["hello_rps"]
    unavailable = {**pg.unavailable, **hello.unavailable}
    for k in KEYS:
        out[k] = pg.get(k)
        if out[k] is None and k not in unavailable:
            unavailable[k] = "not measured"
    out.update({k: v for k, v in pg.items() if k not in out})
    out["unavailable"] = unavailable
    out["embedded"] = {**embedded, "unavailable": {**embedded.unavailable, **embedded_hello.unavailable}}
    out["load_after"] = uptime()
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}" if v < 1 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def table(result: dict) -> str:
    emb = result["embedded"]
    rows = [("figure", "PostgreSQL + Redis", "embedded (SQLite)"), ("---", "---:", "---:")]
    for k in KEYS:
        rows.append((k, _fmt(result.get(k)), _fmt(emb.get(k))))
    for k in ("create_vs_hello",) + EXTRA:
        rows.append((k, _fmt(result.get(k)), _fmt(emb.get(k))))
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    for where, missing in (("PostgreSQL", result["unavailable"]), ("embedded", emb["unavailable"])):
        for k, why in missing.items():
            lines.append(f"n/a {where} {k}: {why}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs and small N (≤ 60 s): proves the harness works")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    result = run(QUICK if args.quick else FULL, args.quick)
    print(table(result))
    print(f"\n{result['mode']} run in {result['seconds']} s; load before: {result['load_before']}; after: {result['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
