"""The components of the OpenAPI document: every schema, and the constraints inside them.

Each constraint is read from the table the server enforces it with — error codes from the error
tree through the HTTP table, statuses from ``states``, event types, currencies, amount bounds,
page bounds, id shapes and the VPA and webhook URL patterns from their modules — so the document
cannot say more or less than the server does. Patterns end ``$(?!\\n)``: Python's ``$``, which
generators and validators use, would also match before a final newline the server refuses.
"""

from __future__ import annotations

import re

from .. import analytics, clock, deliveries, errors, events, ids, instruments, merchants, money, orders, payments, refunds, text
from ..states import DeliveryStatus, OrderStatus, PaymentStatus, RefundStatus
from .errors import SANIC_STATUS_CODES, status_for
from .responses import MAX_JSON_DEPTH


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
    """One list shape: ``total`` and ``offset`` when paged by offset (no cursor) or ``include[]=total_count``."""
    return obj(
        {"object": enum(["list"]), "data": {"type": "array", "items": ref(item)}, "has_more": BOOL, "limit": INT},
        {"total": {**INT, "minimum": 0}, "offset": {**INT, "minimum": 0}},
    )


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
TEXT = regex(text.PRINTABLE)  # free text: no control characters but line breaks and tabs
DIGITS_MONTH = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 12}, {"type": "string", "pattern": "^\\s*(0{0,3}[1-9]|0{0,2}1[0-2])\\s*$(?!\\n)"}]}
DIGITS_YEAR = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 99},
        {"type": "integer", "minimum": 2000, "maximum": 2200},
        {"type": "string", "pattern": "^\\s*(0{0,2}[0-9]{1,2}|2[01][0-9]{2}|2200)\\s*$(?!\\n)"},
    ],
    "description": "Two-digit years are 20xx.",
}


def error_schema(codes: list[str]) -> dict:
    return obj(
        {"error": obj({"code": enum(codes), "description": STR}, {"field": nullable(STR), "request_id": nullable(STR), "available": INT, "missing_scope": STR, "reason": nullable(STR)})}
    )


SCHEMAS = {
    "Error": error_schema(ERROR_CODES),
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
        {"currency": nullable(CURRENCY), "receipt": nullable({"type": "string", "maxLength": orders.MAX_RECEIPT_CHARS, "pattern": TEXT}), "notes": nullable({"type": "object", "description": "At most 4096 bytes as JSON."})},
        closed=True,
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
        {"cvv": nullable({"type": "string", "pattern": "^[0-9]{3,4}$(?!\\n)", "description": "Never stored."}), "holder_name": nullable({"type": "string", "maxLength": instruments.MAX_HOLDER_NAME_CHARS, "pattern": TEXT})},
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
    "OrderPage": page_of("Order"),
    "Capture": obj({}, {"amount": nullable({**PART_AMOUNT, "description": "At most the payment's amount, at least its counted refunds; absent: all of it."})}, closed=True),
    "RefundCreate": obj(
        {"amount": PART_AMOUNT},
        {"reason": nullable({"type": "string", "maxLength": refunds.MAX_REASON_CHARS, "pattern": TEXT})},
        closed=True,
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
    "MerchantUpdate": obj({"webhook_url": nullable({"type": "string", "maxLength": merchants.MAX_URL_CHARS, "pattern": regex(merchants.WEBHOOK_URL)})}, closed=True),
    "WebhookDelivery": obj(
        {
            "id": STR,
            "event": enum(events.EVENT_TYPES),
            "status": enum(DeliveryStatus.ALL),
            "attempts": INT,
            "created_at": TIME,
            "last_attempt_at": nullable(TIME),
            "response_code": nullable(INT),
        },
        {"failure_code": {**nullable(enum(deliveries.FAILURE_CODES)), "description": "Why the delivery ended unsent: its destination is gone."}},
    ),
    "WebhookDeliveryPage": page_of("WebhookDelivery"),
    "WebhookRetry": obj({"id": STR, "status": STR, "message": STR}),
    "WebhookDeliveryDetail": {
        "allOf": [ref("WebhookDelivery"), obj({"attempt_log": {"type": "array", "items": {"type": "object"}}}, {"payload": nullable({"type": "object"})})]
    },
    "WebhookTest": {"allOf": [ref("WebhookDelivery"), obj({"event_id": STR})]},
    "WebhookTestRequest": obj({}, {"data": ref("WebhookTestData")}, closed=True),
    # What the server enforces on a test event's data, stated as a schema: an object of strings,
    # integers (no fractional numbers: amounts are integers), booleans, nulls, arrays and objects.
    "WebhookTestData": {
        "type": "object",
        "additionalProperties": ref("IntegerJson"),
        "description": "Sent as the event's data: any JSON object without fractional numbers (amounts are integers), "
        f"nested at most {MAX_JSON_DEPTH - 1} levels.",
    },
    "IntegerJson": {
        "nullable": True,
        "anyOf": [
            STR,
            {"type": "integer", "minimum": -(2**63), "maximum": 2**64 - 1},
            BOOL,
            {"type": "array", "items": ref("IntegerJson")},
            {"type": "object", "additionalProperties": ref("IntegerJson")},
        ],
    },
    "Event": obj(
        {"id": STR, "event": enum(events.EVENT_TYPES), "created_at": TIME},
        {"object_id": nullable(STR), "timestamp": nullable(INT), "data": nullable({"type": "object"})},
    ),
    "EventPage": page_of("Event"),
    "WebhookSecret": obj({"webhook_secret": STR}, {"message": STR, "previous_secret_expires_at": nullable(TIME)}),
    "Analytics": obj(
        {"window": enum(analytics.WINDOWS), "currency": STR, "from": TIME, "to": TIME, "totals": {"type": "object"}, "by_method": {"type": "object"}, "buckets": {"type": "array"}}
    ),
}
