"""The OpenAPI 3 document of the merchant API (port 8000), served at ``GET /openapi.json``.

Written by hand, next to the contract, rather than inferred from handlers: it states what
merchants may rely on (every status an operation can answer, every body's shape, the one error
shape). Every constraint it states is taken from the table the server enforces it with — error
codes from the error tree and the HTTP table, statuses from ``states``, event types, currencies,
amount bounds, page bounds, id shapes and the VPA pattern from their modules — so the document
cannot drift from the server. It is OpenAPI 3.0: there ``integer`` means a JSON number written
without a fraction, which is what the server takes (``100.0`` is refused: money is never a float).

Tests hold it to the truth: every route the app serves must be described here (``undocumented``),
and schemathesis fuzzes every operation against a live daemon on both backends, following the
``links`` from each create to the operations that use its id, and fails on any 5xx, any response
the document does not allow, any schema-valid request refused or schema-violating one accepted.

Every operation described here must be served, and a test proves that too.
"""

from __future__ import annotations

import re

from sanic import Blueprint

from .. import analytics, clock, errors, events, ids, instruments, merchants, money, paging, payments, refunds
from ..states import DeliveryStatus, OrderStatus, PaymentStatus, RefundStatus
from .errors import SANIC_STATUS_CODES, status_for
from .responses import json_response

bp = Blueprint("openapi")


def _error_classes(root=errors.PaygateError):
    for sub in root.__subclasses__():
        yield sub
        yield from _error_classes(sub)


def codes_by_status() -> dict[str, list[str]]:
    """Every error code the server can answer, by HTTP status: the domain tree through the HTTP
    table, Sanic's own errors in the contract's words, and the catch-all 500."""
    out: dict[str, list[str]] = {}
    found = [(status_for(cls()), cls.code) for cls in _error_classes()]
    found += [(status, code) for status, (code, _) in SANIC_STATUS_CODES.items()] + [(500, "SERVER_ERROR")]
    for status, code in found:
        codes = out.setdefault(str(status), [])
        if code not in codes:
            codes.append(code)
    return out


ERROR_CODES = sorted({code for codes in codes_by_status().values() for code in codes})

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}


def nullable(schema: dict) -> dict:
    out = {**schema, "nullable": True}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


def obj(required: dict, optional: dict | None = None, *, closed: bool = False) -> dict:
    out = {"type": "object", "properties": {**required, **(optional or {})}}
    if required:
        out["required"] = list(required)
    if closed:
        out["additionalProperties"] = False
    return out


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(item: str) -> dict:
    return obj({"data": {"type": "array", "items": ref(item)}, "total": INT, "limit": INT, "offset": INT})


def regex(pattern: re.Pattern) -> str:
    """A Python ``fullmatch``-style pattern (``…\\Z``) as a JSON Schema one. Every pattern here ends
    ``$(?!\\n)``: Python's ``$`` (which generators and validators use) also matches before a final
    newline, which the server refuses."""
    return "^" + pattern.pattern.removesuffix(r"\Z") + "$(?!\\n)"


def id_pattern(kind: str) -> str:
    if kind == "event":
        return regex(ids._SHAPES["event"])
    return "^" + re.escape(ids.PREFIXES[kind]) + "[A-Za-z0-9]{16}$(?!\\n)"


def _any_case(code: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in code)


CURRENCY = {
    "type": "string",
    "pattern": "^(" + "|".join(_any_case(c) for c in money.CURRENCIES) + ")$(?!\\n)",
    "description": "ISO-4217 code, any case: " + ", ".join(money.CURRENCIES),
}
AMOUNT = {"type": "integer", "minimum": money.MIN_AMOUNT, "maximum": money.MAX_AMOUNT, "description": "Minor units (paise for INR)."}
PART_AMOUNT = {**AMOUNT, "minimum": 1}
TIME_FILTER = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"format": "date"}],
    # Year 0 does not exist; on the calendar's first and last days a time may not move to UTC.
    "pattern": "^(?!0000-|" + "|".join(clock.EDGE_DAYS) + ")",
    "description": "An RFC 3339 date-time, or a date (its midnight, UTC).",
}
NETWORKS = [name for name, _ in instruments._NETWORKS] + ["unknown"]
# Free text without the control characters the server refuses (newlines and tabs are fine).
TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$(?!\\n)"
DIGITS_MONTH = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 12}, {"type": "string", "pattern": "^\\s*(0{0,3}[1-9]|0{0,2}1[0-2])\\s*$(?!\\n)"}]}
DIGITS_YEAR = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 99},
        {"type": "integer", "minimum": 2000, "maximum": 2200},
        {"type": "string", "pattern": "^\\s*(0{0,2}[0-9]{1,2}|2[01][0-9]{2}|2200)\\s*$(?!\\n)"},
    ],
    "description": "Two-digit years are 20xx.",
}


def _error_schema(codes: list[str]) -> dict:
    return obj(
        {"error": obj({"code": enum(codes), "description": STR}, {"field": nullable(STR), "request_id": nullable(STR), "available": INT})}
    )


SCHEMAS = {
    "Error": _error_schema(ERROR_CODES),
    "Health": obj(
        {
            "status": enum(["healthy", "unhealthy"]),
            "database": enum(["connected", "disconnected"]),
            "redis": enum(["connected", "disconnected", "not_configured"]),
            "worker": enum(["running", "stopped", "unknown"]),
            "maintenance_failures": nullable({"type": "integer", "minimum": 0}),
            "timestamp": TIME,
        }
    ),
    "TestMerchant": obj({"id": STR, "email": STR, "api_key": STR, "seeded": BOOL}),
    "JobStatus": obj({"pending": INT, "processing": INT, "completed": INT, "failed": INT, "worker_status": enum(["running", "stopped"])}),
    "OrderCreate": obj(
        {"amount": AMOUNT},
        {"currency": nullable(CURRENCY), "receipt": nullable({"type": "string", "maxLength": 255}), "notes": nullable({"type": "object", "description": "At most 4096 bytes as JSON."})},
    ),
    "Order": obj(
        {
            "id": {"type": "string", "pattern": id_pattern("order")},
            "merchant_id": STR,
            "amount": INT,
            "currency": enum(money.CURRENCIES),
            "receipt": nullable(STR),
            "notes": {"type": "object"},
            "status": enum(OrderStatus.ALL),
            "created_at": TIME,
        }
    ),
    "PublicOrder": obj({"id": STR, "amount": INT, "currency": enum(money.CURRENCIES), "status": enum(OrderStatus.ALL)}),
    "Card": obj(
        {
            "number": {"type": "string", "pattern": "^[\\s-]*([0-9][\\s-]*){13,19}$(?!\\n)", "description": "13–19 digits (spaces and dashes allowed) passing Luhn. Never stored."},
            "expiry_month": DIGITS_MONTH,
            "expiry_year": DIGITS_YEAR,
        },
        {"cvv": nullable({"type": "string", "pattern": "^[0-9]{3,4}$(?!\\n)", "description": "Never stored."}), "holder_name": nullable({"type": "string", "maxLength": 200})},
    ),
    "PaymentCreate": {
        "oneOf": [
            obj({"order_id": STR, "method": enum(["upi"]), "vpa": {"type": "string", "maxLength": 255, "pattern": regex(instruments.VPA_PATTERN)}}),
            obj({"order_id": STR, "method": enum(["card"]), "card": ref("Card")}),
        ]
    },
    "Payment": obj(
        {
            "id": {"type": "string", "pattern": id_pattern("payment")},
            "order_id": STR,
            "amount": INT,
            "currency": enum(money.CURRENCIES),
            "method": enum(payments.METHODS),
            "status": enum(PaymentStatus.ALL),
            "captured": BOOL,
            "captured_amount": {
                "type": "integer",
                "minimum": 0,
                "description": "Minor units taken by the capture (0 until captured); refunds may add up to this once captured.",
            },
            "created_at": TIME,
            "updated_at": TIME,
        },
        {
            "vpa": nullable(STR),
            "card_network": nullable(enum(NETWORKS)),
            "card_last4": nullable({"type": "string", "pattern": "^[0-9]{4}$(?!\\n)"}),
            "error_code": nullable(STR),
            "error_description": nullable(STR),
        },
    ),
    "PublicPayment": obj(
        {"id": STR, "order_id": STR, "amount": INT, "currency": STR, "method": enum(payments.METHODS), "status": enum(PaymentStatus.ALL), "created_at": TIME},
        {"error_code": nullable(STR), "error_description": nullable(STR)},
    ),
    "PaymentPage": page_of("Payment"),
    "Capture": obj({}, {"amount": nullable({**PART_AMOUNT, "description": "At most the payment's amount, at least its counted refunds; absent: all of it."})}),
    "RefundCreate": obj(
        {"amount": PART_AMOUNT},
        {"reason": nullable({"type": "string", "maxLength": refunds.MAX_REASON_CHARS, "pattern": TEXT})},
    ),
    "Refund": obj(
        {
            "id": {"type": "string", "pattern": id_pattern("refund")},
            "payment_id": STR,
            "amount": INT,
            "reason": nullable(STR),
            "status": enum(RefundStatus.ALL),
            "created_at": TIME,
        },
        {"processed_at": nullable(TIME)},
    ),
    "RefundPage": page_of("Refund"),
    "Merchant": obj(
        {"id": STR, "name": STR, "email": STR, "api_key": STR, "webhook_url": nullable(STR), "created_at": TIME},
        {"is_active": BOOL, "webhook_secret_set": BOOL, "webhook_secret_hint": nullable(STR)},
    ),
    "MerchantUpdate": obj({"webhook_url": nullable({"type": "string", "maxLength": merchants.MAX_URL_CHARS, "pattern": regex(merchants.WEBHOOK_URL)})}),
    "WebhookDelivery": obj(
        {
            "id": STR,
            "event": enum(events.EVENT_TYPES),
            "status": enum(DeliveryStatus.ALL),
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
    "WebhookTestRequest": obj({}, {"data": {"type": "object", "description": "Sent as the event's data; integers only, no fractional numbers."}}),
    "Event": obj(
        {"id": STR, "event": enum(events.EVENT_TYPES), "created_at": TIME},
        {"object_id": nullable(STR), "timestamp": nullable(INT), "data": nullable({"type": "object"})},
    ),
    "EventPage": obj({"data": {"type": "array", "items": ref("Event")}, "has_more": BOOL, "limit": INT}),
    "WebhookSecret": obj({"webhook_secret": STR}, {"message": STR}),
    "Analytics": obj(
        {"window": enum(analytics.WINDOWS), "currency": STR, "from": TIME, "to": TIME, "totals": {"type": "object"}, "by_method": {"type": "object"}, "buckets": {"type": "array"}}
    ),
}

CREDENTIALS = [{"ApiKey": [], "ApiSecret": []}]
ERRORS_COMMON = ("400", "404", "413", "429", "503")
ERROR_TEXT = {
    "400": "Invalid request",
    "401": "Missing or wrong credentials",
    "404": "Not found, or another merchant's",
    "405": "Method not allowed; see Allow",
    "409": "Same Idempotency-Key still running",
    "413": "Body over the limit",
    "422": "Idempotency-Key reused with another body",
    "429": "Rate limit exceeded; see Retry-After",
    "503": "Database unreachable; nothing written, retry with the same Idempotency-Key",
}


def _error(status: str) -> dict:
    codes = codes_by_status()[status]
    out = {"description": f"{ERROR_TEXT[status]} ({', '.join(codes)})", "content": {"application/json": {"schema": _error_schema(codes)}}}
    if status == "429":
        out["headers"] = {"Retry-After": {"schema": INT, "required": True}}
    return out


def _param(name: str, where: str = "path", schema: dict | None = None, required: bool | None = None) -> dict:
    return {"name": name, "in": where, "required": where == "path" if required is None else required, "schema": schema or STR}


IDEMPOTENCY_KEY = _param("Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$(?!\\n)"}, False)
LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": paging.MAX_LIMIT, "default": paging.DEFAULT_LIMIT}, False)
OFFSET = _param("offset", "query", {"type": "integer", "minimum": 0, "maximum": paging.MAX_OFFSET, "default": 0}, False)
FROM = _param("from", "query", TIME_FILTER)
TO = _param("to", "query", TIME_FILTER)


def op(
    operation_id: str,
    summary: str,
    ok: tuple[str, str] | None,
    *,
    auth: bool = True,
    body: str | None = None,
    body_required: bool = True,
    params: list | None = None,
    errors: tuple = ERRORS_COMMON,
    tag: str = "",
    links: dict | None = None,
) -> dict:
    responses: dict = {}
    if ok is not None:
        status, schema = ok
        responses[status] = {"description": "OK", "content": {"application/json": {"schema": ref(schema)}}}
        if links:
            responses[status]["links"] = links
    for status in errors + (("401",) if auth else ()):
        responses[status] = _error(status)
    out: dict = {"operationId": operation_id, "summary": summary, "responses": responses, "tags": [tag] if tag else []}
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": ref(body)}}}
    out["security"] = CREDENTIALS if auth else []
    return out


def link(operation_id: str, *, parameters: dict | None = None, body: dict | None = None) -> dict:
    out: dict = {"operationId": operation_id}
    if parameters:
        out["parameters"] = parameters
    if body:
        out["requestBody"] = body
    return out


def _uses(param: str, *operation_ids: str) -> dict:
    """Links from a create's answer to each operation taking its ``id`` as ``param``."""
    return {f"{oid[0].upper()}{oid[1:]}": link(oid, parameters={param: "$response.body#/id"}) for oid in operation_ids}


ORDER_ID = _param("order_id")
PAYMENT_ID = _param("payment_id")
REFUND_ID = _param("refund_id")
DELIVERY_ID = _param("delivery_id")
CREATE_ERRORS = ERRORS_COMMON + ("409", "422")
# A paid order is what the payment operations need: pay it with the always-approved test VPA.
PAY_ORDER = {"order_id": "$response.body#/id", "method": "upi", "vpa": instruments.SUCCESS_VPA}
ORDER_LINKS = {
    **_uses("order_id", "getOrder", "getPublicOrder"),
    "CreatePayment": link("createPayment", body=PAY_ORDER),
    "CreatePublicPayment": link("createPublicPayment", body=PAY_ORDER),
}
PAYMENT_LINKS = _uses("payment_id", "getPayment", "getPublicPayment", "capturePayment", "createRefund", "listPaymentRefunds")
REFUND_LINKS = _uses("refund_id", "getRefund")
DELIVERY_LINKS = _uses("delivery_id", "getWebhookDelivery", "retryWebhookDelivery")

PATHS = {
    "/health": {
        "get": {
            "operationId": "getHealth",
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
            "operationId": "getMetrics",
            "summary": "Prometheus metrics",
            "security": [],
            "tags": ["ops"],
            "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": STR}}}},
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "security": [],
            "tags": ["ops"],
            "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }
    },
    "/api/v1/test/merchant": {
        "get": op("getTestMerchant", "The seeded test merchant (test deployments only: 404 elsewhere)", ("200", "TestMerchant"), auth=False, errors=("404", "503"), tag="test")
    },
    "/api/v1/test/jobs/status": {
        "get": op(
            "getJobStatus",
            "Every merchant's work counts and measured worker status (test deployments only: 404 elsewhere)",
            ("200", "JobStatus"),
            auth=False,
            errors=("404", "503"),
            tag="test",
        )
    },
    "/api/v1/merchants/me/jobs": {"get": op("getMerchantJobStatus", "The merchant's own work counts and measured worker status", ("200", "JobStatus"), tag="merchants")},
    "/api/v1/orders": {"post": op("createOrder", "Create an order", ("201", "Order"), body="OrderCreate", tag="orders", links=ORDER_LINKS)},
    "/api/v1/orders/{order_id}": {"get": op("getOrder", "Get an order", ("200", "Order"), params=[ORDER_ID], tag="orders")},
    "/api/v1/orders/{order_id}/public": {
        "get": op("getPublicOrder", "An order as the checkout page sees it", ("200", "PublicOrder"), auth=False, params=[ORDER_ID], tag="checkout")
    },
    "/api/v1/payments": {
        "post": op(
            "createPayment", "Create a payment (201 pending at once)", ("201", "Payment"), body="PaymentCreate", params=[IDEMPOTENCY_KEY], errors=CREATE_ERRORS, tag="payments", links=PAYMENT_LINKS
        ),
        "get": op(
            "listPayments",
            "List payments, newest first",
            ("200", "PaymentPage"),
            params=[_param("status", "query", enum(PaymentStatus.ALL)), _param("method", "query", enum(payments.METHODS)), FROM, TO, LIMIT, OFFSET],
            tag="payments",
        ),
    },
    "/api/v1/payments/public": {
        "post": op(
            "createPublicPayment",
            "Create a payment from the checkout page",
            ("201", "Payment"),
            auth=False,
            body="PaymentCreate",
            params=[IDEMPOTENCY_KEY],
            errors=CREATE_ERRORS,
            tag="checkout",
            links=_uses("payment_id", "getPublicPayment"),
        )
    },
    "/api/v1/payments/{payment_id}": {"get": op("getPayment", "Get a payment", ("200", "Payment"), params=[PAYMENT_ID], tag="payments")},
    "/api/v1/payments/{payment_id}/public": {
        "get": op("getPublicPayment", "A payment as the checkout page sees it", ("200", "PublicPayment"), auth=False, params=[PAYMENT_ID], tag="checkout")
    },
    "/api/v1/payments/{payment_id}/capture": {
        "post": op("capturePayment", "Capture a successful payment", ("200", "Payment"), body="Capture", body_required=False, params=[PAYMENT_ID], tag="payments")
    },
    "/api/v1/payments/{payment_id}/refunds": {
        "post": op(
            "createRefund", "Refund a payment (201 pending)", ("201", "Refund"), body="RefundCreate", params=[PAYMENT_ID, IDEMPOTENCY_KEY], errors=CREATE_ERRORS, tag="refunds", links=REFUND_LINKS
        ),
        "get": op("listPaymentRefunds", "A payment's refunds", ("200", "RefundPage"), params=[PAYMENT_ID, LIMIT, OFFSET], tag="refunds"),
    },
    "/api/v1/refunds": {
        "get": op(
            "listRefunds",
            "List refunds, newest first",
            ("200", "RefundPage"),
            params=[
                _param("status", "query", enum(RefundStatus.ALL)),
                _param("payment_id", "query", {"type": "string", "pattern": id_pattern("payment")}),
                FROM,
                TO,
                LIMIT,
                OFFSET,
            ],
            tag="refunds",
        )
    },
    "/api/v1/refunds/{refund_id}": {"get": op("getRefund", "Get a refund", ("200", "Refund"), params=[REFUND_ID], tag="refunds")},
    "/api/v1/webhooks": {
        "get": op(
            "listWebhookDeliveries",
            "The webhook log, newest first",
            ("200", "WebhookDeliveryPage"),
            params=[
                LIMIT,
                OFFSET,
                _param("status", "query", enum(DeliveryStatus.ALL)),
                _param("event", "query", enum(events.EVENT_TYPES)),
                _param("event_id", "query", {"type": "string", "pattern": id_pattern("event")}),
            ],
            tag="webhooks",
        )
    },
    "/api/v1/webhooks/{delivery_id}": {
        "get": op("getWebhookDelivery", "One webhook delivery with its attempts", ("200", "WebhookDeliveryDetail"), params=[DELIVERY_ID], tag="webhooks")
    },
    "/api/v1/webhooks/{delivery_id}/retry": {
        "post": op("retryWebhookDelivery", "Deliver a webhook again now", ("200", "WebhookRetry"), params=[DELIVERY_ID], tag="webhooks")
    },
    "/api/v1/webhooks/test": {
        "post": op(
            "sendTestWebhook", "Send a webhook.test event", ("201", "WebhookTest"), body="WebhookTestRequest", body_required=False, tag="webhooks", links=DELIVERY_LINKS
        )
    },
    "/api/v1/merchants/me": {
        "get": op("getMerchant", "The authenticated merchant", ("200", "Merchant"), tag="merchants"),
        "put": op("updateMerchant", "Set or clear the webhook URL", ("200", "Merchant"), body="MerchantUpdate", tag="merchants"),
    },
    "/api/v1/merchants/me/webhook-secret": {
        "get": op("getWebhookSecret", "Reveal the webhook signing secret", ("200", "WebhookSecret"), tag="merchants"),
        "post": op("rotateWebhookSecret", "Regenerate the webhook secret", ("200", "WebhookSecret"), tag="merchants"),
    },
    "/api/v1/analytics": {
        "get": op(
            "getAnalytics",
            "Totals for the merchant over a window",
            ("200", "Analytics"),
            params=[_param("window", "query", enum(analytics.WINDOWS)), _param("currency", "query", CURRENCY)],
            tag="analytics",
        )
    },
    "/api/v1/events": {
        "get": op(
            "listEvents",
            "Events, oldest first after a cursor",
            ("200", "EventPage"),
            params=[_param("after", "query", {"type": "string", "pattern": id_pattern("event")}), _param("type", "query", enum(events.EVENT_TYPES)), LIMIT],
            tag="events",
        )
    },
}


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
        "openapi": "3.0.3",
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
