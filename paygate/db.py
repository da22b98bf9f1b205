"""The database: one proxy, bound at start-up to SQLite (embedded) or PostgreSQL.

Units of work run as plain sync functions inside :func:`unit_of_work`: one transaction (IMMEDIATE
on SQLite, so writers queue instead of failing mid-way) on the calling thread's own kept-open
connection. Lost connections are discarded, and surface as ServiceUnavailable.

Doubt: once COMMIT has been sent, a failure (a connection lost at that moment) does not say
whether the transaction committed. Such a failure is :class:`CommitInDoubt` and is never retried
here; callers answer it as a 503 and let the rows (and idempotency keys) decide. Every COMMIT goes
through :func:`send_commit`, the one seam a fault test replaces.
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
import time
from pathlib import Path

from peewee import (BooleanField, DatabaseProxy, DateTimeField, Field, ForeignKeyField, IntegerField, InterfaceError, OperationalError,
                    PostgresqlDatabase, SqliteDatabase, _StringField)
from playhouse.db_url import connect as connect_url

from .errors import CommitInDoubt, PaygateError, ServiceUnavailable

log = logging.getLogger(__name__)

# Errors of the connection or of the whole transaction (lost connection, deadlock, lock timeout),
# as opposed to an error of one statement that a savepoint can undo.
TRANSACTION_ERRORS = (OperationalError, InterfaceError)


def send_commit(db) -> None:
    """Send COMMIT for ``db``'s current top-level transaction (a concrete peewee database).

    The one place a transaction's COMMIT is sent, named so that fault tests can replace it (commit
    then raise; raise without committing) to prove the doubt rule of :func:`unit_of_work`.
    """
    db.commit()


class _Proxy(DatabaseProxy):
    """peewee's database proxy, whose transactions commit through :func:`send_commit`."""

    def commit(self):
        return send_commit(self.obj)


database = _Proxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    # FULL: a commit is on disk before the API answers, so an acknowledged payment survives a power
    # loss too (WAL + NORMAL would only survive process crashes).
    "synchronous": "full",
    "busy_timeout": 15000,
    "foreign_keys": 1,
    "cache_size": -16000,
}


class _SqliteDatabase(SqliteDatabase):
    """SQLite whose connection set-up waits out another process opening the same file.

    While one process turns a fresh file into WAL (or recovers its WAL index), another's
    ``PRAGMA journal_mode`` can answer "database is locked" at once, without the busy handler:
    two ``serve --workers`` processes starting together saw it, and Sanic stopped the server. The
    pragmas are retried, as the busy timeout would have waited, for up to that timeout."""

    def _set_pragmas(self, conn):
        deadline = time.monotonic() + SQLITE_PRAGMAS["busy_timeout"] / 1000
        while True:
            try:
                return super()._set_pragmas(conn)
            except sqlite3.OperationalError as exc:
                if not is_lock_timeout(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)


def open_database(settings):
    """Create the concrete database for ``settings`` and bind the proxy to it."""
    if settings.database_url is None or settings.database_url.startswith("sqlite"):
        if settings.database_url:
            path = settings.database_url.split("://", 1)[1].lstrip("/") or "paygate.db"
            path = "/" + path if settings.database_url.startswith("sqlite:////") else path
        else:
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
            path = str(settings.sqlite_path)
        db = _SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=15)
    else:
        # No pool: each thread keeps its own connection (see _run), so the threads bound the count.
        scheme, rest = settings.database_url.split("://", 1)
        db = connect_url("postgresql://" + rest, connect_timeout=5)
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def for_update(query, of=None, skip_locked: bool = False):
    """``SELECT … FOR UPDATE [OF table] [SKIP LOCKED]`` on PostgreSQL; SQLite's IMMEDIATE
    transaction already serializes writers. Pass ``of`` when the query joins, so only the row being
    changed is locked; ``skip_locked`` lets concurrent claimers take disjoint rows."""
    if not is_postgres():
        return query
    return query.for_update(of=of, skip_locked=skip_locked or None)


def _discard_connection():
    """Forget this thread's connection (peewee's per-thread state) and close it, whatever its state."""
    obj = database.obj
    if obj is None:
        return
    state = obj._state
    conn, closed = state.conn, state.closed
    state.reset()
    if conn is not None and not closed:
        try:
            conn.close()
        except Exception:
            pass


def connection_lost() -> bool:
    """True when the server side of this thread's connection is gone (psycopg2 marks it closed)."""
    conn = database.obj._state.conn if database.obj is not None else None
    return conn is None or bool(getattr(conn, "closed", 0))


def _run(fn, args, kwargs, *, transaction: bool, retry: bool = True):
    """Run ``fn`` on this thread's kept-open connection (opened on first use).

    Each worker thread keeps one connection for its whole life: no pool check-out, no liveness
    round trip and no shared lock per unit of work (the thread pools bound the count). A kept
    connection the server closed meanwhile (a database restart) fails its first statement; that
    is retried once on a fresh connection (safe for a transaction, whose body had not finished, and
    for a read; ``retry=False`` for an autocommit write, which may have committed before the drop).
    """
    for attempt in (1, 2):
        reused = not database.is_closed()
        body_done = False
        try:
            database.connect(reuse_if_open=True)
            if not transaction:
                return fn(*args, **kwargs)
            with database.atomic():
                result = fn(*args, **kwargs)
                body_done = True  # from here on the failure may be at COMMIT: never retried
            return result
        except Exception as exc:
            if body_done:  # COMMIT was sent: it may have committed, or not
                _discard_connection()
                log.error("outcome of a commit unknown: %s", type(exc).__name__)
                raise CommitInDoubt() from exc
            if not isinstance(exc, TRANSACTION_ERRORS):
                raise
            if is_lock_timeout(exc):
                raise ServiceUnavailable("Database is busy; retry shortly") from exc
            lost = connection_lost()
            _discard_connection()
            if retry and attempt == 1 and reused and lost and not body_done:
                log.info("database connection was closed by the server; retrying on a fresh one")
                continue
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable() from exc


def unit_of_work(fn, *args, **kwargs):
    """Run ``fn`` in one transaction on this thread's connection.

    A database that cannot be reached becomes :class:`ServiceUnavailable`, with nothing written.
    A failure once COMMIT was sent becomes :class:`CommitInDoubt` (a ServiceUnavailable): the
    transaction may have committed, so the work must not be run again on a guess.
    """
    return _run(fn, args, kwargs, transaction=True)


def is_lock_timeout(exc) -> bool:
    return "database is locked" in str(exc)


def each_in_savepoint(run_one, items) -> list:
    """``run_one(item)`` for each item, each in its own savepoint of the current transaction.

    An error of one item (a domain error, or any unexpected one) is that item's result and undoes
    that item only; the others go on and commit with the transaction. An error of the connection
    or the whole transaction (:data:`TRANSACTION_ERRORS`) is raised: nothing after it can commit.
    """
    results = []
    for item in items:
        try:
            with database.atomic():  # nested: a SAVEPOINT inside the caller's transaction
                results.append(run_one(item))
        except TRANSACTION_ERRORS:
            raise
        except Exception as exc:
            if not isinstance(exc, PaygateError):
                log.error("one unit of a batch failed: %s", type(exc).__name__, exc_info=exc)
            results.append(exc)
    return results


def read(fn, *args, **kwargs):
    """Run a read-only ``fn`` outside a transaction (autocommit; no write lock taken on SQLite).

    Reads only: a kept connection the server closed meanwhile is retried once on a fresh one,
    which would repeat a write. Use :func:`write` for a statement that changes rows.
    """
    return _run(fn, args, kwargs, transaction=False)


def write(fn, *args, **kwargs):
    """Run ``fn``, one self-contained writing statement (atomic by itself), in autocommit.

    Saves the BEGIN/COMMIT round trips of :func:`unit_of_work`. Never retried: when the
    connection drops, the statement may have committed, and a second run would write it twice.
    """
    return _run(fn, args, kwargs, transaction=False, retry=False)


def ping() -> bool:
    try:
        _run(database.execute_sql, ("SELECT 1",), {}, transaction=False)
        return True
    except ServiceUnavailable:
        return False


# --- Statements compiled once ------------------------------------------------------------------
# peewee builds a query's SQL text on every execution; on the payment create that was the largest
# share of the API's CPU (bench/RESULTS.md). The hot statements below keep their SQL per model,
# column set and backend, and only bind values on each call (still through each field's db_value).

_compiled: dict = {}


def _quote(name: str) -> str:
    return '"' + name + '"'


def insert_row(model, row: dict, *, ignore_conflict: bool = False) -> int:
    """INSERT one row (keys are field names); with ``ignore_conflict`` a duplicate is skipped.
    Returns the number of rows inserted."""
    obj = database.obj
    key = ("insert", model, type(obj), tuple(row), ignore_conflict)
    compiled = _compiled.get(key)
    if compiled is None:
        fields = [model._meta.fields[name] for name in row]
        columns = ", ".join(_quote(f.column_name) for f in fields)
        marks = ", ".join([obj.param] * len(fields))
        verb = "INSERT OR IGNORE INTO" if ignore_conflict and not is_postgres() else "INSERT INTO"
        sql = f"{verb} {_quote(model._meta.table_name)} ({columns}) VALUES ({marks})"
        if ignore_conflict and is_postgres():
            sql += " ON CONFLICT DO NOTHING"
        compiled = _compiled[key] = (sql, fields)
    sql, fields = compiled
    return database.execute_sql(sql, [f.db_value(row[f.name]) for f in fields]).rowcount


def update_where(model, values: dict, where: dict) -> int:
    """UPDATE ``model`` SET values WHERE every ``where`` field equals its value. Returns the row count."""
    obj = database.obj
    key = ("update", model, type(obj), tuple(values), tuple(where))
    compiled = _compiled.get(key)
    if compiled is None:
        sets = [model._meta.fields[name] for name in values]
        conds = [model._meta.fields[name] for name in where]
        sql = (
            f"UPDATE {_quote(model._meta.table_name)} SET "
            + ", ".join(f"{_quote(f.column_name)} = {obj.param}" for f in sets)
            + " WHERE "
            + " AND ".join(f"{_quote(f.column_name)} = {obj.param}" for f in conds)
        )
        compiled = _compiled[key] = (sql, sets, conds)
    sql, sets, conds = compiled
    params = [f.db_value(values[f.name]) for f in sets] + [f.db_value(where[f.name]) for f in conds]
    return database.execute_sql(sql, params).rowcount


def update_in(model, values: dict, key: str, keys: list) -> int:
    """UPDATE ``model`` SET ``values`` WHERE ``key`` is one of ``keys`` (a batch's ids), its SQL
    compiled once: on PostgreSQL ``key = ANY(array)`` with the ids as one array literal, on SQLite
    an IN list (in chunks under its bound-variable limit). Returns the row count."""
    if not keys:
        return 0
    obj = database.obj
    pg = isinstance(obj, PostgresqlDatabase)
    cache = ("update_in", model, type(obj), tuple(values), key)
    compiled = _compiled.get(cache)
    if compiled is None:
        sets = [model._meta.fields[name] for name in values]
        where = model._meta.fields[key]
        head = f"UPDATE {_quote(model._meta.table_name)} SET " + ", ".join(f"{_quote(f.column_name)} = {obj.param}" for f in sets)
        head += f" WHERE {_quote(where.column_name)} "
        compiled = _compiled[cache] = (head, sets, where, _PG_ARRAY_TYPES.get(where.field_type) if pg else None)
    head, sets, where, array_type = compiled
    params = [f.db_value(values[f.name]) for f in sets]
    keys = [where.db_value(k) for k in keys]
    if array_type is not None:
        return database.execute_sql(f"{head}= ANY({obj.param}::{array_type}[])", params + [_array_literal(keys)]).rowcount
    count = 0
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        count += database.execute_sql(head + "IN " + in_list(chunk), params + chunk).rowcount
    return count


def _sqlite_times(values: list) -> list:
    """A column's naive datetimes as SQLite's adapter writes them (``isoformat(" ")``), each
    distinct one converted once: the rows of a batch mostly share one ``now``."""
    done: dict = {}
    out = []
    for v in values:
        if type(v) is datetime.datetime and v.tzinfo is None:
            text = done.get(v)
            if text is None:
                text = done[v] = v.isoformat(" ")
            v = text
        out.append(v)
    return out


def insert_rows(model, rows: list[dict], *, on_conflict_nothing: bool = False, returning: tuple[str, ...] = ()):
    """One multi-row INSERT of ``rows`` (all with the same keys, field names). Returns the cursor.

    ``on_conflict_nothing`` skips rows that hit a unique index (both backends speak
    ``ON CONFLICT DO NOTHING``); ``returning`` names columns of the rows actually inserted.

    On PostgreSQL a batch goes as ``INSERT … SELECT * FROM unnest(array, array, …)``: one array
    literal per column, built here column by column, instead of a VALUES list of one parameter per
    value. The server parses N values of a column with one array input call instead of N grammar
    constants, and the client quotes one string per column: a batch of ledger lines costs about
    half the CPU on both sides (bench/settle_micro.py). Values still pass each field's
    ``db_value``; a value of a type the array literal does not take falls back to VALUES.
    """
    if not rows:
        return None
    obj = database.obj
    names = tuple(rows[0])
    if len(rows) >= UNNEST_MIN_ROWS and isinstance(obj, PostgresqlDatabase):
        compiled = _unnest_insert(model, names, on_conflict_nothing, returning)
        if compiled is not None:
            sql, fields = compiled
            try:
                params = [_array_literal(_db_values(f, [row[f.name] for row in rows])) for f in fields]
            except _NotArrayable:
                pass
            else:
                return database.execute_sql(sql, params)
    key = ("insert_many", model, type(obj), names, on_conflict_nothing, returning)
    compiled = _compiled.get(key)
    if compiled is None:
        fields = [model._meta.fields[name] for name in names]
        columns = ", ".join(_quote(f.column_name) for f in fields)
        tuple_sql = "(" + ", ".join([obj.param] * len(fields)) + ")"
        compiled = _compiled[key] = (f"INSERT INTO {_quote(model._meta.table_name)} ({columns}) VALUES ", tuple_sql, _insert_tail(model, on_conflict_nothing, returning), fields)
    head, tuple_sql, tail, fields = compiled
    columns = [_db_values(f, [row[f.name] for row in rows]) for f in fields]
    if len(rows) > 1 and isinstance(obj, SqliteDatabase):
        columns = [_sqlite_times(values) if isinstance(f, DateTimeField) else values for f, values in zip(fields, columns)]
    params = [value for values in zip(*columns) for value in values]
    return database.execute_sql(head + ", ".join([tuple_sql] * len(rows)) + tail, params)


UNNEST_MIN_ROWS = 4  # below this a VALUES list is as cheap


# peewee field types → the PostgreSQL array element type of an unnest column
_PG_ARRAY_TYPES = {
    "VARCHAR": "text", "CHAR": "text", "TEXT": "text", "BIGINT": "bigint", "BIGAUTO": "bigint", "INT": "integer",
    "AUTO": "integer", "SMALLINT": "smallint", "BOOL": "boolean", "DATETIME": "timestamp", "DATE": "date",
}


class _NotArrayable(Exception):
    """A value the array literal does not encode (the caller falls back to VALUES)."""


def _insert_tail(model, on_conflict_nothing: bool, returning: tuple[str, ...]) -> str:
    tail = " ON CONFLICT DO NOTHING" if on_conflict_nothing else ""
    if returning:
        tail += " RETURNING " + ", ".join(_quote(model._meta.fields[r].column_name) for r in returning)
    return tail


def _unnest_insert(model, names: tuple, on_conflict_nothing: bool, returning: tuple[str, ...]):
    """``(sql, fields)`` of the unnest INSERT for these columns, or None when a column's type has
    no array element type here (the VALUES form is used then)."""
    key = ("insert_unnest", model, names, on_conflict_nothing, returning)
    if key not in _compiled:
        fields = [model._meta.fields[name] for name in names]
        types = [_PG_ARRAY_TYPES.get(f.field_type) for f in fields]
        if None in types:
            _compiled[key] = None
        else:
            columns = ", ".join(_quote(f.column_name) for f in fields)
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            sql = f"INSERT INTO {_quote(model._meta.table_name)} ({columns}) SELECT * FROM unnest({arrays})" + _insert_tail(model, on_conflict_nothing, returning)
            _compiled[key] = (sql, fields)
    return _compiled[key]


def _plain_type(field):
    """The Python type whose values ``field.db_value`` returns unchanged (None: always call it)."""
    target = field.rel_field if isinstance(field, ForeignKeyField) else field
    if type(target).db_value is not Field.db_value:
        return None
    for base, python_type in ((_StringField, str), (IntegerField, int), (DateTimeField, datetime.datetime), (BooleanField, bool)):
        if isinstance(target, base):
            return python_type if type(target).adapt is base.adapt else None
    return None


def _db_values(field, values: list) -> list:
    """``field.db_value`` of each value, skipping the call where it would return the value itself."""
    cache = ("plain_type", field)
    if cache not in _compiled:
        _compiled[cache] = _plain_type(field)
    plain = _compiled[cache]
    db_value = field.db_value
    if plain is None:
        return [db_value(v) for v in values]
    return [v if v is None or type(v) is plain else db_value(v) for v in values]


def _array_element(v) -> str:
    if v is None:
        return "NULL"
    t = type(v)
    if t is str:
        if "\\" in v:
            v = v.replace("\\", "\\\\")
        if '"' in v:
            v = v.replace('"', '\\"')
        return '"' + v + '"'
    if t is bool:
        return "t" if v else "f"
    if t is int:
        return str(v)
    if t is datetime.datetime:
        if v.tzinfo is not None:  # psycopg2 sends these as timestamptz: leave them to it
            raise _NotArrayable()
        return '"' + v.isoformat(" ") + '"'
    if t is datetime.date:
        return v.isoformat()
    raise _NotArrayable()


def _array_literal(values: list) -> str:
    """A PostgreSQL array literal (``{"a","b",NULL}``) of one column's values, each quoted.
    Columns of one plain type take a path that joins them at once."""
    kinds = set(map(type, values))
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is int:
            return "{" + ",".join(map(str, values)) + "}"
        if kind is str:
            joined = "".join(values)
            if '"' not in joined and "\\" not in joined:
                return '{"' + '","'.join(values) + '"}'
        elif kind is datetime.datetime and all(v.tzinfo is None for v in values):
            return '{"' + '","'.join([v.isoformat(" ") for v in values]) + '"}'
    return "{" + ",".join(map(_array_element, values)) + "}"


def in_list(values) -> str:
    """``(?, ?, …)`` for an IN clause of ``len(values)`` parameters, in this backend's style."""
    return "(" + ", ".join([database.obj.param] * len(values)) + ")"


class _Arg(str):
    """A placeholder standing for the i-th argument while a query's SQL is built once."""


def first(name: str, build, *args):
    """The first model row of the SELECT ``build(*args)``, its SQL built once per ``name`` and backend.

    ``build`` receives placeholders, which must only be compared with text columns (ids); the
    rows come back as peewee would return them (joined models included).
    """
    key = ("select", name, type(database.obj))
    compiled = _compiled.get(key)
    if compiled is None:
        marks = [_Arg(f"\x00arg{i}\x00") for i in range(len(args))]
        query = build(*marks).limit(1)
        sql, params = query.sql()
        slots = [next((i for i, m in enumerate(marks) if isinstance(p, str) and p == m), None) for p in params]
        if sorted(s for s in slots if s is not None) != list(range(len(args))):
            raise ValueError(f"query {name}: every argument must appear once as a parameter")
        compiled = _compiled[key] = (query, sql, params, slots)
    query, sql, params, slots = compiled
    bound = [p if s is None else args[s] for p, s in zip(params, slots)]
    cursor = database.execute_sql(sql, bound)
    for row in query._get_cursor_wrapper(cursor):  # peewee's own row → model conversion
        return row
    return None
