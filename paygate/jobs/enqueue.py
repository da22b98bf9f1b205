"""Put committed work on the queue: each item to the task its table names, now or at its due time.

The row is already committed: if the queue is down this only logs, and the sweeper enqueues the
work again from the row. Knows no task itself (the table is passed in by ``dispatch``).
"""

from __future__ import annotations

import logging

from ..clock import utcnow

log = logging.getLogger("paygate.jobs")


def enqueue(work, tasks: dict) -> None:
    now = utcnow()
    for item in work:
        task = tasks[item.task]
        delay = (item.due_at - now).total_seconds()
        try:
            if delay > 0.01:
                task.schedule(args=(item.id,), delay=delay)
            else:
                task(item.id)
        except Exception as exc:  # the queue is the fast path only; the row is the record
            log.warning("enqueue of %s %s failed (%s); the sweeper will retry it", item.task, item.id, type(exc).__name__)
