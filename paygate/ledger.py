"""The double-entry ledger: every money movement is one journal entry whose lines sum to zero.

Entries are written in the same transaction as the state change that causes them (a payment's
success and a refund's processing in the batched settlement functions, a settlement's creation,
payment and failure), with two multi-row INSERTs per batch (:class:`Journal`). The payments (and
the refunds) of one merchant settling in one batch are one compound journal entry: one line per
account for all of them, each still its own balance transaction (``journal`` names the entry's
lines). They are never
updated or deleted; a correction is a new entry. Balances are queries over the lines, never a
stored counter, and ``ledger verify`` (:func:`verify`) proves every invariant over the database.

Accounts, per merchant and currency (a line names its merchant even on the gateway's accounts,
so the gateway's fee revenue from one merchant is that merchant's fees):

    pending        owed to the merchant, not yet matured: a payment's net until it is released.
    available      owed to the merchant and payable: what a settlement pays out. It may go
                   negative (refunds beyond what is available): carried, never paid out.
    in_transit     paid out in a settlement the bank has not yet confirmed.
    fee_revenue    the gateway's fees (the merchant's fees).
    bank_clearing  the outside world: money arrives from the acquirer and leaves to the
                   merchant's bank through it.

Entries (signs: + credits the account's holder, − debits it):

    payment      bank_clearing −gross, pending +net, fee_revenue +fee (pooled: the payments of a
                 merchant and currency that succeed in one settlement batch post these three
                 lines once, with their sums, under one ``jrnl_…`` journal entry)
    release      pending −S, available +S: the matured payments (and capture releases) of one
                 merchant and currency, released together by a pass (:func:`release_due`, the
                 due loop; :func:`release_matured`, the start of a settlement run). S is the sum
                 of the nets of the balance transactions it marks (their ``released_by``).
    capture_release  a partial capture: bank_clearing +uncaptured, pending (or available, when
                 the payment is already released) −uncaptured +fee back, fee_revenue −fee back
                 (the fee is recomputed on the captured amount)
    refund       available −amount (at once; may go negative, carried), bank_clearing +amount
                 (the fee is not returned; pooled like payments)
    adjustment   available ±amount, bank_clearing ∓amount
    (settlement entries are written by settlements.py with :class:`Journal`: available →
    in_transit → bank_clearing, or back to available when the bank returns it)

The entries that move a merchant's balance are its balance transactions (``txn_…``); a
release is not one (it moves money between two of the merchant's own accounts), but it turns
the status of the transactions it marks from ``pending`` to ``available``.

Releasing is a claim, like a settlement's: ``UPDATE … SET released_by = <release> WHERE
released_by IS NULL AND available_on <= now``, at most :data:`RELEASE_BATCH` rows at a time, under a
per-(merchant, currency) advisory lock on PostgreSQL (the due loop skips an account another
process is releasing; a settlement run waits for it) and the IMMEDIATE transaction on SQLite. A
transaction is released once: its ``released_by`` is written once, under the row lock, and a
killed pass rolls back and released nothing.
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
from . import db
from .db import insert_rows, is_postgres
from .errors import InvalidRequest
from .fees import fee, prices_for
from .models import LedgerEntry, LedgerLine, Merchant, Payment, Refund, Settlement
from .money import MAX_AMOUNT, parse_currency
from .paging import cursor_page, parse_choice, parse_cursor, parse_time
from .states import PaymentStatus, RefundStatus, SettlementStatus
from .text import parse_text


class Account:
    PENDING = "pending"
    AVAILABLE = "available"
    IN_TRANSIT = "in_transit"
    FEE_REVENUE = "fee_revenue"
    BANK_CLEARING = "bank_clearing"
    ALL = (PENDING, AVAILABLE, IN_TRANSIT, FEE_REVENUE, BANK_CLEARING)
    MERCHANT = (PENDING, AVAILABLE)  # what the gateway owes the merchant (before it leaves)


class EntryType:
    PAYMENT = "payment"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    SETTLEMENT = "settlement"  # available → in_transit
    SETTLEMENT_PAID = "settlement_paid"  # in_transit → bank_clearing (not a balance transaction)
    SETTLEMENT_FAILURE = "settlement_failure"  # in_transit → balance, available again
    CAPTURE_RELEASE = "capture_release"  # a partial capture: the part not captured never settles
    RELEASE = "release"  # pending → available: matured funds (not a balance transaction)
    ALL = (PAYMENT, REFUND, ADJUSTMENT, SETTLEMENT, SETTLEMENT_PAID, SETTLEMENT_FAILURE, CAPTURE_RELEASE, RELEASE)
    PENDING_FIRST = (PAYMENT, CAPTURE_RELEASE)  # may wait on pending for a release; every other entry never pends
    BALANCE_TRANSACTIONS = (PAYMENT, REFUND, ADJUSTMENT, SETTLEMENT, SETTLEMENT_FAILURE, CAPTURE_RELEASE)
    SETTLEABLE = (PAYMENT, REFUND, ADJUSTMENT, SETTLEMENT_FAILURE, CAPTURE_RELEASE)  # what a settlement pays


ID_FILTER = re.compile(r"[A-Za-z0-9_]{1,32}\Z")  # a source or settlement id to filter by
SUCCESSFUL = (PaymentStatus.SUCCESS, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class UnbalancedEntry(ValueError):
    """A programming error: an entry whose lines do not sum to zero is never written."""


@dataclass
class Journal:
    """The entries of one transaction, written together by :meth:`write` (two INSERTs).

    A *pooled* entry (:meth:`add` with ``pooled``) has no lines of its own: its postings are added
    to those of the other pooled entries of the same merchant, currency, type and time in this journal,
    and :meth:`write` posts their sums, one line per account and date, under one journal id
    (``jrnl_…``) that each of them names in ``journal``. A batch of payments settling together is
    thus one compound journal entry (its lines sum to zero, as every entry's do) and still one
    balance transaction per payment. An entry that is not pooled posts its own lines under its
    own id (``journal`` NULL)."""

    entries: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    pools: dict[tuple, tuple[str, dict]] = field(default_factory=dict)

    def add(self, merchant_id: str, currency: str, entry_type: str, source: str | None, amount: int, fee_: int,
            created_at: datetime, available_on: datetime, postings: list[tuple[str, int, datetime]],
            pending: bool = False, entry_id: str | None = None, pooled: bool = False) -> dict:
        """One entry: ``postings`` are (account, amount, available_on) and must sum to zero.
        ``pending``: its net waits on the pending account for a release (``released_by`` NULL);
        otherwise the entry is its own release (``released_by`` = its id). ``pooled``: see the class."""
        if sum(p[1] for p in postings) != 0:
            raise UnbalancedEntry(f"{entry_type} entry for {source} does not sum to zero: {postings}")
        entry_id = entry_id or ids.new_ordered_id("balance_transaction")
        journal_id = None
        if pooled:
            key = (merchant_id, currency, entry_type, created_at)
            if (pool := self.pools.get(key)) is None:
                pool = self.pools[key] = (ids.new_ordered_id("journal"), {})
            journal_id, sums = pool
            for account, value, on in postings:
                sums[account, on] = sums.get((account, on), 0) + value
        entry = dict(id=entry_id, merchant=merchant_id, currency=currency, type=entry_type, source=source,
                     amount=amount, fee=fee_, net=amount - fee_, available_on=available_on, settlement_id=None,
                     released_by=None if pending else entry_id, journal=journal_id, created_at=created_at)
        self.entries.append(entry)
        if not pooled:
            self._post(entry_id, merchant_id, currency, created_at, postings)
        return entry

    def _post(self, journal_id: str, merchant_id: str, currency: str, created_at: datetime, postings) -> None:
        for account, value, on in postings:
            self.lines.append(dict(entry=journal_id, merchant=merchant_id, currency=currency, account=account, amount=value, available_on=on, created_at=created_at))

    def write(self) -> None:
        for (merchant_id, currency, _, created_at), (journal_id, sums) in self.pools.items():
            self._post(journal_id, merchant_id, currency, created_at, [(account, value, on) for (account, on), value in sums.items()])
        insert_rows(LedgerEntry, self.entries)
        insert_rows(LedgerLine, self.lines)
        self.entries, self.lines, self.pools = [], [], {}


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
            (Account.PENDING, p.amount - charged, on),
            (Account.FEE_REVENUE, charged, when),
        ], pending=True, pooled=True)


def book_refund(journal: Journal, refund_id: str, merchant_id: str, currency: str, amount: int, at: datetime) -> None:
    """A processed refund: it leaves the available balance at once, fee kept."""
    journal.add(merchant_id, currency, EntryType.REFUND, refund_id, -amount, 0, at, at, [
        (Account.AVAILABLE, -amount, at),
        (Account.BANK_CLEARING, amount, at),
    ], pooled=True)


def book_capture_release(payment, captured: int, at: datetime) -> None:
    """A partial capture of a successful payment: the part not captured leaves the balance (on
    the payment's own schedule: from pending while the payment is, from available once it is
    released), and so does the fee on it: the fee becomes the fee of the captured amount at the
    merchant's current price, never more than was charged. Call in the capture's transaction.

    A release committing meanwhile is no harm: an entry booked on pending is released by the
    next pass, like any pending transaction."""
    original = (LedgerEntry.select(LedgerEntry.fee, LedgerEntry.available_on, LedgerEntry.released_by)
                .where((LedgerEntry.source == payment.id) & (LedgerEntry.type == EntryType.PAYMENT)).tuples().first())
    if original is None or captured >= payment.amount:
        return
    charged, on, released_by = original
    account = Account.PENDING if released_by is None else Account.AVAILABLE
    price = prices_for({payment.merchant_id})[(payment.merchant_id, payment.method)]
    returned = max(0, charged - fee(captured, price))
    released = payment.amount - captured
    journal = Journal()
    journal.add(payment.merchant_id, payment.currency, EntryType.CAPTURE_RELEASE, payment.id, -released, -returned, at, on, [
        (Account.BANK_CLEARING, released, at),
        (account, returned - released, on),
        (Account.FEE_REVENUE, -returned, at),
    ], pending=account == Account.PENDING)
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
        (Account.AVAILABLE, amount, now),
        (Account.BANK_CLEARING, -amount, now),
    ])
    journal.write()
    return balance_transaction(LedgerEntry(**entry))


# --- Releasing matured funds: pending → available ----------------------------------------------

RELEASE_BATCH = 10_000  # balance transactions one release entry marks at most


def _releasable(now: datetime):
    """Pending (never released) and matured by ``now``: served by the (released_by, available_on) index."""
    return LedgerEntry.released_by.is_null() & (LedgerEntry.available_on <= now)


def releasable_accounts(now: datetime) -> list[tuple[str, str]]:
    """(merchant, currency) pairs with matured funds still pending."""
    return sorted(LedgerEntry.select(LedgerEntry.merchant, LedgerEntry.currency).where(_releasable(now)).distinct().tuples())


def release_account(merchant_id: str, currency: str, now: datetime, limit: int = RELEASE_BATCH, wait: bool = True) -> int | None:
    """Release up to ``limit`` of the account's matured pending transactions, oldest first, with
    one ``release`` entry that marks them; how many it released (None: another process holds
    the account and ``wait`` is False). Call inside a transaction.

    The entry's ``available_on`` is how far it released: ``now`` when it took every matured
    transaction, else the latest ``available_on`` it took (the rest, no earlier, come next)."""
    if is_postgres():
        key = (f"release:{merchant_id}:{currency}",)
        if wait:
            db.database.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", key)
        elif not db.database.execute_sql("SELECT pg_try_advisory_xact_lock(hashtext(%s))", key).fetchone()[0]:
            return None
    release_id = ids.new_ordered_id("balance_transaction")
    mine = (LedgerEntry.merchant == merchant_id) & (LedgerEntry.currency == currency) & _releasable(now)
    batch = LedgerEntry.select(LedgerEntry.id).where(mine).order_by(LedgerEntry.available_on).limit(limit)
    claim = LedgerEntry.update(released_by=release_id).where(LedgerEntry.id.in_(batch) & LedgerEntry.released_by.is_null())
    claimed = list(claim.returning(LedgerEntry.net, LedgerEntry.available_on).tuples().execute())
    if not claimed:
        return 0
    total = sum(int(net) for net, _ in claimed)
    through = now if len(claimed) < limit else max(db_datetime(on) for _, on in claimed)
    journal = Journal()
    journal.add(merchant_id, currency, EntryType.RELEASE, None, total, 0, now, through, [
        (Account.PENDING, -total, through),
        (Account.AVAILABLE, total, now),
    ], entry_id=release_id)
    journal.write()
    return len(claimed)


def release_matured(merchant_id: str, currency: str, now: datetime) -> int:
    """Every matured pending transaction of the account, batch after batch, waiting for any
    other releaser (the start of a settlement run: it never misses matured funds)."""
    total = 0
    while (n := release_account(merchant_id, currency, now, RELEASE_BATCH, wait=True)) == RELEASE_BATCH:
        total += n
    return total + (n or 0)


def release_due(limit: int = RELEASE_BATCH, now: datetime | None = None) -> list[int]:
    """The due loop's release step: one batch per account with matured funds, skipping accounts
    another process is releasing. How many each release took (a full batch: more is due)."""
    now = now or utcnow()
    done = [release_account(m, c, now, limit, wait=False) for m, c in releasable_accounts(now)]
    return [n for n in done if n]


def next_release_at() -> datetime | None:
    """When the earliest pending transaction matures (None: nothing pending)."""
    return db_datetime(LedgerEntry.select(fn.MIN(LedgerEntry.available_on)).where(LedgerEntry.released_by.is_null()).scalar())


# --- Reading: balance and balance transactions --------------------------------------------------


def balance(merchant_id: str) -> dict:
    """``{object: balance, available: [{amount, currency}], pending: [...], in_transit: [...]}``,
    summed from the merchant's lines on those accounts by the database (one grouped query)."""
    rows = (
        LedgerLine.select(
            LedgerLine.currency,
            fn.SUM(Case(None, [(LedgerLine.account == Account.AVAILABLE, LedgerLine.amount)], 0)),
            fn.SUM(Case(None, [(LedgerLine.account == Account.PENDING, LedgerLine.amount)], 0)),
            fn.SUM(Case(None, [(LedgerLine.account == Account.IN_TRANSIT, LedgerLine.amount)], 0)),
        )
        .where((LedgerLine.merchant == merchant_id) & LedgerLine.account.in_([Account.AVAILABLE, Account.PENDING, Account.IN_TRANSIT]))
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


def status_of(released_by) -> str:
    """A balance transaction is ``available`` once released (or born available), else ``pending``."""
    return "pending" if released_by is None else "available"


def balance_transaction(e) -> dict:
    """Stripe's shape: ``status`` is ``available`` once a release has marked it (see the module docstring)."""
    return {
        "id": e.id,
        "object": "balance_transaction",
        "type": e.type,
        "source": e.source,
        "amount": e.amount,
        "fee": e.fee,
        "net": e.net,
        "currency": e.currency,
        "status": status_of(e.released_by),
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
    return cursor_page(query, LedgerEntry, cursor, balance_transaction)


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
        # ``created_at >= at`` is the index condition that starts the range scan at the key (the
        # OR alone is only a filter: each page would rescan every row before it, quadratic)
        query = query.where((LedgerEntry.created_at >= at) & ((LedgerEntry.created_at > at) | (LedgerEntry.id > key)))
    fields = [LedgerEntry.released_by if c == "status" else getattr(LedgerEntry, c) for c in REPORT_COLUMNS]
    # the driver's rows as they come (no model conversion per value: at a million rows it is most
    # of the export's CPU); times are datetimes on PostgreSQL, the stored text on SQLite
    cursor = db.database.execute(query.select(*fields).order_by(LedgerEntry.created_at, LedgerEntry.id).limit(limit))
    return cursor.fetchall()


def _stamp(value) -> str:
    """``iso`` for a report cell, fast on what the drivers hand back: a naive UTC datetime
    (PostgreSQL) or the stored ``YYYY-MM-DD HH:MM:SS[.ffffff]`` text (SQLite)."""
    if isinstance(value, str):
        if len(value) >= 19 and value[10] == " " and len(value) in (19, 26):
            return f"{value[:10]}T{value[11:19]}Z"
    elif value.tzinfo is None:
        return value.isoformat(timespec="seconds") + "Z"
    return iso(value)


def report_csv(rows: list[tuple], header: bool = False) -> str:
    """CSV text of report rows: times in ISO-8601 UTC, amounts as integers of minor units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(REPORT_COLUMNS)
    writer.writerows(
        (txn_id, _stamp(created_at), kind, source or "", amount, fee_, net, currency, "pending" if released_by is None else "available", _stamp(on), settlement_id or "")
        for txn_id, created_at, kind, source, amount, fee_, net, currency, released_by, on, settlement_id in rows
    )
    return out.getvalue()


def report_chunk(merchant_id: str, window: ReportWindow, after: tuple | None, header: bool = False) -> tuple[str, tuple | None, bool]:
    """One page of the report as CSV text, the key of its last row, and whether more may follow."""
    rows = report_page(merchant_id, window, after, REPORT_PAGE)
    return report_csv(rows, header=header), (report_key(rows[-1]) if rows else None), len(rows) == REPORT_PAGE


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

    1. each journal entry's lines sum to zero, every entry has lines (its own, or its pooled
       journal's: :class:`Journal`), and every line belongs to an entry or a pooled journal;
    2. a balance transaction's ``net`` is ``amount − fee``;
    3. every successful payment has exactly one payment entry, for its amount and currency, and
       no other payment has one; a partially captured one exactly one capture release; every processed refund exactly one refund entry, for minus its
       amount, and no other refund has one;
    4. the fee of a payment entry is between 0 and its gross;
    5. every settlement has exactly its entries (created; processed or failed once it is), and
       its amount is the sum of the balance transactions it paid;
    6. pending and available are separate: a transaction born available (refund, adjustment,
       settlement, settlement failure, or a capture release of a released payment) has its net
       on available and nothing on pending; one that pends has its net on pending and nothing
       on available (summed per journal entry: a pooled journal's lines hold the sums of its
       transactions' nets); only payments and capture releases ever pend;
    7. releases (see :func:`_releases`): each merchant's pending balance equals the nets of its
       unreleased transactions; every release entry moves exactly the nets it marks, and every
       mark names a release entry of the same merchant and currency written no earlier than the
       transaction matured; after a release pass, no transaction of that account that had
       matured (and was booked) before it is left pending;
    8. what the dropped foreign keys guaranteed (``models.journal_merchant``): every entry's and
       every line's merchant exists, and each line's merchant and currency are its entry's.
    """

    def mine(model):
        return (model.merchant == merchant_id) if merchant_id is not None else True

    out: list[str] = []
    line_sum = fn.SUM(LedgerLine.amount)
    entries, lines = LedgerEntry.select(LedgerEntry.id).where(mine(LedgerEntry)), LedgerLine.select(LedgerLine.entry).where(mine(LedgerLine))
    out += _violations("entries whose lines do not sum to zero", lines.group_by(LedgerLine.entry).having(line_sum != 0))
    # anti-joins (LEFT JOIN … IS NULL), not NOT IN: both engines plan them as hash anti-joins at any size
    out += _violations("entries without lines", entries.join(LedgerLine, JOIN.LEFT_OUTER, on=(LedgerLine.entry == JOURNAL)).where(LedgerLine.id.is_null()))
    pooled = LedgerEntry.select(LedgerEntry.journal.alias("id")).where(mine(LedgerEntry) & LedgerEntry.journal.is_null(False)).distinct().alias("pooled")
    out += _violations(
        "lines without an entry",
        lines.join(LedgerEntry, JOIN.LEFT_OUTER, on=(LedgerEntry.id == LedgerLine.entry)).switch(LedgerLine)
        .join(pooled, JOIN.LEFT_OUTER, on=(pooled.c.id == LedgerLine.entry)).where(LedgerEntry.id.is_null() & pooled.c.id.is_null()),
    )
    out += _violations("balance transactions whose net is not amount - fee", entries.where(LedgerEntry.net != LedgerEntry.amount - LedgerEntry.fee))
    out += _violations("journal entries whose lines on pending or available differ from their balance transactions' nets", _nets_against_lines(mine))
    out += _releases(merchant_id, mine, entries)
    out += _merchants(mine)
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


JOURNAL = fn.COALESCE(LedgerEntry.journal, LedgerEntry.id)  # the journal entry whose lines post an entry


def _on(account: str):
    return fn.COALESCE(fn.SUM(Case(None, [(LedgerLine.account == account, LedgerLine.amount)], 0)), 0)


def _nets_against_lines(mine):
    """Per journal entry (see :func:`verify`, 6): its lines on pending hold the nets of its
    balance transactions that pend, its lines on available the nets of those born available."""
    born_available = fn.COALESCE(LedgerEntry.released_by, "") == LedgerEntry.id
    nets = (LedgerEntry.select(JOURNAL.alias("id"),
                               fn.SUM(Case(None, [(born_available, LedgerEntry.net)], 0)).alias("available"),
                               fn.SUM(Case(None, [(born_available, 0)], LedgerEntry.net)).alias("pending"))
            .where(mine(LedgerEntry) & LedgerEntry.type.in_(list(EntryType.BALANCE_TRANSACTIONS))).group_by(JOURNAL).alias("nets"))
    posted = (LedgerLine.select(LedgerLine.entry.alias("id"), _on(Account.AVAILABLE).alias("available"), _on(Account.PENDING).alias("pending"))
              .where(mine(LedgerLine)).group_by(LedgerLine.entry).alias("posted"))
    return (nets.select_from(nets.c.id).join(posted, on=(posted.c.id == nets.c.id))
            .where((posted.c.available != nets.c.available) | (posted.c.pending != nets.c.pending)))


def _merchants(mine) -> list[str]:
    """The journals' references to merchants (see :func:`verify`, 8): anti-joins on the primary
    key, and the line-to-entry join that invariant 1 already makes."""
    out: list[str] = []
    for name, model, key in (("entries", LedgerEntry, LedgerEntry.id), ("lines", LedgerLine, LedgerLine.id)):
        orphans = (model.select(key).join(Merchant, JOIN.LEFT_OUTER, on=(Merchant.id == model.merchant))
                   .where(mine(model) & Merchant.id.is_null()))
        out += _violations(f"{name} whose merchant does not exist", orphans)
    out += _violations(
        "lines whose merchant or currency is not their entry's",
        LedgerEntry.select(LedgerLine.id).join(LedgerLine, on=(LedgerLine.entry == JOURNAL))
        .where((mine(LedgerLine) | mine(LedgerEntry)) & ((LedgerLine.merchant != LedgerEntry.merchant) | (LedgerLine.currency != LedgerEntry.currency))),
    )
    return out


def _releases(merchant_id: str | None, mine, entries) -> list[str]:
    """The invariants of releasing (see :func:`verify`, 7)."""
    out: list[str] = []
    out += _violations(
        "entries that can never pend but are not their own release",
        entries.where(LedgerEntry.type.not_in(list(EntryType.PENDING_FIRST)) & (fn.COALESCE(LedgerEntry.released_by, "") != LedgerEntry.id)),
    )
    on_pending, on_available = _on(Account.PENDING), _on(Account.AVAILABLE)
    out += _violations(
        "release entries that do not move their amount from pending to available",
        entries.join(LedgerLine, on=(LedgerLine.entry == LedgerEntry.id)).where(LedgerEntry.type == EntryType.RELEASE)
        .group_by(LedgerEntry.id, LedgerEntry.net).having((on_available != LedgerEntry.net) | (on_pending + LedgerEntry.net != 0)),
    )
    out += _violations("payments that skipped pending", entries.where((LedgerEntry.type == EntryType.PAYMENT) & (LedgerEntry.released_by == LedgerEntry.id)))
    pending_lines = LedgerLine.select(LedgerLine.merchant, LedgerLine.currency, fn.SUM(LedgerLine.amount)).where(mine(LedgerLine) & (LedgerLine.account == Account.PENDING))
    unreleased = LedgerEntry.select(LedgerEntry.merchant, LedgerEntry.currency, fn.SUM(LedgerEntry.net)).where(mine(LedgerEntry) & LedgerEntry.released_by.is_null())
    on_lines = {(m, c): int(v or 0) for m, c, v in pending_lines.group_by(LedgerLine.merchant, LedgerLine.currency).tuples()}
    owed = {(m, c): int(v or 0) for m, c, v in unreleased.group_by(LedgerEntry.merchant, LedgerEntry.currency).tuples()}
    differ = sorted(f"{m}/{c} ({on_lines.get((m, c), 0)} on pending, {owed.get((m, c), 0)} unreleased)"
                    for m, c in set(on_lines) | set(owed) if on_lines.get((m, c), 0) != owed.get((m, c), 0))
    if differ:
        out.append(f"accounts whose pending balance differs from their unreleased transactions: {', '.join(differ[:_SHOWN])}")
    release = LedgerEntry.alias("rel")  # not "release": a keyword of SQLite
    marked = LedgerEntry.select(LedgerEntry.released_by.alias("release_id"), fn.SUM(LedgerEntry.net).alias("total")).where(
        mine(LedgerEntry) & LedgerEntry.released_by.is_null(False) & (LedgerEntry.released_by != LedgerEntry.id)
    ).group_by(LedgerEntry.released_by).alias("marked")
    out += _violations(
        "release entries whose amount differs from the transactions they mark",
        release.select(release.id).join(marked, JOIN.LEFT_OUTER, on=(marked.c.release_id == release.id))
        .where(((release.merchant == merchant_id) if merchant_id is not None else True) & (release.type == EntryType.RELEASE))
        .where(marked.c.total.is_null() | (marked.c.total != release.net)),
    )
    right_release = (release.id == LedgerEntry.released_by) & (release.type == EntryType.RELEASE) & (release.merchant == LedgerEntry.merchant) & (release.currency == LedgerEntry.currency)
    out += _violations(
        "transactions marked released by no release of their account, or before they matured",
        entries.join(release, JOIN.LEFT_OUTER, on=right_release)
        .where(LedgerEntry.released_by.is_null(False) & (LedgerEntry.released_by != LedgerEntry.id))
        .where(release.id.is_null() | (release.created_at < LedgerEntry.available_on)),
    )
    passed = (release.merchant == LedgerEntry.merchant) & (release.currency == LedgerEntry.currency) & (release.type == EntryType.RELEASE)
    out += _violations(
        "transactions left pending by a release pass after they matured",
        entries.join(release, on=passed & (LedgerEntry.available_on < release.available_on) & (LedgerEntry.created_at < release.created_at))
        .where(LedgerEntry.released_by.is_null()).distinct(),
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
