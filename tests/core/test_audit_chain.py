"""The audit chain in-process, both backends: ``audit verify`` (the command, on the real database)
names the first edited, deleted or swapped row; concurrent appends keep one gap-free chain; a
change that rolls back leaves no row; a group-committed batch writes one row per create.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from paygate import audit, db, idempotency, orders, serialize
from paygate.errors import InvalidRequest
from paygate.models import AuditEntry, AuditHead
from paygate.payments import Outcome

ACTOR = audit.Actor("api_key", "key_live_test", "tests")


def _ctx(merchant_id, operation="createOrder", **kw):
    return audit.AuditContext(merchant_id, ACTOR, operation, request_id="req_1", client_address="127.0.0.1", **kw)


def _chain(merchant_id, n=4) -> list[AuditEntry]:
    for i in range(n):
        db.unit_of_work(audit.record, _ctx(merchant_id, object_id=f"order_{i:016d}"), {"id": f"order_{i:016d}", "amount": 100 + i})
    return list(AuditEntry.select().where(AuditEntry.merchant == merchant_id).order_by(AuditEntry.seq))


def _verify_cli(settings, merchant_id) -> subprocess.CompletedProcess:
    """``paygate audit verify`` as an operator runs it, against the core's database."""
    from devstack.daemon import clean_env

    env = clean_env()
    env.update({"DATABASE_URL": settings.database_url} if settings.database_url else {"PAYGATE_DATA_DIR": str(settings.data_dir)})
    env["PAYGATE_SEED_TEST_MERCHANT"] = "false"
    return subprocess.run([sys.executable, "-m", "paygate", "audit", "verify", "--merchant", merchant_id, "--json"], env=env, capture_output=True, text=True, timeout=60)


def _sql(statement: str, *params):
    db.unit_of_work(db.database.execute_sql, statement.replace("?", db.database.obj.param), params)


def test_a_fresh_chain_verifies_and_links_every_row(merchant, core_db):
    rows = _chain(merchant.id)
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == audit.GENESIS and all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    head = AuditHead.get(AuditHead.merchant == merchant.id)
    assert (head.seq, head.hash) == (4, rows[-1].hash)
    out = _verify_cli(core_db, merchant.id)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"ok": True, "checked": 4, "breaks": []}


@pytest.mark.parametrize("tamper", ["edit", "delete", "swap", "delete_last"])
def test_verify_names_the_first_bad_row(merchant, core_db, tamper):
    rows = _chain(merchant.id)
    second, third = rows[1], rows[2]
    if tamper == "edit":
        _sql("UPDATE audit_entry SET summary = ? WHERE id = ?", '{"request":{},"result":{"amount":1}}', second.id)
        bad = second
    elif tamper == "delete":
        _sql("DELETE FROM audit_entry WHERE id = ?", second.id)
        bad = third
    elif tamper == "swap":  # two rows trade places in the order
        _sql("UPDATE audit_entry SET seq = -1 WHERE id = ?", second.id)
        _sql("UPDATE audit_entry SET seq = 2 WHERE id = ?", third.id)
        _sql("UPDATE audit_entry SET seq = 3 WHERE id = ?", second.id)
        bad = third
    else:
        _sql("DELETE FROM audit_entry WHERE id = ?", rows[-1].id)
        bad = None
    found = db.read(audit.verify_chain, merchant.id)
    assert found is not None
    if bad is None:
        assert found.entry_id is None and "deleted" in found.reason
    else:
        assert (found.seq, found.entry_id) == ({"delete": 3}.get(tamper, 2), bad.id), found
    if tamper == "edit":  # the command as an operator runs it (one case: each run is a process)
        out = _verify_cli(core_db, merchant.id)
        assert out.returncode == 1
        report = json.loads(out.stdout)
        assert report["ok"] is False and report["breaks"][0]["entry_id"] == bad.id


def test_concurrent_appends_keep_one_gap_free_chain(merchant):
    errors = []

    def append_some(t):
        try:
            for i in range(8):
                db.unit_of_work(audit.record, _ctx(merchant.id), {"id": f"order_t{t}i{i}"})
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=append_some, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    seqs = [r.seq for r in AuditEntry.select(AuditEntry.seq).where(AuditEntry.merchant == merchant.id).order_by(AuditEntry.seq)]
    assert seqs == list(range(1, 33))
    assert db.read(audit.verify_chain, merchant.id) is None


def test_a_change_that_rolls_back_leaves_no_row(merchant):
    def fails_after_the_change():
        audit.audited(lambda: orders.create_order(merchant.id, {"amount": 10000}), _ctx(merchant.id))()
        raise InvalidRequest("refused after the change")

    with pytest.raises(InvalidRequest):
        db.unit_of_work(fails_after_the_change)
    assert AuditEntry.select().where(AuditEntry.merchant == merchant.id).count() == 0


def test_a_group_committed_batch_writes_one_row_per_create_and_none_for_failures(merchant):
    handler = audit.audited_handler(idempotency.run_units)
    make = lambda amount: idempotency.Unit(lambda: Outcome(serialize.order(orders.create_order(merchant.id, {"amount": amount}))))  # noqa: E731
    units = [audit.Audited(make(a), _ctx(merchant.id)) for a in (10000, 50, 20000)]
    results = db.unit_of_work(handler, units)
    assert isinstance(results[1], InvalidRequest)
    rows = list(AuditEntry.select().where(AuditEntry.merchant == merchant.id).order_by(AuditEntry.seq))
    assert [r.object_id for r in rows] == [results[0].data["id"], results[2].data["id"]]
    assert [json.loads(r.summary)["result"]["amount"] for r in rows] == [10000, 20000]


def test_the_summary_keeps_only_safe_fields():
    body = {
        "order_id": "order_x",
        "method": "card",
        "card": {"number": "4242424242424242", "cvv": "123"},
        "secret": "secret_live_x",
        "webhook_url": "https://user:pa55@hooks.example.com/x",
        "notes": {"cvv": "999"},
    }
    summary = audit.safe_summary(body)
    assert summary == {"order_id": "order_x", "method": "card", "webhook_url": "https://hooks.example.com/x"}


def test_verify_names_a_chain_whose_merchant_is_gone(merchant, core_db):
    """No foreign key keeps an audit row's merchant (models.journal_merchant): the trail outlives a
    deleted merchant row, intact, and ``audit verify`` says the merchant is gone."""
    rows = _chain(merchant.id, n=2)
    _sql("DELETE FROM api_key WHERE merchant_id = ?", merchant.id)
    _sql("DELETE FROM merchant WHERE id = ?", merchant.id)
    assert AuditEntry.select().where(AuditEntry.merchant == merchant.id).count() == 2  # no cascade
    assert db.read(audit.verify_chain, merchant.id) is None  # the chain itself still verifies
    checked, breaks = db.read(audit.verify, [merchant.id])
    assert checked == 2 and [(b.merchant_id, b.seq, b.entry_id) for b in breaks] == [(merchant.id, 1, rows[0].id)]
    assert "merchant does not exist" in breaks[0].reason
