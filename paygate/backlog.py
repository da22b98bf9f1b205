"""Work still to do, read from the rows: what is pending, and whether it has fallen due.

One definition for everyone who asks: the sweeper (pending, due, and nobody's claim), the jobs
status endpoint and the metrics (pending counts, split into not-yet-due and due). Each kind of row
names its own pending status and its own due column here, nowhere else.
"""

from __future__ import annotations

from datetime import datetime

from peewee import fn

from .models import Payment, Refund, WebhookDelivery
from .states import DeliveryStatus, PaymentStatus, RefundStatus
from .work import DELIVER_WEBHOOK, SETTLE_PAYMENT, SETTLE_REFUND

# kind of row → (the task that works it, its pending status, the column that says when it is due)
SOURCES = {
    Payment: (SETTLE_PAYMENT, PaymentStatus.PENDING, Payment.due_at),
    Refund: (SETTLE_REFUND, RefundStatus.PENDING, Refund.due_at),
    WebhookDelivery: (DELIVER_WEBHOOK, DeliveryStatus.PENDING, WebhookDelivery.next_retry_at),
}


def due_column(model):
    return SOURCES[model][2]


def pending(model):
    """The rows of ``model`` whose work is not done yet."""
    return model.status == SOURCES[model][1]


def pending_and_due(model, now: datetime):
    """The rows of ``model`` whose work is not done and has fallen due by ``now``."""
    return pending(model) & (due_column(model) <= now)


def pending_counts(model, now: datetime, merchant_id: str | None = None) -> tuple[int, int]:
    """(pending and not yet due, pending and due) rows of ``model`` (of one merchant, if given), in one query."""
    is_due = due_column(model) <= now
    where = pending(model) if merchant_id is None else pending(model) & (model.merchant == merchant_id)
    counts = {True: 0, False: 0}
    for due, n in model.select(is_due, fn.COUNT(model.id)).where(where).group_by(is_due).tuples():
        if due is not None:
            counts[bool(due)] += n
    return counts[False], counts[True]
