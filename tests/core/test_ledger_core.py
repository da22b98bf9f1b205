"""The ledger in the core, in-process on a real database of each backend (SQLite and PostgreSQL).

Entries are written by the batched settlement functions themselves; every test ends with
``ledger.verify`` over its merchant's rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from paygate import db, fees, ledger, orders, payments, refunds
from paygate.clock import utcnow
from paygate.errors import InvalidRequest, NotFound
from paygate.models import LedgerEntry, LedgerLine, Payment
from paygate.money import MAX_AMOUNT
from paygate.processor import SimulatedBank

LATER = timedelta(days=30)  # far past any available_on


@pytest.fixture
def bank(core_db):
    return SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_refund_delay_ms=0, test_payment_success=True))


@pytest.fixture
def shop(merchant):
    """A merchant paying 2 % + ₹3 on UPI, so every fee below is known."""
    db.unit_of_work(fees.set_price, merchant.id, "upi", 200, 300)
    return merchant.id


def pay(shop, bank, amount=50000, vpa="shopper@okbank"):
    order = db.unit_of_work(orders.create_order, shop, {"amount": amount})
    pid = db.unit_of_work(payments.create_payment, {"order_id": order.id, "method": "upi", "vpa": vpa}, bank, shop).data["id"]
    db.unit_of_work(payments.settle_payment, pid)
    return pid


def refund(pid, shop, bank, amount):
    rid = db.unit_of_work(refunds.create_refund, pid, shop, {"amount": amount}, bank).data["id"]
    db.unit_of_work(refunds.settle_refund, rid)
    return rid


def balance(shop):
    b = db.read(ledger.balance, shop)
    return {k: {x["currency"]: x["amount"] for x in b[k]} for k in ("available", "pending", "in_transit")}


def mature(shop, limit=ledger.RELEASE_BATCH):
    """The shop's release, run as if 30 days had passed: how many transactions it released."""
    return db.unit_of_work(ledger.release_account, shop, "INR", utcnow() + LATER, limit, False)


def txns(shop):
    return db.read(ledger.list_balance_transactions, shop, {"limit": "100"})["data"]


def test_success_books_gross_fee_and_pending_net(shop, bank):
    pid = pay(shop, bank, 50000)
    (txn,) = txns(shop)
    assert txn["id"].startswith("txn_") and txn["object"] == "balance_transaction"
    assert (txn["type"], txn["source"], txn["amount"], txn["fee"], txn["net"]) == ("payment", pid, 50000, 1300, 48700)
    assert txn["status"] == "pending" and txn["currency"] == "INR"
    assert balance(shop) == {"available": {"INR": 0}, "pending": {"INR": 48700}, "in_transit": {"INR": 0}}
    journal = db.read(lambda: LedgerEntry.get_by_id(txn["id"]).journal)  # pooled: the settlement batch's journal entry
    assert journal.startswith("jrnl_")
    lines = db.read(lambda: sorted((l.account, l.amount) for l in LedgerLine.select().where(LedgerLine.entry == journal)))
    assert lines == [("bank_clearing", -50000), ("fee_revenue", 1300), ("pending", 48700)]
    assert db.read(ledger.verify, shop) == []
    assert db.unit_of_work(ledger.release_account, shop, "INR", utcnow()) == 0  # not matured yet: nothing is released early
    assert mature(shop) == 1
    assert balance(shop) == {"available": {"INR": 48700}, "pending": {"INR": 0}, "in_transit": {"INR": 0}}
    (txn,) = txns(shop)
    assert txn["status"] == "available"
    release = db.read(lambda: LedgerEntry.get(LedgerEntry.id == LedgerEntry.select(LedgerEntry.released_by).where(LedgerEntry.id == txn["id"])))
    assert (release.type, release.net) == ("release", 48700)
    lines = db.read(lambda: sorted((l.account, l.amount) for l in LedgerLine.select().where(LedgerLine.entry == release.id)))
    assert lines == [("available", 48700), ("pending", -48700)]
    assert mature(shop) == 0 and db.read(ledger.verify, shop) == []  # released once


def test_declined_payment_books_nothing(shop, bank):
    pay(shop, bank, vpa="failure@paygate")
    assert txns(shop) == [] and db.read(ledger.verify, shop) == []


def test_fee_edges_one_paisa_and_the_maximum_amount(merchant, bank):
    db.unit_of_work(fees.set_price, merchant.id, "upi", 200, 300)
    pay(merchant.id, bank, 100)  # the smallest payment: the fixed ₹3 would exceed it, so the fee is the gross
    db.unit_of_work(fees.set_price, merchant.id, "upi", 200, 0)
    pay(merchant.id, bank, MAX_AMOUNT)
    by_amount = {t["amount"]: (t["fee"], t["net"]) for t in txns(merchant.id)}
    assert by_amount == {100: (100, 0), MAX_AMOUNT: (MAX_AMOUNT // 50, MAX_AMOUNT - MAX_AMOUNT // 50)}
    assert db.read(ledger.verify, merchant.id) == []


def test_partial_refunds_until_refunded_keep_the_fee(shop, bank):
    pid = pay(shop, bank, 50000)
    refund(pid, shop, bank, 20000)
    refund(pid, shop, bank, 30000)
    assert db.read(lambda: Payment.get_by_id(pid).status) == "refunded"
    kinds = sorted((t["type"], t["amount"], t["fee"], t["net"]) for t in txns(shop))
    assert kinds == [("payment", 50000, 1300, 48700), ("refund", -30000, 0, -30000), ("refund", -20000, 0, -20000)]
    # Refunds leave the available balance at once, while the payment is still pending: the fee is the loss.
    assert balance(shop) == {"available": {"INR": -50000}, "pending": {"INR": 48700}, "in_transit": {"INR": 0}}
    assert db.read(ledger.verify, shop) == []
    mature(shop)
    assert balance(shop)["available"] == {"INR": -1300}
    assert db.read(ledger.verify, shop) == []


def test_refund_beyond_available_carries_a_negative_balance(shop, bank):
    first = pay(shop, bank, 10000)
    pay(shop, bank, 20000)
    refund(first, shop, bank, 10000)
    assert balance(shop)["available"] == {"INR": -10000}
    assert db.read(ledger.verify, shop) == []
    mature(shop)
    # 9500 + 19300 available once released, minus 10000 refunded: nothing clamps, nothing lost.
    assert balance(shop) == {"available": {"INR": 9500 + 19300 - 10000}, "pending": {"INR": 0}, "in_transit": {"INR": 0}}
    assert db.read(ledger.verify, shop) == []


def test_prices_are_refused_outside_their_bounds_and_for_unknown_merchants(shop):
    for method, bps, fixed in (("upi", 10_001, 0), ("upi", -1, 0), ("upi", 100, -1), ("netbanking", 100, 0), ("card", 1.5, 0)):
        with pytest.raises(InvalidRequest):
            db.unit_of_work(fees.set_price, shop, method, bps, fixed)
    with pytest.raises(NotFound):
        db.unit_of_work(fees.set_price, "00000000-0000-4000-8000-00000000dead", "upi", 100, 0)
    with pytest.raises(NotFound):
        db.read(fees.prices_of, "00000000-0000-4000-8000-00000000dead")
    assert db.read(fees.prices_of, shop)["upi"] == fees.Price(200, 300)


def test_adjustment_needs_a_reason_and_an_integer(shop):
    for bad in ({"amount": 1.5, "reason": "x"}, {"amount": 0, "reason": "x"}, {"amount": 100}, {"amount": 100, "currency": "XXX", "reason": "x"}):
        with pytest.raises(InvalidRequest):
            db.unit_of_work(ledger.adjust, shop, bad)
    txn = db.unit_of_work(ledger.adjust, shop, {"amount": -700, "reason": "chargeback fee"})
    assert (txn["type"], txn["amount"], txn["net"], txn["status"]) == ("adjustment", -700, -700, "available")
    assert balance(shop)["available"] == {"INR": -700}
    assert db.read(ledger.verify, shop) == []


def test_verify_finds_an_unbalanced_entry_and_a_missing_one(shop, bank):
    pid = pay(shop, bank)
    entry = db.read(lambda: LedgerEntry.get(LedgerEntry.source == pid))
    db.unit_of_work(lambda: LedgerLine.create(entry=entry.journal, merchant=shop, currency="INR", account="pending", amount=1, available_on=utcnow()))
    found = db.read(ledger.verify, shop)
    assert any(v.startswith("entries whose lines do not sum to zero") and entry.journal in v for v in found)
    assert any(v.startswith("journal entries whose lines on pending or available differ") and entry.journal in v for v in found)
    assert any(v.startswith("accounts whose pending balance differs") for v in found)
    db.unit_of_work(lambda: LedgerLine.delete().where(LedgerLine.entry == entry.journal).execute())
    db.unit_of_work(lambda: LedgerEntry.delete().where(LedgerEntry.id == entry.id).execute())
    assert any(v.startswith("payments without exactly their payment entry") and pid in v for v in db.read(ledger.verify, shop))
    db.unit_of_work(ledger.book_history)  # what migration 20 does on an upgraded database
    assert db.read(ledger.verify, shop) == []
    assert [t["source"] for t in txns(shop)] == [pid]


def test_balance_transactions_page_by_cursor_and_filter(shop, bank):
    pids = [pay(shop, bank, 10000 + i) for i in range(3)]
    first = db.read(ledger.list_balance_transactions, shop, {"limit": "2"})
    assert first["has_more"] is True and len(first["data"]) == 2
    rest = db.read(ledger.list_balance_transactions, shop, {"limit": "2", "starting_after": first["data"][-1]["id"]})
    assert rest["has_more"] is False
    assert sorted(t["source"] for t in first["data"] + rest["data"]) == sorted(pids)
    only = db.read(ledger.list_balance_transactions, shop, {"source": pids[1]})["data"]
    assert [t["source"] for t in only] == [pids[1]]
    with pytest.raises(InvalidRequest):
        db.read(ledger.list_balance_transactions, shop, {"type": "bonus"})


def test_the_report_pages_by_keyset_oldest_first_and_filters_its_window(shop, bank):
    pids = [pay(shop, bank, 10000 + i) for i in range(3)]
    window = ledger.parse_report_window({})
    first = db.read(ledger.report_page, shop, window, None, 2)
    rest = db.read(ledger.report_page, shop, window, ledger.report_key(first[-1]), 2)
    assert [r[3] for r in first + rest] == pids and len(rest) == 1
    text = ledger.report_csv(first + rest, header=True)
    assert text.splitlines()[0] == ",".join(ledger.REPORT_COLUMNS) and len(text.splitlines()) == 4
    assert db.read(ledger.report_page, shop, ledger.parse_report_window({"from": "2999-01-01"}), None) == []
    assert db.read(ledger.report_page, shop, ledger.parse_report_window({"from": "2026-02-01", "to": "2026-01-01"}), None) == []
    with pytest.raises(InvalidRequest):
        ledger.parse_report_window({"to": "tomorrow"})


def test_a_partial_capture_releases_the_rest_and_its_fee(shop, bank):
    pid = pay(shop, bank, 50000)  # fee 1300: 2 % + ₹3
    db.unit_of_work(payments.capture_payment, pid, shop, {"amount": 30000})  # fee on 30000: 900
    release = [t for t in txns(shop) if t["type"] == "capture_release"]
    assert [(t["source"], t["amount"], t["fee"], t["net"], t["status"]) for t in release] == [(pid, -20000, -400, -19600, "pending")]
    assert balance(shop)["pending"] == {"INR": 30000 - 900}
    assert db.read(ledger.verify, shop) == []
    db.unit_of_work(lambda: LedgerEntry.delete().where(LedgerEntry.id == release[0]["id"]).execute())
    db.unit_of_work(lambda: LedgerLine.delete().where(LedgerLine.entry == release[0]["id"]).execute())
    assert any(v.startswith("partially captured payments") and pid in v for v in db.read(ledger.verify, shop))
    db.unit_of_work(ledger.book_history)
    assert db.read(ledger.verify, shop) == []
    assert mature(shop) == 2  # the payment and its capture release, in one release entry
    assert balance(shop) == {"available": {"INR": 30000 - 900}, "pending": {"INR": 0}, "in_transit": {"INR": 0}}
    assert db.read(ledger.verify, shop) == []


def test_a_partial_capture_after_the_release_comes_off_available(shop, bank):
    pid = pay(shop, bank, 50000)
    mature(shop)
    db.unit_of_work(payments.capture_payment, pid, shop, {"amount": 30000})
    (release,) = [t for t in txns(shop) if t["type"] == "capture_release"]
    assert (release["net"], release["status"]) == (-19600, "available")
    assert balance(shop) == {"available": {"INR": 30000 - 900}, "pending": {"INR": 0}, "in_transit": {"INR": 0}}
    assert db.read(ledger.verify, shop) == []


def test_verify_finds_a_release_that_does_not_add_up_and_one_left_pending(shop, bank):
    first = pay(shop, bank, 10000)
    mature(shop)
    db.unit_of_work(lambda: LedgerEntry.update(released_by=None).where(LedgerEntry.source == first).execute())  # forgotten by its release
    found = db.read(ledger.verify, shop)
    assert any(v.startswith("release entries whose amount differs") for v in found)
    assert any(v.startswith("transactions left pending by a release pass") for v in found)
    assert any(v.startswith("accounts whose pending balance differs") for v in found)


def test_two_concurrent_passes_release_each_transaction_once(shop, bank):
    import concurrent.futures as cf
    import threading

    pids = [pay(shop, bank, 10000 + i) for i in range(8)]
    start = threading.Barrier(2)
    at = utcnow() + LATER

    def one_pass():
        start.wait(10)
        return db.unit_of_work(ledger.release_account, shop, "INR", at, 3, False)  # small batches: several passes each

    with cf.ThreadPoolExecutor(2) as pool:
        while any([f.result(timeout=60) for f in [pool.submit(one_pass), pool.submit(one_pass)]]):
            pass
    released = db.read(lambda: list(LedgerEntry.select().where((LedgerEntry.merchant == shop) & (LedgerEntry.type == "payment"))))
    assert len(released) == len(pids) and all(e.released_by and e.released_by != e.id for e in released)
    assert balance(shop)["pending"] == {"INR": 0}
    assert db.read(ledger.verify, shop) == []


def test_the_report_chunks_chain_by_key_across_a_full_last_page(shop, bank, monkeypatch):
    import csv
    import io

    monkeypatch.setattr(ledger, "REPORT_PAGE", 2)
    pids = [pay(shop, bank, 10000 + i) for i in range(4)]
    mature(shop)
    window, key, text, chunks = ledger.parse_report_window({}), None, "", 0
    while True:
        part, key, more = db.read(ledger.report_chunk, shop, window, key, chunks == 0)
        text, chunks = text + part, chunks + 1
        if not more:
            break
    assert chunks == 3  # two full pages, then an empty one that ends it
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["source"] for r in rows] == pids and all(r["status"] == "available" for r in rows)
    shown = {t["id"]: t for t in txns(shop)}
    assert all((r["created_at"], r["available_on"]) == (shown[r["id"]]["created_at"], shown[r["id"]]["available_on"]) for r in rows)
    assert db.read(ledger.verify, shop) == []


def test_verify_finds_journal_rows_whose_merchant_is_gone_or_not_their_entrys(shop, bank):
    """What the dropped foreign keys guaranteed (models.journal_merchant), now proven by verify."""
    ghost = "00000000-0000-4000-8000-00000000dead"  # no such merchant
    pid = pay(shop, bank)
    entry = db.read(lambda: LedgerEntry.get(LedgerEntry.source == pid))
    line_ids = db.read(lambda: [r.id for r in LedgerLine.select(LedgerLine.id).where(LedgerLine.entry == entry.journal).order_by(LedgerLine.id)])
    move_line = lambda m: db.unit_of_work(lambda: LedgerLine.update(merchant=m).where(LedgerLine.id == line_ids[0]).execute())  # noqa: E731
    move_line(ghost)
    found = db.read(ledger.verify, shop)
    assert any(v.startswith("lines whose merchant or currency is not their entry's") and str(line_ids[0]) in v for v in found), found
    assert any(v.startswith("lines whose merchant does not exist") and str(line_ids[0]) in v for v in db.read(ledger.verify, ghost))
    assert any(v.startswith("lines whose merchant does not exist") for v in db.read(ledger.verify))  # the whole ledger too
    move_line(shop)
    db.unit_of_work(lambda: LedgerEntry.update(merchant=ghost).where(LedgerEntry.id == entry.id).execute())
    found = db.read(ledger.verify, ghost)
    assert any(v.startswith("entries whose merchant does not exist") and entry.id in v for v in found), found
    assert any(v.startswith("lines whose merchant or currency is not their entry's") for v in found)
    db.unit_of_work(lambda: LedgerEntry.update(merchant=shop).where(LedgerEntry.id == entry.id).execute())
    assert db.read(ledger.verify, shop) == []


def test_payments_settling_together_post_one_pooled_journal_entry(shop, bank):
    """A settlement batch's payments of one merchant: one line per account for all of them (their
    sums) under one jrnl_ id, and still one balance transaction each; verify proves the pool."""
    made = []
    for amount in (10000, 25000, 40000):
        order = db.unit_of_work(orders.create_order, shop, {"amount": amount})
        made.append(db.unit_of_work(payments.create_payment, {"order_id": order.id, "method": "upi", "vpa": "a@okbank"}, bank, shop).data["id"])
    assert len(db.unit_of_work(payments.settle_due_payments, 10, made)) == 3
    entries = db.read(lambda: list(LedgerEntry.select().where(LedgerEntry.source.in_(made))))
    (journal,) = {e.journal for e in entries}
    assert journal.startswith("jrnl_") and len(entries) == 3
    fees_ = [500, 800, 1100]  # 2 % + ₹3 of each
    assert sorted(e.fee for e in entries) == fees_
    lines = db.read(lambda: sorted((l.account, l.amount) for l in LedgerLine.select().where(LedgerLine.entry == journal)))
    assert lines == [("bank_clearing", -75000), ("fee_revenue", sum(fees_)), ("pending", 75000 - sum(fees_))]
    assert balance(shop)["pending"] == {"INR": 75000 - sum(fees_)} and db.read(ledger.verify, shop) == []

    one = entries[0]  # a consistent edit of one transaction (net = amount − fee still holds) no longer matches the pool's lines
    db.unit_of_work(lambda: LedgerEntry.update(fee=one.fee + 1, net=one.net - 1).where(LedgerEntry.id == one.id).execute())
    found = db.read(ledger.verify, shop)
    assert any(v.startswith("journal entries whose lines on pending or available differ") and journal in v for v in found), found
    db.unit_of_work(lambda: LedgerEntry.update(fee=one.fee, net=one.net).where(LedgerEntry.id == one.id).execute())
    db.unit_of_work(lambda: LedgerEntry.update(journal=None).where(LedgerEntry.journal == journal).execute())  # lines nobody names
    found = db.read(ledger.verify, shop)
    assert any(v.startswith("lines without an entry") for v in found), found
    assert any(v.startswith("entries without lines") for v in found), found
