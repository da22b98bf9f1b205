"""Worker liveness, measured: workers write a heartbeat row; status is read from its age.

The row also carries the count of the worker's maintenance ticks that failed (a database or
Redis outage, a bug): a failed tick cannot always write, so the count rides on the next beat.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from .clock import utcnow
from .models import Heartbeat

STALE_AFTER = timedelta(seconds=15)


def worker_name(role: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


def beat(name: str, role: str, maintenance_failures: int = 0) -> None:
    now = utcnow()
    Heartbeat.insert(id=name, role=role, last_seen=now, maintenance_failures=maintenance_failures).on_conflict(
        conflict_target=[Heartbeat.id], update={Heartbeat.last_seen: now, Heartbeat.maintenance_failures: maintenance_failures}
    ).execute()


def live_workers() -> int:
    return Heartbeat.select().where(Heartbeat.last_seen >= utcnow() - STALE_AFTER).count()


def maintenance_failures() -> dict[str, int]:
    """Failed maintenance ticks by live worker (``host:pid:role``): a counter per worker."""
    live = Heartbeat.last_seen >= utcnow() - STALE_AFTER
    return dict(Heartbeat.select(Heartbeat.id, Heartbeat.maintenance_failures).where(live).order_by(Heartbeat.id).tuples())


def worker_status() -> str:
    return "running" if live_workers() > 0 else "stopped"


def forget(name: str) -> None:
    Heartbeat.delete().where(Heartbeat.id == name).execute()
