"""JSON in and out. orjson for speed; request bodies must be a JSON object of valid UTF-8."""

from __future__ import annotations

import orjson
from sanic.response import HTTPResponse

from ..errors import InvalidRequest


def dumps(value) -> bytes:
    return orjson.dumps(value)


def json_response(value, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    return HTTPResponse(orjson.dumps(value), status=status, headers=headers, content_type="application/json")


def raw_json_response(body: bytes | str, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    return HTTPResponse(body, status=status, headers=headers, content_type="application/json")


def json_body(request, *, optional: bool = False) -> dict:
    """The request's JSON object. Empty bodies are ``{}`` when ``optional``."""
    raw = request.body
    if not raw or not raw.strip():
        if optional:
            return {}
        raise InvalidRequest("Request body must be a JSON object")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest("Request body must be valid JSON (UTF-8)") from None
    if not isinstance(value, dict):
        raise InvalidRequest("Request body must be a JSON object")
    request.ctx.json_body = value  # the audit summary reads it: parsed once
    return value
