"""CORS for the three public endpoints the checkout page calls from the browser, and nothing else.

The hosted checkout page (port 3001) and any merchant page may call
``GET /api/v1/orders/{id}/public``, ``POST /api/v1/payments/public`` and
``GET /api/v1/payments/{id}/public`` from any origin: they need no credentials and reveal nothing
a shopper holding the order id may not see. Every other route stays same-origin: a browser on a
foreign page must never be able to drive the authenticated API, so those responses carry no
``Access-Control-*`` header at all.

Preflight ``OPTIONS`` requests are answered here, before any handler, so they never meet auth,
a 404 or a 405. Credentials (cookies) are never allowed: the wildcard origin forbids them anyway.
"""

from __future__ import annotations

import re

from sanic import Blueprint, Sanic
from sanic.response import empty

PUBLIC_PATH = re.compile(r"^/api/v1/(?:orders/[^/]+/public|payments/public|payments/[^/]+/public)/?$")

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type, Idempotency-Key, X-Request-Id"
EXPOSE_HEADERS = "X-Request-Id, Idempotent-Replayed, Retry-After"
PREFLIGHT_MAX_AGE_S = "600"

bp = Blueprint("cors")


def is_public(path: str) -> bool:
    return PUBLIC_PATH.match(path) is not None


def _preflight_response():
    return empty(
        status=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
        },
    )


@bp.route("/api/v1/orders/<order_id:str>/public", methods=["OPTIONS"])
async def preflight_public_order(request, order_id):
    return _preflight_response()


@bp.route("/api/v1/payments/public", methods=["OPTIONS"])
async def preflight_public_payment_create(request):
    return _preflight_response()


@bp.route("/api/v1/payments/<payment_id:str>/public", methods=["OPTIONS"])
async def preflight_public_payment(request, payment_id):
    return _preflight_response()


def install(app: Sanic) -> None:
    """Answer preflights and mark public responses (errors included) as readable from any origin."""
    app.blueprint(bp)

    @app.on_response(priority=90)
    async def allow_public_origins(request, response):
        if response is None or not is_public(request.path):
            return
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
