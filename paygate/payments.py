"""Payments: create (pending, with the bank's due time), settle exactly once, capture, list.

Every function here is a unit of work meant to run inside one transaction (``db.unit_of_work``).
Mutations lock the payment row first and move status only through ``states.guard``; each move
writes its event (and webhook delivery rows) in the same transaction and returns the work to
enqueue after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import events, ids, serialize
from .clock import after, utcnow
from .db import first, for_update, insert_row, update_where
from .errors import InvalidRequest, NotCapturable, NotFound
from .instruments import parse_instrument
from .models import Merchant, Order, Payment
from .paging import parse_choice, parse_page, parse_time
from .processor import Processor
from .states import OrderStatus, PaymentStatus, guard
from .work import CLAIM_GRACE_S, SETTLE_PAYMENT, DueWork

METHODS = ("upi", "card")


@dataclass
class Outcome:
    """A unit of work's result: the resource as JSON-ready data, and what to enqueue after commit."""

    data: dict | None
    work: list[DueWork] = field(default_factory=list)


def _require_body(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    return body


def _order(order_id):
    return Order.select(Order, Merchant.id, Merchant.webhook_url).join(Merchant).where(Order.id == order_id)


def _merchant_order(order_id, merchant_id):
    return _order(order_id).where(Order.merchant == merchant_id)


def _locked_payment(payment_id):
    return for_update(Payment.select(Payment, Merchant.id, Merchant.webhook_url).join(Merchant).where(Payment.id == payment_id), of=Payment)


def create_payment(body, processor: Processor, merchant_id: str | None) -> Outcome:
    """Accept a payment for an order: validated, stored ``pending``, due for settlement later.

    ``merchant_id=None`` is the public checkout path: the merchant is the order's.
    """
    body = _require_body(body)
    order_id = body.get("order_id")
    if order_id is None:
        raise InvalidRequest("order_id is required", field="order_id")
    instrument = parse_instrument(body)  # validation before any database work
    if not ids.looks_like("order", order_id):
        raise NotFound("Order not found")
    if merchant_id is not None:
        order = first("payment.order", _merchant_order, order_id, merchant_id)
    else:
        order = first("payment.public_order", _order, order_id)
    if order is None:
        raise NotFound("Order not found")
    if order.status == OrderStatus.PAID:
        raise InvalidRequest("Order has already been paid", field="order_id")
    decision = processor.submit_payment(instrument, order.amount, order.currency)
    now = utcnow()
    due = after(decision.delay_s, now)
    row = dict(
        id=ids.new_payment_id(),
        order=order.id,
        merchant=order.merchant_id,
        amount=order.amount,
        currency=order.currency,
        method=instrument.method,
        vpa=instrument.vpa,
        card_network=instrument.card_network,
        card_last4=instrument.card_last4,
        status=PaymentStatus.PENDING,
        captured=False,
        bank_outcome="success" if decision.approved else "decline",
        bank_decline_code=decision.decline_code,
        error_description=None,
        due_at=due,
        claimed_until=after(CLAIM_GRACE_S, due),
        created_at=now,
        updated_at=now,
    )
    insert_row(Payment, row)
    payment = Payment(**row)
    data = serialize.payment(payment)
    work = [DueWork(SETTLE_PAYMENT, payment.id, due)]
    webhook_url = order.merchant.webhook_url
    for event_type in (events.PAYMENT_CREATED, events.PAYMENT_PENDING):
        _, deliveries = events.record_event(order.merchant_id, webhook_url, event_type, payment.id, {"payment": data})
        work.extend(deliveries)
    return Outcome(data, work)


def settle_payment(payment_id: str) -> Outcome:
    """Reveal the bank's decision once it is due. Idempotent: a settled payment is left alone."""
    row = first("payment.settle", _locked_payment, payment_id)
    if row is None or row.status != PaymentStatus.PENDING:
        return Outcome(None)
    now = utcnow()
    if row.due_at > now:  # early (a duplicate or an eager sweep): come back when due
        return Outcome(None, [DueWork(SETTLE_PAYMENT, row.id, row.due_at)])
    if row.bank_outcome == "success":
        row.status = guard("payment", row.status, PaymentStatus.SUCCESS)
        event_type = events.PAYMENT_SUCCESS
        update_where(Order, {"status": OrderStatus.PAID, "updated_at": now}, {"id": row.order_id})
    else:
        row.status = guard("payment", row.status, PaymentStatus.FAILED)
        row.error_code = row.bank_decline_code or "PAYMENT_FAILED"
        row.error_description = "Payment declined by the bank"
        event_type = events.PAYMENT_FAILED
    row.updated_at = now
    row.claimed_until = None
    changed = ("status", "error_code", "error_description", "updated_at", "claimed_until")
    update_where(Payment, {name: getattr(row, name) for name in changed}, {"id": row.id})
    data = serialize.payment(row)
    _, work = events.record_event(row.merchant_id, row.merchant.webhook_url, event_type, row.id, {"payment": data})
    return Outcome(data, work)


def _payment_query(lock: bool):
    def build(payment_id, merchant_id=None):
        query = Payment.select().where(Payment.id == payment_id)
        if merchant_id is not None:
            query = query.where(Payment.merchant == merchant_id)
        return for_update(query) if lock else query

    return build


def _get(payment_id, merchant_id: str | None, lock: bool = False) -> Payment:
    if not ids.looks_like("payment", payment_id):
        raise NotFound("Payment not found")
    if merchant_id is None:
        row = first(f"payment.get:lock={lock}", _payment_query(lock), payment_id)
    else:
        row = first(f"payment.get_merchant:lock={lock}", _payment_query(lock), payment_id, merchant_id)
    if row is None:
        raise NotFound("Payment not found")
    return row


def get_payment(payment_id, merchant_id: str | None) -> dict:
    return serialize.payment(_get(payment_id, merchant_id))


def get_public_payment(payment_id) -> dict:
    return serialize.public_payment(_get(payment_id, None))


def lock_payment(payment_id, merchant_id: str) -> Payment:
    """The merchant's payment, locked for the rest of the transaction (refunds use this)."""
    return _get(payment_id, merchant_id, lock=True)


def capture_payment(payment_id, merchant_id: str, body) -> Outcome:
    """Capture a successful, not yet captured payment (optionally a smaller ``amount``)."""
    body = body if isinstance(body, dict) else {}
    row = _get(payment_id, merchant_id, lock=True)
    if row.status != PaymentStatus.SUCCESS or row.captured:
        raise NotCapturable()
    amount = body.get("amount")
    if amount is None:
        amount = row.amount
    elif isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= row.amount:
        raise InvalidRequest(f"amount must be an integer between 1 and {row.amount}", field="amount")
    row.captured = True
    row.captured_amount = amount
    row.updated_at = utcnow()
    row.save(only=[Payment.captured, Payment.captured_amount, Payment.updated_at])
    return Outcome(serialize.payment(row))


def list_payments(merchant_id: str, params: dict) -> dict:
    """Newest first, filtered by status, method and a created_at window; SQL does the paging."""
    page = parse_page(params.get("limit"), params.get("offset"))
    status = parse_choice("status", params.get("status"), PaymentStatus.ALL)
    method = parse_choice("method", params.get("method"), METHODS)
    start = parse_time("from", params.get("from"))
    end = parse_time("to", params.get("to"))
    query = Payment.select().where(Payment.merchant == merchant_id)
    if status:
        query = query.where(Payment.status == status)
    if method:
        query = query.where(Payment.method == method)
    if start:
        query = query.where(Payment.created_at >= start)
    if end:
        query = query.where(Payment.created_at <= end)
    q = params.get("q")
    if q:
        query = query.where(Payment.id.startswith(str(q)[:32]))
    total = query.count()
    rows = query.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(page.limit).offset(page.offset)
    return serialize.page([serialize.payment(r) for r in rows], total, page.limit, page.offset)
