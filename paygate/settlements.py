"""Settlements: each merchant's available balance paid out to its bank, exactly once.

A run (:func:`run_settlements`: the due loop on its own schedule, or ``paygate settlements run``)
settles each (merchant, currency) with available, unsettled balance transactions in its own
transaction: it first releases the account's matured funds (``ledger.release_matured``: pending →
available, so a run never misses money that matured since the due loop's last release), then it
*claims* the released ones (``UPDATE … SET settlement_id … WHERE settlement_id IS NULL
RETURNING net``) and pays out exactly what it claimed. The claim is the exactly-once guarantee: a
transaction's ``settlement_id`` is written once, under the row lock, so two runs at once (two
workers, a CLI run beside the due loop) can never pay one balance transaction twice; on
PostgreSQL an advisory lock per (merchant, currency) also makes the second run wait instead of
racing, on SQLite the IMMEDIATE transaction does. A killed run rolls back and claimed nothing.

When the claimed transactions add up to zero or less (refunds beyond what was available), the
claim is undone: the negative balance is carried to the next run, never paid out.

Entries (see ledger.py): created — available −S, in_transit +S; processed —
in_transit −S, bank_clearing +S; failed — in_transit −S, available +S (available again, and
settled by a later run). Only released (available) funds are ever paid out. Status moves ``created → processed | failed`` go through the guard, at
the bank's due time, in batches (:func:`settle_due_settlements`), like payments.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from peewee import fn

from . import db, events, ids
from .clock import after, db_datetime, iso, utcnow
from .db import for_update, is_postgres
from .errors import NotFound
from .events import Outbox
from .ledger import Account, EntryType, Journal, balance_transaction, release_matured, releasable_accounts
from .models import LedgerEntry, Merchant, Settlement
from .paging import cursor_page, parse_choice, parse_cursor
from .payments import Outcome
from .processor import PaidLine, Processor
from .states import SettlementStatus, guard

log = logging.getLogger(__name__)
BANK_PAID = "success"  # Settlement.bank_outcome when the bank pays; otherwise its return code
LINES_SHOWN = 100  # balance transactions embedded in GET /settlements/{id}; the rest by filter


def serialize(s) -> dict:
    return {
        "id": s.id,
        "object": "settlement",
        "amount": s.amount,
        "currency": s.currency,
        "status": s.status,
        "failure_code": s.failure_code,
        "bank_reference": s.bank_reference,
        "created_at": iso(s.created_at),
        "processed_at": iso(s.processed_at),
    }


def _claimable(cutoff: datetime):
    """Released (available) and not yet settled: a pending transaction is never paid out."""
    return (
        LedgerEntry.settlement_id.is_null()
        & (LedgerEntry.available_on <= cutoff)
        & LedgerEntry.type.in_(list(EntryType.SETTLEABLE))
        & LedgerEntry.released_by.is_null(False)
    )


def _release_time(cutoff: datetime) -> datetime:
    """Funds are released as of now, never early, whatever cutoff a run is given."""
    return min(cutoff, utcnow())


def due_accounts(cutoff: datetime) -> list[tuple[str, str]]:
    """(merchant, currency) pairs with available balance transactions not yet settled, or
    matured funds still to release."""
    query = LedgerEntry.select(LedgerEntry.merchant, LedgerEntry.currency).where(_claimable(cutoff)).distinct()
    return sorted(set(query.tuples()) | set(releasable_accounts(_release_time(cutoff))))


def settle_account(merchant_id: str, currency: str, cutoff: datetime, processor: Processor) -> Outcome | None:
    """Settle one merchant's available balance in ``currency`` (see the module docstring).
    None when there is nothing positive to pay. Call inside a transaction."""
    if is_postgres():
        db.database.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"settlement:{merchant_id}:{currency}",))
    release_matured(merchant_id, currency, _release_time(cutoff))
    setl_id = ids.new_id("settlement")
    claim = (
        LedgerEntry.update(settlement_id=setl_id)
        .where((LedgerEntry.merchant == merchant_id) & (LedgerEntry.currency == currency) & _claimable(cutoff))
        .returning(LedgerEntry.net)
    )
    total = sum(int(net) for (net,) in claim.tuples().execute())
    if total <= 0:  # nothing, or a negative balance: carried, never paid out
        LedgerEntry.update(settlement_id=None).where(LedgerEntry.settlement_id == setl_id).execute()
        return None
    now = utcnow()
    decision = processor.submit_settlement(total, currency)
    row = Settlement.create(
        id=setl_id, merchant=merchant_id, currency=currency, amount=total, status=SettlementStatus.CREATED,
        bank_outcome=BANK_PAID if decision.approved else (decision.decline_code or "RETURNED"),
        due_at=after(decision.delay_s, now), created_at=now, updated_at=now,
    )
    journal = Journal()
    entry = journal.add(merchant_id, currency, EntryType.SETTLEMENT, setl_id, -total, 0, now, now, [
        (Account.AVAILABLE, -total, now),
        (Account.IN_TRANSIT, total, now),
    ])
    entry["settlement_id"] = setl_id  # the payout's own transaction is never claimed by another
    journal.write()
    return _announce([(row, events.SETTLEMENT_CREATED)], now)[0]


def _announce(moved: list[tuple[Settlement, str]], now: datetime) -> list[Outcome]:
    urls = dict(Merchant.select(Merchant.id, Merchant.webhook_url).where(Merchant.id.in_(sorted({s.merchant_id for s, _ in moved}))).tuples())
    outbox = Outbox(now)
    outcomes = []
    for s, event_type in moved:
        data = serialize(s)
        _, work = outbox.add(s.merchant_id, urls.get(s.merchant_id), event_type, s.id, {"settlement": data})
        outcomes.append(Outcome(data, work))
    outbox.write()
    return outcomes


def run_settlements(processor: Processor, cutoff: datetime | None = None) -> list[Outcome]:
    """Settle every merchant's available balance, one transaction per (merchant, currency), so
    one merchant's trouble never holds another's payout. Returns the settlements created."""
    cutoff = cutoff or utcnow()
    created = []
    for merchant_id, currency in db.read(due_accounts, cutoff):
        outcome = db.unit_of_work(settle_account, merchant_id, currency, cutoff, processor)
        if outcome is not None:
            created.append(outcome)
    return created


def _bank_reference() -> str:
    """What the bank calls the transfer (a UTR-like reference)."""
    return "PGB" + "".join(secrets.choice("0123456789") for _ in range(13))


def settle_due_settlements(limit: int, processor: Processor | None = None) -> list[Outcome]:
    """Reveal the bank's answer for up to ``limit`` due settlements, in one transaction: each
    moves through the guard and writes its entry. Claimed ``FOR UPDATE SKIP LOCKED``. After the
    commit, ``processor`` reports each paid one (the simulated bank writes its settlement file)."""
    now = utcnow()
    query = Settlement.select().where((Settlement.status == SettlementStatus.CREATED) & (Settlement.due_at <= now)).order_by(Settlement.due_at).limit(limit)
    due = list(for_update(query, skip_locked=True))
    if not due:
        return []
    journal = Journal()
    moved = []
    for s in due:
        if s.bank_outcome == BANK_PAID:
            s.status = guard("settlement", s.status, SettlementStatus.PROCESSED)
            s.bank_reference, s.failure_code, s.processed_at = _bank_reference(), None, now
            journal.add(s.merchant_id, s.currency, EntryType.SETTLEMENT_PAID, s.id, 0, 0, now, now, [
                (Account.IN_TRANSIT, -s.amount, now),
                (Account.BANK_CLEARING, s.amount, now),
            ])
            moved.append((s, events.SETTLEMENT_PROCESSED))
        else:
            s.status = guard("settlement", s.status, SettlementStatus.FAILED)
            s.failure_code = s.bank_outcome
            journal.add(s.merchant_id, s.currency, EntryType.SETTLEMENT_FAILURE, s.id, s.amount, 0, now, now, [
                (Account.IN_TRANSIT, -s.amount, now),
                (Account.AVAILABLE, s.amount, now),
            ])
            moved.append((s, events.SETTLEMENT_FAILED))
        s.updated_at = now
        s.save(only=[Settlement.status, Settlement.bank_reference, Settlement.failure_code, Settlement.processed_at, Settlement.updated_at])
    journal.write()
    paid = [s for s, event_type in moved if event_type == events.SETTLEMENT_PROCESSED]
    if processor is not None and paid:
        reports = [(s, paid_lines(s.id)) for s in paid]
        events.database_after_commit(lambda: _report(processor, reports))
    return _announce(moved, now)


def _report(processor: Processor, reports) -> None:
    """After the commit: a file the bank failed to write is logged, never undoes the payout
    (reconciliation then finds the whole settlement missing in the bank)."""
    for settlement, lines in reports:
        try:
            processor.report_settlement(settlement, lines)
        except OSError:
            log.warning("could not write the settlement file of %s", settlement.id, exc_info=True)


def paid_lines(settlement_id: str) -> list[PaidLine]:
    """The balance transactions a settlement paid, oldest first, as the bank is told of them."""
    query = (
        LedgerEntry.select(LedgerEntry.id, LedgerEntry.amount, LedgerEntry.fee, LedgerEntry.net)
        .where((LedgerEntry.settlement_id == settlement_id) & (LedgerEntry.type != EntryType.SETTLEMENT))
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
    )
    return [PaidLine(*row) for row in query.tuples()]


def next_due_at():
    """When the earliest created settlement falls due (None: none waiting for the bank)."""
    return db_datetime(Settlement.select(fn.MIN(Settlement.due_at)).where(Settlement.status == SettlementStatus.CREATED).scalar())


# --- Reading -------------------------------------------------------------------------------------


def list_settlements(merchant_id: str, params: dict) -> dict:
    """The merchant's settlements, newest first (cursor pages); filter ``status``."""
    cursor = parse_cursor(params)
    query = Settlement.select().where(Settlement.merchant == merchant_id)
    status = parse_choice("status", params.get("status"), SettlementStatus.ALL)
    if status:
        query = query.where(Settlement.status == status)
    return cursor_page(query, Settlement, cursor, serialize)


def get_settlement(settlement_id, merchant_id: str) -> dict:
    """One settlement with its lines: the first 100 balance transactions it paid (the rest:
    ``GET /balance_transactions?settlement_id=``)."""
    if not ids.looks_like("settlement", settlement_id):
        raise NotFound("Settlement not found")
    row = Settlement.select().where((Settlement.id == settlement_id) & (Settlement.merchant == merchant_id)).first()
    if row is None:
        raise NotFound("Settlement not found")
    lines = list(
        LedgerEntry.select()
        .where((LedgerEntry.settlement_id == row.id) & (LedgerEntry.type != EntryType.SETTLEMENT))
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(LINES_SHOWN + 1)
    )
    return {**serialize(row), "lines": {"object": "list", "data": [balance_transaction(e) for e in lines[:LINES_SHOWN]], "has_more": len(lines) > LINES_SHOWN}}

