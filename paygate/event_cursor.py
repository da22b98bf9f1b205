"""The events cursor's promise: a follower paging with ``after`` sees every event exactly once,
in one stable order, whatever order the writing transactions commit in.

An event's ``seq`` is taken at INSERT, but transactions commit in their own order (two group
committers, the due loops of several workers): a follower that had read ``seq`` 11 would never
see a ``seq`` 10 committed a moment later. So the feed is ordered, and the cursor kept, by when a
row can no longer be overtaken, not by when it was inserted:

- **PostgreSQL.** Each event row carries the id of the transaction that wrote it (``txid``, a
  column default ``txid_current()``: the batched multi-row INSERT is unchanged and costs one
  function call per statement's rows). A read returns only events whose txid is below its own
  snapshot's xmin, the oldest transaction still running: every transaction those events belong
  to has ended, and whatever commits later has a txid at or above that xmin. Ordered by
  (txid, seq), every event that becomes visible later sorts after every event already returned,
  so a cursor never passes an event that can still appear. The price: an event shows in the feed
  once the write transactions that started before its own have ended (milliseconds), and an
  idle-in-transaction session that wrote something holds the feed back until it ends.
- **SQLite.** One writer at a time (IMMEDIATE transactions, WAL): a row inserted later also
  commits later, so ``seq`` order is commit order and no horizon is needed.

Refuses: an ``after`` that is not one of the merchant's events (404, as before).
"""

from __future__ import annotations

from peewee import SQL, Tuple

from .db import is_postgres
from .models import Event

# Transactions below this id have all ended, in the statement's own snapshot.
HORIZON = SQL("txid_snapshot_xmin(txid_current_snapshot())")
TXID_DEFAULT = "txid_current()"  # the column default on PostgreSQL (migration 15)


def _key():
    """The feed's order: (txid, seq) on PostgreSQL, seq on SQLite."""
    return (Event.txid, Event.seq) if is_postgres() else (Event.seq,)


def visible(where):
    """``where``, narrowed to the events no later commit can overtake."""
    return where & (Event.txid < HORIZON) if is_postgres() else where


def position(event_id: str, merchant_id: str) -> tuple | None:
    """The cursor event's place in the feed's order, or None when it is not the merchant's."""
    return Event.select(*_key()).where((Event.id == event_id) & (Event.merchant == merchant_id)).tuples().first()


def after(where, place: tuple, limit: int) -> list:
    """Up to ``limit`` visible events after ``place``, oldest first."""
    key = _key()
    return list(Event.select().where(visible(where) & (Tuple(*key) > Tuple(*place))).order_by(*key).limit(limit))


def newest(where, limit: int) -> list:
    """Up to ``limit`` visible events, newest first: the first of them is where a follower starts."""
    return list(Event.select().where(visible(where)).order_by(*(f.desc() for f in _key())).limit(limit))


def before(where, place: tuple, limit: int) -> list:
    """Up to ``limit`` visible events before ``place``, newest first (``starting_after``)."""
    key = _key()
    return list(Event.select().where(visible(where) & (Tuple(*key) < Tuple(*place))).order_by(*(f.desc() for f in key)).limit(limit))
