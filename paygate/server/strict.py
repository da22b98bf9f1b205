"""Unknown query parameters and body fields are a 400 naming them, never silently ignored.

``GET /api/v1/payments?order_id=…`` once answered every payment, because an unknown filter was
dropped: a merchant's "is this order paid?" check read another order's payment. Stripe answers
"Received unknown parameter", and so does paygate, on every operation.

What is allowed is read from the OpenAPI document, in one place: an operation's ``query``
parameters, and the properties of its request body where the document closes that body
(``additionalProperties: false``). The payment create body stays open: the contract says extra
fields there are ignored (the seed's checkout pages send some).
"""

from __future__ import annotations

import orjson

from ..errors import InvalidRequest
from . import openapi


def _schema(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def allowed_inputs(doc: dict) -> dict:
    """``{(METHOD, path shape): (query names, body property names or None when open)}``."""
    out = {}
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            query = frozenset(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            fields = None
            if body is not None:
                schema = _schema(doc, body)
                if schema.get("additionalProperties") is False:
                    fields = frozenset(schema.get("properties", {}))
            out[(method.upper(), openapi._shape(path))] = (query, fields)
    return out


def _refuse(kind: str, names: list[str]):
    label = "parameter" if len(names) == 1 else "parameters"
    raise InvalidRequest(f"Received unknown {kind} {label}: {', '.join(names)}", field=names[0])


def check_request(request, allowed: dict, routes: dict | None = None) -> None:
    """Refuse unknown inputs. ``routes`` caches, per (method, route path), what ``allowed`` says
    of it, so a route's shape is worked out once rather than on every request."""
    route = request.route
    if route is None:
        return
    key = (request.method, route.path)
    found = routes.get(key, False) if routes is not None else False
    if found is False:
        found = allowed.get((request.method, openapi._shape(route.path)))
        if routes is not None:
            routes[key] = found
    if found is None:
        return
    query, fields = found
    if request.query_string:
        unknown = sorted(set(request.get_args(keep_blank_values=True)) - query)
        if unknown:
            _refuse("query", unknown)
    if fields is not None and request.body:
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return  # the handler answers what is wrong with the body itself
        if isinstance(body, dict) and (extra := sorted(set(body) - fields)):
            _refuse("body", extra)


def install(app) -> None:
    allowed = allowed_inputs(openapi.document())
    routes: dict = {}

    @app.on_request(priority=80)
    async def refuse_unknown_inputs(request):
        check_request(request, allowed, routes)
