"""List parameters shared by every collection endpoint: limit/offset and time windows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clock import parse_iso
from .errors import InvalidRequest

_INTEGER = re.compile(r"-?[0-9]{1,20}")
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def _int_param(name, raw, default, lo, hi) -> int:
    if raw is None:  # absent; an empty value is checked like any other (the document says so)
        return default
    try:
        if isinstance(raw, str) and not _INTEGER.fullmatch(raw):  # no " 5", "1_0", "٥": what the document calls an integer
            raise ValueError(raw)
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidRequest(f"{name} must be an integer", field=name) from None
    if not lo <= value <= hi:
        raise InvalidRequest(f"{name} must be between {lo} and {hi}", field=name)
    return value


def parse_page(limit=None, offset=None) -> Page:
    return Page(_int_param("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT), _int_param("offset", offset, 0, 0, MAX_OFFSET))


def parse_time(name: str, raw):
    if raw is None:
        return None
    try:
        return parse_iso(str(raw))
    except (ValueError, OverflowError):  # overflow: a time near year 1 or 9999 moved to UTC
        raise InvalidRequest(f"{name} must be an ISO-8601 timestamp between years 1 and 9999 in UTC", field=name) from None


_ID_PREFIX = re.compile(r"[A-Za-z0-9_]{1,32}\Z")


def parse_id_prefix(name: str, raw):
    """A search by the start of an id: letters, digits and ``_`` only (up to 32), else 400."""
    if raw is None or raw == "":
        return None
    value = str(raw).strip()
    if not _ID_PREFIX.match(value):
        raise InvalidRequest(f"{name} must be the start of an id: up to 32 letters, digits or _", field=name)
    return value


def parse_choice(name: str, raw, choices):
    if raw is None:
        return None
    if raw not in choices:
        raise InvalidRequest(f"{name} must be one of {', '.join(choices)}", field=name)
    return raw
