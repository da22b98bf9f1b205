"""Worker liveness, measured: workers write a heartbeat row; status is read from its age."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from .clock import utcnow
from .models import Heartbeat

STALE_AFTER = timedelta(seconds=15)


def worker_name(role: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


def beat(name: str, role: str) -> None:
    now = utcnow()
    Heartbeat.insert(id=name, role=role, last_seen=now).on_conflict(
        conflict_target=[Heartbeat.id], update={Heartbeat.last_seen: now}
    ).execute()


def live_workers() -> int:
    return Heartbeat.select().where(Heartbeat.last_seen >= utcnow() - STALE_AFTER).count()


def worker_status() -> str:
    return "running" if live_workers() > 0 else "stopped"


def forget(name: str) -> None:
    Heartbeat.delete().where(Heartbeat.id == name).execute()
