"""App factories: the merchant API (port 8000) and the checkout (port 3001).

Each process opens its own database connections and thread pool in ``before_server_start``;
nothing is shared across processes but the database and the queue.
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

from sanic import Sanic

from .. import bootstrap, db, wakeup
from ..group_commit import GroupCommitter
from ..payments import get_payments
from ..processor import SimulatedBank
from . import cors, errors, idempotent, metrics, openapi, public_limits, ratelimit, strict
from .read_batch import ReadBatcher
from .routes import analytics, endpoints, events, health, merchants, orders, payments, refunds, testing, webhooks
from .routes import api_keys, audit, balance

log = logging.getLogger("paygate.http")

API_BLUEPRINTS = [health.bp, testing.bp, orders.bp, payments.bp, merchants.bp, refunds.bp, analytics.bp, webhooks.bp, endpoints.bp, events.bp, openapi.bp]  # /metrics: its own listener
API_BLUEPRINTS += [api_keys.bp, audit.bp]
API_BLUEPRINTS += [balance.bp]


def _configure(app: Sanic, settings) -> None:
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.KEEP_ALIVE_TIMEOUT = 75
    app.config.NOISY_EXCEPTIONS = False
    app.ctx.settings = settings


def _install_request_id(app: Sanic) -> None:
    @app.on_request(priority=100)
    async def assign_request_id(request):
        incoming = request.headers.get("X-Request-Id", "")
        request.ctx.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() and incoming.isprintable() else "req_" + secrets.token_hex(8)

    @app.on_response(priority=100)
    async def echo_request_id(request, response):
        rid = getattr(request.ctx, "request_id", None)
        if rid and response is not None:
            response.headers["X-Request-Id"] = rid


def _install_resources(app: Sanic, settings, *, migrate: bool) -> None:
    @app.before_server_start
    async def open_resources(app):
        bootstrap.start(settings, migrate=migrate)
        app.ctx.pool = ThreadPoolExecutor(max_workers=settings.request_threads, thread_name_prefix="uow")
        app.ctx.payment_reads = ReadBatcher(app.ctx.pool, get_payments)
        app.ctx.committer = GroupCommitter(
            idempotent.handlers(app.ctx.processor),
            window_s=settings.group_commit_window_ms / 1000.0,
            max_batch=settings.group_commit_max,
            # SQLite has one writer: a second committer would only wait for the first.
            threads=1 if db.is_sqlite() else 2,
            announce=wakeup.announce,
            after_commit=wakeup.alarm.ring,
            max_queue=settings.commit_queue_max,
        ).start()

    @app.after_server_stop
    async def close_resources(app):
        committer = getattr(app.ctx, "committer", None)
        if committer is not None:
            committer.stop()
        pool = getattr(app.ctx, "pool", None)
        if pool is not None:
            pool.shutdown(wait=True)


def create_api_app(settings, name: str = "paygate_api", *, migrate: bool = True) -> Sanic:
    app = Sanic(name)
    _configure(app, settings)
    app.ctx.processor = SimulatedBank(settings)
    errors.install(app)
    _install_request_id(app)
    metrics.install(app, settings)
    ratelimit.install(app, settings)
    public_limits.install(app, settings)
    cors.install(app)
    strict.install(app)
    _install_resources(app, settings, migrate=migrate)
    for bp in API_BLUEPRINTS:
        app.blueprint(bp)
    return app
