"""The API's one request/response middleware pair.

Sanic runs every middleware as its own coroutine; three pairs (request id, metrics, CORS) cost
a measurable share of a GET. One pair does all of it, in order: on the request, the request id
(yours if it is sane, else a new one) and the metrics timer; on the response, ``X-Request-Id``,
the CORS headers of the public endpoints, and the request's metrics and access log line.
"""

from __future__ import annotations

import secrets

from sanic import Sanic

from . import cors, metrics


def request_id_for(incoming: str) -> str:
    """The caller's ``X-Request-Id`` when it is 1–64 printable ASCII characters, else a new one."""
    if 0 < len(incoming) <= 64 and incoming.isascii() and incoming.isprintable():
        return incoming
    return "req_" + secrets.token_hex(8)


def install_request_id(app: Sanic) -> None:
    """The request id alone (the checkout app: no metrics, no CORS)."""

    @app.on_request(priority=100)
    async def assign_request_id(request):
        request.ctx.request_id = request_id_for(request.headers.get("X-Request-Id", ""))

    @app.on_response(priority=100)
    async def echo_request_id(request, response):
        request_id = getattr(request.ctx, "request_id", None)
        if request_id and response is not None:
            response.headers["X-Request-Id"] = request_id


def install(app: Sanic) -> None:
    """The API's pair: request id, metrics, CORS."""

    @app.on_request(priority=100)  # first: the rate limiter's and the handlers' errors carry the id
    async def begin(request):
        request.ctx.request_id = request_id_for(request.headers.get("X-Request-Id", ""))
        metrics.start(request)

    @app.on_response(priority=100)
    async def finish(request, response):
        if response is None:
            return
        request_id = getattr(request.ctx, "request_id", None)
        if request_id:
            response.headers["X-Request-Id"] = request_id
        cors.mark_public(request, response)
        metrics.record(request, response)
