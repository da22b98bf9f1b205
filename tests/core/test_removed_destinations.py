"""Deliveries whose destination is gone, on a real database of each backend: removing the
webhook_url or deleting an endpoint ends their pending deliveries with a code, a lease never
sends one to an old URL or unsigned, and a manual retry of one is refused."""

from __future__ import annotations

import uuid

import pytest

from paygate import db, deliveries, endpoints, events, merchants, webhooks
from paygate.clock import utcnow
from paygate.errors import InvalidRequest
from paygate.models import Merchant, WebhookDelivery

OLD_URL = "https://old.example.test/hooks"


def _merchant(url=OLD_URL):
    row, _ = db.unit_of_work(merchants.create_merchant, "Gone Shop", f"gone-{uuid.uuid4().hex[:10]}@example.test")
    db.unit_of_work(merchants.set_webhook_url, row.id, url, allow_private=False)
    return db.read(lambda: Merchant.get_by_id(row.id))


def _deliveries(merchant, n=2) -> list[str]:
    made = []
    for i in range(n):
        _, work = db.unit_of_work(events.record_event, merchant.id, merchant.webhook_url, events.PAYMENT_SUCCESS, f"pay_{i}", {"i": i})
        made.extend(w.id for w in work)
    return made


def _row(delivery_id) -> WebhookDelivery:
    return db.read(lambda: WebhookDelivery.get_by_id(delivery_id))


def _leased(ids) -> list[deliveries.Claim]:
    claims = db.unit_of_work(deliveries.lease_due_deliveries, 1000, 15.0)
    return [c for c in claims if c.delivery_id in ids]


def test_removing_the_webhook_url_ends_its_pending_deliveries_with_a_code(core_db):
    m = _merchant()
    pending = _deliveries(m)
    db.unit_of_work(merchants.set_webhook_url, m.id, None, allow_private=False)
    for delivery_id in pending:
        row = _row(delivery_id)
        assert (row.status, row.failure_code, row.next_retry_at) == ("failed", deliveries.WEBHOOK_URL_REMOVED, None)
    assert _leased(pending) == [], "nothing goes to the old URL"
    with pytest.raises(InvalidRequest, match="webhook_url"):
        db.unit_of_work(webhooks.retry_delivery, pending[0], m.id)
    db.unit_of_work(merchants.set_webhook_url, m.id, "https://new.example.test/hooks", allow_private=False)
    retried = db.unit_of_work(webhooks.retry_delivery, pending[0], m.id)
    assert retried.data["status"] == "pending" and _row(pending[0]).failure_code is None
    assert [c.url for c in _leased(pending)] == ["https://new.example.test/hooks"]


def test_a_lease_ends_a_due_delivery_whose_url_was_removed_instead_of_sending_it(core_db):
    """The URL went away without the PUT's own clean-up (a row due meanwhile, an old row): the
    lease itself ends it, once, with the code; no claim names the old URL."""
    m = _merchant()
    pending = _deliveries(m)
    db.unit_of_work(lambda: Merchant.update(webhook_url=None).where(Merchant.id == m.id).execute())
    assert _leased(pending) == []
    assert {(_row(d).status, _row(d).failure_code) for d in pending} == {("failed", deliveries.WEBHOOK_URL_REMOVED)}


def test_a_deleted_endpoints_deliveries_end_and_a_retry_is_refused_not_sent_unsigned(core_db):
    m = _merchant()
    ep = db.unit_of_work(endpoints.create_endpoint, m.id, {"url": "https://orders.example.test/hooks", "enabled_events": ["*"]}, allow_private=False)
    made = _deliveries(m, 1)
    (mine,) = [d for d in made if _row(d).endpoint_id == ep["id"]]
    db.unit_of_work(endpoints.delete_endpoint, ep["id"], m.id)
    assert (_row(mine).status, _row(mine).failure_code) == ("failed", deliveries.ENDPOINT_DELETED)
    with pytest.raises(InvalidRequest, match="deleted"):
        db.unit_of_work(webhooks.retry_delivery, mine, m.id)
    assert _row(mine).status == "failed", "the refused retry changed nothing"
    # made pending behind the API's back (a retry raced the delete): the lease ends it, unsent
    db.unit_of_work(lambda: WebhookDelivery.update(status="pending", failure_code=None, next_retry_at=utcnow()).where(WebhookDelivery.id == mine).execute())
    assert _leased([mine]) == []
    assert (_row(mine).status, _row(mine).failure_code) == ("failed", deliveries.ENDPOINT_DELETED)


def test_a_disabled_endpoints_delivery_is_not_retried_until_it_is_enabled(core_db):
    m = _merchant()
    ep = db.unit_of_work(endpoints.create_endpoint, m.id, {"url": "https://orders.example.test/hooks", "enabled_events": ["*"]}, allow_private=False)
    (mine,) = [d for d in _deliveries(m, 1) if _row(d).endpoint_id == ep["id"]]
    db.unit_of_work(endpoints.update_endpoint, ep["id"], m.id, {"status": "disabled"}, allow_private=False)
    assert _row(mine).failure_code == deliveries.ENDPOINT_DISABLED
    with pytest.raises(InvalidRequest, match="disabled"):
        db.unit_of_work(webhooks.retry_delivery, mine, m.id)
    db.unit_of_work(endpoints.update_endpoint, ep["id"], m.id, {"status": "enabled"}, allow_private=False)
    assert db.unit_of_work(webhooks.retry_delivery, mine, m.id).data["status"] == "pending"
