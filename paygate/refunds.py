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

import unicodedata

from peewee import fn

from . import events, ids, serialize
from .clock import after, utcnow
from .db import for_update
from .errors import InvalidRequest, InvalidStateTransition, NotFound, RefundExceedsAvailable
from .models import Merchant, Payment, Refund
from .money import parse_amount
from .paging import parse_choice, parse_page, parse_time
from .payments import Outcome, lock_payment
from .processor import Processor
from .states import PaymentStatus, RefundStatus, guard
from .work import CLAIM_GRACE_S, SETTLE_REFUND, DueWork

MAX_REASON_CHARS = 500
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def parse_reason(value) -> str | None:
    """Free text for people (any script, emoji included); bounded, and no invisible control bytes
    that a database (PostgreSQL refuses NUL) or a terminal would choke on."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest("reason must be a string", field="reason")
    if len(value) > MAX_REASON_CHARS:
        raise InvalidRequest(f"reason must be at most {MAX_REASON_CHARS} characters", field="reason")
    for ch in value:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs"):
            raise InvalidRequest("reason must not contain control characters", field="reason")
    return value


def _parse_request(body) -> tuple[int, str | None]:
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    if body.get("amount") is None:
        raise InvalidRequest("amount is required", field="amount")
    amount = parse_amount(body["amount"], minimum=1)
    return amount, parse_reason(body.get("reason"))


def counted_total(payment_id: str, statuses=RefundStatus.COUNTED) -> int:
    """Σ refund amounts of ``payment_id`` in ``statuses``, computed by the database."""
    total = (
        Refund.select(fn.COALESCE(fn.SUM(Refund.amount), 0))
        .where((Refund.payment == payment_id) & (Refund.status.in_(list(statuses))))
        .scalar()
    )
    return int(total or 0)


def _webhook_url(merchant_id: str) -> str | None:
    return Merchant.select(Merchant.webhook_url).where(Merchant.id == merchant_id).scalar()


def create_refund(payment_id, merchant_id: str, body, processor: Processor) -> Outcome:
    """Accept a refund of ``body["amount"]`` against the merchant's payment: stored ``pending``,
    due for settlement after the bank's refund delay."""
    amount, reason = _parse_request(body)  # validation before any database work
    payment = lock_payment(payment_id, merchant_id)  # held until commit: the whole check is exact
    if payment.status not in PaymentStatus.REFUNDABLE:
        raise InvalidStateTransition(f"Payment not in refundable state (it is {payment.status})")
    available = payment.amount - counted_total(payment.id)
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


def settle_refund(refund_id: str) -> Outcome:
    """Mark a due refund processed and move its payment. Idempotent: only a pending refund moves.

    Locks in the same order as :func:`create_refund` (payment, then refund rows), so the two
    never deadlock; the payment lock makes concurrent settlements of one payment add up.
    """
    payment_id = Refund.select(Refund.payment).where(Refund.id == refund_id).scalar()
    if payment_id is None:
        return Outcome(None)
    payment = for_update(Payment.select().where(Payment.id == payment_id)).first()
    refund = for_update(Refund.select().where(Refund.id == refund_id)).first()
    if refund is None or refund.status != RefundStatus.PENDING:
        return Outcome(None)
    now = utcnow()
    if refund.due_at > now:  # early (a duplicate or an eager sweep): come back when due
        return Outcome(None, [DueWork(SETTLE_REFUND, refund.id, refund.due_at)])
    refund.status = guard("refund", refund.status, RefundStatus.PROCESSED)
    refund.processed_at = now
    refund.updated_at = now
    refund.claimed_until = None
    refund.save(only=[Refund.status, Refund.processed_at, Refund.updated_at, Refund.claimed_until])
    processed = counted_total(payment.id, (RefundStatus.PROCESSED,))
    target = PaymentStatus.REFUNDED if processed >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    payment.status = guard("payment", payment.status, target)
    payment.updated_at = now
    payment.save(only=[Payment.status, Payment.updated_at])
    data = serialize.refund(refund)
    _, work = events.record_event(refund.merchant_id, _webhook_url(refund.merchant_id), events.REFUND_PROCESSED, refund.id, {"refund": data})
    return Outcome(data, work)


def get_refund(refund_id, merchant_id: str) -> dict:
    if not ids.looks_like("refund", refund_id):
        raise NotFound("Refund not found")
    row = Refund.select().where((Refund.id == refund_id) & (Refund.merchant == merchant_id)).first()
    if row is None:
        raise NotFound("Refund not found")
    return serialize.refund(row)


def _page(query, params: dict) -> dict:
    page = parse_page(params.get("limit"), params.get("offset"))
    status = parse_choice("status", params.get("status"), RefundStatus.ALL)
    start = parse_time("from", params.get("from"))
    end = parse_time("to", params.get("to"))
    if status:
        query = query.where(Refund.status == status)
    if start:
        query = query.where(Refund.created_at >= start)
    if end:
        query = query.where(Refund.created_at <= end)
    total = query.count()
    rows = query.order_by(Refund.created_at.desc(), Refund.id.desc()).limit(page.limit).offset(page.offset)
    return serialize.page([serialize.refund(r) for r in rows], total, page.limit, page.offset)


def list_refunds(merchant_id: str, params: dict) -> dict:
    """The merchant's refunds, newest first; filters ``status``, ``payment_id``, ``from``/``to``."""
    query = Refund.select().where(Refund.merchant == merchant_id)
    payment_id = params.get("payment_id")
    if payment_id:
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
