"""API key scopes: which operation needs which scope, in one table.

The auth check (``server/auth.py``) and the OpenAPI document (``server/openapi.py``) both read
:data:`OPERATION_SCOPES`, keyed by the document's ``operationId``, so what a key may do and what
the document says it may do cannot drift apart. Scopes are few and named in the domain; the
``full_access`` preset allows every operation, including ones added later.

Refuses: an operation missing from the table is allowed to full-access keys only (fail closed).
"""

from __future__ import annotations

from .errors import InvalidRequest

FULL_ACCESS = "full_access"
SCOPES = {
    "payments:read": "Read orders, payments, refunds, events, analytics and the merchant profile",
    "payments:write": "Create orders and payments; capture payments",
    "refunds:write": "Refund payments",
    "webhooks:read": "Read the webhook log and webhook endpoints",
    "webhooks:write": "Change webhook settings, endpoints and secrets; retry, replay and test deliveries",
    "settlements:read": "Read the ledger, balance, settlements and reports",
    "keys:write": "Create, list, revoke and rotate API keys",
    "audit:read": "Read the audit log",
}
ALL_SCOPES = (FULL_ACCESS, *SCOPES)

OPERATION_SCOPES: dict[str, str] = {
    "getMerchantJobStatus": "payments:read",
    "createOrder": "payments:write",
    "getOrder": "payments:read",
    "createPayment": "payments:write",
    "listPayments": "payments:read",
    "getPayment": "payments:read",
    "capturePayment": "payments:write",
    "createRefund": "refunds:write",
    "listPaymentRefunds": "payments:read",
    "listRefunds": "payments:read",
    "getRefund": "payments:read",
    "listWebhookDeliveries": "webhooks:read",
    "getWebhookDelivery": "webhooks:read",
    "retryWebhookDelivery": "webhooks:write",
    "sendTestWebhook": "webhooks:write",
    "getMerchant": "payments:read",
    "updateMerchant": "webhooks:write",
    "getWebhookSecret": "webhooks:write",
    "rotateWebhookSecret": "webhooks:write",
    "getAnalytics": "payments:read",
    "listEvents": "payments:read",
    "createWebhookEndpoint": "webhooks:write",
    "listWebhookEndpoints": "webhooks:read",
    "getWebhookEndpoint": "webhooks:read",
    "updateWebhookEndpoint": "webhooks:write",
    "deleteWebhookEndpoint": "webhooks:write",
    "rotateWebhookEndpointSecret": "webhooks:write",
    "replayWebhookEndpoint": "webhooks:write",
    "createApiKey": "keys:write",
    "listApiKeys": "keys:write",
    "revokeApiKey": "keys:write",
    "rotateApiKey": "keys:write",
    "listAuditLog": "audit:read",
    "getBalance": "settlements:read",
    "listBalanceTransactions": "settlements:read",
    "exportBalanceTransactions": "settlements:read",
    "listSettlements": "settlements:read",
    "getSettlement": "settlements:read",
    "listReconciliations": "settlements:read",
    "getReconciliation": "settlements:read",
}


def required_scope(operation_id: str | None) -> str:
    """The scope an operation needs; ``full_access`` for one the table does not name."""
    return OPERATION_SCOPES.get(operation_id or "", FULL_ACCESS)


def allows(granted, needed: str) -> bool:
    return FULL_ACCESS in granted or needed in granted


def validate_scopes(value) -> list[str]:
    """A non-empty list of known scopes, deduplicated in the order given."""
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise InvalidRequest(f"scopes must be a non-empty list of: {', '.join(ALL_SCOPES)}", field="scopes")
    unknown = [s for s in value if s not in ALL_SCOPES]
    if unknown:
        raise InvalidRequest(f"unknown scope {unknown[0]!r}; known: {', '.join(ALL_SCOPES)}", field="scopes")
    return list(dict.fromkeys(value))
