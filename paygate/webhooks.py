"""Webhooks as a merchant sees them: the delivery log, a manual retry, a test event, the event
stream and the secret reveal.

Signing lives in ``paygate.signing``; the delivery hot path (lease, record, the retry schedule)
in ``paygate.deliveries``; the HTTP POST in the jobs adapter. A merchant's receiver checks a
request with ``paygate.webhooks.verify(payload, headers, secret)`` (from ``paygate.signing``).
"""

from __future__ import annotations

import json
import re

from . import event_cursor, events, ids, serialize
from .clock import after, utcnow
from .db import for_update
from .errors import InvalidRequest, NotFound
from .models import Event, Merchant, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .paging import list_page, parse_choice, parse_cursor, _int_param
from .payments import Outcome
from .signing import WebhookVerificationError, verify  # noqa: F401  the receiver's side, as documented
from .states import DeliveryStatus, EndpointStatus, guard
from .work import CLAIM_GRACE_S, DELIVER_WEBHOOK, DueWork

OBJECT_ID_PATTERN = r"^[a-z]{2,5}_[A-Za-z0-9]{16}$(?!\n)"  # pay_…, rfnd_…, we_…
OBJECT_ID = re.compile(OBJECT_ID_PATTERN)
TEST_EVENT_MESSAGE = "This is a test webhook from paygate"


def _own_delivery(delivery_id, merchant_id: str, lock: bool = False) -> WebhookDelivery:
    if not ids.looks_like("uuid", delivery_id):
        raise NotFound("Webhook log not found")
    query = WebhookDelivery.select().where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.merchant == merchant_id))
    row = (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound("Webhook log not found")
    return row


def _current_destination(row: WebhookDelivery, merchant_id: str) -> str:
    """The URL a retry of ``row`` goes to now; InvalidRequest when its destination is gone."""
    if row.endpoint_id is None or row.endpoint_id == ids.default_endpoint_id(merchant_id):
        url = Merchant.select(Merchant.webhook_url).where(Merchant.id == merchant_id).scalar()
        if url is None:
            raise InvalidRequest("This delivery went to the webhook_url, which was removed: set one with PUT /api/v1/merchants/me, then retry")
        return url
    endpoint = WebhookEndpoint.select(WebhookEndpoint.url, WebhookEndpoint.status).where(WebhookEndpoint.id == row.endpoint_id).first()
    if endpoint is None:
        raise InvalidRequest("This delivery's webhook endpoint was deleted: there is nowhere to send it")
    if endpoint.status != EndpointStatus.ENABLED:
        raise InvalidRequest("This delivery's webhook endpoint is disabled: enable it before retrying")
    return endpoint.url


def retry_delivery(delivery_id: str, merchant_id: str) -> Outcome:
    """A manual retry: attempts back to 0, pending, due now, to the destination's current URL.
    Refused when the destination is gone (the webhook_url removed, the endpoint deleted or disabled)."""
    row = _own_delivery(delivery_id, merchant_id, lock=True)
    now = utcnow()
    row.url = _current_destination(row, merchant_id)
    row.status = guard("delivery", row.status, DeliveryStatus.PENDING)
    row.attempts = 0
    row.failure_code = None
    row.next_retry_at = now
    row.claimed_until = after(CLAIM_GRACE_S, now)
    row.updated_at = now
    row.save()
    data = {"id": row.id, "status": row.status, "message": "Webhook retry scheduled"}
    return Outcome(data, [DueWork(DELIVER_WEBHOOK, row.id, now)])


# --- the log and the event stream, as the API shows them ------------------------------------


def list_deliveries(merchant_id: str, params: dict) -> dict:
    status = parse_choice("status", params.get("status"), DeliveryStatus.ALL)
    event_type = parse_choice("event", params.get("event"), events.EVENT_TYPES)
    where = WebhookDelivery.merchant == merchant_id
    if status:
        where &= WebhookDelivery.status == status
    if event_type:
        where &= WebhookDelivery.event_type == event_type
    event_id = params.get("event_id")
    if event_id is not None:
        if not ids.looks_like("event", event_id):
            raise InvalidRequest("event_id must be an event id", field="event_id")
        where &= WebhookDelivery.event == event_id
    endpoint_id = params.get("endpoint_id")
    if endpoint_id is not None:
        if not ids.looks_like("webhook_endpoint", endpoint_id):
            raise InvalidRequest("endpoint_id must be a webhook endpoint id (we_…)", field="endpoint_id")
        if endpoint_id == ids.default_endpoint_id(merchant_id):  # rows from before endpoints were default ones
            where &= (WebhookDelivery.endpoint_id == endpoint_id) | WebhookDelivery.endpoint_id.is_null()
        else:
            where &= WebhookDelivery.endpoint_id == endpoint_id
    mine = WebhookDelivery.select().where(WebhookDelivery.merchant == merchant_id)
    return list_page(WebhookDelivery.select().where(where), WebhookDelivery, params, serialize.delivery, mine)


def get_delivery(delivery_id, merchant_id: str) -> dict:
    row = _own_delivery(delivery_id, merchant_id)
    attempts = WebhookAttempt.select().where(WebhookAttempt.delivery == row.id).order_by(WebhookAttempt.id)
    body = Event.select(Event.body).where(Event.id == row.event_id).scalar()
    return {**serialize.delivery(row), "attempt_log": [serialize.attempt(a) for a in attempts], "payload": json.loads(body) if body else None}


def _check_integers_only(data) -> None:
    """Test event data carries integers only, like every amount (an explicit stack, no recursion)."""
    stack = [(data, "data")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float):
            raise InvalidRequest(f"{path} must not contain fractional numbers (amounts are integers)", field=path)
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))


def send_test_event(merchant_id: str, body: dict | None) -> Outcome:
    """Record a ``webhook.test`` event (with the caller's ``data``, if any) and its delivery."""
    body = body or {}
    data = body.get("data", {"message": TEST_EVENT_MESSAGE})
    if not isinstance(data, dict):
        raise InvalidRequest("data must be a JSON object", field="data")
    _check_integers_only(data)
    url = Merchant.select(Merchant.webhook_url).where(Merchant.id == merchant_id).scalar()
    event, work = events.record_event(merchant_id, url, events.WEBHOOK_TEST, None, data)
    if not work:  # no default URL and no enabled endpoint that wants it: refuse, write nothing
        raise InvalidRequest("No webhook URL is configured; set one with PUT /api/v1/merchants/me", field="webhook_url")
    delivery = WebhookDelivery.get(WebhookDelivery.id == work[0].id)  # the default endpoint's, when there is one
    return Outcome({**serialize.delivery(delivery), "event_id": event.id}, work)


def list_events(merchant_id: str, params: dict) -> dict:
    """Events, newest first (``starting_after``/``ending_before`` like every list); with ``after``
    (an event id), the ones after it, oldest first.

    ``after`` is the cursor a follower (``paygate listen``, the console) keeps: pass the last id
    seen and get what happened since, in order, each event once (``paygate.event_cursor``).
    """
    limit = _int_param("limit", params.get("limit"), 10, 1, 100)
    event_type = parse_choice("type", params.get("type"), events.EVENT_TYPES)
    where = Event.merchant == merchant_id
    if event_type:
        where &= Event.type == event_type
    object_id = params.get("object_id")
    if object_id is not None:  # every event of one payment or refund (the object_id index), not only recent ones
        if not isinstance(object_id, str) or not OBJECT_ID.match(object_id):
            raise InvalidRequest("object_id must be an id such as pay_… or rfnd_…", field="object_id")
        where &= Event.object_id == object_id
    after_id = params.get("after")
    if after_id is not None:
        if params.get("starting_after") is not None or params.get("ending_before") is not None:
            raise InvalidRequest("after cannot be used with starting_after or ending_before", field="after")
        if not ids.looks_like("event", after_id):
            raise InvalidRequest("after must be an event id", field="after")
        place = event_cursor.position(after_id, merchant_id)
        if place is None:
            raise NotFound("Event not found")
        rows = event_cursor.after(where, place, limit + 1)
    elif params.get("starting_after") is not None or params.get("ending_before") is not None:
        # newest first, paged like every list, in the feed's own order (so one walk is one big page)
        cursor = parse_cursor(params)
        name = "starting_after" if cursor.starting_after else "ending_before"
        place = event_cursor.position(cursor.starting_after or cursor.ending_before, merchant_id)
        if place is None:
            raise InvalidRequest(f"{name}: no such object in this list: {cursor.starting_after or cursor.ending_before}", field=name)
        if cursor.starting_after:
            rows = event_cursor.before(where, place, limit + 1)
        else:
            newer = event_cursor.after(where, place, limit + 1)
            return {"object": "list", "data": [serialize.event(e) for e in reversed(newer[:limit])], "has_more": len(newer) > limit, "limit": limit}
    else:  # the newest page a follower starts from: below the visibility horizon too
        rows = event_cursor.newest(where, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"object": "list", "data": [serialize.event(e) for e in rows], "has_more": has_more, "limit": limit}


def webhook_secret(merchant_id: str) -> dict:
    secret = Merchant.select(Merchant.webhook_secret).where(Merchant.id == merchant_id).scalar()
    if secret is None:
        raise NotFound("Merchant not found")
    return {"webhook_secret": secret}
