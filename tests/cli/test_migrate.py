"""``paygate migrate`` brings a database made by an older paygate up to date (both backends)."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
import sys

from devstack.daemon import Deployment, backend_env
from paygate.migrations import MIGRATIONS
from tests.security.probe import _connect

ALL_VERSIONS = [(version,) for version, _, _ in MIGRATIONS]


def _migrate(d: Deployment) -> None:
    d.root.joinpath("data").mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, "-m", "paygate", "migrate"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def _sql(d: Deployment, *statements) -> list:
    conn, _ = _connect(d)
    try:
        cur = conn.cursor()
        for statement in statements:
            cur.execute(statement)
        rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    finally:
        conn.close()


def test_a_version_1_database_gets_the_heartbeat_failure_count(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: version 1, no column
    _sql(d, "ALTER TABLE heartbeat DROP COLUMN maintenance_failures", "DELETE FROM schema_migration WHERE version = 2")
    _sql(d, "INSERT INTO heartbeat (id, role, last_seen) VALUES ('old-host:1:worker', 'worker', '2024-01-01 00:00:00')")
    _migrate(d)
    assert _sql(d, "SELECT maintenance_failures FROM heartbeat WHERE id = 'old-host:1:worker'") == [(0,)]
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
    _migrate(d)  # and again: nothing left to do, no error


def test_a_version_2_database_gets_webhook_endpoints(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: no endpoint table, no endpoint_id
    _sql(
        d,
        "DROP TABLE webhook_endpoint",
        "DROP INDEX IF EXISTS webhook_delivery_endpoint_id_created_at",
        "ALTER TABLE webhook_delivery DROP COLUMN endpoint_id",
        "DELETE FROM schema_migration WHERE version = 3",
    )
    _migrate(d)
    assert _sql(d, "SELECT count(*) FROM webhook_endpoint") == [(0,)]
    assert _sql(d, "SELECT count(endpoint_id) FROM webhook_delivery") == [(0,)]
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS


def test_a_version_3_database_gets_the_list_and_search_indexes(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: none of migration 40's indexes
    # (ids' and VPAs' trigram indexes and the VPA's btree on PostgreSQL: migration 81 replaced them)
    text = ["order_receipt_trgm"] if backend == "postgres" else ["payment_merchant_id_vpa", "payment_merchant_id_vpa_nocase", "order_merchant_id_receipt_nocase"]
    added = ["payment_merchant_id_amount", "order_merchant_id_receipt", "event_merchant_id_created_at", *text]
    _sql(d, *[f"DROP INDEX {name}" for name in added], "DELETE FROM schema_migration WHERE version = 40")
    _migrate(d)
    if backend == "postgres":
        found = {row[0] for row in _sql(d, "SELECT indexname FROM pg_indexes")}
    else:
        found = {row[0] for row in _sql(d, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert set(added) <= found
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS


def test_a_version_3_database_gets_the_event_txid(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    made = subprocess.run([sys.executable, "-m", "paygate", "merchants", "create", "--name", "Old", "--email", "old@example.test"],
                          env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    # what a database migrated by the previous paygate looks like: events without txid
    _sql(
        d,
        "DROP INDEX IF EXISTS event_merchant_id_txid_seq",
        "ALTER TABLE event DROP COLUMN txid",
        "DELETE FROM schema_migration WHERE version = 15",
        "INSERT INTO event (id, merchant_id, type, body, created_at) SELECT 'evt_old', id, 'webhook.test', '{}', "
        "'2024-01-01 00:00:00' FROM merchant LIMIT 1",
    )
    _migrate(d)
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
    if backend == "postgres":  # older events are committed: below every horizon; new ones name their transaction
        assert _sql(d, "SELECT txid FROM event WHERE id = 'evt_old'") == [(0,)]
        (txid,) = _sql(d, "INSERT INTO event (id, merchant_id, type, body, created_at) SELECT 'evt_new', id, 'webhook.test', '{}', "
                          "'2024-01-01 00:00:00' FROM merchant LIMIT 1 RETURNING txid")[0]
        assert txid > 0
    else:
        assert _sql(d, "SELECT count(*), count(txid) FROM event") == [(1, 0)]
    _migrate(d)


def test_a_version_3_database_gets_the_deployment_secret_table(backend, services):
    """Today's main (three migrations) upgraded: the fingerprint key's table appears, and the first
    process to start makes the key, once."""
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    _sql(d, "DROP TABLE IF EXISTS deployment_secret", "DELETE FROM schema_migration WHERE version = 4")
    _migrate(d)
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
    assert _sql(d, "SELECT count(*) FROM deployment_secret") == [(0,)]
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "paygate", "merchants", "list", "--json"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    assert _sql(d, "SELECT name, length(value) FROM deployment_secret") == [("idempotency.fingerprint", 64)]


def test_a_version_3_database_gets_api_keys_and_the_audit_log(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: a merchant, no keys, no audit
    _sql(d, "DROP TABLE audit_entry", "DROP TABLE audit_head", "DROP TABLE api_key", "DELETE FROM schema_migration WHERE version IN (30, 31)")
    _sql(
        d,
        "INSERT INTO merchant (id, name, email, api_key, api_secret_hash, webhook_secret, is_active, created_at, updated_at) VALUES "
        "('6f1c2d4e-0000-4000-8000-000000000001', 'Old', 'old@example.test', 'key_live_old', 'ab12', 'whsec_x', true, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
    )
    _migrate(d)
    rows = _sql(d, "SELECT id, merchant_id, name, scopes, secret_hash, revoked_at FROM api_key")
    assert rows == [("key_live_old", "6f1c2d4e-0000-4000-8000-000000000001", "default", "full_access", "ab12", None)]
    assert _sql(d, "SELECT count(*) FROM audit_entry") == [(0,)]
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS


def test_an_upgraded_database_gets_the_ledger_with_entries_for_past_money(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what a database migrated by the previous paygate looks like: no ledger; one successful
    # payment of 50000 and one processed refund of 20000 against it
    _sql(
        d,
        "DROP TABLE ledger_line",
        "DROP TABLE ledger_entry",
        "DROP TABLE merchant_pricing",
        "DELETE FROM schema_migration WHERE version IN (20, 65)",
        "INSERT INTO merchant (id, name, email, api_key, api_secret_hash, webhook_secret, is_active, created_at, updated_at) "
        "VALUES ('00000000-0000-4000-8000-000000000001', 'Old', 'old@example.test', 'key_old', 'x', 'whsec_x', true, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        "INSERT INTO \"order\" (id, merchant_id, amount, currency, status, created_at, updated_at) "
        "VALUES ('order_0000000000000001', '00000000-0000-4000-8000-000000000001', 50000, 'INR', 'paid', '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        "INSERT INTO payment (id, order_id, merchant_id, amount, currency, method, vpa, status, captured, bank_outcome, due_at, created_at, updated_at) "
        "VALUES ('pay_0000000000000001', 'order_0000000000000001', '00000000-0000-4000-8000-000000000001', 50000, 'INR', 'upi', 'a@b', "
        "'partially_refunded', false, 'success', '2024-01-01 00:00:05', '2024-01-01 00:00:00', '2024-01-01 00:00:05')",
        "INSERT INTO refund (id, payment_id, merchant_id, amount, status, due_at, processed_at, created_at, updated_at) "
        "VALUES ('rfnd_0000000000000001', 'pay_0000000000000001', '00000000-0000-4000-8000-000000000001', 20000, 'processed', "
        "'2024-01-02 00:00:00', '2024-01-02 00:00:00', '2024-01-02 00:00:00', '2024-01-02 00:00:00')",
    )
    _migrate(d)
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
    assert _sql(d, "SELECT type, source, amount FROM ledger_entry WHERE type <> 'release' ORDER BY created_at") == [
        ("payment", "pay_0000000000000001", 50000),
        ("refund", "rfnd_0000000000000001", -20000),
    ]
    # paid in 2024: long matured, so migration 65 released it (one release entry for its net)
    assert _sql(d, "SELECT r.net FROM ledger_entry r JOIN ledger_entry p ON p.released_by = r.id AND p.id <> r.id WHERE r.type = 'release'") == _sql(
        d, "SELECT net FROM ledger_entry WHERE type = 'payment'")
    assert _sql(d, "SELECT sum(amount) FROM ledger_line") in ([(0,)], [(Decimal(0),)])
    proof = subprocess.run([sys.executable, "-m", "paygate", "ledger", "verify"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
    assert proof.returncode == 0 and "every invariant holds" in proof.stdout, proof.stdout + proof.stderr
    _migrate(d)  # and again: nothing left to do, no error


_OLD_SHOP = "00000000-0000-4000-8000-000000000002"


def _old_payment(n: int, amount: int, fee: int, available_on: str) -> list[str]:
    """A successful payment as the previous paygate booked it: its net on the one ``balance`` account."""
    pid, txn = f"pay_000000000000000{n}", f"txn_000000000000000{n}"
    return [
        f"INSERT INTO \"order\" (id, merchant_id, amount, currency, status, created_at, updated_at) VALUES ('order_000000000000000{n}', '{_OLD_SHOP}', {amount}, 'INR', 'paid', '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        "INSERT INTO payment (id, order_id, merchant_id, amount, currency, method, vpa, status, captured, bank_outcome, due_at, created_at, updated_at) "
        f"VALUES ('{pid}', 'order_000000000000000{n}', '{_OLD_SHOP}', {amount}, 'INR', 'upi', 'a@b', 'success', false, 'success', '2024-01-01 00:00:05', '2024-01-01 00:00:00', '2024-01-01 00:00:05')",
        "INSERT INTO ledger_entry (id, merchant_id, currency, type, source, amount, fee, net, available_on, created_at) "
        f"VALUES ('{txn}', '{_OLD_SHOP}', 'INR', 'payment', '{pid}', {amount}, {fee}, {amount - fee}, '{available_on}', '2024-01-01 00:00:05')",
        f"INSERT INTO ledger_line (entry, merchant_id, currency, account, amount, available_on, created_at) VALUES ('{txn}', '{_OLD_SHOP}', 'INR', 'bank_clearing', {-amount}, '2024-01-01 00:00:05', '2024-01-01 00:00:05')",
        f"INSERT INTO ledger_line (entry, merchant_id, currency, account, amount, available_on, created_at) VALUES ('{txn}', '{_OLD_SHOP}', 'INR', 'balance', {amount - fee}, '{available_on}', '2024-01-01 00:00:05')",
        f"INSERT INTO ledger_line (entry, merchant_id, currency, account, amount, available_on, created_at) VALUES ('{txn}', '{_OLD_SHOP}', 'INR', 'fee_revenue', {fee}, '2024-01-01 00:00:05', '2024-01-01 00:00:05')",
    ]


def test_a_one_balance_ledger_gets_pending_and_available_accounts(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    # what the previous paygate's ledger looks like: no released_by; one balance account whose
    # lines were pending until their available_on. A matured payment, one maturing in 2999, and
    # an adjustment (available at once).
    _sql(
        d,
        "DROP INDEX ledger_entry_released_by_available_on",
        "ALTER TABLE ledger_entry DROP COLUMN released_by",
        "DELETE FROM schema_migration WHERE version = 65",
        "INSERT INTO merchant (id, name, email, api_key, api_secret_hash, webhook_secret, is_active, created_at, updated_at) "
        f"VALUES ('{_OLD_SHOP}', 'Old', 'old2@example.test', 'key_old2', 'x', 'whsec_x', true, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        *_old_payment(1, 10000, 200, "2024-01-03 00:00:05"),
        *_old_payment(2, 30000, 600, "2999-01-01 00:00:00"),
        "INSERT INTO ledger_entry (id, merchant_id, currency, type, source, amount, fee, net, available_on, created_at) "
        f"VALUES ('txn_0000000000000009', '{_OLD_SHOP}', 'INR', 'adjustment', NULL, -500, 0, -500, '2024-02-01 00:00:00', '2024-02-01 00:00:00')",
        f"INSERT INTO ledger_line (entry, merchant_id, currency, account, amount, available_on, created_at) VALUES ('txn_0000000000000009', '{_OLD_SHOP}', 'INR', 'balance', -500, '2024-02-01 00:00:00', '2024-02-01 00:00:00')",
        f"INSERT INTO ledger_line (entry, merchant_id, currency, account, amount, available_on, created_at) VALUES ('txn_0000000000000009', '{_OLD_SHOP}', 'INR', 'bank_clearing', 500, '2024-02-01 00:00:00', '2024-02-01 00:00:00')",
    )
    _migrate(d)
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
    sums = dict(_sql(d, f"SELECT account, sum(amount) FROM ledger_line WHERE merchant_id = '{_OLD_SHOP}' AND account IN ('pending', 'available', 'balance') GROUP BY account"))
    assert {k: int(v) for k, v in sums.items()} == {"available": 9800 - 500, "pending": 29400}, "the balance reads as it did"
    released = _sql(d, "SELECT e.id, r.type, r.net FROM ledger_entry e LEFT JOIN ledger_entry r ON r.id = e.released_by "
                       f"WHERE e.merchant_id = '{_OLD_SHOP}' AND e.type <> 'release' ORDER BY e.id")
    assert released == [("txn_0000000000000001", "release", 9800), ("txn_0000000000000002", None, None), ("txn_0000000000000009", "adjustment", -500)]
    proof = subprocess.run([sys.executable, "-m", "paygate", "ledger", "verify"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
    assert proof.returncode == 0 and "every invariant holds" in proof.stdout, proof.stdout + proof.stderr
    _migrate(d)  # and again: nothing left to do, no error

def _indexes(d: Deployment, backend: str, table: str) -> set[str]:
    if backend == "postgres":
        return {r[0] for r in _sql(d, f"SELECT indexname FROM pg_indexes WHERE tablename = '{table}'")}
    return {r[0] for r in _sql(d, f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'")}


# table -> an index that leads with merchant_id (migration 75 drops audit_entry's merchant-only index, 86 the others')
_MERCHANT_ONLY = {
    "audit_entry": "audit_entry_merchant_id_seq",
    "order": "order_merchant_id_created_at",
    "payment": "payment_merchant_id_created_at",
    "refund": "refund_merchant_id_created_at",
    "event": "event_merchant_id_seq",
    "webhook_delivery": "webhook_delivery_merchant_id_created_at",
    "ledger_entry": "ledger_entry_merchant_id_created_at",
    "ledger_line": "ledger_line_merchant_id_currency_account_available_on",
}


def test_an_index_on_merchant_id_alone_is_dropped_where_a_composite_leads_with_it(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    for table, composite in _MERCHANT_ONLY.items():  # a fresh database never has them
        indexes = _indexes(d, backend, table)
        assert f"{table}_merchant_id" not in indexes and composite in indexes, (table, indexes)
    # what older versions made: an index on merchant_id alone beside those that lead with it
    made = [f'CREATE INDEX {t}_merchant_id ON "{t}" (merchant_id)' for t in _MERCHANT_ONLY]
    _sql(d, *made, "DELETE FROM schema_migration WHERE version IN (75, 86)")
    assert all(f"{t}_merchant_id" in _indexes(d, backend, t) for t in _MERCHANT_ONLY)
    _migrate(d)
    for table, composite in _MERCHANT_ONLY.items():
        indexes = _indexes(d, backend, table)
        assert f"{table}_merchant_id" not in indexes and composite in indexes, (table, indexes)
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS


def test_sqlite_reads_id_prefixes_through_the_primary_key_and_drops_merchant_id_id(backend, services):
    """Migration 87: SQLite's (merchant_id, id), random keys written on every create, gives way to the
    primary key; PostgreSQL keeps its (merchant_id, id COLLATE "C") (its primary key is in the locale's order)."""
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    fresh = _indexes(d, backend, "payment")
    assert ("payment_merchant_id_id" in fresh) == (backend == "postgres"), fresh
    if backend == "sqlite":  # what migration 70 left on a database made before 87
        _sql(d, "CREATE INDEX payment_merchant_id_id ON payment (merchant_id, id)")
    _sql(d, "DELETE FROM schema_migration WHERE version = 87")
    _migrate(d)
    assert _indexes(d, backend, "payment") == fresh
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS


def _index_definitions(d: Deployment, backend: str, *tables: str) -> dict[str, str]:
    names = ", ".join(f"'{t}'" for t in tables)
    if backend == "postgres":
        return dict(_sql(d, f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names})"))
    return dict(_sql(d, f"SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names})"))


def _payment_indexes(d: Deployment, backend: str) -> dict[str, str]:
    return _index_definitions(d, backend, "payment")


def test_a_version_75_database_searches_ids_and_vpas_by_prefix_through_btrees(backend, services):
    """Migration 81: on PostgreSQL the payment's trigram indexes (ids and VPAs by substring, an entry
    on every create and settlement) and the exact VPA's btree give way to two btrees, the id in
    the "C" collation and ``lower(vpa)``; a fresh database and an upgraded one end up the same."""
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    fresh = _payment_indexes(d, backend)
    if backend == "postgres":
        # what migrations 40 and 70 made before migration 81
        _sql(
            d,
            "DROP INDEX payment_merchant_id_id",
            "DROP INDEX payment_merchant_id_lower_vpa",
            "CREATE INDEX payment_id_trgm ON payment USING gin (id gin_trgm_ops)",
            "CREATE INDEX payment_vpa_trgm ON payment USING gin (vpa gin_trgm_ops)",
            "CREATE INDEX payment_merchant_id_vpa ON payment (merchant_id, vpa)",
        )
    _sql(d, "DELETE FROM schema_migration WHERE version = 81")
    _migrate(d)
    upgraded = _payment_indexes(d, backend)
    assert upgraded == fresh
    if backend == "postgres":
        assert not {"payment_id_trgm", "payment_vpa_trgm", "payment_merchant_id_vpa"} & set(upgraded)
        assert 'COLLATE "C"' in upgraded["payment_merchant_id_id"]
        assert "lower((vpa)::text) text_pattern_ops" in upgraded["payment_merchant_id_lower_vpa"]
    else:
        assert {"payment_merchant_id_vpa", "payment_merchant_id_vpa_nocase"} <= set(upgraded)
        assert "payment_merchant_id_id" not in upgraded  # migration 87: the primary key serves the id prefix
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS


_JOURNAL_FKS = {  # what versions before 80 made: merchant_id of each journal a foreign key
    "audit_entry": "ON DELETE CASCADE", "audit_head": "ON DELETE CASCADE", "ledger_entry": "", "ledger_line": "", "event": "",
}


def _journal_fks(d: Deployment) -> set[str]:
    return {r[0] for r in _sql(d, "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                                  "AND conrelid::regclass::text IN ('audit_entry', 'audit_head', 'ledger_entry', 'ledger_line', 'event')")}


def test_the_journals_of_version_75_lose_their_merchant_foreign_keys(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    if backend != "postgres":  # SQLite keeps an upgraded database's constraints (see migration 80)
        tables = ("audit_entry", "audit_head", "ledger_entry", "ledger_line", "event")
        assert [_sql(d, f"PRAGMA foreign_key_list({t})") for t in tables] == [[]] * 5  # a fresh one has none
        return
    assert _journal_fks(d) == set()  # a fresh database never has them
    shop = _OLD_SHOP
    _sql(
        d,
        *(f"ALTER TABLE {t} ADD CONSTRAINT {t}_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES merchant (id) {rule}" for t, rule in _JOURNAL_FKS.items()),
        "ALTER TABLE ledger_line ADD CONSTRAINT ledger_line_merchant_fk_2 FOREIGN KEY (merchant_id) REFERENCES merchant (id)",  # any name
        "DELETE FROM schema_migration WHERE version = 80",
        "INSERT INTO merchant (id, name, email, api_key, api_secret_hash, webhook_secret, is_active, created_at, updated_at) "
        f"VALUES ('{shop}', 'Old', 'old3@example.test', 'key_old3', 'x', 'whsec_x', true, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        *_old_payment(3, 10000, 200, "2024-01-03 00:00:05")[:3],
    )
    assert _journal_fks(d) == set(_JOURNAL_FKS)
    before = _sql(d, "SELECT id, merchant_id, amount FROM ledger_entry UNION ALL SELECT entry, merchant_id, amount FROM ledger_line ORDER BY 1, 3")
    _migrate(d)
    assert _journal_fks(d) == set()
    assert _sql(d, "SELECT id, merchant_id, amount FROM ledger_entry UNION ALL SELECT entry, merchant_id, amount FROM ledger_line ORDER BY 1, 3") == before
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
    _migrate(d)  # and again: nothing left to do, no error


_BEFORE_88 = {  # what migrations 40 and 81 made before 88: an entry for every row
    "both": ["CREATE INDEX payment_merchant_id_card_last4 ON payment (merchant_id, card_last4)",
             'CREATE INDEX order_merchant_id_receipt ON "order" (merchant_id, receipt)'],
    "postgres": ["CREATE INDEX payment_merchant_id_lower_vpa ON payment (merchant_id, lower(vpa) text_pattern_ops)",
                 'CREATE INDEX order_receipt_trgm ON "order" USING gin (receipt gin_trgm_ops)'],
}


def test_search_indexes_on_optional_values_hold_only_the_rows_that_have_one(backend, services):
    """Migration 88: the card number's, the VPA's and the receipt's indexes skip rows without one;
    a database made before it has them rebuilt so, and ends up as a fresh one."""
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)

    def definitions():
        return _index_definitions(d, backend, "payment", "order")

    fresh = definitions()
    old = _BEFORE_88["both"] + (_BEFORE_88["postgres"] if backend == "postgres" else [])
    names = [statement.split()[2] for statement in old]
    for name in names:
        assert re.search(r"WHERE \(?\(?(card_last4|receipt|vpa)\)?(::text)?\)? IS NOT NULL", fresh[name]), fresh[name]
    _sql(d, *[f"DROP INDEX {name}" for name in names], *old, "DELETE FROM schema_migration WHERE version = 88")
    assert all("WHERE" not in definitions()[name] for name in names)
    _migrate(d)
    assert definitions() == fresh
    assert _sql(d, "SELECT version FROM schema_migration ORDER BY version") == ALL_VERSIONS
