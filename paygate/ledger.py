"""The double-entry ledger: every money movement is one journal entry whose lines sum to zero.

Entries are written in the same transaction as the state change that causes them (a payment's
success and a refund's processing in the batched settlement functions, a settlement's creation,
payment and failure), with two multi-row INSERTs per batch (:class:`Journal`). They are never
updated or deleted; a correction is a new entry. Balances are queries over the lines, never a
stored counter, and ``ledger verify`` (:func:`verify`) proves every invariant over the database.

Accounts, per merchant and currency (a line names its merchant even on the gateway's accounts,
so the gateway's fee revenue from one merchant is that merchant's fees):

    balance        what the gateway owes the merchant. A line is *pending* until its
                   ``available_on`` and *available* from then on, so funds mature at their time
                   without any entry having to be written at that moment.
    in_transit     paid out in a settlement the bank has not yet confirmed.
    fee_revenue    the gateway's fees (the merchant's fees).
    bank_clearing  the outside world: money arrives from the acquirer and leaves to the
                   merchant's bank through it.

Entries (signs: + credits the account's holder, − debits it):

    payment      bank_clearing −gross, balance +net (pending until available_on), fee_revenue +fee
    capture_release  a partial capture: bank_clearing +uncaptured, balance −uncaptured +fee back,
                 fee_revenue −fee back (the fee is recomputed on the captured amount)
    refund       balance −amount (available at once; may go negative, carried), bank_clearing +amount
                 (the fee is not returned)
    adjustment   balance ±amount, bank_clearing ∓amount
    (settlement entries are written by settlements.py with :class:`Journal`)

The entries that move a merchant's balance are its balance transactions (``txn_…``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, Case, fn

from . import config, ids
from .clock import after, db_datetime, iso, utcnow
from .db import insert_rows
from .errors import InvalidRequest
from .fees import fee, prices_for
from .models import LedgerEntry, LedgerLine, Payment, Refund, Settlement
from .money import MAX_AMOUNT, parse_currency
from .paging import cursor_page, parse_choice, parse_cursor, parse_time
from .states import PaymentStatus, RefundStatus, SettlementStatus
from .text import parse_text


class Account:
    BALANCE = "balance"
    IN_TRANSIT = "in_transit"
    FEE_REVENUE = "fee_revenue"
    BANK_CLEARING = "bank_clearing"
    ALL = (BALANCE, IN_TRANSIT, FEE_REVENUE, BANK_CLEARING)


class EntryType:
    PAYMENT = "payment"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    SETTLEMENT = "settlement"  # available → in_transit
    SETTLEMENT_PAID = "settlement_paid"  # in_transit → bank_clearing (not a balance transaction)
    SETTLEMENT_FAILURE = "settlement_failure"  # in_transit → balance, available again
    CAPTURE_RELEASE = "capture_release"  # a partial capture: the part not captured never settles
    ALL = (PAYMENT, REFUND, ADJUSTMENT, SETTLEMENT, SETTLEMENT_PAID, SETTLEMENT_FAILURE, CAPTURE_RELEASE)
    BALANCE_TRANSACTIONS = (PAYMENT, REFUND, ADJUSTMENT, SETTLEMENT, SETTLEMENT_FAILURE, CAPTURE_RELEASE)
    SETTLEABLE = (PAYMENT, REFUND, ADJUSTMENT, SETTLEMENT_FAILURE, CAPTURE_RELEASE)  # what a settlement pays


ID_FILTER = re.compile(r"[A-Za-z0-9_]{1,32}\Z")  # a source or settlement id to filter by
SUCCESSFUL = (PaymentStatus.SUCCESS, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class UnbalancedEntry(ValueError):
    """A programming error: an entry whose lines do not sum to zero is never written."""


@dataclass
class Journal:
    """The entries of one transaction, written together by :meth:`write` (two INSERTs)."""

    entries: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)

    def add(self, merchant_id: str, currency: str, entry_type: str, source: str | None, amount: int, fee_: int,
            created_at: datetime, available_on: datetime, postings: list[tuple[str, int, datetime]]) -> dict:
        """One entry: ``postings`` are (account, amount, available_on) and must sum to zero."""
        if sum(p[1] for p in postings) != 0:
            raise UnbalancedEntry(f"{entry_type} entry for {source} does not sum to zero: {postings}")
        entry = dict(id=ids.new_id("balance_transaction"), merchant=merchant_id, currency=currency, type=entry_type, source=source,
                     amount=amount, fee=fee_, net=amount - fee_, available_on=available_on, settlement_id=None, created_at=created_at)
        self.entries.append(entry)
        for account, value, on in postings:
            self.lines.append(dict(entry=entry["id"], merchant=merchant_id, currency=currency, account=account, amount=value, available_on=on, created_at=created_at))
        return entry

    def write(self) -> None:
        insert_rows(LedgerEntry, self.entries)
        insert_rows(LedgerLine, self.lines)
        self.entries, self.lines = [], []


def available_on(at: datetime) -> datetime:
    """When money received at ``at`` can be settled: T+2 days (seconds in TEST_MODE)."""
    return after(config.current().funds_available_after_s, at)


def book_payments(journal: Journal, payments, at: datetime | None) -> None:
    """The entries of payments that succeeded at ``at`` (None: each at its ``updated_at``);
    rows with id, merchant_id, currency, method, amount. One SELECT of prices per batch."""
    if not payments:
        return
    prices = prices_for({p.merchant_id for p in payments})
    for p in payments:
        when = at or p.updated_at
        on = available_on(when)
        charged = fee(p.amount, prices[(p.merchant_id, p.method)])
        journal.add(p.merchant_id, p.currency, EntryType.PAYMENT, p.id, p.amount, charged, when, on, [
            (Account.BANK_CLEARING, -p.amount, when),
            (Account.BALANCE, p.amount - charged, on),
            (Account.FEE_REVENUE, charged, when),
        ])


def book_refund(journal: Journal, refund_id: str, merchant_id: str, currency: str, amount: int, at: datetime) -> None:
    """A processed refund: it leaves the available balance at once, fee kept."""
    journal.add(merchant_id, currency, EntryType.REFUND, refund_id, -amount, 0, at, at, [
        (Account.BALANCE, -amount, at),
        (Account.BANK_CLEARING, amount, at),
    ])


def book_capture_release(payment, captured: int, at: datetime) -> None:
    """A partial capture of a successful payment: the part not captured leaves the balance (on
    the payment's own schedule), and so does the fee on it: the fee becomes the fee of the
    captured amount at the merchant's current price, never more than was charged. Call in the
    capture's transaction."""
    original = LedgerEntry.select(LedgerEntry.fee, LedgerEntry.available_on).where((LedgerEntry.source == payment.id) & (LedgerEntry.type == EntryType.PAYMENT)).tuples().first()
    if original is None or captured >= payment.amount:
        return
    charged, on = original
    price = prices_for({payment.merchant_id})[(payment.merchant_id, payment.method)]
    returned = max(0, charged - fee(captured, price))
    released = payment.amount - captured
    journal = Journal()
    journal.add(payment.merchant_id, payment.currency, EntryType.CAPTURE_RELEASE, payment.id, -released, -returned, at, on, [
        (Account.BANK_CLEARING, released, at),
        (Account.BALANCE, returned - released, on),
        (Account.FEE_REVENUE, -returned, at),
    ])
    journal.write()


def adjust(merchant_id: str, body) -> dict:
    """A manual adjustment (operator): ``{"amount": ±minor units, "currency", "reason"}``. Call in a transaction."""
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise InvalidRequest(f"amount must be a non-zero integer of minor units within ±{MAX_AMOUNT}", field="amount")
    currency = parse_currency(body.get("currency"))
    reason = parse_text(body.get("reason"), "reason", 500)
    if not reason:
        raise InvalidRequest("reason is required", field="reason")
    now = utcnow()
    journal = Journal()
    entry = journal.add(merchant_id, currency, EntryType.ADJUSTMENT, None, amount, 0, now, now, [
        (Account.BALANCE, amount, now),
        (Account.BANK_CLEARING, -amount, now),
    ])
    journal.write()
    return balance_transaction(LedgerEntry(**entry), now)


# --- Reading: balance and balance transactions --------------------------------------------------


def balance(merchant_id: str, now: datetime | None = None) -> dict:
    """``{object: balance, available: [{amount, currency}], pending: [...], in_transit: [...]}``,
    summed from the merchant's lines by the database (one grouped query)."""
    now = now or utcnow()
    matured = LedgerLine.available_on <= now
    rows = (
        LedgerLine.select(
            LedgerLine.currency,
            fn.SUM(Case(None, [((LedgerLine.account == Account.BALANCE) & matured, LedgerLine.amount)], 0)),
            fn.SUM(Case(None, [((LedgerLine.account == Account.BALANCE) & ~matured, LedgerLine.amount)], 0)),
            fn.SUM(Case(None, [(LedgerLine.account == Account.IN_TRANSIT, LedgerLine.amount)], 0)),
        )
        .where((LedgerLine.merchant == merchant_id) & LedgerLine.account.in_([Account.BALANCE, Account.IN_TRANSIT]))
        .group_by(LedgerLine.currency)
        .order_by(LedgerLine.currency)
        .tuples()
    )
    out = {"object": "balance", "available": [], "pending": [], "in_transit": []}
    for currency, available, pending, in_transit in rows:
        out["available"].append({"amount": int(available or 0), "currency": currency})
        out["pending"].append({"amount": int(pending or 0), "currency": currency})
        out["in_transit"].append({"amount": int(in_transit or 0), "currency": currency})
    return out


def balance_transaction(e, now: datetime | None = None) -> dict:
    """Stripe's shape: ``status`` is ``available`` once ``available_on`` has passed."""
    now = now or utcnow()
    return {
        "id": e.id,
        "object": "balance_transaction",
        "type": e.type,
        "source": e.source,
        "amount": e.amount,
        "fee": e.fee,
        "net": e.net,
        "currency": e.currency,
        "status": "available" if e.available_on <= now else "pending",
        "available_on": iso(e.available_on),
        "settlement_id": e.settlement_id,
        "created_at": iso(e.created_at),
    }


def merchant_entries(merchant_id: str):
    return LedgerEntry.select().where((LedgerEntry.merchant == merchant_id) & LedgerEntry.type.in_(list(EntryType.BALANCE_TRANSACTIONS)))


def list_balance_transactions(merchant_id: str, params: dict) -> dict:
    """The merchant's balance transactions, newest first (cursor pages); filters ``type``, ``source``, ``settlement_id``."""
    cursor = parse_cursor(params)
    query = merchant_entries(merchant_id)
    kind = parse_choice("type", params.get("type"), EntryType.BALANCE_TRANSACTIONS)
    if kind:
        query = query.where(LedgerEntry.type == kind)
    for name, column in (("source", LedgerEntry.source), ("settlement_id", LedgerEntry.settlement_id)):
        value = params.get(name)
        if value is not None:
            if not isinstance(value, str) or not ID_FILTER.match(value):
                raise InvalidRequest(f"{name} must be an id: up to 32 letters, digits or _", field=name)
            query = query.where(column == value)
    now = utcnow()
    return cursor_page(query, LedgerEntry, cursor, lambda e: balance_transaction(e, now))


# --- Reports: every balance transaction of a window as CSV, page by page ---------------------

REPORT_COLUMNS = ("id", "created_at", "type", "source", "amount", "fee", "net", "currency", "status", "available_on", "settlement_id")
REPORT_PAGE = 2000  # rows per query: the export's memory stays one page, however long the window


@dataclass(frozen=True)
class ReportWindow:
    start: datetime | None
    end: datetime | None


def parse_report_window(params: dict) -> ReportWindow:
    """``from`` (inclusive) and ``to`` (exclusive) on ``created_at``; checked before streaming
    starts. A ``to`` before ``from`` is an empty window, as in every list's filters."""
    return ReportWindow(parse_time("from", params.get("from")), parse_time("to", params.get("to")))


def report_page(merchant_id: str, window: ReportWindow, after: tuple | None, limit: int = REPORT_PAGE) -> list[tuple]:
    """The next ``limit`` rows of the report (oldest first), after the (created_at, id) key
    ``after``: a keyset range scan on (merchant, created_at), never an OFFSET."""
    query = merchant_entries(merchant_id)
    if window.start:
        query = query.where(LedgerEntry.created_at >= window.start)
    if window.end:
        query = query.where(LedgerEntry.created_at < window.end)
    if after is not None:
        at, key = after
        query = query.where((LedgerEntry.created_at > at) | ((LedgerEntry.created_at == at) & (LedgerEntry.id > key)))
    fields = [getattr(LedgerEntry, c) for c in REPORT_COLUMNS if c != "status"]
    return list(query.select(*fields).order_by(LedgerEntry.created_at, LedgerEntry.id).limit(limit).tuples())


def report_csv(rows: list[tuple], now: datetime | None = None, header: bool = False) -> str:
    """CSV text of report rows: times in ISO-8601 UTC, amounts as integers of minor units."""
    now = now or utcnow()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(REPORT_COLUMNS)
    for txn_id, created_at, kind, source, amount, fee_, net, currency, on, settlement_id in rows:
        on = db_datetime(on)
        writer.writerow([txn_id, iso(created_at), kind, source or "", amount, fee_, net, currency, "available" if on <= now else "pending", iso(on), settlement_id or ""])
    return out.getvalue()


def report_key(row: tuple) -> tuple:
    """The keyset position of a report row, for the next page."""
    return db_datetime(row[1]), row[0]


# --- History: entries for what happened before the ledger existed (migration 20) ---------------

_HISTORY_BATCH = 1000


def book_history() -> None:
    """Write the entries of successful payments, partial captures and processed refunds that
    have none (an upgraded database), dated when they happened. Idempotent; batches of 1000."""
    while True:
        rows = list(_unbooked(Payment.select(Payment.id, Payment.merchant, Payment.currency, Payment.method, Payment.amount, Payment.updated_at), Payment, EntryType.PAYMENT)
                    .where(Payment.status.in_(list(SUCCESSFUL))).limit(_HISTORY_BATCH))
        if not rows:
            break
        journal = Journal()
        book_payments(journal, rows, None)
        journal.write()
    partial = Payment.captured & Payment.captured_amount.is_null(False) & (Payment.captured_amount < Payment.amount)
    for p in list(_unbooked(Payment.select(Payment), Payment, EntryType.CAPTURE_RELEASE).where(Payment.status.in_(list(SUCCESSFUL)) & partial)):
        book_capture_release(p, p.captured_amount, p.updated_at)
    while True:
        refunds = Refund.select(Refund.id, Refund.merchant, Refund.amount, Refund.processed_at, Refund.updated_at, Payment.currency).join(Payment).switch(Refund)
        rows = list(_unbooked(refunds, Refund, EntryType.REFUND).where(Refund.status == RefundStatus.PROCESSED).limit(_HISTORY_BATCH))
        if not rows:
            break
        journal = Journal()
        for r in rows:
            book_refund(journal, r.id, r.merchant_id, r.payment.currency, r.amount, r.processed_at or r.updated_at)
        journal.write()


def _unbooked(query, model, entry_type: str):
    """``query`` of ``model`` rows that have no ``entry_type`` entry (an anti-join)."""
    booked = (LedgerEntry.source == model.id) & (LedgerEntry.type == entry_type)
    return query.join(LedgerEntry, JOIN.LEFT_OUTER, on=booked).where(LedgerEntry.id.is_null())


# --- Proof: every invariant over the whole database --------------------------------------------

_SHOWN = 20  # offending ids named per invariant; the count is always exact


def _violations(name: str, query) -> list[str]:
    rows = [r[0] for r in query.tuples().limit(_SHOWN)]
    if not rows:
        return []
    return [f"{name}: {', '.join(map(str, rows))}"]


def verify(merchant_id: str | None = None) -> list[str]:
    """Every violated invariant, one line each (empty: the ledger holds). SQL aggregates only;
    ``merchant_id`` limits the proof to one merchant's rows.

    1. each entry's lines sum to zero, and every entry has lines, every line an entry;
    2. a balance transaction's ``net`` is ``amount − fee`` and equals its lines on the balance;
    3. every successful payment has exactly one payment entry, for its amount and currency, and
       no other payment has one; a partially captured one exactly one capture release; every processed refund exactly one refund entry, for minus its
       amount, and no other refund has one;
    4. the fee of a payment entry is between 0 and its gross;
    5. every settlement has exactly its entries (created; processed or failed once it is), and
       its amount is the sum of the balance transactions it paid.
    """

    def mine(model):
        return (model.merchant == merchant_id) if merchant_id is not None else True

    out: list[str] = []
    line_sum = fn.SUM(LedgerLine.amount)
    entries, lines = LedgerEntry.select(LedgerEntry.id).where(mine(LedgerEntry)), LedgerLine.select(LedgerLine.entry).where(mine(LedgerLine))
    out += _violations("entries whose lines do not sum to zero", lines.group_by(LedgerLine.entry).having(line_sum != 0))
    # anti-joins (LEFT JOIN … IS NULL), not NOT IN: both engines plan them as hash anti-joins at any size
    out += _violations("entries without lines", entries.join(LedgerLine, JOIN.LEFT_OUTER, on=(LedgerLine.entry == LedgerEntry.id)).where(LedgerLine.id.is_null()))
    out += _violations("lines without an entry", lines.join(LedgerEntry, JOIN.LEFT_OUTER, on=(LedgerEntry.id == LedgerLine.entry)).where(LedgerEntry.id.is_null()))
    out += _violations("balance transactions whose net is not amount - fee", entries.where(LedgerEntry.net != LedgerEntry.amount - LedgerEntry.fee))
    on_balance = fn.COALESCE(fn.SUM(Case(None, [(LedgerLine.account == Account.BALANCE, LedgerLine.amount)], 0)), 0)
    out += _violations(
        "balance transactions whose net differs from their balance lines",
        entries.join(LedgerLine, on=(LedgerLine.entry == LedgerEntry.id))
        .where(LedgerEntry.type.in_(list(EntryType.BALANCE_TRANSACTIONS))).group_by(LedgerEntry.id, LedgerEntry.net).having(on_balance != LedgerEntry.net),
    )
    out += _violations("payment entries with a fee outside 0..gross", entries.where((LedgerEntry.type == EntryType.PAYMENT) & ((LedgerEntry.fee < 0) | (LedgerEntry.fee > LedgerEntry.amount))))
    out += _exactly_once("payments", Payment, Payment.status.in_(list(SUCCESSFUL)), EntryType.PAYMENT, mine(Payment))
    out += _exactly_once("refunds", Refund, Refund.status == RefundStatus.PROCESSED, EntryType.REFUND, mine(Refund))
    partly_captured = (Payment.captured == True) & Payment.captured_amount.is_null(False) & (Payment.captured_amount < Payment.amount)  # noqa: E712
    out += _exactly_once("partially captured payments", Payment, partly_captured, EntryType.CAPTURE_RELEASE, mine(Payment))
    out += _violations(
        "payment entries whose amount or currency differs from the payment",
        LedgerEntry.select(LedgerEntry.source).join(Payment, on=(Payment.id == LedgerEntry.source))
        .where(mine(LedgerEntry) & (LedgerEntry.type == EntryType.PAYMENT) & ((LedgerEntry.amount != Payment.amount) | (LedgerEntry.currency != Payment.currency) | (LedgerEntry.merchant != Payment.merchant))),
    )
    out += _violations(
        "refund entries whose amount differs from the refund",
        LedgerEntry.select(LedgerEntry.source).join(Refund, on=(Refund.id == LedgerEntry.source))
        .where(mine(LedgerEntry) & (LedgerEntry.type == EntryType.REFUND) & ((LedgerEntry.amount + Refund.amount != 0) | (LedgerEntry.merchant != Refund.merchant))),
    )
    out += _exactly_once("settlements", Settlement, Settlement.status.in_(list(SettlementStatus.ALL)), EntryType.SETTLEMENT, mine(Settlement))
    out += _exactly_once("settlements", Settlement, Settlement.status == SettlementStatus.PROCESSED, EntryType.SETTLEMENT_PAID, mine(Settlement))
    out += _exactly_once("settlements", Settlement, Settlement.status == SettlementStatus.FAILED, EntryType.SETTLEMENT_FAILURE, mine(Settlement))
    paid = fn.COALESCE(fn.SUM(Case(None, [(LedgerEntry.type != EntryType.SETTLEMENT, LedgerEntry.net)], 0)), 0)
    out += _violations(
        "settlements whose amount differs from the balance transactions they paid",
        Settlement.select(Settlement.id).join(LedgerEntry, JOIN.LEFT_OUTER, on=(LedgerEntry.settlement_id == Settlement.id))
        .where(mine(Settlement)).group_by(Settlement.id, Settlement.amount).having(paid != Settlement.amount),
    )
    return out


def _exactly_once(name: str, model, booked_when, entry_type: str, scope) -> list[str]:
    """Rows of ``model`` in a booked state with other than one entry, or unbooked with any."""
    n = fn.COUNT(LedgerEntry.id)
    query = (
        model.select(model.id)
        .join(LedgerEntry, JOIN.LEFT_OUTER, on=((LedgerEntry.source == model.id) & (LedgerEntry.type == entry_type)))
        .where(scope)
        .group_by(model.id, model.status)
        .having((booked_when & (n != 1)) | (~booked_when & (n != 0)))
    )
    return _violations(f"{name} without exactly their {entry_type} entry", query)
