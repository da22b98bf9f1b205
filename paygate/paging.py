"""List parameters shared by every collection endpoint: limit, cursors, offset and time windows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import SQL, fn

from .clock import parse_iso
from .errors import InvalidRequest

_INTEGER = re.compile(r"-?[0-9]{1,20}")
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
# Offset paging stays for the seed's scripts, bounded: OFFSET reads and drops every row before the
# page, so a deep offset costs what a cursor never does. Deeper than this, page by cursor.
MAX_OFFSET = 10_000


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


def parse_time(name: str, raw):
    if raw is None:
        return None
    try:
        return parse_iso(str(raw))
    except (ValueError, OverflowError):  # overflow: a time near year 1 or 9999 moved to UTC
        raise InvalidRequest(f"{name} must be an ISO-8601 timestamp between years 1 and 9999 in UTC", field=name) from None


# Search text: printable, and no U+FFFD, which is what a query's invalid UTF-8 (``%FF``) decodes to.
SEARCH_TEXT = re.compile(r"[^\x00-\x1f\x7f-\x9f\ufffd]+\Z")


def parse_search_text(name: str, raw, max_chars: int):
    """A text filter (receipt, ``q``): 1 to ``max_chars`` printable characters, else 400."""
    if raw is None:
        return None
    value = str(raw)
    if not value or len(value) > max_chars or not SEARCH_TEXT.match(value):
        raise InvalidRequest(f"{name} must be 1 to {max_chars} printable characters", field=name)
    return value


def created_between(query, model, params):
    """``query`` within ``from``/``to`` (inclusive, on ``created_at``): the window lists take."""
    start, end = parse_time("from", params.get("from")), parse_time("to", params.get("to"))
    if start:
        query = query.where(model.created_at >= start)
    if end:
        query = query.where(model.created_at <= end)
    return query


def parse_choice(name: str, raw, choices):
    if raw is None:
        return None
    if raw not in choices:
        raise InvalidRequest(f"{name} must be one of {', '.join(choices)}", field=name)
    return raw


# --- Cursor pagination (Stripe's manners) -------------------------------------------------------
# Every list is newest first over (created_at, id): ties on the timestamp are broken by the id,
# descending, so the order is total and a page boundary is exact. ``starting_after`` and
# ``ending_before`` name an object of the list; a page is read with a keyset condition (an index
# range scan on ``(merchant, created_at, id)``), never an OFFSET, so page 10,000 costs page 1.


@dataclass(frozen=True)
class Cursor:
    limit: int
    starting_after: str | None = None
    ending_before: str | None = None


_CURSOR_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def _cursor_id(name: str, raw):
    if raw is None:
        return None
    value = str(raw)
    if not _CURSOR_ID.match(value):
        raise InvalidRequest(f"{name} must be the id of an object in this list", field=name)
    return value


def parse_cursor(params) -> Cursor:
    """``limit``, ``starting_after``, ``ending_before`` from a request's query (at most one cursor)."""
    after = _cursor_id("starting_after", params.get("starting_after"))
    before = _cursor_id("ending_before", params.get("ending_before"))
    if after and before:
        raise InvalidRequest("starting_after and ending_before cannot be used together", field="ending_before")
    return Cursor(_int_param("limit", params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT), after, before)


def cursor_query(query, model, cursor: Cursor, scope):
    """The statement that reads a cursor page: ``limit + 1`` rows, in the walk's direction.

    The cursor row's time is read inside it (a subquery the database runs once, from ``scope``):
    one statement a page, as page 1. A cursor row not in ``scope`` reads as NULL, so no rows;
    :func:`cursor_page` then tells an empty last page from a bad cursor. The bare range on
    created_at comes first, so the (merchant, created_at) index bounds the scan.
    """
    created, key = model.created_at, model.id
    anchor_id = cursor.starting_after or cursor.ending_before
    if not anchor_id:
        return query.order_by(created.desc(), key.desc()).limit(cursor.limit + 1)

    def at():
        return scope.clone().where(key == anchor_id).select(created)

    if cursor.starting_after:
        page = query.where((created <= at()) & ((created < at()) | (key < anchor_id))).order_by(created.desc(), key.desc())
    else:
        page = query.where((created >= at()) & ((created > at()) | (key > anchor_id))).order_by(created.asc(), key.asc())
    return page.limit(cursor.limit + 1)


def cursor_page(query, model, cursor: Cursor, serialize_row, anchor_query=None) -> dict:
    """One page of ``query`` (already scoped to its merchant and filters) by ``cursor``.

    The cursor object must be in ``anchor_query`` (default: ``query``) — the list's table and
    merchant without its filters, so a row that stopped matching a filter while someone pages
    (a payment that left ``pending``) still marks its place — else 400 (Stripe: "No such object"):
    a cursor never leaks another merchant's row. Answers ``{object, data, has_more}``.
    """
    anchor_id = cursor.starting_after or cursor.ending_before
    scope = query if anchor_query is None else anchor_query
    rows = list(cursor_query(query, model, cursor, scope))
    if anchor_id and not rows and not scope.clone().where(model.id == anchor_id).exists():
        name = "starting_after" if cursor.starting_after else "ending_before"
        raise InvalidRequest(f"{name}: no such object in this list: {anchor_id}", field=name)
    has_more = len(rows) > cursor.limit
    rows = rows[: cursor.limit]
    if cursor.ending_before:
        rows.reverse()
    return {"object": "list", "data": [serialize_row(r) for r in rows], "has_more": has_more}


# --- One list answer for every endpoint ---------------------------------------------------------
# ``{object: "list", data, has_more, limit}``; a walk by cursor counts nothing unless asked
# (``include[]=total_count``, Stripe's manners). A request with no cursor pages by ``offset`` (0 when
# absent) and answers the seed's ``{data, total, limit, offset}`` too: merchants' scripts read
# ``total`` there. The page is the same rows either way: newest first, ties broken by id.

CURSOR_PARAMS = ("limit", "starting_after", "ending_before")  # the lists that page by cursor only
LIST_PARAMS = ("limit", "offset", "starting_after", "ending_before", "include[]")
TOTAL_COUNT = "total_count"


def wants_total(params) -> bool:
    include = params.get("include[]")
    if include is None:
        return False
    if include != TOTAL_COUNT:
        raise InvalidRequest(f"include[] must be {TOTAL_COUNT}", field="include[]")
    return True


def parse_list(params) -> tuple[Cursor, int | None]:
    """The cursor, and the offset when the request pages by offset (no cursor given)."""
    cursor = parse_cursor(params)
    if cursor.starting_after or cursor.ending_before:
        if params.get("offset") is not None:
            name = "starting_after" if cursor.starting_after else "ending_before"
            raise InvalidRequest(f"offset cannot be used with {name}", field="offset")
        return cursor, None
    return cursor, _int_param("offset", params.get("offset"), 0, 0, MAX_OFFSET)


def list_page(query, model, params, serialize_row, anchor_query=None, *, count_with_page: bool = False) -> dict:
    """The page of ``query`` that ``params`` ask for, in the one list shape (see above).

    ``count_with_page``: the query finds all its rows to order them anyway (a search through a
    set of ids, not an index walk in the list's order), so an offset page counts ``total`` in the
    same statement (``COUNT(*) OVER ()``) instead of finding every row a second time.
    """
    cursor, offset = parse_list(params)
    with_total = wants_total(params)
    if offset is None:
        out = cursor_page(query, model, cursor, serialize_row, anchor_query)
    else:
        page = query.order_by(model.created_at.desc(), model.id.desc()).offset(offset).limit(cursor.limit + 1)
        if count_with_page:
            page = page.select_extend(fn.COUNT(SQL("*")).over().alias("listed_total"))
        rows = list(page)
        out = {"object": "list", "data": [serialize_row(r) for r in rows[: cursor.limit]], "has_more": len(rows) > cursor.limit, "offset": offset}
        if count_with_page and rows:
            out["limit"], out["total"] = cursor.limit, rows[0].listed_total
            return out
        with_total = True
    out["limit"] = cursor.limit
    if with_total:
        out["total"] = query.count()
    return out


def sequence_page(items: list, params, key=lambda item: item["id"]) -> dict:
    """The same answer over a short list already in memory and in its order (a merchant's few
    webhook endpoints): cursors are positions of ids in it."""
    cursor, offset = parse_list(params)
    with_total = wants_total(params) or offset is not None
    ids = [key(item) for item in items]
    if offset is None:
        anchor_id = cursor.starting_after or cursor.ending_before
        if anchor_id not in ids:
            name = "starting_after" if cursor.starting_after else "ending_before"
            raise InvalidRequest(f"{name}: no such object in this list: {anchor_id}", field=name)
        at = ids.index(anchor_id)
        if cursor.starting_after:
            start, end = at + 1, at + 1 + cursor.limit
            has_more = end < len(items)
        else:
            start, end = max(0, at - cursor.limit), at
            has_more = start > 0
    else:
        start, end = offset, offset + cursor.limit
        has_more = end < len(items)
    out = {"object": "list", "data": items[start:end], "has_more": has_more, "limit": cursor.limit}
    if offset is not None:
        out["offset"] = offset
    if with_total:
        out["total"] = len(items)
    return out
