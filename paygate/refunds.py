"""Refunds, full and partial: exact under any concurrency, settled later by the bank.

Creating a refund locks the payment row first (``SELECT … FOR UPDATE`` on PostgreSQL, the
IMMEDIATE transaction on SQLite) and only then sums the refunds already counted against it, in
SQL. So two requests can never both spend the same available amount: the second one waits for
the lock and sees the first one's row. Settling locks the payment too, so the payment's status
(``partially_refunded`` / ``refunded``) is always decided from the complete sum of processed
refunds, even when several refunds of one payment settle at the same moment.

Refuses: refunds of payments that are not ``success``/``partially_refunded``; amounts that are
not positive integers of minor units; more than is available; reasons that are not short text.
Like every core module it only returns the work to enqueue; adapters enqueue after commit.
"""

from __future__ import annotations

from peewee import fn

from . import events, ids, ledger, serialize
from .clock import after, db_datetime, utcnow
from .db import for_update, update_in
from .events import Outbox
from .errors import InvalidRequest, InvalidStateTransition, NotFound, RefundExceedsAvailable
from .models import Merchant, Payment, Refund
from .money import parse_amount
from .paging import list_page, parse_choice, parse_time
from .payments import Outcome, counted_total, lock_payment, refundable_amount
from .processor import Processor
from .states import PaymentStatus, RefundStatus, guard
from .text import parse_text
from .work import CLAIM_GRACE_S, SETTLE_REFUND, DueWork

MAX_REASON_CHARS = 500


def _parse_request(body) -> tuple[int, str | None]:
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    if body.get("amount") is None:
        raise InvalidRequest("amount is required", field="amount")
    amount = parse_amount(body["amount"], minimum=1)
    return amount, parse_text(body.get("reason"), "reason", MAX_REASON_CHARS)


def _webhook_url(merchant_id: str) -> str | None:
    return Merchant.select(Merchant.webhook_url).where(Merchant.id == merchant_id).scalar()


def create_refund(payment_id, merchant_id: str, body, processor: Processor) -> Outcome:
    """Accept a refund of ``body["amount"]`` against the merchant's payment: stored ``pending``,
    due for settlement after the bank's refund delay."""
    amount, reason = _parse_request(body)  # validation before any database work
    payment = lock_payment(payment_id, merchant_id)  # held until commit: the whole check is exact
    if payment.status not in PaymentStatus.REFUNDABLE:
        raise InvalidStateTransition(f"Payment not in refundable state (it is {payment.status})")
    available = refundable_amount(payment) - counted_total(payment.id)
    if amount > available:
        raise RefundExceedsAvailable(field="amount", available=available)
    now = utcnow()
    due = after(processor.refund_delay_s(), now)
    refund = Refund.create(
        id=ids.new_refund_id(),
        payment=payment.id,
        merchant=merchant_id,
        amount=amount,
        reason=reason,
        status=RefundStatus.PENDING,
        due_at=due,
        claimed_until=after(CLAIM_GRACE_S, due),
        created_at=now,
        updated_at=now,
    )
    data = serialize.refund(refund)
    work = [DueWork(SETTLE_REFUND, refund.id, due)]
    _, deliveries = events.record_event(merchant_id, _webhook_url(merchant_id), events.REFUND_CREATED, refund.id, {"refund": data})
    work.extend(deliveries)
    return Outcome(data, work)


def settle_due_refunds(limit: int, refund_ids: list[str] | None = None) -> list[Outcome]:
    """Mark up to ``limit`` due refunds processed and move their payments, in one transaction.

    Exactly once: refunds are claimed ``FOR UPDATE SKIP LOCKED`` (disjoint sets for concurrent
    workers) and only ``pending`` ones move; their payments are then locked in id order, so two
    batches never deadlock and each payment's status comes from the complete sum of its
    processed refunds. Each refund's ledger entry (out of the available balance, fee kept) is
    written in the same transaction, with the batch's other entries. Call inside a transaction.
    """
    now = utcnow()
    where = (Refund.status == RefundStatus.PENDING) & (Refund.due_at <= now)
    if refund_ids is not None:
        where &= Refund.id.in_(refund_ids)
    due = list(for_update(Refund.select().where(where).order_by(Refund.due_at).limit(limit), skip_locked=True))
    if not due:
        return []
    payment_ids = sorted({r.payment_id for r in due})
    payments = {p.id: p for p in for_update(Payment.select(Payment.id, Payment.amount, Payment.currency, Payment.captured, Payment.captured_amount, Payment.status).where(Payment.id.in_(payment_ids)).order_by(Payment.id))}
    processed = dict(
        Refund.select(Refund.payment, fn.SUM(Refund.amount))
        .where(Refund.payment.in_(payment_ids) & (Refund.status == RefundStatus.PROCESSED))
        .group_by(Refund.payment)
        .tuples()
    )
    urls = dict(Merchant.select(Merchant.id, Merchant.webhook_url).where(Merchant.id.in_(list({r.merchant_id for r in due}))).tuples())
    outbox = Outbox(now)
    journal = ledger.Journal()
    outcomes = []
    for refund in due:
        payment = payments[refund.payment_id]
        ledger.book_refund(journal, refund.id, refund.merchant_id, payment.currency, refund.amount, now)
        refund.status = guard("refund", refund.status, RefundStatus.PROCESSED)
        refund.processed_at = refund.updated_at = now
        refund.claimed_until = None
        total = processed[payment.id] = int(processed.get(payment.id) or 0) + refund.amount
        target = PaymentStatus.REFUNDED if total >= refundable_amount(payment) else PaymentStatus.PARTIALLY_REFUNDED
        payment.status = guard("payment", payment.status, target)
        data = serialize.refund(refund)
        _, work = outbox.add(refund.merchant_id, urls.get(refund.merchant_id), events.REFUND_PROCESSED, refund.id, {"refund": data})
        outcomes.append(Outcome(data, work))
    update_in(Refund, dict(status=RefundStatus.PROCESSED, processed_at=now, updated_at=now, claimed_until=None), "id", [r.id for r in due])
    by_status: dict[str, list[str]] = {}
    for payment in payments.values():
        by_status.setdefault(payment.status, []).append(payment.id)
    for status, moved in by_status.items():
        update_in(Payment, dict(status=status, updated_at=now), "id", moved)
    outbox.write()
    journal.write()
    return outcomes


def settle_refund(refund_id: str) -> Outcome:
    """Settle one refund if it is due. Idempotent: only a pending refund moves; an early call
    returns the work to come back when it is due."""
    settled = settle_due_refunds(1, [refund_id])
    if settled:
        return settled[0]
    row = Refund.select(Refund.status, Refund.due_at).where(Refund.id == refund_id).first()
    if row is not None and row.status == RefundStatus.PENDING:
        return Outcome(None, [DueWork(SETTLE_REFUND, refund_id, row.due_at)])
    return Outcome(None)


def next_due_at():
    """When the earliest pending refund falls due (None: nothing pending)."""
    return db_datetime(Refund.select(fn.MIN(Refund.due_at)).where(Refund.status == RefundStatus.PENDING).scalar())


def get_refund(refund_id, merchant_id: str) -> dict:
    if not ids.looks_like("refund", refund_id):
        raise NotFound("Refund not found")
    row = Refund.select().where((Refund.id == refund_id) & (Refund.merchant == merchant_id)).first()
    if row is None:
        raise NotFound("Refund not found")
    return serialize.refund(row)


def _page(query, params: dict) -> dict:
    anchors = query
    status = parse_choice("status", params.get("status"), RefundStatus.ALL)
    start = parse_time("from", params.get("from"))
    end = parse_time("to", params.get("to"))
    if status:
        query = query.where(Refund.status == status)
    if start:
        query = query.where(Refund.created_at >= start)
    if end:
        query = query.where(Refund.created_at <= end)
    return list_page(query, Refund, params, serialize.refund, anchors)


def list_refunds(merchant_id: str, params: dict) -> dict:
    """The merchant's refunds, newest first; filters ``status``, ``payment_id``, ``from``/``to``."""
    query = Refund.select().where(Refund.merchant == merchant_id)
    payment_id = params.get("payment_id")
    if payment_id is not None:
        if not ids.looks_like("payment", payment_id):
            raise InvalidRequest("payment_id is not a payment id", field="payment_id")
        query = query.where(Refund.payment == payment_id)
    return _page(query, params)


def list_payment_refunds(payment_id, merchant_id: str, params: dict) -> dict:
    """Refunds of one of the merchant's payments (404 when the payment is not theirs)."""
    if not ids.looks_like("payment", payment_id):
        raise NotFound("Payment not found")
    exists = Payment.select(Payment.id).where((Payment.id == payment_id) & (Payment.merchant == merchant_id)).exists()
    if not exists:
        raise NotFound("Payment not found")
    return _page(Refund.select().where(Refund.payment == payment_id), params)
