"""The one JSON shape of every resource: API responses, CLI --json and webhook bodies alike.

Webhook bodies are serialized once, compactly, with non-ASCII text kept as is and integers only,
so that ``JSON.stringify(JSON.parse(body))`` in a merchant's Node receiver gives the same bytes.
"""

from __future__ import annotations

import json

from .clock import iso
from .states import DeliveryStatus


def dumps_compact(value) -> str:
    """Compact JSON identical to JavaScript's ``JSON.stringify`` for our data (no floats)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def order(o) -> dict:
    return {
        "id": o.id,
        "merchant_id": o.merchant_id,
        "amount": o.amount,
        "currency": o.currency,
        "receipt": o.receipt,
        "notes": json.loads(o.notes) if o.notes else {},
        "status": o.status,
        "created_at": iso(o.created_at),
    }


def public_order(o) -> dict:
    return {"id": o.id, "amount": o.amount, "currency": o.currency, "status": o.status}


def captured_amount(p) -> int:
    """What a capture took, in minor units (0 until captured), like Stripe's ``amount_captured``.
    A capture without an amount takes the whole payment (also for rows stored before the column
    was filled)."""
    if not p.captured:
        return 0
    return p.amount if p.captured_amount is None else p.captured_amount


def payment(p) -> dict:
    out = {
        "id": p.id,
        "order_id": p.order_id,
        "amount": p.amount,
        "currency": p.currency,
        "method": p.method,
    }
    if p.method == "upi":
        out["vpa"] = p.vpa
    else:
        out["card_network"] = p.card_network
        out["card_last4"] = p.card_last4
    out.update(
        status=p.status,
        captured=bool(p.captured),
        captured_amount=captured_amount(p),
        error_code=p.error_code,
        error_description=p.error_description,
        created_at=iso(p.created_at),
        updated_at=iso(p.updated_at),
    )
    return out


def public_payment(p) -> dict:
    out = payment(p)
    return {k: out[k] for k in ("id", "order_id", "amount", "currency", "method", "status", "error_code", "error_description", "created_at")}


def refund(r) -> dict:
    return {
        "id": r.id,
        "payment_id": r.payment_id,
        "amount": r.amount,
        "reason": r.reason,
        "status": r.status,
        "created_at": iso(r.created_at),
        "processed_at": iso(r.processed_at),
    }


def merchant(m) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "email": m.email,
        "api_key": m.api_key,
        "webhook_url": m.webhook_url,
        "is_active": bool(m.is_active),
        "created_at": iso(m.created_at),
    }


def delivery(d) -> dict:
    return {
        "id": d.id,
        "event": d.event_type,
        "event_id": d.event_id,
        "url": d.url,
        "status": d.status,
        "attempts": d.attempts,
        "created_at": iso(d.created_at),
        "last_attempt_at": iso(d.last_attempt_at),
        "next_retry_at": iso(d.next_retry_at) if d.status == DeliveryStatus.PENDING else None,
        "response_code": d.response_code,
        "endpoint_id": d.endpoint_id,
        "failure_code": d.failure_code,
    }


def attempt(a) -> dict:
    return {
        "number": a.number,
        "attempted_at": iso(a.attempted_at),
        "response_code": a.response_code,
        "response_excerpt": a.response_excerpt,
        "error": a.error,
        "duration_ms": a.duration_ms,
    }


def event(e) -> dict:
    body = json.loads(e.body)
    return {
        "id": e.id,
        "event": e.type,
        "object_id": e.object_id,
        "timestamp": body.get("timestamp"),
        "data": body.get("data"),
        "created_at": iso(e.created_at),
    }


def webhook_endpoint(w) -> dict:
    """A webhook endpoint, without its secrets (shown once: on create and on rotation)."""
    return {
        "id": w.id,
        "url": w.url,
        "description": w.description,
        "enabled_events": json.loads(w.enabled_events),
        "status": w.status,
        "default": False,
        "created_at": iso(w.created_at),
        "updated_at": iso(w.updated_at),
        "disabled_at": iso(w.disabled_at),
        "failing_since": iso(w.failing_since),
        "previous_secret_expires_at": iso(w.previous_secret_expires_at),
    }
