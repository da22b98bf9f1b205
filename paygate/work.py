"""What should happen next, as data. The core returns these; adapters enqueue them after commit.

The row behind each item is the durable record (its due time and claim); the queue is only the
fast path, and the sweeper re-creates lost items from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SETTLE_PAYMENT = "settle_payment"
SETTLE_REFUND = "settle_refund"
DELIVER_WEBHOOK = "deliver_webhook"

# How long an enqueued item may stay unfinished past its due time before the sweeper
# assumes the queue lost it and enqueues it again.
CLAIM_GRACE_S = 8.0


@dataclass(frozen=True)
class DueWork:
    task: str  # one of the names above
    id: str  # the row's id: jobs take ids, never objects
    due_at: datetime
