"""Limits on the public payment endpoint (``POST /api/v1/payments/public``, no credentials).

Anyone who knows an order id may try to pay it: without a bound the endpoint is a card-testing
oracle (try card after card on one order, or on many orders from one machine). So within a minute
at most ``PAYGATE_PUBLIC_ATTEMPTS_PER_CLIENT`` attempts come from one client address and at most
``PAYGATE_PUBLIC_ATTEMPTS_PER_ORDER`` go to one order; more are 429 ``RATE_LIMIT_ERROR`` with
``Retry-After``, refused before any work, so nothing is written. Refusals are counted in
``/metrics`` (``paygate_public_payment_limited_total{limit}``).

Counted like the merchant limit (:mod:`paygate.server.ratelimit`, whose windows this reuses): in
Redis when configured, so the bounds hold across API processes and hosts, else in the process.
The client address is the peer's, or what a trusted proxy reports when Sanic is told about it
(``SANIC_PROXIES_COUNT`` / ``SANIC_REAL_IP_HEADER`` / ``SANIC_FORWARDED_SECRET``): behind a load
balancer, set one of those, or every shopper shares the balancer's address.
"""

from __future__ import annotations

import time

from sanic import Sanic

from .. import ids
from ..errors import RateLimited
from . import metrics
from .ratelimit import MemoryWindow, RedisWindow, _window


def client_address(request) -> str:
    """The shopper's address: the proxy-reported one when Sanic trusts a proxy, else the peer's."""
    return request.remote_addr or request.ip or "unknown"


async def _over(request, limit: int, kind: str, key: str, now: float) -> None:
    if limit <= 0:
        return
    count = await request.app.ctx.public_window.hit(f"public-{kind}:{key}", now)
    if count > limit:
        metrics.PUBLIC_LIMITED.labels(kind).inc()
        _, retry_after = _window(now)
        raise RateLimited(retry_after, f"Too many payment attempts from this {kind} ({limit} a minute); retry after {retry_after} s")


async def check_public_attempt(request, body: dict) -> None:
    """Count this attempt against its client and its order; raise RateLimited past either bound."""
    settings = request.app.ctx.settings
    now = time.time()
    await _over(request, settings.public_attempts_per_client, "client", client_address(request), now)
    order_id = body.get("order_id")
    if ids.looks_like("order", order_id):  # anything else is refused by validation, counted per client only
        await _over(request, settings.public_attempts_per_order, "order", order_id, now)


def install(app: Sanic, settings) -> None:
    """Open the counter the public payment route uses (when either bound is on)."""
    if settings.public_attempts_per_client <= 0 and settings.public_attempts_per_order <= 0:
        return

    @app.before_server_start
    async def open_counter(app):
        app.ctx.public_window = RedisWindow(settings.redis_url, settings.queue_name) if settings.redis_url else MemoryWindow()
