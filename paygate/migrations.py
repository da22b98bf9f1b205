"""Versioned schema migrations with a history table, safe when many processes start at once.

Each migration is a function applied once, in order, inside a transaction; PostgreSQL takes an
advisory lock so N API processes and workers starting together migrate exactly once.
Migration 1 creates the first schema; later changes are new functions using
``playhouse.migrate`` and never edit an applied one.
"""

from __future__ import annotations

import logging

from . import models
from .db import database, is_postgres

log = logging.getLogger(__name__)
_LOCK_ID = 0x70617967  # "payg"


def _initial_schema(db):
    db.create_tables(models.ALL_MODELS, safe=True)


def _heartbeat_maintenance_failures(db):
    """Workers report how many maintenance ticks failed (/health and /metrics read it)."""
    from peewee import IntegerField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    if "maintenance_failures" in {c.name for c in db.get_columns("heartbeat")}:
        return  # created by migration 1 from the current models
    migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
    run(migrator.add_column("heartbeat", "maintenance_failures", IntegerField(default=0)))


def _webhook_endpoints(db):
    """Several webhook endpoints per merchant; each delivery row names its endpoint."""
    from peewee import CharField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    db.create_tables([models.WebhookEndpoint], safe=True)
    if "endpoint_id" in {c.name for c in db.get_columns("webhook_delivery")}:
        return  # created by migration 1 from the current models
    migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
    run(
        migrator.add_column("webhook_delivery", "endpoint_id", CharField(max_length=32, null=True)),
        migrator.add_index("webhook_delivery", ("endpoint_id", "created_at"), False),
    )


def _deployment_secrets(db):
    """Secrets shared by every process of a deployment (the idempotency fingerprint key)."""
    db.create_tables([models.DeploymentSecret], safe=True)


def _delivery_failure_code(db):
    """A delivery whose destination is gone ends with a code saying why (``webhook_delivery.failure_code``)."""
    from peewee import CharField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    if "failure_code" in {c.name for c in db.get_columns("webhook_delivery")}:
        return  # created by migration 1 from the current models
    migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
    run(migrator.add_column("webhook_delivery", "failure_code", CharField(max_length=40, null=True)))


def _event_txid(db):
    """Each event names the transaction that wrote it, so the feed's cursor can wait for every
    earlier transaction to end (``paygate.event_cursor``). Older events are all committed: txid 0."""
    from peewee import BigIntegerField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    from .event_cursor import TXID_DEFAULT

    if "txid" not in {c.name for c in db.get_columns("event")}:
        migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
        run(migrator.add_column("event", "txid", BigIntegerField(null=True)))
    if is_postgres():  # SQLite commits in insertion order: seq alone is its cursor
        db.execute_sql("UPDATE event SET txid = 0 WHERE txid IS NULL")
        db.execute_sql(f"ALTER TABLE event ALTER COLUMN txid SET DEFAULT {TXID_DEFAULT}")
        db.execute_sql("CREATE INDEX IF NOT EXISTS event_merchant_id_txid_seq ON event (merchant_id, txid, seq)")


def _api_keys(db):
    """Several keys per merchant; each existing merchant's key becomes its first full-access key."""
    db.create_tables([models.ApiKey], safe=True)
    db.execute_sql(
        "INSERT INTO api_key (id, merchant_id, name, scopes, secret_hash, created_at, updated_at) "
        "SELECT m.api_key, m.id, 'default', 'full_access', m.api_secret_hash, m.created_at, m.created_at "
        "FROM merchant m WHERE NOT EXISTS (SELECT 1 FROM api_key k WHERE k.id = m.api_key)"
    )


def _audit_log(db):
    """The hash-chained audit log and its per-merchant chain heads."""
    db.create_tables([models.AuditEntry, models.AuditHead], safe=True)


def _ledger(db):
    """The double-entry ledger and per-merchant pricing; payments already successful and refunds
    already processed get their entries, so ``ledger verify`` holds on an upgraded database."""
    from . import ledger

    db.create_tables([models.LedgerEntry, models.LedgerLine, models.MerchantPricing], safe=True)
    ledger.book_history()


def _settlements(db):
    """Payouts of the available balance to the merchant's bank."""
    db.create_tables([models.Settlement], safe=True)


def _reconciliations(db):
    """Bank settlement files compared with the ledger, and the differences found."""
    db.create_tables([models.Reconciliation, models.ReconciliationItem], safe=True)


# Issue 22: every list filter and the event list's cursor served by an index (see payment_search).
_LIST_INDEXES = (
    ("event_merchant_id_created_at", "event", "merchant_id, created_at"),
    ("order_merchant_id_receipt", '"order"', "merchant_id, receipt"),
    ("order_merchant_id_status_created_at", '"order"', "merchant_id, status, created_at"),
    ("payment_merchant_id_card_last4", "payment", "merchant_id, card_last4"),
    ("payment_merchant_id_amount", "payment", "merchant_id, amount"),
    ("payment_merchant_id_method_created_at", "payment", "merchant_id, method, created_at"),
    ("refund_merchant_id_status_created_at", "refund", "merchant_id, status, created_at"),
    ("webhook_delivery_merchant_id_status_created_at", "webhook_delivery", "merchant_id, status, created_at"),
)
# The exact ``vpa`` filter on SQLite. PostgreSQL's is migration 81's ``lower(vpa)`` index, which
# serves ``q``'s VPA prefix as well (until migration 81 this index was made on both backends).
_LIST_INDEXES_SQLITE = (("payment_merchant_id_vpa", "payment", "merchant_id, vpa"),)
# Free text (``q``): PostgreSQL's pg_trgm on receipts (substring, any case); SQLite: prefix LIKE on
# NOCASE. Until migration 81 this also made ``payment_id_trgm`` and ``payment_vpa_trgm`` (ids and
# VPAs by substring): migration 81 drops them, so a fresh database is made without them.
_TEXT_INDEXES_PG = (("order_receipt_trgm", '"order"', "receipt gin_trgm_ops"),)
_TEXT_INDEXES_SQLITE = (
    ("payment_merchant_id_vpa_nocase", "payment", "merchant_id, vpa COLLATE NOCASE"),
    ("order_merchant_id_receipt_nocase", '"order"', "merchant_id, receipt COLLATE NOCASE"),
)


# Search indexes on optional values hold only the rows that have one (migration 88): a filter or
# ``q`` on the value never matches a row without it, and a settlement's ``UPDATE`` of ``payment``
# or ``"order"`` (never a HOT update on PostgreSQL: ``status`` is indexed) writes an entry in every
# index whose predicate holds. A UPI payment has no card number and a card payment no VPA; many
# orders have no receipt.
_ONLY_PRESENT = {
    "order_merchant_id_receipt": "receipt",
    "payment_merchant_id_card_last4": "card_last4",
    "order_receipt_trgm": "receipt",
    "payment_merchant_id_lower_vpa": "vpa",
}


def _create_index(db, name: str, table: str, columns: str) -> None:
    using = "USING gin " if any(name == text for text, _, _ in _TEXT_INDEXES_PG) else ""
    where = f" WHERE {_ONLY_PRESENT[name]} IS NOT NULL" if name in _ONLY_PRESENT else ""
    db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {using}({columns}){where}")


def _list_indexes(db):
    """Indexes for list filters and search; ``IF NOT EXISTS``, so reruns and fresh databases agree."""
    for name, table, columns in _LIST_INDEXES:
        _create_index(db, name, table, columns)
    if is_postgres():
        # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database's owner
        # may create it. Where it is missing, ``q`` still works, by scanning the merchant's rows.
        try:
            with db.atomic():
                db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - an optional speed-up, never a failed start
            log.warning("pg_trgm is not available (%s): free-text payment search will scan", exc)
            return
        for name, table, columns in _TEXT_INDEXES_PG:
            _create_index(db, name, table, columns)
    else:
        for name, table, columns in _LIST_INDEXES_SQLITE + _TEXT_INDEXES_SQLITE:
            _create_index(db, name, table, columns)




def _audit_entry_merchant_index(db):
    """The audit log's merchant_id index duplicated the leading column of (merchant_id, seq) and
    (merchant_id, created_at), which serve every lookup by merchant (and the foreign key's
    cascade); each audit row paid for a third index insert."""
    db.execute_sql("DROP INDEX IF EXISTS audit_entry_merchant_id")


# Issue 22 at 1,000,000 payments: on SQLite, ``q``'s id-prefix part (an id range) was read through
# a merchant index, every payment of the merchant (the primary key is the whole table's ids, and
# SQLite weighed it below the merchant's). With the merchant in front, the range is the merchant's
# matching ids only. PostgreSQL's is migration 81's, in the "C" collation. Migration 87 drops
# SQLite's again: the primary key's range, with the merchant check kept off the index, costs no write.
_SCALE_INDEXES_SQLITE = (("payment_merchant_id_id", "payment", "merchant_id, id"),)


def _scale_indexes(db):
    if not is_postgres():
        for name, table, columns in _SCALE_INDEXES_SQLITE:
            db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


# The drain's cost (bench.settle_micro): a settlement's ``UPDATE payment SET status`` is never a HOT update (status
# is indexed), so every index of ``payment`` gets an entry per settlement, and per create. The
# trigram GIN indexes on ``payment.id`` and ``payment.vpa`` cost ~0.035 ms of PostgreSQL CPU per
# settled payment, for substring matches nobody needs: ``q`` matches ids and VPAs by prefix now
# (as on SQLite), through btrees. The VPA's also serves the exact ``vpa`` filter (the exact VPA
# checked on the rows it finds), so it replaces ``payment_merchant_id_vpa`` instead of adding one.
_SEARCH_DROPPED_PG = ("payment_id_trgm", "payment_vpa_trgm", "payment_merchant_id_vpa")
_SEARCH_INDEXES_PG = (
    ("payment_merchant_id_id", "payment", 'merchant_id, id COLLATE "C"'),
    ("payment_merchant_id_lower_vpa", "payment", "merchant_id, lower(vpa) text_pattern_ops"),
)


def _prefix_search_indexes(db):
    if is_postgres():
        for name in _SEARCH_DROPPED_PG:
            db.execute_sql(f"DROP INDEX IF EXISTS {name}")
        for name, table, columns in _SEARCH_INDEXES_PG:
            _create_index(db, name, table, columns)


def _default_endpoint_secret_overlap(db):
    """The default endpoint's rotation keeps the previous secret signing, like a named endpoint's."""
    from peewee import CharField, DateTimeField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    if "previous_webhook_secret" in {c.name for c in db.get_columns("merchant")}:
        return  # created by migration 1 from the current models
    migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
    run(
        migrator.add_column("merchant", "previous_webhook_secret", CharField(max_length=128, null=True)),
        migrator.add_column("merchant", "previous_webhook_secret_expires_at", DateTimeField(null=True)),
    )


def _pending_and_available(db):
    """Issue 19: the merchant's one ``balance`` account becomes ``pending`` and ``available``.

    A ``balance`` line of a payment or a capture release moves to ``pending`` (it waited for its
    ``available_on``); every other one (refunds, adjustments, settlements, their failures) to
    ``available``. Entries that never pend are their own release (``released_by`` = id). Then
    everything that had matured is released now, with release entries, so the balance reads
    exactly as it did (available: what had matured; pending: what had not)."""
    from peewee import CharField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    from . import ledger
    from .clock import utcnow

    if "released_by" not in {c.name for c in db.get_columns("ledger_entry")}:
        migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
        run(
            migrator.add_column("ledger_entry", "released_by", CharField(max_length=32, null=True)),
            migrator.add_index("ledger_entry", ("released_by", "available_on"), False),
        )
    pends = list(ledger.EntryType.PENDING_FIRST)
    Entry, Line = models.LedgerEntry, models.LedgerLine
    first = Entry.select(Entry.id).where(Entry.type.in_(pends))
    Line.update(account=ledger.Account.PENDING).where((Line.account == "balance") & Line.entry.in_(first)).execute()
    Line.update(account=ledger.Account.AVAILABLE).where(Line.account == "balance").execute()
    Entry.update(released_by=Entry.id).where(Entry.released_by.is_null() & Entry.type.not_in(pends)).execute()
    now = utcnow()
    for merchant_id, currency in ledger.releasable_accounts(now):
        ledger.release_matured(merchant_id, currency, now)


def _pooled_journals(db):
    """A batch of payments settling together posts one line per account for all of them
    (``ledger.Journal``): each entry names the journal (``jrnl_…``) whose lines post it."""
    from peewee import CharField
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run

    if "journal" not in {c.name for c in db.get_columns("ledger_entry")}:
        migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
        run(migrator.add_column("ledger_entry", "journal", CharField(max_length=32, null=True)))


# The tables whose composite indexes lead with merchant_id (models: ``index=False`` on merchant).
_MERCHANT_LED = ("order", "payment", "refund", "event", "webhook_delivery", "ledger_entry", "ledger_line")


def _merchant_only_indexes(db):
    """Migration 75's reasoning for the tables every payment writes: an index on merchant_id alone
    beside composites that lead with it. Each settled payment inserted into five of them (the
    payment and order UPDATEs are never HOT); on one merchant's history such an index is one key
    repeated, each insert a rewrite of a posting list. Dropping them took the zero-delay drain of
    20,000 payments on PostgreSQL from 6,129 to 7,951 payments/s (bench.worker_side)."""
    for table in _MERCHANT_LED:
        db.execute_sql(f"DROP INDEX IF EXISTS {table}_merchant_id")


def _sqlite_id_prefix_by_primary_key(db):
    """SQLite: ``q``'s id prefix is a range of the primary key now (``payment_search._id_prefix``),
    so migration 70's ``(merchant_id, id)`` goes: its key is random, so every create wrote a
    random page of it, and each group commit rewrote about one page of it per payment
    (``bench/create_cpu.py --backend sqlite``: 7 % more creates per second without it)."""
    if not is_postgres():
        db.execute_sql("DROP INDEX IF EXISTS payment_merchant_id_id")


def _index_definitions(db) -> dict[str, str]:
    if is_postgres():
        return dict(db.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()").fetchall())
    return dict(db.execute_sql("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'").fetchall())


def _only_present_values(db):
    """Migration 88: the search indexes on optional values (``_ONLY_PRESENT``) made before it, with
    an entry for every row, are made again with only the rows that have the value
    (``bench.settle_micro``: the card number's index alone cost a UPI settlement ~8 µs of
    PostgreSQL CPU)."""
    made = _index_definitions(db)
    for name, table, columns in _LIST_INDEXES + _TEXT_INDEXES_PG + _SEARCH_INDEXES_PG:
        if name in _ONLY_PRESENT and name in made and " WHERE " not in made[name].upper():
            db.execute_sql(f"DROP INDEX {name}")
            _create_index(db, name, table, columns)


# The append-only journals whose ``merchant_id`` is a reference without a constraint (models.journal_merchant).
_JOURNAL_TABLES = ("audit_entry", "audit_head", "ledger_entry", "ledger_line", "event")


def _journal_merchant_references(db):
    """The journals' (audit, ledger, event outbox) ``merchant_id`` loses its foreign key (see
    ``models.journal_merchant``): each appended row paid an RI trigger and a ``FOR KEY SHARE`` lock
    on the merchant row. ``ledger verify`` and ``audit verify`` now check that every ledger and
    audit row's merchant exists.

    PostgreSQL: each FOREIGN KEY constraint on ``merchant_id`` of those tables is found in
    pg_constraint and dropped, whatever its name (idempotent: none left, nothing done).
    SQLite: dropping a constraint means rebuilding the table, and SQLite's documented procedure
    turns ``foreign_keys`` off first, which cannot be done inside this transaction (and ``event``
    is the parent of ``webhook_delivery``: dropping it with them on would not do); an upgraded
    SQLite database keeps its constraints (an index lookup per row, no lock: SQLite's writer is
    already alone), and audit rows there still go with a deleted merchant. Databases created
    from the models have none on either backend."""
    if not is_postgres():
        return
    rows = db.execute_sql(
        "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
        "WHERE c.contype = 'f' AND a.attname = 'merchant_id' "
        "AND c.conrelid IN (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t)",
        (list(_JOURNAL_TABLES),),
    ).fetchall()
    for table, name in rows:
        db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')


MIGRATIONS = [
    (1, "initial schema", _initial_schema),
    (2, "heartbeat.maintenance_failures", _heartbeat_maintenance_failures),
    (3, "webhook endpoints", _webhook_endpoints),
    (4, "deployment secrets", _deployment_secrets),
    (10, "webhook_delivery.failure_code", _delivery_failure_code),
    (15, "event.txid: the events cursor's visibility horizon", _event_txid),
    (20, "ledger", _ledger),
    (21, "settlements", _settlements),
    (22, "reconciliations", _reconciliations),
    (30, "api keys", _api_keys),
    (31, "audit log", _audit_log),
    (40, "list filter and search indexes", _list_indexes),
    (50, "merchant.previous_webhook_secret", _default_endpoint_secret_overlap),
    (65, "ledger: pending and available accounts, release entries", _pending_and_available),
    (70, "list indexes for a million payments", _scale_indexes),
    (75, "audit_entry: no index on merchant_id alone", _audit_entry_merchant_index),
    (80, "audit, ledger and event journals: merchant_id without a foreign key", _journal_merchant_references),
    (81, "payment search by id and VPA prefix: btrees instead of trigram indexes", _prefix_search_indexes),
    (85, "ledger_entry.journal: pooled lines for a batch of payments", _pooled_journals),
    (86, "no index on merchant_id alone where a composite leads with it", _merchant_only_indexes),
    (87, "SQLite: payment ids by prefix through the primary key", _sqlite_id_prefix_by_primary_key),
    (88, "search indexes on optional values hold only the rows that have one", _only_present_values),
]


def migrate() -> list[int]:
    """Apply every pending migration; return the versions applied now."""
    done = []
    with database.connection_context():
        with database.atomic():
            if is_postgres():
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            database.create_tables([models.SchemaMigration], safe=True)
            applied = {m.version for m in models.SchemaMigration.select()}
            for version, name, fn in MIGRATIONS:
                if version in applied:
                    continue
                fn(database)
                models.SchemaMigration.create(version=version, name=name)
                log.info("applied migration %s: %s", version, name)
                done.append(version)
    return done
