"""The database: one proxy, bound at start-up to SQLite (embedded) or pooled PostgreSQL.

Units of work run as plain sync functions inside :func:`unit_of_work`: one pooled connection,
one transaction (IMMEDIATE on SQLite, so writers queue instead of failing mid-way). Lost
connections are closed rather than returned to the pool, and surface as ServiceUnavailable.
"""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import DatabaseProxy, InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect as connect_url

from .errors import ServiceUnavailable

log = logging.getLogger(__name__)
database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",  # WAL + NORMAL: durable across process crashes, fast commits
    "busy_timeout": 15000,
    "foreign_keys": 1,
    "cache_size": -16000,
}


def open_database(settings, max_connections: int | None = None):
    """Create the concrete database for ``settings`` and bind the proxy to it."""
    if settings.database_url is None or settings.database_url.startswith("sqlite"):
        if settings.database_url:
            path = settings.database_url.split("://", 1)[1].lstrip("/") or "paygate.db"
            path = "/" + path if settings.database_url.startswith("sqlite:////") else path
        else:
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
            path = str(settings.sqlite_path)
        db = SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=15)
    else:
        url = settings.database_url
        scheme, rest = url.split("://", 1)
        pool = max_connections or (settings.request_threads + settings.worker_threads + 4)
        db = connect_url(
            "postgres+pool://" + rest,
            max_connections=pool,
            stale_timeout=300,
            timeout=10,
            connect_timeout=5,
        )
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def for_update(query, of=None):
    """``SELECT … FOR UPDATE [OF table]`` on PostgreSQL; SQLite's IMMEDIATE transaction already
    serializes writers. Pass ``of`` when the query joins, so only the row being changed is locked."""
    if not is_postgres():
        return query
    return query.for_update(of=of) if of is not None else query.for_update()


def _discard_connection():
    try:
        if hasattr(database.obj, "manual_close"):
            database.obj.manual_close()
        else:
            database.obj.close()
    except Exception:  # the connection is already gone; nothing to hand back
        pass


def unit_of_work(fn, *args, **kwargs):
    """Run ``fn`` in one transaction on one connection; commit callbacks run after the commit.

    A database that cannot be reached becomes :class:`ServiceUnavailable`, with nothing written.
    """
    try:
        with database.connection_context():
            with database.atomic():
                return fn(*args, **kwargs)
    except (OperationalError, InterfaceError) as exc:
        if _is_lock_timeout(exc):
            raise ServiceUnavailable("Database is busy; retry shortly") from exc
        log.warning("database unavailable: %s", type(exc).__name__)
        _discard_connection()
        raise ServiceUnavailable() from exc


def _is_lock_timeout(exc) -> bool:
    return "database is locked" in str(exc)


def read(fn, *args, **kwargs):
    """Run a read-only ``fn`` on a pooled connection (no write lock taken on SQLite)."""
    try:
        with database.connection_context():
            return fn(*args, **kwargs)
    except (OperationalError, InterfaceError) as exc:
        _discard_connection()
        raise ServiceUnavailable() from exc


def ping() -> bool:
    try:
        with database.connection_context():
            database.execute_sql("SELECT 1")
        return True
    except Exception:
        _discard_connection()
        return False
