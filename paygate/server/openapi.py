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

from .. import analytics, audit, endpoints, events, instruments, ledger, merchants, money, orders, paging, payment_search, payments, reconcile, scopes, webhooks
from ..states import DeliveryStatus, EndpointStatus, OrderStatus, PaymentStatus, RefundStatus, SettlementStatus
from .openapi_schemas import BOOL, CURRENCY, INT, SCHEMAS, STR, TEXT, TIME, TIME_FILTER, codes_by_status, enum, error_schema, id_pattern, nullable, obj, page_of, ref, regex
from .responses import MAX_JSON_DEPTH, json_response

bp = Blueprint("openapi")


CREDENTIALS = [{"ApiKey": [], "ApiSecret": []}]
ERRORS_COMMON = ("400", "404", "413", "429", "503")
ERROR_TEXT = {
    "400": "Invalid request",
    "401": "Missing or wrong credentials, or an expired or revoked API key",
    "403": "The API key lacks the scope this operation needs (see x-scope)",
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
    out = {"description": f"{ERROR_TEXT[status]} ({', '.join(codes)})", "content": {"application/json": {"schema": error_schema(codes)}}}
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
_CURSOR = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$(?!\\n)", "description": "The id of an object of this list (newest first: starting_after pages to older rows)."}
# Every list: limit, a cursor (starting_after or ending_before), or offset (≤ MAX_OFFSET, the
# seed's paging, which also answers total); include[]=total_count asks for total on a cursor page.
PAGING = [
    LIMIT,
    _param("starting_after", "query", _CURSOR),
    _param("ending_before", "query", _CURSOR),
    OFFSET,
    _param("include[]", "query", enum([paging.TOTAL_COUNT])),
]


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
    for status in errors + (("401", "403") if auth else ()):
        responses[status] = _error(status)
    out: dict = {"operationId": operation_id, "summary": summary, "responses": responses, "tags": [tag] if tag else []}
    if auth:  # the scope from the one table the auth check reads too
        out["x-scope"] = scopes.required_scope(operation_id)
        out["description"] = f"Needs an API key with the `{out['x-scope']}` scope (or `{scopes.FULL_ACCESS}`)."
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
_TEXT_QUERY = {"type": "string", "minLength": 1, "pattern": regex(paging.SEARCH_TEXT)}
_AMOUNT_QUERY = {"type": "integer", "minimum": 0, "maximum": money.MAX_AMOUNT}
# What a person remembers of a payment (payment_search.py): each served by an index.
PAYMENT_SEARCH = [
    _param("order_id", "query", {"type": "string", "pattern": id_pattern("order")}),
    _param("receipt", "query", {**_TEXT_QUERY, "maxLength": payment_search.MAX_RECEIPT_CHARS, "description": "The order's receipt, exactly."}),
    _param("vpa", "query", {"type": "string", "maxLength": 255, "pattern": regex(instruments.VPA_PATTERN), "description": "Exactly, as paid with."}),
    _param("card_last4", "query", {"type": "string", "pattern": "^[0-9]{4}$(?!\\n)"}),
    _param("amount", "query", _AMOUNT_QUERY),
    _param("amount_gte", "query", _AMOUNT_QUERY),
    _param("amount_lte", "query", _AMOUNT_QUERY),
    _param(
        "q",
        "query",
        {
            **_TEXT_QUERY,
            "maxLength": payment_search.MAX_Q_CHARS,
            "description": "Free text across the order's receipt, the VPA and the payment and order ids: a payment id by prefix (as written), a VPA by case-insensitive prefix, an order id whole, the receipt by case-insensitive substring on PostgreSQL (pg_trgm) and by case-insensitive prefix on the embedded SQLite. Four digits also match a card's last four, and an amount as shown (`499`, `1,250.50`, `₹499.00`, major units) the payment's amount.",
        },
    ),
]
PAYMENT_ID = _param("payment_id")
REFUND_ID = _param("refund_id")
DELIVERY_ID = _param("delivery_id")
CREATE_ERRORS = ERRORS_COMMON + ("409", "422")
# A paid order is what the payment operations need: pay it with the always-approved test VPA.
PAY_ORDER = {"order_id": "$response.body#/id", "method": "upi", "vpa": instruments.SUCCESS_VPA}
ORDER_LINKS = {
    **_uses("order_id", "getOrder", "getPublicOrder", "listOrderPayments"),
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
    "/api/v1/orders": {
        "post": op("createOrder", "Create an order", ("201", "Order"), body="OrderCreate", tag="orders", links=ORDER_LINKS),
        "get": op(
            "listOrders",
            "List orders, newest first",
            ("200", "OrderPage"),
            params=[_param("status", "query", enum(OrderStatus.ALL)), _param("receipt", "query", {**_TEXT_QUERY, "maxLength": orders.MAX_RECEIPT_CHARS}), FROM, TO, *PAGING],
            tag="orders",
        ),
    },
    "/api/v1/orders/{order_id}/payments": {"get": op("listOrderPayments", "An order's payments, newest first", ("200", "PaymentPage"), params=[ORDER_ID, *PAGING], tag="orders")},
    "/api/v1/orders/{order_id}": {"get": op("getOrder", "Get an order", ("200", "Order"), params=[ORDER_ID], tag="orders")},
    "/api/v1/orders/{order_id}/public": {
        "get": op(
            "getPublicOrder", "An order as the checkout page sees it", ("200", "PublicOrder"), auth=False, tag="checkout",
            params=[ORDER_ID, {**_param("key", "query", {"type": "string", "maxLength": 64}, False), "description": "The shop's API key (checkout.js sends it): another merchant's is 404."}],
        )
    },
    "/api/v1/payments": {
        "post": op(
            "createPayment", "Create a payment (201 pending at once)", ("201", "Payment"), body="PaymentCreate", params=[IDEMPOTENCY_KEY], errors=CREATE_ERRORS, tag="payments", links=PAYMENT_LINKS
        ),
        "get": op(
            "listPayments",
            "List payments, newest first",
            ("200", "PaymentPage"),
            params=[_param("status", "query", enum(PaymentStatus.ALL)), _param("method", "query", enum(payments.METHODS)), FROM, TO, *PAYMENT_SEARCH, *PAGING],
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
        "get": op("listPaymentRefunds", "A payment's refunds", ("200", "RefundPage"), params=[PAYMENT_ID, _param("status", "query", enum(RefundStatus.ALL)), FROM, TO, *PAGING], tag="refunds"),
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
                *PAGING,
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
                *PAGING,
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
        "post": op(
            "rotateWebhookSecret", "Regenerate the webhook secret; the previous one keeps signing until it expires", ("200", "WebhookSecret"),
            body="RotateEndpointSecret", body_required=False, tag="merchants",
        ),
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
            "Events, newest first; oldest first after the after cursor",
            ("200", "EventPage"),
            params=[_param("after", "query", {"type": "string", "pattern": id_pattern("event")}), _param("type", "query", enum(events.EVENT_TYPES)), *PAGING[:3]],
            tag="events",
        )
    },
}


# --- webhook endpoints (issue 13) ---------------------------------------------------------------
# One block, added to the tables above, so it merges apart from the rest of the document.
ENDPOINT_ID = _param("endpoint_id", schema={"type": "string", "pattern": id_pattern("webhook_endpoint")})
_ENDPOINT_URL = {"type": "string", "maxLength": merchants.MAX_URL_CHARS, "pattern": regex(merchants.WEBHOOK_URL)}
_ENABLED_EVENTS = {"type": "array", "minItems": 1, "items": enum(endpoints.valid_filters()), "description": "Event types, prefixes such as payment.*, or *."}
_ENDPOINT_STATUS = enum(EndpointStatus.ALL)
_DESCRIPTION = {"type": "string", "maxLength": endpoints.MAX_DESCRIPTION, "pattern": TEXT}
SCHEMAS.update(
    {
        "WebhookEndpoint": obj(
            {
                "id": {"type": "string", "pattern": id_pattern("webhook_endpoint")},
                "url": STR,
                "description": nullable(STR),
                "enabled_events": {"type": "array", "items": STR},
                "status": _ENDPOINT_STATUS,
                "default": BOOL,
                "created_at": TIME,
            },
            {"updated_at": TIME, "disabled_at": nullable(TIME), "failing_since": nullable(TIME), "previous_secret_expires_at": nullable(TIME), "health": nullable({"type": "object"})},
        ),
        "WebhookEndpointWithSecret": {"allOf": [ref("WebhookEndpoint"), obj({"secret": {"type": "string", "pattern": "^whsec_"}})]},
        "WebhookEndpointPage": page_of("WebhookEndpoint"),
        "WebhookEndpointCreate": obj({"url": _ENDPOINT_URL, "enabled_events": _ENABLED_EVENTS}, {"description": nullable(_DESCRIPTION)}, closed=True),
        "WebhookEndpointUpdate": obj({}, {"url": _ENDPOINT_URL, "enabled_events": _ENABLED_EVENTS, "description": nullable(_DESCRIPTION), "status": _ENDPOINT_STATUS}, closed=True),
        "WebhookEndpointDeleted": obj({"id": STR, "deleted": BOOL}),
        "RotateEndpointSecret": obj(
            {}, {"expire_previous_in": {"type": "integer", "minimum": 0, "maximum": endpoints.MAX_PREVIOUS_SECRET_TTL_S, "default": endpoints.DEFAULT_PREVIOUS_SECRET_TTL_S}}, closed=True
        ),
        "ReplayRequest": obj({"since": TIME_FILTER}, {"until": nullable(TIME_FILTER), "status": enum(endpoints.REPLAY_STATUSES)}, closed=True),
        "ReplayResult": obj({"endpoint_id": STR, "queued": INT, "since": TIME, "until": nullable(TIME), "status": STR}),
    }
)
ENDPOINT_LINKS = _uses("endpoint_id", "getWebhookEndpoint", "updateWebhookEndpoint", "rotateWebhookEndpointSecret")
PATHS.update(
    {
        "/api/v1/webhook_endpoints": {
            "post": op(
                "createWebhookEndpoint",
                "Add a webhook endpoint (its secret is shown in this response only)",
                ("201", "WebhookEndpointWithSecret"),
                body="WebhookEndpointCreate",
                tag="webhook endpoints",
                links=ENDPOINT_LINKS,
            ),
            "get": op("listWebhookEndpoints", "The webhook endpoints (the default one first) with their health", ("200", "WebhookEndpointPage"), params=PAGING, tag="webhook endpoints"),
        },
        "/api/v1/webhook_endpoints/{endpoint_id}": {
            "get": op("getWebhookEndpoint", "One webhook endpoint with its health over 24 h", ("200", "WebhookEndpoint"), params=[ENDPOINT_ID], tag="webhook endpoints"),
            "patch": op(
                "updateWebhookEndpoint",
                "Change an endpoint's URL, filter, description or status",
                ("200", "WebhookEndpoint"),
                body="WebhookEndpointUpdate",
                body_required=False,
                params=[ENDPOINT_ID],
                tag="webhook endpoints",
            ),
            "delete": op("deleteWebhookEndpoint", "Delete an endpoint (its delivery log stays)", ("200", "WebhookEndpointDeleted"), params=[ENDPOINT_ID], tag="webhook endpoints"),
        },
        "/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret": {
            "post": op(
                "rotateWebhookEndpointSecret",
                "A new secret; the previous one keeps signing until it expires",
                ("200", "WebhookEndpointWithSecret"),
                body="RotateEndpointSecret",
                body_required=False,
                params=[ENDPOINT_ID],
                tag="webhook endpoints",
            )
        },
        "/api/v1/webhook_endpoints/{endpoint_id}/replay": {
            "post": op(
                "replayWebhookEndpoint",
                "Queue an endpoint's past deliveries again (same events, fresh attempts)",
                ("200", "ReplayResult"),
                body="ReplayRequest",
                params=[ENDPOINT_ID],
                tag="webhook endpoints",
            )
        },
    }
)
# --- money: balance and balance transactions (issue 19) ------------------------------------------
# One block, added to the tables above, so it merges apart from the rest of the document.
def _cursor_page_of(item: str) -> dict:
    """A cursor page (``paging.cursor_page``): ``{object: list, data, has_more}``."""
    return obj({"object": enum(["list"]), "data": {"type": "array", "items": ref(item)}, "has_more": BOOL})


_AMOUNTS = {"type": "array", "items": obj({"amount": INT, "currency": enum(money.CURRENCIES)})}
_CURSOR = {"type": "string", "pattern": regex(paging._CURSOR_ID)}
_ID_FILTER = {"type": "string", "pattern": regex(ledger.ID_FILTER)}
SCHEMAS.update(
    {
        "Balance": obj({"object": enum(["balance"]), "available": _AMOUNTS, "pending": _AMOUNTS, "in_transit": _AMOUNTS}),
        "BalanceTransaction": obj(
            {
                "id": {"type": "string", "pattern": id_pattern("balance_transaction")},
                "object": enum(["balance_transaction"]),
                "type": enum(ledger.EntryType.BALANCE_TRANSACTIONS),
                "source": nullable(STR),
                "amount": {**INT, "description": "Gross, signed minor units: + into the balance, - out of it."},
                "fee": {**INT, "description": "Charged (+) or given back (-, a partial capture's release); never returned by a refund."},
                "net": {**INT, "description": "amount - fee: what the balance moved by."},
                "currency": enum(money.CURRENCIES),
                "status": {**enum(["pending", "available"]), "description": "pending until a release moves its net from pending to available (at or soon after available_on); refunds, adjustments and settlements are available at once."},
                "available_on": TIME,
                "settlement_id": nullable(STR),
                "created_at": TIME,
            }
        ),
        "BalanceTransactionPage": _cursor_page_of("BalanceTransaction"),
    }
)
SCHEMAS.update(
    {
        "Settlement": obj(
            {
                "id": {"type": "string", "pattern": id_pattern("settlement")},
                "object": enum(["settlement"]),
                "amount": {**INT, "minimum": 1},
                "currency": enum(money.CURRENCIES),
                "status": enum(SettlementStatus.ALL),
                "failure_code": nullable(STR),
                "bank_reference": nullable(STR),
                "created_at": TIME,
                "processed_at": nullable(TIME),
            }
        ),
        "SettlementPage": _cursor_page_of("Settlement"),
        "SettlementDetail": {"allOf": [ref("Settlement"), obj({"lines": ref("BalanceTransactionPage")})]},
    }
)
_COUNT = {"type": "integer", "minimum": 0}
SCHEMAS.update(
    {
        "Reconciliation": obj(
            {
                "id": {"type": "string", "pattern": id_pattern("reconciliation")},
                "object": enum(["reconciliation"]),
                "file_name": STR,
                "rows": _COUNT,
                "counts": obj({d: _COUNT for d in reconcile.Difference.ALL}),
                "unmatched": _COUNT,
                "differences": {
                    "type": "array",
                    "items": obj({"status": enum(reconcile.Difference.ALL), "settlement_id": nullable(STR), "transaction_id": nullable(STR), "bank_net": nullable(INT), "ledger_net": nullable(INT), "detail": nullable(STR)}),
                },
                "created_at": TIME,
            }
        ),
        "ReconciliationPage": _cursor_page_of("Reconciliation"),
    }
)
CURSOR_PARAMS = [LIMIT, _param("starting_after", "query", _CURSOR), _param("ending_before", "query", _CURSOR)]
PATHS.update(
    {
        "/api/v1/balance": {"get": op("getBalance", "Available, pending and in-transit money per currency, summed from the ledger", ("200", "Balance"), tag="balance")},
        "/api/v1/balance_transactions": {
            "get": op(
                "listBalanceTransactions",
                "Every money movement of the balance, newest first (cursor pages)",
                ("200", "BalanceTransactionPage"),
                params=[_param("type", "query", enum(ledger.EntryType.BALANCE_TRANSACTIONS)), _param("source", "query", _ID_FILTER), _param("settlement_id", "query", _ID_FILTER), *CURSOR_PARAMS],
                tag="balance",
            )
        },
        "/api/v1/reports/balance_transactions.csv": {
            "get": {
                **op("exportBalanceTransactions", "Every balance transaction of a window as CSV (streamed; net adds up to the balance)", None, params=[FROM, TO], tag="balance"),
                "responses": {
                    "200": {"description": "CSV, header " + ",".join(ledger.REPORT_COLUMNS), "content": {"text/csv": {"schema": STR}}},
                    **op("exportBalanceTransactions", "", None)["responses"],
                },
            }
        },
        "/api/v1/settlements": {
            "get": op("listSettlements", "Payouts to the merchant's bank, newest first (cursor pages)", ("200", "SettlementPage"), params=[_param("status", "query", enum(SettlementStatus.ALL)), *CURSOR_PARAMS], tag="balance")
        },
        "/api/v1/reconciliations": {
            "get": op("listReconciliations", "Bank settlement files compared with the ledger (paygate reconcile), newest first", ("200", "ReconciliationPage"), params=CURSOR_PARAMS, tag="balance")
        },
        "/api/v1/reconciliations/{recon_id}": {
            "get": op(
                "getReconciliation",
                "One reconciliation: counts per class and the differences (the first 100)",
                ("200", "Reconciliation"),
                params=[_param("recon_id", schema={"type": "string", "pattern": id_pattern("reconciliation")})],
                tag="balance",
            )
        },
        "/api/v1/settlements/{settlement_id}": {
            "get": op(
                "getSettlement",
                "One settlement with the balance transactions it paid (the first 100; the rest by settlement_id)",
                ("200", "SettlementDetail"),
                params=[_param("settlement_id", schema={"type": "string", "pattern": id_pattern("settlement")})],
                tag="balance",
            )
        },
    }
)
PATHS["/api/v1/webhooks"]["get"]["parameters"].append(_param("endpoint_id", "query", {"type": "string", "pattern": id_pattern("webhook_endpoint")}))
PATHS["/api/v1/events"]["get"]["parameters"].append(_param("object_id", "query", {"type": "string", "pattern": webhooks.OBJECT_ID_PATTERN}))
PATHS["/api/v1/webhooks/{delivery_id}/retry"]["post"]["description"] += (
    " Attempts back to 0, due now, to the destination's current URL. 400 when the destination is gone: "
    "the webhook_url was removed, or the delivery's endpoint was deleted or is disabled."
)


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


_OPERATIONS: dict[tuple[str, str], str] = {}


def operation_id(request) -> str | None:
    """The ``operationId`` of the route ``request`` matched (None for a route the document lacks)."""
    route = getattr(request, "route", None)
    if route is None:
        return None
    key = (request.method, route.path)
    found = _OPERATIONS.get(key)
    if found is None:
        shape = _shape(route.path)
        found = next((o["operationId"] for p, methods in PATHS.items() if _shape(p) == shape for m, o in methods.items() if m.upper() == request.method), "")
        _OPERATIONS[key] = found
    return found or None


def document() -> dict:
    """The OpenAPI document: every operation of the API (a test proves each one is served)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "paygate",
            "version": "1",
            "description": "Self-hosted payment gateway. Money is an integer of minor units; errors are "
            '{"error": {"code", "description"}}. '
            f"A request body nested more than {MAX_JSON_DEPTH} levels of objects and arrays is 400.",
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


# --- API keys and the audit log (issue 20) ------------------------------------------------------
# One block, added to the tables above, so it merges apart from the rest of the document.
KEY_ID = _param("key_id", schema={"type": "string", "pattern": "^key_[A-Za-z0-9_]{1,60}$(?!\\n)"})
_CURSOR_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$(?!\\n)"}
CURSOR = [LIMIT, _param("starting_after", "query", _CURSOR_ID, False), _param("ending_before", "query", _CURSOR_ID, False)]
_SCOPE_LIST = {"type": "array", "minItems": 1, "items": enum(list(scopes.ALL_SCOPES)), "description": "Scopes, or full_access for every operation."}


def _cursor_page_of(item: str) -> dict:
    return obj({"object": enum(["list"]), "data": {"type": "array", "items": ref(item)}, "has_more": BOOL})


SCHEMAS.update(
    {
        "ApiKey": obj(
            {
                "id": STR,
                "object": enum(["api_key"]),
                "name": STR,
                "scopes": {"type": "array", "items": STR},
                "status": enum(["active", "expired", "revoked"]),
                "created_at": TIME,
            },
            {"expires_at": nullable(TIME), "revoked_at": nullable(TIME), "last_used_at": nullable(TIME), "previous_secret_expires_at": nullable(TIME)},
        ),
        "ApiKeyWithSecret": {"allOf": [ref("ApiKey"), obj({"secret": {"type": "string", "pattern": "^secret_"}})]},
        "ApiKeyPage": _cursor_page_of("ApiKey"),
        "ApiKeyCreate": obj(
            {"name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": TEXT}, "scopes": _SCOPE_LIST},
            {"expires_at": nullable({"type": "string", "format": "date-time", "description": "In the future."})},
        ),
        "RotateApiKey": obj({}, {"expire_previous_in": {"type": "integer", "minimum": 0, "maximum": endpoints.MAX_PREVIOUS_SECRET_TTL_S, "default": endpoints.DEFAULT_PREVIOUS_SECRET_TTL_S}}),
        "AuditEntry": obj(
            {
                "id": STR,
                "object": enum(["audit_entry"]),
                "seq": INT,
                "created_at": TIME,
                "actor": obj({"type": enum(["api_key", "admin", "checkout"]), "id": STR}, {"name": nullable(STR)}),
                "operation": STR,
                "summary": {"type": "object"},
                "hash": STR,
            },
            {"object_id": nullable(STR), "request_id": nullable(STR), "client_address": nullable(STR)},
        ),
        "AuditEntryPage": _cursor_page_of("AuditEntry"),
    }
)
_FILTER = {**_TEXT_QUERY, "maxLength": audit.MAX_FILTER}
PATHS.update(
    {
        "/api/v1/api_keys": {
            "post": op("createApiKey", "Create an API key (its secret is shown in this response only)", ("201", "ApiKeyWithSecret"), body="ApiKeyCreate", tag="api keys"),
            "get": op("listApiKeys", "The merchant's API keys, newest first (never a secret)", ("200", "ApiKeyPage"), params=CURSOR, tag="api keys"),
        },
        "/api/v1/api_keys/{key_id}/revoke": {
            "post": op("revokeApiKey", "Revoke a key: refused by every API process within a second", ("200", "ApiKey"), params=[KEY_ID], tag="api keys")
        },
        "/api/v1/api_keys/{key_id}/rotate": {
            "post": op(
                "rotateApiKey",
                "A new secret for the key; the previous one keeps working until it expires",
                ("200", "ApiKeyWithSecret"),
                body="RotateApiKey",
                body_required=False,
                params=[KEY_ID],
                tag="api keys",
            )
        },
        "/api/v1/audit_log": {
            "get": op(
                "listAuditLog",
                "Every committed change, newest first (hash-chained; `paygate audit verify` checks it)",
                ("200", "AuditEntryPage"),
                params=[*CURSOR, _param("actor", "query", _FILTER), _param("operation", "query", _FILTER), _param("object_id", "query", _FILTER), FROM, TO],
                tag="audit",
            )
        },
    }
)
