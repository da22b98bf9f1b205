"""Per-merchant rate limiting: 429 ``RATE_LIMIT_ERROR`` with ``Retry-After``, Stripe-style.

A fixed one-minute window per merchant, at most ``PAYGATE_RATE_LIMIT_PER_MINUTE`` requests in
it (0 turns limiting off, the default). Only authenticated requests count: the API key is public
(the checkout page carries it), so requests with a wrong secret must not use up a merchant's quota.

- With Redis configured, the counter lives in Redis (``INCR`` + ``EXPIRE``, one round trip), so
  the limit holds across API processes and hosts.
- Without Redis, an in-process counter (:class:`MemoryWindow`): exact for one API process.

The limiter refuses to become an outage: if Redis cannot be reached it lets the request through
(fail open) and falls back to the in-process counter, since refusing payments because a counter
is unavailable would be worse than briefly over-serving a merchant. Unauthenticated endpoints
(health, checkout's public calls, /metrics) are not limited here.
"""

from __future__ import annotations

import logging
import threading
import time

from sanic import Sanic

from .. import merchants
from ..errors import PaygateError, RateLimited
from .pool import read

log = logging.getLogger("paygate.ratelimit")
WINDOW_S = 60


def _window(now: float) -> tuple[int, int]:
    """(window number, seconds until it ends, at least 1)."""
    number = int(now // WINDOW_S)
    return number, max(1, int((number + 1) * WINDOW_S - now + 0.999))


class MemoryWindow:
    """The in-process twin of the Redis counter."""

    def __init__(self):
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    async def hit(self, key: str, now: float) -> int:
        number, _ = _window(now)
        with self._lock:
            if number != self._window:  # a new minute: forget the old one (bounded memory)
                self._window = number
                self._counts = {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            return count


class RedisWindow:
    """One counter per (key, minute) in Redis, shared by every API process using that Redis."""

    def __init__(self, url: str, prefix: str):
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25, retry_on_timeout=False)
        self.prefix = prefix
        self.fallback = MemoryWindow()
        self._down_until = 0.0

    async def hit(self, key: str, now: float) -> int:
        if now < self._down_until:
            return await self.fallback.hit(key, now)
        number, _ = _window(now)
        name = f"{self.prefix}:rl:{key}:{number}"
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, WINDOW_S + 5)
                count, _ = await pipe.execute()
            return int(count)
        except Exception as exc:  # Redis down: fail open, re-try Redis in a few seconds
            self._down_until = now + 2.0
            log.warning("rate limit counter unavailable (%s); using the in-process counter", type(exc).__name__)
            return await self.fallback.hit(key, now)


def install(app: Sanic, settings) -> None:
    """Register the limiter as request middleware (after the request id is assigned)."""
    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return

    @app.before_server_start
    async def open_counter(app):
        if settings.redis_url:
            app.ctx.rate_window = RedisWindow(settings.redis_url, settings.queue_name)
        else:
            app.ctx.rate_window = MemoryWindow()

    @app.on_request(priority=90)
    async def limit_merchant(request):
        key = request.headers.get("X-Api-Key")
        secret = request.headers.get("X-Api-Secret")
        if not key or not secret:
            return  # no credentials: auth answers 401, nothing to count against
        try:
            if merchants.auth_cache.get(key) is not None:
                merchant = merchants.authenticate(key, secret)  # memory only
            else:
                merchant = await read(request, merchants.authenticate, key, secret)  # warms the cache for the handler
        except PaygateError:
            return  # wrong credentials (401) or no database (503): the handler answers
        now = time.time()
        count = await request.app.ctx.rate_window.hit(merchant.id, now)
        if count > limit:
            _, retry_after = _window(now)
            raise RateLimited(retry_after, f"Rate limit of {limit} requests per minute exceeded; retry after {retry_after} s")
