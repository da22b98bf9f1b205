"""Process start-up for every role: bind the database, migrate, load the deployment's fingerprint
key, seed the test merchant."""

from __future__ import annotations

import logging

from . import audit, db, idempotency, merchants, migrations

log = logging.getLogger(__name__)


def start(settings, *, migrate: bool = True) -> None:
    db.open_database(settings)
    if migrate:
        migrations.migrate()
    idempotency.load_fingerprint_key()
    if settings.seed_test_merchant:
        db.unit_of_work(_seed)


def _seed() -> None:
    """The test merchant, with its audit row when this start created it (in one transaction)."""
    if merchants.ensure_test_merchant():
        seed = merchants.TEST_MERCHANT
        context = audit.admin_context(seed["id"], "admin.seedTestMerchant", {"name": seed["name"], "email": seed["email"]}, seed["id"])
        audit.record(context, {"id": seed["id"]})
