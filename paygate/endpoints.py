"""Webhook endpoints: several destinations per merchant, each with an event filter and a secret.

The merchant's **default endpoint** is the seed contract's ``webhook_url`` (every event, the
merchant's ``webhook_secret``, ``X-Webhook-Signature``): it has no row, its id is derived
(``ids.default_endpoint_id``), and it is managed with ``PUT /api/v1/merchants/me`` only. Every
other endpoint is a ``WebhookEndpoint`` row (``we_…``) signed with Standard Webhooks headers only.

- rotation keeps the previous secret signing beside the new one until it expires (both
  ``v1,…`` entries in ``webhook-signature``), so receivers on either secret keep verifying;
- **auto-disable**: an endpoint whose every attempt has failed for ``disable_after_s`` is
  disabled, its pending deliveries stop (failed), and a ``webhook_endpoint.disabled`` event is
  recorded for the merchant's other destinations. Re-enabling resends nothing; a replay does.
- replay makes an endpoint's past deliveries pending again (same event, same bytes, attempts 0).

Refuses: another merchant's endpoint (404), unknown event types (400 listing the valid ones),
URLs the merchant settings would refuse, more than ``MAX_ENDPOINTS`` per merchant.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from peewee import fn

from . import deliveries, events, ids, serialize, wakeup
from .clock import after, iso, utcnow
from .db import for_update
from .errors import InvalidRequest, NotFound
from .merchants import validate_webhook_url
from .models import Merchant, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .paging import parse_time, sequence_page
from .states import DeliveryStatus, guard
from .text import parse_text
from .work import CLAIM_GRACE_S

MAX_ENDPOINTS = 20
DEFAULT_PREVIOUS_SECRET_TTL_S = 86400
MAX_PREVIOUS_SECRET_TTL_S = 7 * 86400
DEFAULT_DISABLE_AFTER_S = 3 * 86400
MAX_DESCRIPTION = 500
REPLAY_STATUSES = {"failed": (DeliveryStatus.FAILED,), "success": (DeliveryStatus.SUCCESS,), "any": (DeliveryStatus.FAILED, DeliveryStatus.SUCCESS)}
HEALTH_WINDOW = timedelta(hours=24)
NOT_MANAGED_HERE = "The default endpoint is the merchant's webhook_url: change it with PUT /api/v1/merchants/me"


# --- validation ----------------------------------------------------------------------------------


def valid_filters() -> list[str]:
    prefixes = sorted({t.split(".", 1)[0] + ".*" for t in events.EVENT_TYPES})
    return ["*", *prefixes, *events.EVENT_TYPES]


def parse_enabled_events(value) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidRequest("enabled_events must be a non-empty list of event types, such as [\"payment.*\"] or [\"*\"]", field="enabled_events")
    valid = valid_filters()
    unknown = [v for v in value if v not in valid]
    if unknown:
        raise InvalidRequest(f"unknown event types {', '.join(unknown)}; valid: {', '.join(valid)}", field="enabled_events", valid=valid)
    return list(dict.fromkeys(value))


def _url(value, allow_private: bool) -> str:
    if value is None:
        raise InvalidRequest("url is required (an http or https URL)", field="url")
    try:
        return validate_webhook_url(value, allow_private=allow_private)
    except InvalidRequest as exc:
        raise InvalidRequest(exc.description.replace("webhook_url", "url").replace(", or null", ""), field="url") from None


def _description(value) -> str | None:
    return parse_text(value, "description", MAX_DESCRIPTION)


def _body(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return body


# --- reading --------------------------------------------------------------------------------------


def _default_view(m: Merchant) -> dict:
    return {
        "id": ids.default_endpoint_id(m.id),
        "url": m.webhook_url,
        "description": "default endpoint (the merchant's webhook_url)",
        "enabled_events": ["*"],
        "status": events.ENDPOINT_ENABLED,
        "default": True,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "disabled_at": None,
        "failing_since": None,
        "previous_secret_expires_at": None,
    }


def _health(merchant_id: str, endpoint_ids: list[str], now: datetime) -> dict[str, dict]:
    """Deliveries and success rate over the last 24 h, and the last error, per endpoint."""
    since = now - HEALTH_WINDOW
    counts = {e: [0, 0] for e in endpoint_ids}
    if not endpoint_ids:
        return {}
    rows = (
        WebhookDelivery.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, fn.COUNT(WebhookDelivery.id))
        .where((WebhookDelivery.merchant == merchant_id) & (WebhookDelivery.created_at >= since) & WebhookDelivery.endpoint_id.in_(endpoint_ids))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
        .tuples()
    )
    for endpoint_id, status, n in rows:
        counts[endpoint_id][0] += n
        if status == DeliveryStatus.SUCCESS:
            counts[endpoint_id][1] += n
    out = {}
    for endpoint_id in endpoint_ids:
        last = (
            WebhookAttempt.select(WebhookAttempt.error, WebhookAttempt.attempted_at)
            .join(WebhookDelivery)
            .where((WebhookDelivery.endpoint_id == endpoint_id) & (WebhookDelivery.created_at >= since) & WebhookAttempt.error.is_null(False))
            .order_by(WebhookAttempt.id.desc())
            .first()
        )
        total, ok = counts[endpoint_id]
        out[endpoint_id] = {
            "deliveries_24h": total,
            "succeeded_24h": ok,
            "success_rate_24h": round(ok / total, 4) if total else None,
            "last_error": last.error if last else None,
            "last_error_at": iso(last.attempted_at) if last else None,
        }
    return out


def _own(endpoint_id, merchant_id: str, lock: bool = False) -> WebhookEndpoint:
    if not ids.looks_like("webhook_endpoint", endpoint_id):
        raise NotFound("Webhook endpoint not found")
    query = WebhookEndpoint.select().where((WebhookEndpoint.id == endpoint_id) & (WebhookEndpoint.merchant == merchant_id))
    row = (for_update(query) if lock else query).first()
    if row is None:
        raise NotFound("Webhook endpoint not found")
    return row


def _is_default(endpoint_id, merchant_id: str) -> bool:
    return endpoint_id == ids.default_endpoint_id(merchant_id)


def _merchant_with_url(merchant_id: str) -> Merchant | None:
    m = Merchant.get_or_none(Merchant.id == merchant_id)
    return m if m is not None and m.webhook_url else None


def list_endpoints(merchant_id: str, params: dict) -> dict:
    """The default endpoint (when a webhook_url is set) first, then the others, oldest first."""
    views = []
    m = _merchant_with_url(merchant_id)
    if m is not None:
        views.append(_default_view(m))
    rows = WebhookEndpoint.select().where(WebhookEndpoint.merchant == merchant_id).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id).limit(MAX_ENDPOINTS + 1)
    views.extend(serialize.webhook_endpoint(r) for r in rows)
    page = sequence_page(views, params)
    health = _health(merchant_id, [v["id"] for v in page["data"]], utcnow())
    return {**page, "data": [{**v, "health": health.get(v["id"])} for v in page["data"]]}


def get_endpoint(endpoint_id, merchant_id: str) -> dict:
    if _is_default(endpoint_id, merchant_id) and (m := _merchant_with_url(merchant_id)) is not None:
        view = _default_view(m)
    else:
        view = serialize.webhook_endpoint(_own(endpoint_id, merchant_id))
    return {**view, "health": _health(merchant_id, [view["id"]], utcnow())[view["id"]]}


# --- writing --------------------------------------------------------------------------------------


def create_endpoint(merchant_id: str, body, *, allow_private: bool) -> dict:
    body = _body(body)
    url = _url(body.get("url"), allow_private)
    enabled = parse_enabled_events(body.get("enabled_events"))
    description = _description(body.get("description"))
    # Lock the merchant row: the count below and the insert are one decision.
    for_update(Merchant.select(Merchant.id).where(Merchant.id == merchant_id)).first()
    if WebhookEndpoint.select().where(WebhookEndpoint.merchant == merchant_id).count() >= MAX_ENDPOINTS:
        raise InvalidRequest(f"a merchant has at most {MAX_ENDPOINTS} webhook endpoints; delete one first")
    now = utcnow()
    row = WebhookEndpoint.create(
        id=ids.new_webhook_endpoint_id(),
        merchant=merchant_id,
        url=url,
        description=description,
        enabled_events=json.dumps(enabled),
        status=events.ENDPOINT_ENABLED,
        secret=ids.new_webhook_secret(),
        created_at=now,
        updated_at=now,
    )
    return {**serialize.webhook_endpoint(row), "secret": row.secret}


def _stop_pending(endpoint_ids: list[str], now: datetime, code: str = deliveries.ENDPOINT_DISABLED) -> int:
    """Pending deliveries of these endpoints become failed with ``code`` (a replay can send a
    disabled endpoint's again)."""
    return deliveries.end_pending(WebhookDelivery.endpoint_id.in_(endpoint_ids), code, now)


def update_endpoint(endpoint_id, merchant_id: str, body, *, allow_private: bool) -> dict:
    if _is_default(endpoint_id, merchant_id):
        raise InvalidRequest(NOT_MANAGED_HERE)
    row = _own(endpoint_id, merchant_id, lock=True)
    body = _body(body)
    now = utcnow()
    if "url" in body:
        row.url = _url(body["url"], allow_private)
    if "enabled_events" in body:
        row.enabled_events = json.dumps(parse_enabled_events(body["enabled_events"]))
    if "description" in body:
        row.description = _description(body["description"])
    if "status" in body:
        status = body["status"]
        if not isinstance(status, str) or status not in (events.ENDPOINT_ENABLED, events.ENDPOINT_DISABLED):
            raise InvalidRequest("status must be enabled or disabled", field="status")
        if status != row.status:
            row.status = guard("endpoint", row.status, status)
            if status == events.ENDPOINT_DISABLED:
                row.disabled_at = now
                _stop_pending([row.id], now)
            else:  # a fresh start: past failures do not count toward the next auto-disable
                row.disabled_at = None
                row.failing_since = None
    row.updated_at = now
    row.save()
    return serialize.webhook_endpoint(row)


def delete_endpoint(endpoint_id, merchant_id: str) -> dict:
    if _is_default(endpoint_id, merchant_id):
        raise InvalidRequest(NOT_MANAGED_HERE)
    row = _own(endpoint_id, merchant_id, lock=True)
    _stop_pending([row.id], utcnow(), deliveries.ENDPOINT_DELETED)
    row.delete_instance()
    return {"id": row.id, "deleted": True}


def rotate_secret(endpoint_id, merchant_id: str, body) -> dict:
    """A new secret now; the old one keeps signing beside it for ``expire_previous_in`` seconds."""
    if _is_default(endpoint_id, merchant_id):
        raise InvalidRequest("The default endpoint signs with the merchant's webhook secret: rotate it with POST /api/v1/merchants/me/webhook-secret")
    row = _own(endpoint_id, merchant_id, lock=True)
    ttl = previous_secret_ttl(body)
    now = utcnow()
    row.previous_secret = row.secret if ttl else None
    row.previous_secret_expires_at = after(ttl, now) if ttl else None
    row.secret = ids.new_webhook_secret()
    row.updated_at = now
    row.save()
    return {**serialize.webhook_endpoint(row), "secret": row.secret}


def previous_secret_ttl(body) -> int:
    """A rotation's ``expire_previous_in``: seconds the old secret keeps signing (default a day).

    The same for a named endpoint and the merchant's default one (its webhook secret)."""
    ttl = _body(body or {}).get("expire_previous_in", DEFAULT_PREVIOUS_SECRET_TTL_S)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_PREVIOUS_SECRET_TTL_S:
        raise InvalidRequest(f"expire_previous_in must be a whole number of seconds between 0 and {MAX_PREVIOUS_SECRET_TTL_S}", field="expire_previous_in")
    return ttl


def _replay_time(name: str, raw, required: bool):
    if raw is None and required:
        raise InvalidRequest(f"{name} is required (an RFC 3339 date-time or a date)", field=name)
    if raw is not None and not isinstance(raw, str):
        raise InvalidRequest(f"{name} must be an RFC 3339 date-time or a date", field=name)
    return parse_time(name, raw)


def _echo_time(value: datetime | None) -> str | None:
    """A time as answered: RFC 3339 UTC with a four-digit year (years before 1000 included)."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def replay(endpoint_id, merchant_id: str, body) -> dict:
    """Make the endpoint's deliveries created in [since, until) pending again, due now.

    Same rows, so the same event ids and bytes; attempts start from 0. One UPDATE; the due loops
    are woken (NOTIFY at commit on PostgreSQL; the caller rings the in-process alarm).
    """
    if _is_default(endpoint_id, merchant_id):
        if _merchant_with_url(merchant_id) is None:
            raise NotFound("Webhook endpoint not found")
        which = (WebhookDelivery.endpoint_id == endpoint_id) | WebhookDelivery.endpoint_id.is_null()
    else:
        row = _own(endpoint_id, merchant_id)  # another merchant's endpoint is 404 before any 400
        if row.status != events.ENDPOINT_ENABLED:
            raise InvalidRequest("the endpoint is disabled: enable it before replaying", field="status")
        which = WebhookDelivery.endpoint_id == endpoint_id
    body = _body(body or {})
    since = _replay_time("since", body.get("since"), True)
    until = _replay_time("until", body.get("until"), False)
    status = body.get("status", "failed")
    if not isinstance(status, str) or status not in REPLAY_STATUSES:
        raise InvalidRequest("status must be failed, success or any", field="status")
    where = (WebhookDelivery.merchant == merchant_id) & which & (WebhookDelivery.created_at >= since) & WebhookDelivery.status.in_(REPLAY_STATUSES[status])
    if until is not None:
        where &= WebhookDelivery.created_at < until
    for s in REPLAY_STATUSES[status]:
        guard("delivery", s, DeliveryStatus.PENDING)
    now = utcnow()
    queued = (
        WebhookDelivery.update(status=DeliveryStatus.PENDING, attempts=0, next_retry_at=now, claimed_until=after(CLAIM_GRACE_S, now), failure_code=None, updated_at=now)
        .where(where)
        .execute()
    )
    if queued:
        wakeup.announce(now)
    return {"endpoint_id": endpoint_id, "queued": queued, "since": _echo_time(since), "until": _echo_time(until), "status": status}


# --- auto-disable (called when attempts are recorded) ------------------------------------------


def note_attempts(results, now: datetime, disable_after_s: float) -> list:
    """Keep each endpoint's run of failures current, and disable those failing for too long.

    Only state changes cost a statement: a healthy endpoint's successes and a failing one's
    further failures (not yet past the span) write nothing. Returns the work of the
    ``webhook_endpoint.disabled`` events' deliveries.
    """
    succeeded: set[str] = set()
    failing: dict[str, datetime | None] = {}
    for claim, result in results:
        if claim.default_endpoint or claim.endpoint_id is None:
            continue
        if result.succeeded:
            succeeded.add(claim.endpoint_id)
            failing.pop(claim.endpoint_id, None)
        elif claim.endpoint_id not in succeeded:
            failing[claim.endpoint_id] = claim.failing_since
    recovered = [c.endpoint_id for c, _ in results if c.endpoint_id in succeeded and c.failing_since is not None]
    if recovered:
        WebhookEndpoint.update(failing_since=None).where(WebhookEndpoint.id.in_(sorted(set(recovered)))).execute()
    started = sorted(e for e, since in failing.items() if since is None)
    if started:
        WebhookEndpoint.update(failing_since=now).where(WebhookEndpoint.id.in_(started) & WebhookEndpoint.failing_since.is_null()).execute()
    cutoff = now - timedelta(seconds=disable_after_s)
    overdue = sorted(e for e, since in failing.items() if since is not None and since <= cutoff)
    return disable_failing(overdue, cutoff, now) if overdue else []


def disable_failing(endpoint_ids: list[str], cutoff: datetime, now: datetime) -> list:
    """Disable the endpoints still failing since ``cutoff`` or before; record their events."""
    rows = list(
        for_update(
            WebhookEndpoint.select().where(
                WebhookEndpoint.id.in_(endpoint_ids)
                & (WebhookEndpoint.status == events.ENDPOINT_ENABLED)
                & (WebhookEndpoint.failing_since <= cutoff)
            ).order_by(WebhookEndpoint.id)
        )
    )
    if not rows:
        return []
    ids_ = [r.id for r in rows]
    status = guard("endpoint", events.ENDPOINT_ENABLED, events.ENDPOINT_DISABLED)
    WebhookEndpoint.update(status=status, disabled_at=now, updated_at=now).where(WebhookEndpoint.id.in_(ids_)).execute()
    _stop_pending(ids_, now)
    urls = dict(Merchant.select(Merchant.id, Merchant.webhook_url).where(Merchant.id.in_(sorted({r.merchant_id for r in rows}))).tuples())
    outbox = events.Outbox(now)
    work = []
    for r in rows:
        r.status, r.disabled_at, r.updated_at = status, now, now
        _, w = outbox.add(r.merchant_id, urls.get(r.merchant_id), events.WEBHOOK_ENDPOINT_DISABLED, r.id, {"webhook_endpoint": serialize.webhook_endpoint(r)})
        work.append(w)
    outbox.write()  # the disabled endpoints are no longer enabled: they do not receive their own event
    return [item for w in work for item in w]
