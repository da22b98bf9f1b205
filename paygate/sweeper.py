"""The sweeper: finds due work that nobody is doing and claims it, so it can be enqueued again.

A row is orphaned when it is pending, due, and its claim has lapsed (it was enqueued, but the
queue lost it: a killed worker, a lost Redis, a crash between commit and enqueue). Claiming sets
a fresh ``claimed_until``, so many sweepers on many hosts do not flood the queue; an occasional
double enqueue is harmless because every handler is idempotent.
"""

from __future__ import annotations

from .backlog import SOURCES, pending_and_due
from .clock import after, utcnow
from .work import CLAIM_GRACE_S, DueWork


def claim_orphaned_work(limit: int = 500) -> list[DueWork]:
    """Claim up to ``limit`` orphaned rows of each kind; call inside a transaction."""
    now = utcnow()
    found: list[DueWork] = []
    for model, (task, _, due) in SOURCES.items():
        orphaned = pending_and_due(model, now) & (model.claimed_until.is_null() | (model.claimed_until < now))
        rows = list(model.select(model.id, due.alias("due")).where(orphaned).order_by(due).limit(limit).tuples())
        if not rows:
            continue
        model.update(claimed_until=after(CLAIM_GRACE_S, now)).where(orphaned & model.id.in_([r[0] for r in rows])).execute()
        found.extend(DueWork(task, r[0], now) for r in rows)
    return found
