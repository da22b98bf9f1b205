"""Counts of work by state, across payments, refunds and webhook deliveries, from the rows.

pending: waiting for its due time; processing: due now and being worked on; completed and
failed: final.

``job_counts(merchant_id)`` is one merchant's own work: for its console, and the seeded test
merchant's for the unauthenticated test endpoint. ``job_counts()`` counts every merchant's rows.
"""

from __future__ import annotations

from peewee import fn

from .backlog import pending_counts
from .clock import utcnow
from .heartbeat import worker_status
from .models import Payment, Refund, WebhookDelivery
from .states import DeliveryStatus, PaymentStatus, RefundStatus

# kind of row → (statuses meaning its work completed, statuses meaning it failed)
_FINAL = {
    Payment: ({PaymentStatus.SUCCESS, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}, {PaymentStatus.FAILED}),
    Refund: ({RefundStatus.PROCESSED}, {RefundStatus.FAILED}),
    WebhookDelivery: ({DeliveryStatus.SUCCESS}, {DeliveryStatus.FAILED}),
}


def job_counts(merchant_id: str | None = None) -> dict:
    now = utcnow()
    counts = {"pending": 0, "processing": 0, "completed": 0, "failed": 0}
    for model, (done, failed) in _FINAL.items():
        mine = (model.merchant == merchant_id) if merchant_id is not None else True
        for status, n in model.select(model.status, fn.COUNT(model.id)).where(mine).group_by(model.status).tuples():
            if status in done:
                counts["completed"] += n
            elif status in failed:
                counts["failed"] += n
        waiting, due_now = pending_counts(model, now, merchant_id)
        counts["pending"] += waiting
        counts["processing"] += due_now
    counts["worker_status"] = worker_status()
    return counts
