"""Events and the webhook outbox, written in the caller's transaction.

Recording an event builds its webhook body once (the exact bytes later signed and sent) and
one delivery row due now per destination that wants it: the merchant's default endpoint (its
``webhook_url``, every event) and each of its enabled webhook endpoints whose ``enabled_events``
filter matches. Without any destination the event is still recorded, with no delivery. Returns
the work to enqueue after commit; never enqueues itself.

Batches (group-committed creates, batched settlement) collect their events in an
:class:`Outbox` and write them with multi-row statements: one SELECT of the batch's merchants'
enabled endpoints, one INSERT of events, one of deliveries.
"""

from __future__ import annotations

import json
from datetime import datetime

from . import ids
from .clock import after, unix, utcnow
from .db import database, insert_rows
from .models import Event, WebhookDelivery, WebhookEndpoint
from .serialize import dumps_compact
from .states import DeliveryStatus, EndpointStatus
from .work import CLAIM_GRACE_S, DELIVER_WEBHOOK, DueWork

PAYMENT_CREATED = "payment.created"
PAYMENT_PENDING = "payment.pending"
PAYMENT_SUCCESS = "payment.success"
PAYMENT_FAILED = "payment.failed"
REFUND_CREATED = "refund.created"
REFUND_PROCESSED = "refund.processed"
WEBHOOK_TEST = "webhook.test"
WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
EVENT_TYPES = (PAYMENT_CREATED, PAYMENT_PENDING, PAYMENT_SUCCESS, PAYMENT_FAILED, REFUND_CREATED, REFUND_PROCESSED, WEBHOOK_TEST, WEBHOOK_ENDPOINT_DISABLED)
SETTLEMENT_CREATED = "settlement.created"
SETTLEMENT_PROCESSED = "settlement.processed"
SETTLEMENT_FAILED = "settlement.failed"
EVENT_TYPES += (SETTLEMENT_CREATED, SETTLEMENT_PROCESSED, SETTLEMENT_FAILED)
ENDPOINT_ENABLED = EndpointStatus.ENABLED
ENDPOINT_DISABLED = EndpointStatus.DISABLED


def wants(enabled_events, event_type: str) -> bool:
    """Whether an ``enabled_events`` filter (types, ``"payment.*"`` prefixes, ``"*"``) takes ``event_type``."""
    for entry in enabled_events:
        if entry == "*" or entry == event_type or (entry.endswith(".*") and event_type.startswith(entry[:-1])):
            return True
    return False


def _enabled_endpoints(merchant_ids) -> dict[str, list[tuple[str, str, list]]]:
    """Each merchant's enabled endpoints as (id, url, enabled_events): one SELECT for the batch."""
    found: dict[str, list[tuple[str, str, list]]] = {}
    if not merchant_ids:
        return found
    rows = (
        WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.merchant, WebhookEndpoint.url, WebhookEndpoint.enabled_events)
        .where(WebhookEndpoint.merchant.in_(sorted(merchant_ids)) & (WebhookEndpoint.status == ENDPOINT_ENABLED))
        .tuples()
    )
    for endpoint_id, merchant_id, url, enabled in rows:
        found.setdefault(merchant_id, []).append((endpoint_id, url, json.loads(enabled)))
    return found


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
        self._work_of: dict[str, list[DueWork]] = {}  # event id → the work list add() returned

    def _delivery(self, merchant_id: str, event_id: str, event_type: str, url: str, endpoint_id: str) -> DueWork:
        now = self.now
        delivery = dict(
            id=ids.new_uuid7(),
            merchant=merchant_id,
            event=event_id,
            event_type=event_type,
            url=url,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_retry_at=now,
            claimed_until=after(CLAIM_GRACE_S, now),
            created_at=now,
            updated_at=now,
            endpoint_id=endpoint_id,
        )
        self.deliveries.append(delivery)
        return DueWork(DELIVER_WEBHOOK, delivery["id"], now)

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
        work = [self._delivery(merchant_id, event_id, event_type, webhook_url, ids.default_endpoint_id(merchant_id))] if webhook_url else []
        self._work_of[event_id] = work
        return event, work

    def _fan_out(self) -> list[DueWork]:
        """A delivery row per enabled endpoint whose filter matches, for every event of the batch.

        The work is also appended to the list :meth:`add` returned for that event, so callers
        that kept it (an Outcome) enqueue it after commit with the rest.
        """
        endpoints = _enabled_endpoints({e["merchant"] for e in self.events})
        added: list[DueWork] = []
        for e in self.events:
            for endpoint_id, url, enabled in endpoints.get(e["merchant"], ()):
                if wants(enabled, e["type"]):
                    work = self._delivery(e["merchant"], e["id"], e["type"], url, endpoint_id)
                    self._work_of[e["id"]].append(work)
                    added.append(work)
        return added

    def write(self) -> list[DueWork]:
        """Fan out, then the multi-row INSERTs (events first: deliveries reference them).

        Returns the deliveries added for webhook endpoints. They are announced inside the
        transaction (PostgreSQL NOTIFY, sent at commit), so due loops elsewhere wake for them even
        when a caller copied the work of :meth:`add` before this ran.
        """
        added = self._fan_out() if self.events else []
        insert_rows(Event, self.events)
        insert_rows(WebhookDelivery, self.deliveries)
        self.events, self.deliveries, self._work_of = [], [], {}
        if added:
            from . import wakeup

            wakeup.announce(self.now)
            database_after_commit(lambda: wakeup.alarm.ring())
        return added


def database_after_commit(callback) -> None:
    """Run ``callback`` after the current transaction commits (at once outside one)."""
    hook = getattr(database.obj, "after_commit", None) if database.obj is not None else None
    if hook is None or not database.in_transaction():
        callback()
        return
    hook(callback)


def record_event(merchant_id: str, webhook_url: str | None, event_type: str, object_id: str | None, data: dict) -> tuple[Event, list[DueWork]]:
    """Append an event (and its delivery row, if the merchant has a URL). Call inside a transaction."""
    outbox = Outbox()
    row, work = outbox.add(merchant_id, webhook_url, event_type, object_id, data)
    outbox.write()
    return Event(**row), work
