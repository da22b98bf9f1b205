"""Tasks: thin. An id in, one core unit of work, its follow-up work enqueued after commit.

Every handler is idempotent (the core checks the row's status under a lock), so a duplicate
from the sweeper or a retry changes nothing.
"""

from __future__ import annotations

from .. import db, payments, refunds
from ..work import DELIVER_WEBHOOK, SETTLE_PAYMENT, SETTLE_REFUND
from .delivery import deliver
from .enqueue import enqueue
from .queue import huey


def _follow_up(work) -> None:
    if work:
        enqueue(work, TASKS)


@huey.task()
def settle_payment(payment_id: str):
    _follow_up(db.unit_of_work(payments.settle_payment, payment_id).work)


@huey.task()
def settle_refund(refund_id: str):
    _follow_up(db.unit_of_work(refunds.settle_refund, refund_id).work)


@huey.task()
def deliver_webhook(delivery_id: str):
    _follow_up(deliver(delivery_id))


TASKS = {SETTLE_PAYMENT: settle_payment, SETTLE_REFUND: settle_refund, DELIVER_WEBHOOK: deliver_webhook}
