"""Events and the webhook outbox, written in the caller's transaction.

Recording an event builds its webhook body once (the exact bytes later signed and sent) and,
when the merchant has a webhook URL, a delivery row due now. Without a URL the event is still
recorded, with no delivery. Returns the work to enqueue after commit; never enqueues itself.
"""

from __future__ import annotations

from . import ids
from .clock import after, unix, utcnow
from .db import insert_row
from .models import Event, WebhookDelivery
from .serialize import dumps_compact
from .work import CLAIM_GRACE_S, DELIVER_WEBHOOK, DueWork

PAYMENT_CREATED = "payment.created"
PAYMENT_PENDING = "payment.pending"
PAYMENT_SUCCESS = "payment.success"
PAYMENT_FAILED = "payment.failed"
REFUND_CREATED = "refund.created"
REFUND_PROCESSED = "refund.processed"
WEBHOOK_TEST = "webhook.test"
EVENT_TYPES = (PAYMENT_CREATED, PAYMENT_PENDING, PAYMENT_SUCCESS, PAYMENT_FAILED, REFUND_CREATED, REFUND_PROCESSED, WEBHOOK_TEST)


def build_body(event_id: str, event_type: str, timestamp: int, data: dict) -> str:
    return dumps_compact({"id": event_id, "event": event_type, "timestamp": timestamp, "data": data})


def record_event(merchant_id: str, webhook_url: str | None, event_type: str, object_id: str | None, data: dict) -> tuple[Event, list[DueWork]]:
    """Append an event (and its delivery row, if the merchant has a URL). Call inside a transaction."""
    now = utcnow()
    event_id = ids.new_event_id()
    row = dict(
        id=event_id,
        merchant=merchant_id,
        type=event_type,
        object_id=object_id,
        body=build_body(event_id, event_type, unix(now), data),
        created_at=now,
    )
    insert_row(Event, row)  # SQL built once: this runs for every payment and refund move
    event = Event(**row)
    work: list[DueWork] = []
    if webhook_url:
        delivery = dict(
            id=ids.new_uuid(),
            merchant=merchant_id,
            event=event_id,
            event_type=event_type,
            url=webhook_url,
            status="pending",
            attempts=0,
            next_retry_at=now,
            claimed_until=after(CLAIM_GRACE_S, now),
            created_at=now,
            updated_at=now,
        )
        insert_row(WebhookDelivery, delivery)
        work.append(DueWork(DELIVER_WEBHOOK, delivery["id"], now))
    return event, work
