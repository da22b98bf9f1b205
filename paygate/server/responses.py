"""JSON in and out. orjson for speed; request bodies must be a JSON object of valid UTF-8,
nested at most :data:`MAX_JSON_DEPTH` levels.

The depth is checked here, once, where every body is parsed (the unauthenticated endpoints'
too), and without recursion: whatever the core later walks (fingerprints, notes, test event
data) is already known to be shallow, so no hostile body can exhaust a stack.
"""

from __future__ import annotations

import orjson
from sanic.response import HTTPResponse

from ..errors import InvalidRequest

# Levels of objects and arrays a request body may nest: ``{}`` is one, ``{"a": []}`` two. Real
# bodies use three or four (a card inside a payment, a value inside notes).
MAX_JSON_DEPTH = 32


def dumps(value) -> bytes:
    return orjson.dumps(value)


def json_response(value, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    return HTTPResponse(orjson.dumps(value), status=status, headers=headers, content_type="application/json")


def raw_json_response(body: bytes | str, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    return HTTPResponse(body, status=status, headers=headers, content_type="application/json")


JSON_WHITESPACE = b" \t\n\r"  # RFC 8259's four; bytes.strip() would also drop \x0b and \x0c


def json_body(request, *, optional: bool = False) -> dict:
    """The request's JSON object. Empty bodies (nothing but JSON whitespace) are ``{}`` when ``optional``."""
    raw = request.body
    if not raw or not raw.strip(JSON_WHITESPACE):
        if optional:
            return {}
        raise InvalidRequest("Request body must be a JSON object")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest("Request body must be valid JSON (UTF-8)") from None
    if not isinstance(value, dict):
        raise InvalidRequest("Request body must be a JSON object")
    if too_deep(value, MAX_JSON_DEPTH):
        raise InvalidRequest(f"Request body must not nest objects and arrays more than {MAX_JSON_DEPTH} levels deep")
    request.ctx.json_body = value  # the audit summary reads it: parsed once
    return value


def too_deep(value, limit: int) -> bool:
    """True when ``value`` nests objects and arrays more than ``limit`` levels (an explicit stack,
    not recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
