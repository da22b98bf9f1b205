"""Events and the webhook outbox, written in the caller's transaction.

Recording an event builds its webhook body once (the exact bytes later signed and sent) and,
when the merchant has a webhook URL, a delivery row due now. Without a URL the event is still
recorded, with no delivery. Returns the work to enqueue after commit; never enqueues itself.

Batches (group-committed creates, batched settlement) collect their events in an
:class:`Outbox` and write them with two multi-row INSERTs.
"""

from __future__ import annotations

from datetime import datetime

from . import ids
from .clock import after, unix, utcnow
from .db import insert_rows
from .models import Event, WebhookDelivery
from .serialize import dumps_compact
from .states import DeliveryStatus
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


def build_body_around(event_id: str, event_type: str, timestamp: int, name: str, object_json: str) -> str:
    """:func:`build_body` for ``data = {name: object}`` with the object already serialized: the
    same bytes, without serializing one payment three times (its answer and two events)."""
    return f'{{"id":"{event_id}","event":"{event_type}","timestamp":{timestamp},"data":{{"{name}":{object_json}}}}}'


class Outbox:
    """Events (and their deliveries) of one transaction, written together by :meth:`write`."""

    def __init__(self, now: datetime | None = None):
        self.now = now or utcnow()
        self.events: list[dict] = []
        self.deliveries: list[dict] = []

    def add(self, merchant_id: str, webhook_url: str | None, event_type: str, object_id: str | None, data: dict | tuple[str, str]) -> tuple[dict, list[DueWork]]:
        """``data`` is the event's data object, or ``(name, object_json)`` for ``{name: object}``."""
        now = self.now
        event_id = ids.new_event_id()
        if isinstance(data, tuple):
            body = build_body_around(event_id, event_type, unix(now), *data)
        else:
            body = build_body(event_id, event_type, unix(now), data)
        event = dict(id=event_id, merchant=merchant_id, type=event_type, object_id=object_id, body=body, created_at=now)
        self.events.append(event)
        if not webhook_url:
            return event, []
        delivery = dict(
            id=ids.new_uuid(),
            merchant=merchant_id,
            event=event_id,
            event_type=event_type,
            url=webhook_url,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_retry_at=now,
            claimed_until=after(CLAIM_GRACE_S, now),
            created_at=now,
            updated_at=now,
        )
        self.deliveries.append(delivery)
        return event, [DueWork(DELIVER_WEBHOOK, delivery["id"], now)]

    def write(self) -> None:
        """Two multi-row INSERTs (events first: deliveries reference them)."""
        insert_rows(Event, self.events)
        insert_rows(WebhookDelivery, self.deliveries)
        self.events, self.deliveries = [], []


def record_event(merchant_id: str, webhook_url: str | None, event_type: str, object_id: str | None, data: dict) -> tuple[Event, list[DueWork]]:
    """Append an event (and its delivery row, if the merchant has a URL). Call inside a transaction."""
    outbox = Outbox()
    row, work = outbox.add(merchant_id, webhook_url, event_type, object_id, data)
    outbox.write()
    return Event(**row), work
