"""Enqueue the core's returned work, for callers outside the task layer (the API, the sweeper).

Imports go one way: dispatch → tasks → due_loop → sender → delivery, and dispatch → enqueue; nothing below imports
back up.
"""

from __future__ import annotations

from .enqueue import enqueue
from .tasks import TASKS


def dispatch(work) -> None:
    enqueue(work, TASKS)
