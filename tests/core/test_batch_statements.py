"""The batch statements settlement and the outbox are written with (``db.insert_rows``,
``db.update_in``), and one settlement batch end to end, on a real database of each backend.

On PostgreSQL ``insert_rows`` sends one array literal per column (``unnest``): every value must
come back exactly as written, whatever characters it holds.
"""

from __future__ import annotations

import json

import pytest

from paygate import db, events, ids, ledger, payments
from paygate.clock import utcnow
from paygate.models import Event, LedgerEntry, LedgerLine, Order, Payment
from paygate.processor import SimulatedBank

TRICKY = [
    'plain', '', 'NULL', 'null', '"quoted"', "it's", "back\\slash", "\\\"both\\\"", "{braces,commas}", "a\tb\nc\rd",
    "  spaced  ", "ünïcødé ₹ 🙂", "\\", '"', ",", "{}", "(x)",
]


@pytest.fixture
def bank(core_db):
    return SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_payment_success=True))


def _event_rows(merchant_id, bodies, object_ids):
    now = utcnow()
    return [dict(id=ids.new_event_id(), merchant=merchant_id, type="payment.pending", object_id=o, body=b, created_at=now)
            for b, o in zip(bodies, object_ids)]


def test_insert_rows_keeps_every_value_exactly(merchant, monkeypatch):
    object_ids = [None if i % 3 == 0 else f"obj_{i}" for i in range(len(TRICKY))]
    rows = _event_rows(merchant.id, TRICKY, object_ids)
    sent = []
    execute = db.database.obj.execute_sql
    monkeypatch.setattr(db.database.obj, "execute_sql", lambda sql, params=None, *a, **k: sent.append(sql) or execute(sql, params, *a, **k))
    db.unit_of_work(db.insert_rows, Event, rows)
    monkeypatch.undo()
    inserts = [sql for sql in sent if sql.startswith('INSERT INTO "event"')]
    assert len(inserts) == 1 and ("unnest(" in inserts[0]) == db.is_postgres()  # the array form is the one proven here
    stored = db.read(lambda: {e.id: (e.body, e.object_id, e.created_at) for e in Event.select().where(Event.id.in_([r["id"] for r in rows]))})
    assert {r["id"]: (r["body"], r["object_id"], r["created_at"]) for r in rows} == stored


def test_insert_rows_on_conflict_returns_only_what_it_inserted(merchant):
    rows = _event_rows(merchant.id, [f"b{i}" for i in range(6)], [None] * 6)
    db.unit_of_work(db.insert_rows, Event, rows[:3])

    def again():
        cursor = db.insert_rows(Event, rows, on_conflict_nothing=True, returning=("id",))
        return sorted(r[0] for r in cursor.fetchall())

    assert db.unit_of_work(again) == sorted(r["id"] for r in rows[3:])
    assert db.read(lambda: Event.select().where(Event.id.in_([r["id"] for r in rows])).count()) == 6


def test_insert_rows_keeps_integers_booleans_and_times(merchant):
    now = utcnow()
    journal = ledger.Journal()
    for amount in (1, 10**12, 50000):
        journal.add(merchant.id, "INR", ledger.EntryType.ADJUSTMENT, None, amount, 0, now, now, [
            (ledger.Account.AVAILABLE, amount, now), (ledger.Account.BANK_CLEARING, -amount, now)])
    journal.add(merchant.id, "INR", ledger.EntryType.ADJUSTMENT, None, -7, 0, now, now, [
        (ledger.Account.AVAILABLE, -7, now), (ledger.Account.BANK_CLEARING, 7, now)])
    written = [dict(e) for e in journal.entries]
    db.unit_of_work(journal.write)
    by_id = db.read(lambda: {e.id: e for e in LedgerEntry.select().where(LedgerEntry.id.in_([e["id"] for e in written]))})
    for e in written:
        row = by_id[e["id"]]
        assert (row.amount, row.fee, row.net, row.source, row.settlement_id, row.available_on, row.released_by) == (e["amount"], 0, e["amount"], None, None, now, e["id"])
    lines = db.read(lambda: sorted(l.amount for l in LedgerLine.select().where(LedgerLine.entry.in_(list(by_id)))))
    assert lines == sorted([1, -1, 10**12, -(10**12), 50000, -50000, -7, 7])
    assert db.read(ledger.verify, merchant.id) == []


def test_insert_rows_writes_each_time_as_a_single_row_insert_does(merchant):
    """Shared and distinct times in one batch (SQLite converts each distinct one once): stored as
    the same text (SQLite) or timestamp (PostgreSQL) as an INSERT of one row, read back equal."""
    shared = utcnow().replace(microsecond=123456)
    whole_second = shared.replace(microsecond=0)
    times = [shared, shared, whole_second, shared.replace(microsecond=1), whole_second]
    rows = [dict(id=ids.new_event_id(), merchant=merchant.id, type="payment.pending", object_id=None, body="{}", created_at=t)
            for t in times]
    single = dict(rows[0], id=ids.new_event_id())
    db.unit_of_work(db.insert_rows, Event, rows)
    db.unit_of_work(db.insert_rows, Event, [single])
    stored = db.read(lambda: dict(db.database.execute_sql(
        "SELECT id, CAST(created_at AS TEXT) FROM event WHERE id IN (%s)" % ", ".join([db.database.param] * (len(rows) + 1)),
        [r["id"] for r in rows] + [single["id"]]).fetchall()))
    assert [stored[r["id"]] for r in rows[:2]] == [stored[single["id"]]] * 2
    assert len({stored[r["id"]] for r in rows}) == 3
    back = db.read(lambda: {e.id: e.created_at for e in Event.select().where(Event.id.in_([r["id"] for r in rows]))})
    assert [back[r["id"]] for r in rows] == [r["created_at"] for r in rows]


def test_update_in_moves_exactly_the_named_rows(merchant, make_order):
    made = [make_order(amount=100 + i) for i in range(620)]  # more than one SQLite chunk
    named = [o.id for o in made[:600]]
    moved = db.unit_of_work(db.update_in, Order, {"status": "paid", "updated_at": utcnow()}, "id", named)
    assert moved == 600
    statuses = db.read(lambda: dict(Order.select(Order.id, Order.status).where(Order.id.in_([o.id for o in made])).tuples()))
    assert {i for i, s in statuses.items() if s == "paid"} == set(named)
    assert db.unit_of_work(db.update_in, Order, {"status": "created"}, "id", []) == 0


def test_one_settlement_batch_moves_each_payment_once_with_its_event_and_entry(merchant, make_order, bank):
    def create(order_id, vpa="core@okbank"):
        return db.unit_of_work(payments.create_payment, {"order_id": order_id, "method": "upi", "vpa": vpa}, bank, merchant.id).data["id"]

    orders = [make_order(amount=1000 * (i + 1)) for i in range(6)]
    paid = [create(o.id) for o in orders[:5]]
    second = create(orders[0].id)  # the same order again: only one of the two may pay it
    declined = create(orders[5].id, vpa="failure@paygate")
    batch = paid + [second, declined]
    outcomes = db.unit_of_work(payments.settle_due_payments, 100, batch)
    assert len(outcomes) == len(batch)
    returned = {o.data["id"]: o.data for o in outcomes}
    stored = db.read(lambda: {p.id: p for p in Payment.select().where(Payment.id.in_(batch))})
    assert {pid: stored[pid].status for pid in batch} == {**{pid: "success" for pid in paid}, second: "failed", declined: "failed"}
    assert stored[second].error_code == payments.ORDER_ALREADY_PAID and stored[declined].error_code == "PAYMENT_FAILED"
    for pid, data in returned.items():
        assert (data["status"], data["error_code"]) == (stored[pid].status, stored[pid].error_code)
        assert stored[pid].claimed_until is None
    order_status = db.read(lambda: dict(Order.select(Order.id, Order.status).where(Order.id.in_([o.id for o in orders])).tuples()))
    assert order_status == {**{o.id: "paid" for o in orders[:5]}, orders[5].id: "created"}
    bodies = db.read(lambda: {e.object_id: (e.type, json.loads(e.body)) for e in Event.select().where(Event.object_id.in_(batch) & Event.type.in_([events.PAYMENT_SUCCESS, events.PAYMENT_FAILED]))})
    for pid in batch:
        kind, body = bodies[pid]
        assert kind == (events.PAYMENT_SUCCESS if pid in paid else events.PAYMENT_FAILED)
        assert body["data"]["payment"] == returned[pid]
    entries = db.read(lambda: sorted(e.source for e in LedgerEntry.select().where(LedgerEntry.source.in_(batch))))
    assert entries == sorted(paid)
    assert db.unit_of_work(payments.settle_due_payments, 100, batch) == []  # exactly once
    assert db.read(ledger.verify, merchant.id) == []
