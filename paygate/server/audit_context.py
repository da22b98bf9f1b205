"""The audit context of a request: who (the key ``auth`` recorded, or the public checkout),
which operation, the request id, the client's address, the path's id and a safe summary of the body.

Built for every change, on the event loop: what depends only on the route (its operation) is
looked up once per route, and the proxy headers are parsed only when Sanic is told to trust a
proxy (otherwise ``remote_addr`` is always empty and the peer's address is the client's).
"""

from __future__ import annotations

from ..audit import Actor, AuditContext, safe_summary
from .openapi import operation_id

CHECKOUT = Actor("checkout", "public", "checkout page")


def trusts_proxy(app) -> bool:
    """True when Sanic reads a client address from proxy headers (any of its three settings)."""
    trusted = getattr(app.ctx, "audit_trusts_proxy", None)
    if trusted is None:
        config = app.config
        trusted = app.ctx.audit_trusts_proxy = bool(config.FORWARDED_SECRET or config.REAL_IP_HEADER or config.PROXIES_COUNT)
    return trusted


def audit_context(request) -> AuditContext:
    object_id = None
    for value in (request.match_info or {}).values():
        if isinstance(value, str):
            object_id = value[:64]
            break
    ctx = request.ctx
    address = (request.remote_addr if trusts_proxy(request.app) else "") or request.ip or None
    return AuditContext(
        getattr(ctx, "merchant_id", None),
        getattr(ctx, "actor", None) or CHECKOUT,
        operation_id(request) or f"{request.method} {request.path}"[:64],
        getattr(ctx, "request_id", None),
        address,
        object_id,
        safe_summary(getattr(ctx, "json_body", None)),  # set by ``json_body``
    )
