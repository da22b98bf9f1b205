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


MIGRATIONS = [
    (1, "initial schema", _initial_schema),
    (2, "heartbeat.maintenance_failures", _heartbeat_maintenance_failures),
    (3, "webhook endpoints", _webhook_endpoints),
    (50, "merchant.previous_webhook_secret", _default_endpoint_secret_overlap),
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
