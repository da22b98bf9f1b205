"""Tasks: thin. An id in; the work runs through this worker's due loop, the one code path.

Settlement and delivery each have one path, whether the due loop finds the row due or a task
names it (work another process enqueued, the sweeper's orphans, a manual retry): a task asks the
process's :class:`~paygate.jobs.due_loop.DueLoop` to settle now (its next pass settles the row
with every other due row), or to lease the delivery and hand it to its sender; the loop records
the attempt like every other. Every process that runs a consumer runs a due loop (``jobs.runner``). Idempotent: a row that is not due, or already
settled or leased, is left alone, so a duplicate from the sweeper changes nothing.
"""

from __future__ import annotations

import logging

from ..work import DELIVER_WEBHOOK, SETTLE_PAYMENT, SETTLE_REFUND
from . import due_loop
from .queue import huey

log = logging.getLogger("paygate.jobs")


def _loop() -> due_loop.DueLoop | None:
    loop = due_loop.running()
    if loop is None:  # the row stays due: a due loop (here once started, or in another worker) takes it
        log.warning("no due loop runs in this process; the row is left for one that does")
    return loop


@huey.task()
def settle_payment(payment_id: str):
    if loop := _loop():
        loop.settle_now()  # the pass finds the row by its due time


@huey.task()
def settle_refund(refund_id: str):
    if loop := _loop():
        loop.settle_now()


@huey.task()
def deliver_webhook(delivery_id: str):
    if loop := _loop():
        loop.deliver_now(delivery_id)


TASKS = {SETTLE_PAYMENT: settle_payment, SETTLE_REFUND: settle_refund, DELIVER_WEBHOOK: deliver_webhook}
