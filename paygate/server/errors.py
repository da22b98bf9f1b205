"""Domain errors → HTTP, once, with a table. Every error body is the contract's shape:
``{"error": {"code": …, "description": …}}``, plus ``request_id``.
"""

from __future__ import annotations

import logging
import re

from sanic import Sanic
from sanic.exceptions import SanicException

from .. import errors as e
from .responses import json_response

log = logging.getLogger("paygate.http")

HTTP_STATUS: dict[type[e.PaygateError], int] = {
    e.AuthenticationFailed: 401,
    e.InvalidRequest: 400,
    e.PermissionDenied: 403,
    e.NotFound: 404,
    e.IdempotencyKeyReused: 422,
    e.IdempotencyKeyInProgress: 409,
    e.PayloadTooLarge: 413,
    e.RateLimited: 429,
    e.ServiceUnavailable: 503,
}

# Errors Sanic raises itself (routing, body limits, malformed requests), in the contract's words.
SANIC_STATUS_CODES = {
    400: ("BAD_REQUEST_ERROR", "Malformed request"),
    404: ("NOT_FOUND_ERROR", "Not found"),
    405: ("BAD_REQUEST_ERROR", "Method not allowed"),
    408: ("BAD_REQUEST_ERROR", "Request timed out"),
    413: ("PAYLOAD_TOO_LARGE", "Request body is too large"),
    416: ("BAD_REQUEST_ERROR", "Range not satisfiable"),
    503: ("SERVICE_UNAVAILABLE", "Service temporarily unavailable"),
}


def allowed_methods(request) -> list[str]:
    """Every method some route answers at this path. Sanic names them itself only when a single
    route holds the path; with several (``GET`` and ``POST`` declared apart, CORS ``OPTIONS``)
    its 405 carries no ``Allow``."""
    table = getattr(request.app.ctx, "methods_by_path", None)
    if table is None:
        table = request.app.ctx.methods_by_path = {}
        for route in request.app.router.routes:
            shape = re.compile("/" + re.sub(r"<[^>]+>", "[^/]+", re.escape(route.path.strip("/"))))
            table.setdefault(shape, set()).update(route.methods)
    path = request.path.rstrip("/") or "/"
    static, dynamic = set(), set()
    for shape, methods in table.items():
        if shape.fullmatch(path):
            (dynamic if "[^/]+" in shape.pattern else static).update(methods)
    return sorted(static or dynamic)  # a fixed path wins over a pattern, as in Sanic's router


def status_for(exc: e.PaygateError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def error_body(code: str, description: str, request=None, **extra) -> dict:
    body = {"code": code, "description": description, **extra}
    if request is not None:
        body["request_id"] = getattr(request.ctx, "request_id", None)
    return {"error": body}


def install(app: Sanic) -> None:
    @app.exception(e.PaygateError)
    async def domain_error(request, exc: e.PaygateError):
        headers = {}
        if isinstance(exc, (e.RateLimited, e.Overloaded)):
            headers["Retry-After"] = str(exc.retry_after)
        body = {"error": {**exc.as_dict(), "request_id": getattr(request.ctx, "request_id", None)}}
        return json_response(body, status=status_for(exc), headers=headers)

    @app.exception(SanicException)
    async def sanic_error(request, exc: SanicException):
        status = getattr(exc, "status_code", 500) or 500
        code, description = SANIC_STATUS_CODES.get(status, ("BAD_REQUEST_ERROR" if status < 500 else "SERVER_ERROR", str(exc) or "Error"))
        # Sanic's own headers for the answer, e.g. the ``Allow`` list of a 405 (RFC 9110).
        headers = dict(exc.headers or {})
        if status == 405 and "Allow" not in headers:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return json_response(error_body(code, description, request), status=status, headers=headers or None)

    @app.exception(Exception)
    async def unexpected(request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method if request else "?", request.path if request else "?")
        return json_response(error_body("SERVER_ERROR", "Internal server error", request), status=500)
