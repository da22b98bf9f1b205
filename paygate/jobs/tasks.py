"""Tasks: thin. An id in, one core unit of work, its follow-up work enqueued after commit.

Every handler is idempotent (the core checks the row's status under a lock), so a duplicate
from the sweeper or a retry changes nothing.
"""

from __future__ import annotations

from .. import db, payments
from ..work import DELIVER_WEBHOOK, SETTLE_PAYMENT, SETTLE_REFUND
from .dispatch import dispatch
from .queue import huey


def _run(fn, *args):
    outcome = db.unit_of_work(fn, *args)
    if outcome.work:
        dispatch(outcome.work)
    return outcome


@huey.task()
def settle_payment(payment_id: str):
    _run(payments.settle_payment, payment_id)


@huey.task()
def settle_refund(refund_id: str):
    from .. import refunds

    _run(refunds.settle_refund, refund_id)


@huey.task()
def deliver_webhook(delivery_id: str):
    from .delivery import deliver

    deliver(delivery_id)


TASKS = {SETTLE_PAYMENT: settle_payment, SETTLE_REFUND: settle_refund, DELIVER_WEBHOOK: deliver_webhook}
