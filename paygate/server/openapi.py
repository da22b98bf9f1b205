"""The OpenAPI 3 document of the merchant API (port 8000), served at ``GET /openapi.json``.

Written by hand, next to the contract, rather than inferred from handlers: it states what
merchants may rely on (every status an operation can answer, every body's shape, the one error
shape). Two tests hold it to the truth: every route the app serves must be described here
(``undocumented``), and schemathesis fuzzes every operation against a live daemon and fails on
any 5xx or any response the document does not allow; and every operation described here must be
served.
"""

from __future__ import annotations

import re

from sanic import Blueprint

from .responses import json_response

bp = Blueprint("openapi")

ERROR_CODES = [
    "AUTHENTICATION_ERROR",
    "BAD_REQUEST_ERROR",
    "NOT_FOUND_ERROR",
    "INVALID_VPA",
    "INVALID_CARD",
    "EXPIRED_CARD",
    "IDEMPOTENCY_ERROR",
    "CONFLICT_ERROR",
    "PAYLOAD_TOO_LARGE",
    "RATE_LIMIT_ERROR",
    "SERVICE_UNAVAILABLE",
    "SERVER_ERROR",
]

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict, optional: dict | None = None, *, closed: bool = False) -> dict:
    out = {"type": "object", "properties": {**required, **(optional or {})}, "required": list(required)}
    if closed:
        out["additionalProperties"] = False
    return out


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(item: str) -> dict:
    return obj({"data": {"type": "array", "items": ref(item)}, "total": INT, "limit": INT, "offset": INT})


SCHEMAS = {
    "Error": obj(
        {
            "error": obj(
                {"code": {"type": "string", "enum": ERROR_CODES}, "description": STR},
                {"field": nullable(STR), "request_id": nullable(STR)},
            )
        }
    ),
    "Health": obj(
        {
            "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
            "database": {"type": "string", "enum": ["connected", "disconnected"]},
            "redis": {"type": "string", "enum": ["connected", "disconnected", "not_configured"]},
            "worker": {"type": "string", "enum": ["running", "stopped", "unknown"]},
            "maintenance_failures": nullable({"type": "integer", "minimum": 0}),
            "timestamp": TIME,
        }
    ),
    "TestMerchant": obj({"id": STR, "email": STR, "api_key": STR, "seeded": BOOL}),
    "JobStatus": obj(
        {"pending": INT, "processing": INT, "completed": INT, "failed": INT, "worker_status": {"type": "string", "enum": ["running", "stopped"]}}
    ),
    "OrderCreate": obj(
        {"amount": {"type": "integer", "minimum": 100}},
        {"currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "receipt": nullable({"type": "string", "maxLength": 255}), "notes": {"type": "object"}},
    ),
    "Order": obj(
        {
            "id": {"type": "string", "pattern": "^order_[A-Za-z0-9]{16}$"},
            "merchant_id": STR,
            "amount": INT,
            "currency": STR,
            "receipt": nullable(STR),
            "notes": {"type": "object"},
            "status": STR,
            "created_at": TIME,
        }
    ),
    "PublicOrder": obj({"id": STR, "amount": INT, "currency": STR, "status": STR}),
    "Card": obj(
        {
            "number": {"type": "string", "description": "13–19 digits; spaces and dashes allowed. Never stored."},
            "expiry_month": {"anyOf": [INT, STR]},
            "expiry_year": {"anyOf": [INT, STR]},
            "cvv": {"type": "string", "description": "Never stored."},
        },
        {"holder_name": STR},
    ),
    "PaymentCreate": {
        "oneOf": [
            obj({"order_id": STR, "method": {"type": "string", "enum": ["upi"]}, "vpa": STR}),
            obj({"order_id": STR, "method": {"type": "string", "enum": ["card"]}, "card": ref("Card")}),
        ]
    },
    "Payment": obj(
        {
            "id": {"type": "string", "pattern": "^pay_[A-Za-z0-9]{16}$"},
            "order_id": STR,
            "amount": INT,
            "currency": STR,
            "method": {"type": "string", "enum": ["upi", "card"]},
            "status": {"type": "string", "enum": ["pending", "success", "failed", "partially_refunded", "refunded"]},
            "captured": BOOL,
            "created_at": TIME,
            "updated_at": TIME,
        },
        {
            "vpa": nullable(STR),
            "card_network": nullable({"type": "string", "enum": ["visa", "mastercard", "amex", "rupay", "unknown"]}),
            "card_last4": nullable({"type": "string", "pattern": "^[0-9]{4}$"}),
            "error_code": nullable(STR),
            "error_description": nullable(STR),
        },
    ),
    "PublicPayment": obj(
        {"id": STR, "order_id": STR, "amount": INT, "currency": STR, "method": STR, "status": STR, "created_at": TIME},
        {"error_code": nullable(STR), "error_description": nullable(STR)},
    ),
    "PaymentPage": page_of("Payment"),
    "Capture": obj({}, {"amount": {"type": "integer", "minimum": 1}}),
    "RefundCreate": obj({"amount": {"type": "integer", "minimum": 1}}, {"reason": nullable({"type": "string"})}),
    "Refund": obj(
        {
            "id": {"type": "string", "pattern": "^rfnd_[A-Za-z0-9]{16}$"},
            "payment_id": STR,
            "amount": INT,
            "reason": nullable(STR),
            "status": {"type": "string", "enum": ["pending", "processed", "failed"]},
            "created_at": TIME,
        },
        {"processed_at": nullable(TIME)},
    ),
    "RefundPage": page_of("Refund"),
    "Merchant": obj(
        {"id": STR, "name": STR, "email": STR, "api_key": STR, "webhook_url": nullable(STR), "created_at": TIME},
        {"is_active": BOOL, "webhook_secret_set": BOOL, "webhook_secret_hint": nullable(STR)},
    ),
    "MerchantUpdate": obj({"webhook_url": nullable({"type": "string", "format": "uri"})}),
    "WebhookDelivery": obj(
        {
            "id": STR,
            "event": STR,
            "status": {"type": "string", "enum": ["pending", "success", "failed"]},
            "attempts": INT,
            "created_at": TIME,
            "last_attempt_at": nullable(TIME),
            "response_code": nullable(INT),
        }
    ),
    "WebhookDeliveryPage": page_of("WebhookDelivery"),
    "WebhookRetry": obj({"id": STR, "status": STR, "message": STR}),
    "WebhookDeliveryDetail": {
        "allOf": [ref("WebhookDelivery"), obj({"attempt_log": {"type": "array", "items": {"type": "object"}}}, {"payload": nullable({"type": "object"})})]
    },
    "WebhookTest": {"allOf": [ref("WebhookDelivery"), obj({"event_id": STR})]},
    "Event": obj({"id": STR, "event": STR, "created_at": TIME}, {"object_id": nullable(STR), "timestamp": nullable(INT), "data": nullable({"type": "object"})}),
    "EventPage": obj({"data": {"type": "array", "items": ref("Event")}, "has_more": BOOL, "limit": INT}),
    "WebhookSecret": obj({"webhook_secret": STR}, {"message": STR}),
    "Analytics": obj({"window": STR, "currency": STR, "from": TIME, "to": TIME, "totals": {"type": "object"}, "by_method": {"type": "object"}, "buckets": {"type": "array"}}),
    "AnyObject": {"type": "object"},
}

CREDENTIALS = [{"ApiKey": [], "ApiSecret": []}]
ERRORS_COMMON = ("400", "404", "413", "429", "503")
ERROR_TEXT = {
    "400": "Invalid request (BAD_REQUEST_ERROR, INVALID_VPA, INVALID_CARD, EXPIRED_CARD)",
    "401": "Missing or wrong credentials (AUTHENTICATION_ERROR)",
    "404": "Not found, or another merchant's (NOT_FOUND_ERROR)",
    "405": "Method not allowed",
    "409": "Same Idempotency-Key still running (CONFLICT_ERROR)",
    "413": "Body over the limit (PAYLOAD_TOO_LARGE)",
    "422": "Idempotency-Key reused with another body (IDEMPOTENCY_ERROR)",
    "429": "Rate limit exceeded (RATE_LIMIT_ERROR); see Retry-After",
    "503": "Database unreachable (SERVICE_UNAVAILABLE); nothing written, retry with the same Idempotency-Key",
}


def _error(status: str) -> dict:
    out = {"description": ERROR_TEXT[status], "content": {"application/json": {"schema": ref("Error")}}}
    if status == "429":
        out["headers"] = {"Retry-After": {"schema": INT, "required": True}}
    return out


def _param(name: str, where: str = "path", schema: dict | None = None, required: bool | None = None) -> dict:
    return {"name": name, "in": where, "required": where == "path" if required is None else required, "schema": schema or STR}


IDEMPOTENCY_KEY = _param("Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 255}, False)
LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, False)
OFFSET = _param("offset", "query", {"type": "integer", "minimum": 0, "default": 0}, False)


def op(
    summary: str,
    ok: tuple[str, str] | None,
    *,
    auth: bool = True,
    body: str | None = None,
    body_required: bool = True,
    params: list | None = None,
    errors: tuple = ERRORS_COMMON,
    tag: str = "",
) -> dict:
    responses: dict = {}
    if ok is not None:
        status, schema = ok
        responses[status] = {"description": "OK", "content": {"application/json": {"schema": ref(schema)}}}
    for status in errors + (("401",) if auth else ()):
        responses[status] = _error(status)
    out: dict = {"summary": summary, "responses": responses, "tags": [tag] if tag else []}
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": ref(body)}}}
    out["security"] = CREDENTIALS if auth else []
    return out


ORDER_ID = _param("order_id")
PAYMENT_ID = _param("payment_id")
REFUND_ID = _param("refund_id")
DELIVERY_ID = _param("delivery_id")
CREATE_ERRORS = ERRORS_COMMON + ("409", "422")

PATHS = {
    "/health": {
        "get": {
            "summary": "Liveness and readiness of the database, Redis and workers",
            "security": [],
            "tags": ["ops"],
            "responses": {
                "200": {"description": "Healthy", "content": {"application/json": {"schema": ref("Health")}}},
                "503": {"description": "Unhealthy", "content": {"application/json": {"schema": ref("Health")}}},
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "security": [],
            "tags": ["ops"],
            "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": STR}}}},
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "tags": ["ops"],
            "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }
    },
    "/api/v1/test/merchant": {
        "get": op("The seeded test merchant (test deployments only: 404 elsewhere)", ("200", "TestMerchant"), auth=False, errors=("404", "503"), tag="test")
    },
    "/api/v1/test/jobs/status": {
        "get": op("Every merchant's work counts and measured worker status (test deployments only: 404 elsewhere)", ("200", "JobStatus"), auth=False, errors=("404", "503"), tag="test")
    },
    "/api/v1/merchants/me/jobs": {"get": op("The merchant's own work counts and measured worker status", ("200", "JobStatus"), tag="merchants")},
    "/api/v1/orders": {"post": op("Create an order", ("201", "Order"), body="OrderCreate", tag="orders")},
    "/api/v1/orders/{order_id}": {"get": op("Get an order", ("200", "Order"), params=[ORDER_ID], tag="orders")},
    "/api/v1/orders/{order_id}/public": {
        "get": op("An order as the checkout page sees it", ("200", "PublicOrder"), auth=False, params=[ORDER_ID], tag="checkout")
    },
    "/api/v1/payments": {
        "post": op("Create a payment (201 pending at once)", ("201", "Payment"), body="PaymentCreate", params=[IDEMPOTENCY_KEY], errors=CREATE_ERRORS, tag="payments"),
        "get": op(
            "List payments, newest first",
            ("200", "PaymentPage"),
            params=[
                _param("status", "query", {"type": "string", "enum": ["pending", "success", "failed", "partially_refunded", "refunded"]}),
                _param("method", "query", {"type": "string", "enum": ["upi", "card"]}),
                _param("from", "query", {"type": "string", "format": "date-time"}),
                _param("to", "query", {"type": "string", "format": "date-time"}),
                LIMIT,
                OFFSET,
            ],
            tag="payments",
        ),
    },
    "/api/v1/payments/public": {
        "post": op("Create a payment from the checkout page", ("201", "Payment"), auth=False, body="PaymentCreate", params=[IDEMPOTENCY_KEY], errors=CREATE_ERRORS, tag="checkout")
    },
    "/api/v1/payments/{payment_id}": {"get": op("Get a payment", ("200", "Payment"), params=[PAYMENT_ID], tag="payments")},
    "/api/v1/payments/{payment_id}/public": {
        "get": op("A payment as the checkout page sees it", ("200", "PublicPayment"), auth=False, params=[PAYMENT_ID], tag="checkout")
    },
    "/api/v1/payments/{payment_id}/capture": {
        "post": op("Capture a successful payment", ("200", "Payment"), body="Capture", body_required=False, params=[PAYMENT_ID], tag="payments")
    },
    "/api/v1/payments/{payment_id}/refunds": {
        "post": op("Refund a payment (201 pending)", ("201", "Refund"), body="RefundCreate", params=[PAYMENT_ID, IDEMPOTENCY_KEY], errors=CREATE_ERRORS, tag="refunds"),
        "get": op("A payment's refunds", ("200", "RefundPage"), params=[PAYMENT_ID, LIMIT, OFFSET], tag="refunds"),
    },
    "/api/v1/refunds": {
        "get": op(
            "List refunds, newest first",
            ("200", "RefundPage"),
            params=[
                _param("status", "query", {"type": "string", "enum": ["pending", "processed", "failed"]}),
                _param("payment_id", "query"),
                _param("from", "query", {"type": "string", "format": "date-time"}),
                _param("to", "query", {"type": "string", "format": "date-time"}),
                LIMIT,
                OFFSET,
            ],
            tag="refunds",
        )
    },
    "/api/v1/refunds/{refund_id}": {"get": op("Get a refund", ("200", "Refund"), params=[REFUND_ID], tag="refunds")},
    "/api/v1/webhooks": {"get": op(
            "The webhook log, newest first",
            ("200", "WebhookDeliveryPage"),
            params=[LIMIT, OFFSET, _param("status", "query", {"type": "string", "enum": ["pending", "success", "failed"]}), _param("event", "query"), _param("event_id", "query")],
            tag="webhooks",
        )
    },
    "/api/v1/webhooks/{delivery_id}": {"get": op("One webhook delivery with its attempts", ("200", "WebhookDeliveryDetail"), params=[DELIVERY_ID], tag="webhooks")},
    "/api/v1/webhooks/{delivery_id}/retry": {
        "post": op("Deliver a webhook again now", ("200", "WebhookRetry"), params=[DELIVERY_ID], tag="webhooks")
    },
    "/api/v1/webhooks/test": {"post": op("Send a webhook.test event", ("201", "WebhookTest"), body="AnyObject", body_required=False, tag="webhooks")},
    "/api/v1/merchants/me": {
        "get": op("The authenticated merchant", ("200", "Merchant"), tag="merchants"),
        "put": op("Set or clear the webhook URL", ("200", "Merchant"), body="MerchantUpdate", tag="merchants"),
    },
    "/api/v1/merchants/me/webhook-secret": {
        "get": op("Reveal the webhook signing secret", ("200", "WebhookSecret"), tag="merchants"),
        "post": op("Regenerate the webhook secret", ("200", "WebhookSecret"), tag="merchants"),
    },
    "/api/v1/analytics": {
        "get": op(
            "Totals for the merchant over a window",
            ("200", "Analytics"),
            params=[_param("window", "query", {"type": "string", "enum": ["hour", "day", "week"]}), _param("currency", "query")],
            tag="analytics",
        )
    },
    "/api/v1/events": {
        "get": op(
            "Events, oldest first after a cursor",
            ("200", "EventPage"),
            params=[_param("after", "query"), _param("type", "query"), LIMIT],
            tag="events",
        )
    },
}


# --- webhook endpoints (issue 13) ---------------------------------------------------------------
# One block, added to the tables above, so it merges apart from the rest of the document.
ENDPOINT_ID = _param("endpoint_id", schema={"type": "string", "pattern": "^we_[A-Za-z0-9]{16}$"})
_ENABLED_EVENTS = {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "event types, prefixes such as payment.* or [\"*\"]"}
_ENDPOINT_FIELDS = {
    "id": {"type": "string", "pattern": "^we_[A-Za-z0-9]{16}$"},
    "url": STR,
    "description": nullable(STR),
    "enabled_events": _ENABLED_EVENTS,
    "status": {"type": "string", "enum": ["enabled", "disabled"]},
    "default": BOOL,
    "created_at": TIME,
}
SCHEMAS.update(
    {
        "WebhookEndpoint": obj(
            _ENDPOINT_FIELDS,
            {"updated_at": TIME, "disabled_at": nullable(TIME), "failing_since": nullable(TIME), "previous_secret_expires_at": nullable(TIME), "health": nullable({"type": "object"})},
        ),
        "WebhookEndpointWithSecret": {"allOf": [ref("WebhookEndpoint"), obj({"secret": {"type": "string", "pattern": "^whsec_"}})]},
        "WebhookEndpointPage": page_of("WebhookEndpoint"),
        "WebhookEndpointCreate": obj({"url": {"type": "string", "format": "uri"}, "enabled_events": _ENABLED_EVENTS}, {"description": nullable(STR)}),
        "WebhookEndpointUpdate": obj(
            {}, {"url": {"type": "string", "format": "uri"}, "enabled_events": _ENABLED_EVENTS, "description": nullable(STR), "status": {"type": "string", "enum": ["enabled", "disabled"]}}
        ),
        "WebhookEndpointDeleted": obj({"id": STR, "deleted": BOOL}),
        "RotateSecret": obj({}, {"expire_previous_in": {"type": "integer", "minimum": 0, "maximum": 604800, "default": 86400}}),
        "Replay": obj({"since": {"anyOf": [TIME, INT]}}, {"until": {"anyOf": [TIME, INT]}, "status": {"type": "string", "enum": ["failed", "success", "any"], "default": "failed"}}),
        "ReplayResult": obj({"endpoint_id": STR, "queued": INT, "since": TIME, "until": nullable(TIME), "status": STR}),
    }
)
PATHS.update(
    {
        "/api/v1/webhook_endpoints": {
            "post": op("Add a webhook endpoint (its secret is shown in this response only)", ("201", "WebhookEndpointWithSecret"), body="WebhookEndpointCreate", tag="webhook endpoints"),
            "get": op("The webhook endpoints (the default one first) with their health", ("200", "WebhookEndpointPage"), params=[LIMIT, OFFSET], tag="webhook endpoints"),
        },
        "/api/v1/webhook_endpoints/{endpoint_id}": {
            "get": op("One webhook endpoint with its health over 24 h", ("200", "WebhookEndpoint"), params=[ENDPOINT_ID], tag="webhook endpoints"),
            "patch": op("Change an endpoint's URL, filter, description or status", ("200", "WebhookEndpoint"), body="WebhookEndpointUpdate", params=[ENDPOINT_ID], tag="webhook endpoints"),
            "delete": op("Delete an endpoint (its delivery log stays)", ("200", "WebhookEndpointDeleted"), params=[ENDPOINT_ID], tag="webhook endpoints"),
        },
        "/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret": {
            "post": op("A new secret; the previous one keeps signing until it expires", ("200", "WebhookEndpointWithSecret"), body="RotateSecret", body_required=False, params=[ENDPOINT_ID], tag="webhook endpoints")
        },
        "/api/v1/webhook_endpoints/{endpoint_id}/replay": {
            "post": op("Queue an endpoint's past deliveries again (same events, fresh attempts)", ("200", "ReplayResult"), body="Replay", params=[ENDPOINT_ID], tag="webhook endpoints")
        },
    }
)
PATHS["/api/v1/webhooks"]["get"]["parameters"].append(_param("endpoint_id", "query"))
PATHS["/api/v1/events"]["get"]["parameters"].append(_param("object_id", "query", {"type": "string", "maxLength": 40}))


def _shape(path: str) -> str:
    """``/a/{x}/b`` and ``a/<x:str>/b`` both become ``/a/{}/b``."""
    path = "/" + path.strip("/")
    return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path)


def served_operations(app) -> set[tuple[str, str]]:
    """(METHOD, path shape) of every route the app answers (HEAD/OPTIONS aside)."""
    ops = set()
    for route in app.router.routes:
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                ops.add((method, _shape(route.path)))
    return ops


def document() -> dict:
    """The OpenAPI document: every operation of the API (a test proves each one is served)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "paygate",
            "version": "1",
            "description": "Self-hosted payment gateway. Money is an integer of minor units; errors are "
            '{"error": {"code", "description"}}.',
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "ApiSecret": {"type": "apiKey", "in": "header", "name": "X-Api-Secret"},
            },
        },
    }


def undocumented(app) -> list[tuple[str, str]]:
    """Served operations this document does not describe (a test keeps this empty)."""
    documented = {(m.upper(), _shape(p)) for p, methods in PATHS.items() for m in methods}
    return sorted(served_operations(app) - documented)


@bp.get("/openapi.json")
async def openapi_json(request):
    doc = getattr(request.app.ctx, "openapi_document", None)
    if doc is None:
        doc = request.app.ctx.openapi_document = document()
    return json_response(doc)
