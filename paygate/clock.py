"""Time: naive UTC datetimes inside, ISO-8601 with ``Z`` outside, Unix seconds in webhooks."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what the database columns hold)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso(value: datetime | None) -> str | None:
    """``2024-01-15T10:31:00Z``: seconds precision, always UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text for some expressions
        value = parse_db_datetime(value)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(value: datetime) -> int:
    return calendar.timegm(value.utctimetuple())


def parse_db_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", ""))


def db_datetime(value) -> datetime | None:
    """A datetime from a column or an aggregate over one (SQLite hands back the stored text)."""
    return parse_db_datetime(value) if isinstance(value, str) else value


def parse_iso(text: str) -> datetime:
    """Parse a client's ISO-8601 timestamp (or a date) into naive UTC; ValueError when it is not one."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def after(seconds: float, start: datetime | None = None) -> datetime:
    return (start or utcnow()) + timedelta(seconds=seconds)
