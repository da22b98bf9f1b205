"""``GET /metrics`` in the Prometheus text format, and the per-request bookkeeping behind it.

The scrape is operator data (every merchant's work, workers' names), so it is served by its own
listener (:func:`create_metrics_app`), on loopback by default (``PAYGATE_METRICS_HOST``,
``PAYGATE_METRICS_PORT``, 127.0.0.1:9100), never on the merchant API port.

Request counters and the latency histogram are prometheus_client metrics. With one API process
they live in its memory; with ``serve --workers N`` they use the library's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, set up by serve: see ``metrics_dir``), so a scrape answered by
any worker sums every worker's counters and they never jump backwards. The hot path is one
cached counter and one cached histogram child per request: no label lookups, no allocation.
Everything about work — queue depth, deliveries by outcome, live workers — is read from the rows
at scrape time, so every process reports the same truth and a lost Redis cannot make it lie.

Routes are labelled by their pattern (``/api/v1/payments/<payment_id:str>``), never the raw path,
and methods outside HTTP's usual set share one label, so requests cannot blow up the label space;
unmatched paths share one label.

The access log line (one JSON object per request, see ``paygate.logs``) is written here too.
"""

from __future__ import annotations

import logging
import os
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest, multiprocess, values
from sanic import Blueprint, Sanic
from sanic.response import HTTPResponse

from .. import db, logs
from ..logs import request_id_var
from .pool import in_pool

access_log = logging.getLogger("paygate.access")
log = logging.getLogger("paygate.metrics")
bp = Blueprint("metrics")

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

disable_created_metrics()  # no *_created series: they double the output and nobody graphs them
HTTP_REQUESTS = Counter("paygate_http_requests", "HTTP requests answered, by method, route pattern and status.", ["method", "route", "status"])
COMMIT_QUEUE_FULL = Counter("paygate_commit_queue_full", "Creates refused with 503 because the committer's queue was full.")
PUBLIC_LIMITED = Counter("paygate_public_payment_limited", "Public payment attempts refused with 429, by the limit hit (order, client).", ["limit"])
HTTP_DURATION = Histogram("paygate_http_request_duration_seconds", "Time to answer a request, by route pattern.", ["route"], buckets=BUCKETS)


def shared_across_processes() -> bool:
    """True when prometheus_client keeps values in ``PROMETHEUS_MULTIPROC_DIR`` files."""
    return values.ValueClass is not values.MutexValue


class RequestMetrics:
    """Counts and times requests, caching each label set's child (bounded: method × route × status)."""

    def __init__(self):
        self._counters: dict[tuple[str, str, int], object] = {}
        self._timers: dict[str, object] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in METHODS:
            method = "OTHER"
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = HTTP_REQUESTS.labels(method, route, str(status))
        timer = self._timers.get(route)
        if timer is None:
            timer = self._timers[route] = HTTP_DURATION.labels(route)
        counter.inc()
        timer.observe(seconds)


def request_metrics_text() -> str:
    """This process's registry, or with several processes the sum of all of them."""
    if shared_across_processes():
        for attempt in range(_SHARED_READS):
            try:
                registry = CollectorRegistry()
                multiprocess.MultiProcessCollector(registry)
                return generate_latest(registry).decode()
            except Exception:  # another process was growing its file as this one read it: read again
                if attempt == _SHARED_READS - 1:
                    raise
                log.debug("metrics files changed while read; reading them again", exc_info=True)
                time.sleep(0.005)
    return generate_latest(REGISTRY).decode()


_SHARED_READS = 3  # a scrape in multiprocess mode reads every process's mmap file, which its owner may be extending


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _gauge(name: str, help_text: str, rows) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in rows:
        inner = ",".join(f'{k}="{_esc(str(v))}"' for k, v in labels.items())
        lines.append(f"{name}{{{inner}}} {value}" if inner else f"{name} {value}")
    return lines


def _counter(name: str, help_text: str, rows) -> list[str]:
    return [line.replace(" gauge", " counter", 1) if line.startswith("# TYPE") else line for line in _gauge(name, help_text, rows)]


def work_metrics() -> list[str]:
    """Queue depth, deliveries by outcome and live workers, counted from the rows (a read)."""
    from peewee import fn

    from ..clock import utcnow
    from ..backlog import pending_counts
    from ..heartbeat import live_workers
    from ..models import Payment, Refund, WebhookDelivery

    now = utcnow()
    depth = []
    by_status = []
    for kind, model in (("payment", Payment), ("refund", Refund), ("webhook_delivery", WebhookDelivery)):
        waiting, due_now = pending_counts(model, now)
        depth += [({"kind": kind, "state": "scheduled"}, waiting), ({"kind": kind, "state": "due"}, due_now)]
        for status, n in model.select(model.status, fn.COUNT(model.id)).group_by(model.status).tuples():
            by_status.append(({"kind": kind, "status": status}, n))
    deliveries = [(labels | {}, n) for labels, n in by_status if labels["kind"] == "webhook_delivery"]
    return (
        _gauge("paygate_queue_depth", "Work not yet done: scheduled (not due) or due now, by kind.", depth)
        + _gauge("paygate_objects", "Payments, refunds and webhook deliveries by status.", by_status)
        + _gauge(
            "paygate_webhook_deliveries",
            "Webhook deliveries by outcome (pending, success, failed).",
            [({"outcome": labels["status"]}, n) for labels, n in deliveries],
        )
        + _gauge("paygate_workers_live", "Workers whose heartbeat is fresh.", [({}, live_workers())])
    )


def maintenance_metrics() -> list[str]:
    """Failed maintenance ticks per live worker, from the heartbeat rows (a read of one table, so
    it still answers when the work tables are what fails)."""
    from ..heartbeat import maintenance_failures

    return _counter(
        "paygate_maintenance_failures_total",
        "Maintenance ticks (heartbeat, sweeper, key expiry) that failed, by live worker, since it started.",
        [({"worker": name}, n) for name, n in maintenance_failures().items()],
    )


def _scrape() -> str:
    lines = [request_metrics_text().rstrip("\n")]
    try:
        lines += db.read(work_metrics)
        lines += _gauge("paygate_database_up", "1 when the database answered this scrape.", [({}, 1)])
    except Exception:  # the scrape still answers, and says the database is down
        lines += _gauge("paygate_database_up", "1 when the database answered this scrape.", [({}, 0)])
    try:
        lines += db.read(maintenance_metrics)
    except Exception:
        pass
    return "\n".join(lines) + "\n"


def limit_metrics(settings) -> list[str]:
    """The configured bounds beside their refusal counters (paygate_commit_queue_full_total,
    paygate_public_payment_limited_total), so a graph shows how close to them the load runs."""
    return _gauge(
        "paygate_limit",
        "Configured bounds: creates waiting per API process, public payment attempts per minute (0: off).",
        [
            ({"name": "commit_queue"}, settings.commit_queue_max),
            ({"name": "public_attempts_per_order"}, settings.public_attempts_per_order),
            ({"name": "public_attempts_per_client"}, settings.public_attempts_per_client),
        ],
    )


@bp.get("/metrics")
async def metrics(request):
    body = await in_pool(request, _scrape) + "\n".join(limit_metrics(request.app.ctx.settings)) + "\n"
    return HTTPResponse(body, content_type=CONTENT_TYPE)


def create_metrics_app(settings, name: str = "paygate_metrics") -> Sanic:
    """The operator's listener: ``GET /metrics`` only, with a small pool of its own for the reads."""
    from concurrent.futures import ThreadPoolExecutor

    from . import errors
    from .app import _configure

    app = Sanic(name)
    _configure(app, settings)
    errors.install(app)

    @app.before_server_start
    async def open_pool(app):
        app.ctx.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metrics")

    @app.after_server_stop
    async def close_pool(app):
        app.ctx.pool.shutdown(wait=False)

    app.blueprint(bp)
    return app


def install(app: Sanic, settings) -> None:
    """JSON logs in this process; time every request, count it, and write its access log line."""
    app.ctx.request_metrics = RequestMetrics()

    @app.before_server_start
    async def json_logs(app):  # every API process, including Sanic's spawned workers
        logs.setup(settings.log_level, fmt=settings.log_format)

    @app.after_server_stop
    async def mark_worker_dead(app):  # its live gauges go; its counters stay in the totals
        if shared_across_processes():
            multiprocess.mark_process_dead(os.getpid())

    @app.on_request(priority=99)
    async def start_timer(request):
        request.ctx.started = time.perf_counter()
        request_id_var.set(getattr(request.ctx, "request_id", None))

    @app.on_response(priority=99)
    async def record(request, response):
        started = getattr(request.ctx, "started", None)
        if started is None or response is None:
            return
        elapsed = time.perf_counter() - started
        route = request.route.path if request.route is not None else "unmatched"
        route = "/" + route.lstrip("/")
        status = response.status
        request.app.ctx.request_metrics.observe(request.method, route, status, elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "request_id": getattr(request.ctx, "request_id", None),
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
