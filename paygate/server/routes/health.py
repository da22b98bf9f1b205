"""Liveness and readiness: database, Redis and worker, measured on each call."""

from __future__ import annotations

from sanic import Blueprint

from ... import db, heartbeat
from ...clock import iso, utcnow
from ..pool import in_pool
from ..responses import json_response

bp = Blueprint("health")


def _check(settings) -> tuple[int, dict]:
    database_ok = db.ping()
    redis_state = "not_configured"
    if settings.redis_url:
        from ...jobs.queue import redis_ok

        redis_state = "connected" if redis_ok() else "disconnected"
    worker = "unknown"
    failures = None
    if database_ok:
        try:
            worker = db.read(heartbeat.worker_status)
            failures = sum(db.read(heartbeat.maintenance_failures).values())
        except Exception:
            worker = "unknown"
    healthy = database_ok
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "database": "connected" if database_ok else "disconnected",
        "redis": redis_state,
        "worker": worker,
        "maintenance_failures": failures,  # failed maintenance ticks of the live workers; null: unknown
        "timestamp": iso(utcnow()),
    }
    return (200 if healthy else 503), body


@bp.get("/health")
async def health(request):
    status, body = await in_pool(request, _check, request.app.ctx.settings)
    return json_response(body, status=status)
