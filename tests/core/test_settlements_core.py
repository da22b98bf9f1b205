"""Settlements in the core, in-process on a real database of each backend: payouts of the
available balance, the bank's answer, negative balances carried, and exactly once under two
concurrent runs. Every test ends with ``ledger.verify``."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from datetime import timedelta

import pytest

from paygate import config, db, fees, ledger, refunds, settlements
from paygate.clock import utcnow
from paygate.models import Event, LedgerEntry, Settlement
from paygate.processor import SimulatedBank
from tests.core.test_ledger_core import bank, pay, refund  # noqa: F401 (bank is a fixture)

LATER = timedelta(seconds=5)


@pytest.fixture(autouse=True)
def available_at_once(core_db, monkeypatch):
    """Money is available as soon as it is booked, so a settlement can take it now."""
    monkeypatch.setattr(config, "_current", config.current().replace(available_after_s=0))


@pytest.fixture
def returning_bank(bank):
    """The same bank, returning every settlement (the beneficiary account is closed)."""
    return SimulatedBank(bank.settings.replace(test_settlement_success=False))


@pytest.fixture
def shop(merchant):
    db.unit_of_work(fees.set_price, merchant.id, "upi", 200, 0)
    return merchant.id


def settle(shop, bank):
    return db.unit_of_work(settlements.settle_account, shop, "INR", utcnow() + LATER, bank)


def balance(shop):
    b = db.read(ledger.balance, shop)
    return tuple({x["currency"]: x["amount"] for x in b[k]}.get("INR", 0) for k in ("available", "pending", "in_transit"))


def event_types(object_id):
    return db.read(lambda: [e.type for e in Event.select().where(Event.object_id == object_id).order_by(Event.seq)])


def test_a_settlement_pays_the_available_balance_and_the_bank_processes_it(shop, bank):
    pids = [pay(shop, bank, 10000), pay(shop, bank, 20000)]
    assert balance(shop) == (0, 29400, 0)  # matured, but pending until released: the run releases first
    outcome = settle(shop, bank)
    setl = outcome.data
    assert setl["id"].startswith("setl_") and setl["status"] == "created" and setl["amount"] == 9800 + 19600
    assert balance(shop) == (0, 0, 29400)
    assert settle(shop, bank) is None  # nothing left: a second run pays nothing twice
    db.unit_of_work(settlements.settle_due_settlements, 1000)
    shown = db.read(settlements.get_settlement, setl["id"], shop)
    assert shown["status"] == "processed" and shown["bank_reference"].startswith("PGB") and shown["processed_at"]
    assert sorted(t["source"] for t in shown["lines"]["data"]) == sorted(pids) and shown["lines"]["has_more"] is False
    assert balance(shop) == (0, 0, 0)
    assert event_types(setl["id"]) == ["settlement.created", "settlement.processed"]
    page = db.read(settlements.list_settlements, shop, {})
    assert [s["id"] for s in page["data"]] == [setl["id"]]
    assert db.read(ledger.verify, shop) == []


def test_a_run_pays_only_released_funds(shop, bank, monkeypatch):
    monkeypatch.setattr(config, "_current", config.current().replace(available_after_s=3600))
    pid = pay(shop, bank, 10000)
    assert settle(shop, bank) is None and balance(shop) == (0, 9800, 0)  # not matured: never released, never paid
    db.unit_of_work(lambda: LedgerEntry.update(available_on=utcnow() - timedelta(seconds=1)).where(LedgerEntry.source == pid).execute())
    assert settle(shop, bank).data["amount"] == 9800  # matured since: the run releases it, then pays it
    txn = db.read(ledger.list_balance_transactions, shop, {"source": pid})["data"][0]
    assert txn["status"] == "available" and txn["settlement_id"]
    assert db.read(ledger.verify, shop) == []


def test_a_returned_settlement_gives_the_money_back_and_the_next_run_pays_it(shop, bank, returning_bank):
    pay(shop, bank, 10000)
    first = settle(shop, returning_bank).data
    db.unit_of_work(settlements.settle_due_settlements, 1000)
    failed = db.read(settlements.get_settlement, first["id"], shop)
    assert failed["status"] == "failed" and failed["failure_code"] == "ACCOUNT_CLOSED" and failed["bank_reference"] is None
    assert balance(shop) == (9800, 0, 0)
    assert event_types(first["id"]) == ["settlement.created", "settlement.failed"]
    second = settle(shop, bank).data
    assert second["amount"] == 9800
    lines = db.read(settlements.get_settlement, second["id"], shop)["lines"]["data"]
    assert [(t["type"], t["source"]) for t in lines] == [("settlement_failure", first["id"])]
    assert db.read(ledger.verify, shop) == []


def test_a_negative_balance_is_carried_never_paid(shop, bank):
    pid = pay(shop, bank, 10000)
    assert settle(shop, bank).data["amount"] == 9800
    refund(pid, shop, bank, 10000)  # after the payout: the balance goes negative
    assert balance(shop)[0] == -10000
    assert settle(shop, bank) is None
    assert db.read(lambda: LedgerEntry.select().where((LedgerEntry.merchant == shop) & LedgerEntry.settlement_id.is_null() & (LedgerEntry.type != "release")).count()) == 1
    pay(shop, bank, 30000)
    assert settle(shop, bank).data["amount"] == 29400 - 10000  # the carried refund is netted
    assert db.read(ledger.verify, shop) == []


def test_two_concurrent_runs_pay_each_transaction_once_while_refunds_settle(shop, bank):
    pids = [pay(shop, bank, 10000 + i) for i in range(12)]
    for pid in pids[:6]:  # refunds waiting to be processed while the runs go
        db.unit_of_work(refunds.create_refund, pid, shop, {"amount": 500}, bank)
    start = threading.Barrier(3)

    def run():
        start.wait(10)
        return settlements.run_settlements(bank, utcnow() + LATER)

    def process_refunds():
        start.wait(10)
        return db.unit_of_work(refunds.settle_due_refunds, 100)

    with cf.ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(run), pool.submit(run), pool.submit(process_refunds)]
        [f.result(timeout=60) for f in futures]
    settlements.run_settlements(bank, utcnow() + LATER)  # whatever the refunds left behind
    rows = db.read(lambda: list(Settlement.select().where(Settlement.merchant == shop)))
    booked = db.read(lambda: list(LedgerEntry.select().where((LedgerEntry.merchant == shop) & (LedgerEntry.type.in_(["payment", "refund"])))))
    assert len(booked) == 12 + 6
    settled = [e for e in booked if e.settlement_id]
    carried = sum(e.net for e in booked if not e.settlement_id)  # refunds processed after a payout
    assert sum(s.amount for s in rows) == sum(e.net for e in settled)
    assert carried <= 0 and balance(shop)[0] == carried
    expected = sum(10000 + i - fees.fee(10000 + i, fees.Price(200, 0)) for i in range(12)) - 6 * 500
    assert sum(s.amount for s in rows) + carried == expected, "paid out once each, nothing left out"
    assert db.read(ledger.verify, shop) == []
