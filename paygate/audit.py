"""The audit log: one row per committed change, in the change's own transaction, hash-chained.

Who (an API key, ``admin`` with the OS user, or the public checkout), what operation, on which
object, from which request and address, and a summary of what changed. The summary is built from
a list of fields known to be safe (``SAFE_FIELDS``) rather than by removing dangerous ones, so a
secret, a card number or a CVV can never reach it; URLs lose any user:password.

Tamper evidence: each merchant's rows form a chain. A row's ``hash`` is SHA-256 over its content
and the previous row's hash; :class:`AuditHead` holds the chain's end, and its row lock (taken last
in the transaction, so it is held briefly) serializes appends per merchant. :func:`verify` recomputes
every chain and names the first row that was edited, deleted or moved.

Refuses: rows without a merchant (every change here belongs to one), and updating a row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from . import ids, paging
from .clock import iso, utcnow
from .db import database, in_list, insert_row, is_postgres
from .errors import InvalidRequest
from .models import AuditEntry, AuditHead, Merchant, Payment

GENESIS = "0" * 64
SAFE_FIELDS = (
    "amount", "currency", "receipt", "method", "order_id", "payment_id", "reason", "status", "captured",
    "url", "webhook_url", "enabled_events", "description", "name", "email", "scopes", "expires_at",
    "expire_previous_in", "since", "until", "event", "card_network", "card_last4",
)
MAX_TEXT = 200
MAX_FILTER = 64  # the longest actor, operation or object id a filter may name


@dataclass(frozen=True)
class Actor:
    type: str  # api_key | admin | checkout
    id: str
    name: str | None = None


@dataclass(frozen=True)
class AuditContext:
    """What the adapter knows of a change before it runs: who, which operation, from where."""

    merchant_id: str | None  # None on the public checkout path: the created object's merchant
    actor: Actor
    operation: str
    request_id: str | None = None
    client_address: str | None = None
    object_id: str | None = None  # the path's id: the object when the answer names none
    request: dict = field(default_factory=dict)  # the request body, already made safe


def _safe_value(value):
    if isinstance(value, str):
        if "://" in value:
            value = _without_userinfo(value)
        return value[:MAX_TEXT]
    if isinstance(value, (bool, int)) or value is None:
        return value
    if isinstance(value, list):
        return [_safe_value(v) for v in value[:20] if isinstance(v, (str, int, bool))]
    return None


def _without_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        return urlunsplit((parts.scheme, host + (f":{parts.port}" if parts.port else ""), parts.path, parts.query, parts.fragment))
    except ValueError:
        return "(unparseable URL)"


_SAFE = frozenset(SAFE_FIELDS)


def safe_summary(data) -> dict:
    """Only the fields of ``data`` known to carry no secret, card number or CVV (in SAFE_FIELDS order)."""
    if not isinstance(data, dict) or not data:
        return {}
    present = _SAFE.intersection(data)
    return {k: _safe_value(data[k]) for k in SAFE_FIELDS if k in present} if present else {}


def _result_data(result) -> dict:
    data = getattr(result, "data", result)
    if isinstance(data, dict):
        return data
    out = {}
    for name in ("id", "status", "url", "webhook_url"):
        if hasattr(data, name):
            out[name] = getattr(data, name)
    return out


# One encoder each, made once: ``json.dumps`` with these options builds a new encoder per call.
_SUMMARY_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_HASH_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def _summary_text(summary: dict) -> str:
    """The stored summary: compact JSON, keys sorted."""
    return _SUMMARY_JSON.encode(summary)


def entry(ctx: AuditContext, result, merchant_id: str | None = None) -> dict:
    """The row (without its chain fields) for a change that answered ``result``."""
    data = _result_data(result)
    made = data.get("id") if isinstance(data.get("id"), str) else None  # what was created or changed
    object_id = made or ctx.object_id or ctx.merchant_id
    return dict(
        merchant=merchant_id or ctx.merchant_id,
        actor_type=ctx.actor.type,
        actor_id=ctx.actor.id,
        actor_name=ctx.actor.name,
        operation=ctx.operation,
        object_id=object_id,
        request_id=ctx.request_id,
        client_address=ctx.client_address,
        summary=_summary_text({"request": ctx.request, "result": safe_summary(data)}),
    )


def row_hash(row: dict, prev_hash: str) -> str:
    """SHA-256 over every field of the row but its own hash, and the previous row's hash (the
    text hashed is ``json.dumps(content, separators=(",", ":"), ensure_ascii=False, default=str)``)."""
    created = row["created_at"]
    content = [
        row["merchant"], row["seq"], created.isoformat(timespec="microseconds") if isinstance(created, datetime) else str(created),
        row["actor_type"], row["actor_id"], row["actor_name"], row["operation"], row["object_id"],
        row["request_id"], row["client_address"], row["summary"], prev_hash,
    ]
    return hashlib.sha256(_HASH_JSON.encode(content).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Head:
    merchant_id: str
    seq: int
    hash: str


def _select_heads(merchant_ids: list[str]) -> dict[str, _Head]:
    sql = f"SELECT merchant_id, seq, hash FROM audit_head WHERE merchant_id IN {in_list(merchant_ids)} ORDER BY merchant_id"
    if is_postgres():
        sql += " FOR UPDATE"  # in merchant order: two batches never wait on each other in a cycle
    return {m: _Head(m, seq, h) for m, seq, h in database.execute_sql(sql, merchant_ids).fetchall()}


def _lock_heads(merchant_ids: list[str]) -> dict[str, _Head]:
    """Lock and read the chain heads of these merchants (sorted), creating missing ones. One
    statement when every head exists (always, but for a merchant's first change)."""
    heads = _select_heads(merchant_ids)
    missing = [m for m in merchant_ids if m not in heads]
    if missing:
        for m in missing:
            insert_row(AuditHead, {"merchant": m, "seq": 0, "hash": GENESIS}, ignore_conflict=True)
        heads.update(_select_heads(missing))
    return heads


def append(rows: list[dict]) -> None:
    """Chain and insert ``rows`` (from :func:`entry`); call inside the change's transaction, last."""
    if not rows:
        return
    now = utcnow()
    heads = _lock_heads(sorted({r["merchant"] for r in rows}))
    for row in rows:
        head = heads[row["merchant"]]
        head.seq += 1
        row.update(id=ids.new_ordered_id("audit_entry"), seq=head.seq, created_at=now, prev_hash=head.hash)
        row["hash"] = head.hash = row_hash(row, head.hash)
    _write(rows, list(heads.values()), AuditEntry.created_at.db_value(now))


_COLUMNS = ("id", "merchant", "seq", "created_at", "actor_type", "actor_id", "actor_name", "operation", "object_id",
            "request_id", "client_address", "summary", "prev_hash", "hash")


@lru_cache(maxsize=512)
def _write_sql(heads: int, rows: int, postgres: bool, param: str) -> tuple[str, ...]:
    one = "(" + ", ".join([param] * len(_COLUMNS)) + ")"
    columns = ", ".join(AuditEntry._meta.fields[c].column_name for c in _COLUMNS)
    insert = f"INSERT INTO audit_entry ({columns}) VALUES " + ", ".join([one] * rows)
    move = f"UPDATE audit_head SET seq = {param}, hash = {param} WHERE merchant_id = {param}"
    if postgres:
        return ("WITH " + ", ".join(f"h{i} AS ({move})" for i in range(heads)) + " " + insert,)
    return (insert,) + (move,) * heads


def _write(rows: list[dict], heads: list[_Head], created_at) -> None:
    """Insert the rows and move the heads: on PostgreSQL one statement (the head UPDATEs ride in
    a WITH), so the audit costs the batch one round trip besides the lock. Every value is a plain
    string or integer already (``created_at`` converted once for the batch)."""
    statements = _write_sql(len(heads), len(rows), is_postgres(), database.param)
    values = [v for r in rows for v in (r["id"], r["merchant"], r["seq"], created_at, r["actor_type"], r["actor_id"], r["actor_name"],
                                        r["operation"], r["object_id"], r["request_id"], r["client_address"], r["summary"],
                                        r["prev_hash"], r["hash"])]
    moves = [(h.seq, h.hash, h.merchant_id) for h in heads]
    if len(statements) == 1:
        database.execute_sql(statements[0], [v for m in moves for v in m] + values)
        return
    database.execute_sql(statements[0], values)
    for sql, params in zip(statements[1:], moves):
        database.execute_sql(sql, params)


def record(ctx: AuditContext, result) -> None:
    append([entry(ctx, result)])


def audited(fn: Callable, ctx: AuditContext) -> Callable:
    """``fn`` plus its audit row, in the same transaction (run the result as one unit of work)."""

    def run(*args, **kwargs):
        result = fn(*args, **kwargs)
        record(ctx, result)
        return result

    return run


@dataclass
class Audited:
    """A group-committed create and the audit context of its request."""

    payload: object
    context: AuditContext


def audited_handler(handler: Callable[[list], list]) -> Callable[[list], list]:
    """Wrap a group-commit batch handler: the rows of every create that made something are
    appended in the batch's transaction with one multi-row INSERT. An error or a replayed
    Idempotency-Key changed nothing and gets no row."""

    def run(items: list) -> list:
        results = handler([i.payload if isinstance(i, Audited) else i for i in items])
        changed = [(i.context, r) for i, r in zip(items, results) if isinstance(i, Audited) and not isinstance(r, BaseException) and not getattr(r, "replayed", False)]
        unknown = [_result_data(r).get("id") for c, r in changed if c.merchant_id is None]
        owners = dict(Payment.select(Payment.id, Payment.merchant).where(Payment.id.in_(unknown)).tuples()) if unknown else {}
        append([entry(c, r, owners.get(_result_data(r).get("id"))) for c, r in changed])
        return results

    return run


# --- reading and verifying --------------------------------------------------------------------


def as_dict(row: AuditEntry) -> dict:
    return {
        "id": row.id,
        "object": "audit_entry",
        "seq": row.seq,
        "created_at": iso(row.created_at),
        "actor": {"type": row.actor_type, "id": row.actor_id, "name": row.actor_name},
        "operation": row.operation,
        "object_id": row.object_id,
        "request_id": row.request_id,
        "client_address": row.client_address,
        "summary": json.loads(row.summary),
        "hash": row.hash,
    }


def list_entries(merchant_id: str, params) -> dict:
    query = AuditEntry.select().where(AuditEntry.merchant == merchant_id)
    for name, column in (("actor", AuditEntry.actor_id), ("operation", AuditEntry.operation), ("object_id", AuditEntry.object_id)):
        value = paging.parse_search_text(name, params.get(name), MAX_FILTER)  # printable: PostgreSQL cannot take NUL
        if value is not None:
            query = query.where(column == value)
    since, until = paging.parse_time("from", params.get("from")), paging.parse_time("to", params.get("to"))
    if since and until and since > until:
        raise InvalidRequest("from must not be after to", field="from")
    if since:
        query = query.where(AuditEntry.created_at >= since)
    if until:
        query = query.where(AuditEntry.created_at <= until)
    return paging.cursor_page(query, AuditEntry, paging.parse_cursor(params), as_dict)


@dataclass(frozen=True)
class Break:
    """The first row of a chain that does not verify, and why."""

    merchant_id: str
    seq: int | None
    entry_id: str | None
    reason: str


def _row_dict(row: AuditEntry) -> dict:
    return {**row.__data__, "merchant": row.merchant_id}


def verify_chain(merchant_id: str) -> Break | None:
    """Walk one merchant's chain in ``seq`` order; the first row that does not verify, or None."""
    prev_hash, expected_seq = GENESIS, 1
    rows = AuditEntry.select().where(AuditEntry.merchant == merchant_id).order_by(AuditEntry.seq)
    for row in rows.iterator():
        if row.seq != expected_seq:
            return Break(merchant_id, row.seq, row.id, f"row {expected_seq} is missing (deleted or moved) before this one")
        if row.prev_hash != prev_hash:
            return Break(merchant_id, row.seq, row.id, "its link to the previous row is broken (a row was deleted, inserted or swapped)")
        if row_hash(_row_dict(row), prev_hash) != row.hash:
            return Break(merchant_id, row.seq, row.id, "its content does not match its hash (the row was edited)")
        prev_hash, expected_seq = row.hash, expected_seq + 1
    head = AuditHead.get_or_none(AuditHead.merchant == merchant_id)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return Break(merchant_id, head.seq, None, f"the chain ends at row {expected_seq - 1} but its head records row {head.seq} (rows at the end were deleted)")
    return None


def verify(merchant_ids: list[str] | None = None) -> tuple[int, list[Break]]:
    """Verify every (or the named) merchants' chains: (rows checked, one Break per broken chain)."""
    if merchant_ids is None:
        found = AuditHead.select(AuditHead.merchant).tuples()
        merchant_ids = sorted({m for (m,) in found} | {m for (m,) in AuditEntry.select(AuditEntry.merchant).distinct().tuples()})
    breaks = [b for b in map(verify_chain, merchant_ids) if b is not None]
    # No foreign key keeps a chain's merchant (models.journal_merchant): one lookup by primary key
    # names the chains whose merchant row is gone (a chain already broken is reported as such).
    known = set()
    for i in range(0, len(merchant_ids), 500):
        known.update(m for (m,) in Merchant.select(Merchant.id).where(Merchant.id.in_(merchant_ids[i:i + 500])).tuples())
    broken = {b.merchant_id for b in breaks}
    for m in merchant_ids:
        if m not in known and m not in broken:  # named by its first row, as a broken chain is
            first = AuditEntry.select(AuditEntry.id).where((AuditEntry.merchant == m) & (AuditEntry.seq == 1)).scalar()
            breaks.append(Break(m, 1 if first else None, first, "its merchant does not exist (the merchant row was deleted)"))
    checked = AuditEntry.select().where(AuditEntry.merchant.in_(merchant_ids)).count() if merchant_ids else 0
    return checked, breaks


def admin_actor() -> Actor:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a container without one)
        user = "unknown"
    return Actor("admin", user, "admin")


def admin_context(merchant_id: str | None, operation: str, request: dict | None = None, object_id: str | None = None) -> AuditContext:
    return AuditContext(merchant_id, admin_actor(), operation, object_id=object_id, request=safe_summary(request or {}))

