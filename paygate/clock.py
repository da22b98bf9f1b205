"""Time: naive UTC datetimes inside, ISO-8601 with ``Z`` outside, Unix seconds in webhooks."""

from __future__ import annotations

import calendar
import re
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


# What a client may send as a time: an RFC 3339 date-time (``2024-01-15T10:31:00Z``, any offset,
# a fraction) or a full date (its midnight, UTC). Nothing looser: the OpenAPI document says these.
CLIENT_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt](?P<h>[0-9]{2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]+))?"
    r"(?:[Zz]|(?P<sign>[+-])(?P<oh>[0-9]{2}):(?P<om>[0-9]{2})))?\Z"
)
# The calendar's first and last days are refused whole: moved to UTC, a time there may fall off it.
EDGE_DAYS = ("0001-01-01", "9999-12-31")


def parse_iso(text: str) -> datetime:
    """Parse a client's time (see ``CLIENT_TIME``) into naive UTC; ValueError when it is not one."""
    match = CLIENT_TIME.match(text)
    if match is None or match["date"] in EDGE_DAYS:
        raise ValueError(f"not a time paygate takes: {text!r}")
    day = datetime.strptime(match["date"], "%Y-%m-%d")
    if match["h"] is None:
        return day
    second = min(int(match["s"]), 59)  # a leap second (:60) counts as :59
    fraction = int((match["frac"] or "")[:6].ljust(6, "0"))
    value = day.replace(hour=int(match["h"]), minute=int(match["m"]), second=second, microsecond=fraction)
    if match["sign"]:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > 23 or minutes > 59:
            raise ValueError(f"not a UTC offset: {text!r}")
        offset = timedelta(hours=hours, minutes=minutes)
        value = value - offset if match["sign"] == "+" else value + offset
    return value


def after(seconds: float, start: datetime | None = None) -> datetime:
    return (start or utcnow()) + timedelta(seconds=seconds)
