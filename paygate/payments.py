"""Payments: create (pending, with the bank's due time), settle exactly once, capture, list.

Every function here is a unit of work meant to run inside one transaction (``db.unit_of_work``).
Mutations lock the payment row first and move status only through ``states.guard``; each move
writes its event (and webhook delivery rows) in the same transaction and returns the work to
enqueue after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from peewee import fn

from . import events, idempotency, ids, ledger, serialize
from .clock import after, db_datetime, utcnow
from .db import database, first, for_update, in_list, insert_rows, update_in
from .errors import IdempotencyKeyReused, InvalidRequest, NotCapturable, NotFound, PaygateError
from .events import Outbox
from .idempotency import Answer
from .instruments import parse_instrument
from .models import Merchant, Order, Payment, Refund
from .processor import Processor
from .serialize import dumps_compact
from .states import OrderStatus, PaymentStatus, RefundStatus, guard
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


@dataclass
class PaymentRequest:
    """One ``POST /payments``: the body, the merchant (None on the public checkout path: the
    order's), and the Idempotency-Key with the request's fingerprint, if any."""

    body: object
    merchant_id: str | None = None
    key: str | None = None
    request_hash: str | None = None


_ORDERS_SQL = (
    'SELECT o.id, o.merchant_id, o.amount, o.currency, o.status, m.webhook_url '
    'FROM "order" o JOIN merchant m ON m.id = o.merchant_id WHERE o.id IN '
)


def _orders_by_id(order_ids) -> dict:
    """The orders of a batch (with the merchant's webhook URL) in one SELECT."""
    if not order_ids:
        return {}
    cursor = database.execute_sql(_ORDERS_SQL + in_list(order_ids), list(order_ids))
    return {r[0]: r for r in cursor.fetchall()}


def _order_id_of(request: PaymentRequest) -> str | None:
    body = request.body
    order_id = body.get("order_id") if isinstance(body, dict) else None
    return order_id if ids.looks_like("order", order_id) else None


def _validated(request: PaymentRequest):
    body = _require_body(request.body)
    order_id = body.get("order_id")
    if order_id is None:
        raise InvalidRequest("order_id is required", field="order_id")
    instrument = parse_instrument(body)  # validation before any database work
    if not ids.looks_like("order", order_id):
        raise NotFound("Order not found")
    return order_id, instrument


def _payment_row(order, instrument, processor: Processor, now) -> dict:
    order_id, merchant_id, amount, currency = order[0], order[1], order[2], order[3]
    decision = processor.submit_payment(instrument, amount, currency)
    due = after(decision.delay_s, now)
    return dict(
        id=ids.new_payment_id(),
        order=order_id,
        merchant=merchant_id,
        amount=amount,
        currency=currency,
        method=instrument.method,
        vpa=instrument.vpa,
        card_network=instrument.card_network,
        card_last4=instrument.card_last4,
        status=PaymentStatus.PENDING,
        captured=False,
        captured_amount=None,
        error_code=None,
        bank_outcome="success" if decision.approved else "decline",
        bank_decline_code=decision.decline_code,
        error_description=None,
        due_at=due,
        claimed_until=after(CLAIM_GRACE_S, due),
        created_at=now,
        updated_at=now,
    )


def create_payments(requests: list[PaymentRequest], processor: Processor) -> list:
    """Batch handler for payment creates: one answer (an ``Answer``) or error per request.

    A batch costs a handful of statements whatever its size: one SELECT of its orders, one of
    the idempotency keys it carries (a stored response is replayed before anything else is
    checked, as if the request were the first one again), one INSERT of its new keys (with their
    responses), one of its payments, one of its events and one of its deliveries. Call inside a
    transaction.
    """
    now = utcnow()
    results: list = [None] * len(requests)
    found = _orders_by_id({o for o in map(_order_id_of, requests) if o})
    keyed = [_keyed(r, r.merchant_id or (found[o][1] if (o := _order_id_of(r)) in found else None)) for r in requests]
    stored = idempotency.stored_responses([k for k in keyed if k is not None], now)
    for i, k in enumerate(keyed):
        if k is not None and k.identity in stored:
            results[i] = _as_answer(stored[k.identity])
    made, followers = _new_payments(requests, keyed, found, results, processor, now)
    taken = idempotency.store_completed([(keyed[i], results[i]) for i, _ in made if keyed[i] is not None], now)
    outbox = Outbox(now)
    rows = []
    for i, row in made:
        instead = taken.get(keyed[i].identity) if keyed[i] is not None else None
        if instead is not None:  # the key was taken meanwhile: replay or refuse, create nothing
            results[i] = _as_answer(instead)
            continue
        rows.append(row)
        webhook_url = found[row["order"]][5]
        for event_type in (events.PAYMENT_CREATED, events.PAYMENT_PENDING):
            _, deliveries = outbox.add(row["merchant"], webhook_url, event_type, row["id"], ("payment", results[i].body))
            results[i].work.extend(deliveries)
    insert_rows(Payment, rows)
    outbox.write()
    for i, leader in followers:
        first = results[leader]
        results[i] = Answer(first.status, first.body, replayed=True) if isinstance(first, Answer) else first
    return results


def _as_answer(stored):
    return Answer.replay(stored) if isinstance(stored, idempotency.Replay) else stored


def _new_payments(requests, keyed, found, results, processor, now):
    """Validate what has no answer yet and build its payment row. A key's first request in the
    batch leads; later ones with the same key follow it (same body) or are refused."""
    leaders: dict[tuple, int] = {}
    followers: list[tuple[int, int]] = []
    made: list[tuple[int, dict]] = []
    for i, request in enumerate(requests):
        if results[i] is not None:
            continue
        try:
            order_id, instrument = _validated(request)
        except PaygateError as exc:
            results[i] = exc
            continue
        order = found.get(order_id)
        if order is None or (request.merchant_id is not None and order[1] != request.merchant_id):
            results[i] = NotFound("Order not found")
            continue
        if order[4] == OrderStatus.PAID:
            results[i] = InvalidRequest("Order has already been paid", field="order_id", reason=ORDER_ALREADY_PAID)
            continue
        if keyed[i] is not None:
            leader = leaders.setdefault(keyed[i].identity, i)
            if leader != i:
                if requests[leader].request_hash != request.request_hash:
                    results[i] = IdempotencyKeyReused()
                else:
                    followers.append((i, leader))
                continue
        row = _payment_row(order, instrument, processor, now)
        data = serialize.payment(SimpleNamespace(**row, order_id=row["order"], merchant_id=row["merchant"]))
        results[i] = Answer(201, dumps_compact(data), data=data, work=[DueWork(SETTLE_PAYMENT, row["id"], row["due_at"])])
        made.append((i, row))
    return made, followers


def _keyed(request: PaymentRequest, merchant_id: str | None) -> idempotency.KeyedRequest | None:
    if request.key is None or merchant_id is None:
        return None
    # A key sent without credentials (the public endpoint) lives apart from the merchant's own keys.
    scope = idempotency.PAYMENT_CREATE if request.merchant_id is not None else idempotency.PUBLIC_PAYMENT_CREATE
    return idempotency.KeyedRequest(merchant_id, scope, request.key, request.request_hash)


def create_payment(body, processor: Processor, merchant_id: str | None) -> Outcome:
    """Accept one payment for an order: validated, stored ``pending``, due for settlement later.

    ``merchant_id=None`` is the public checkout path: the merchant is the order's.
    """
    (answer,) = create_payments([PaymentRequest(body, merchant_id)], processor)
    if isinstance(answer, PaygateError):
        raise answer
    return Outcome(answer.data, answer.work)


ORDER_ALREADY_PAID = "ORDER_ALREADY_PAID"


# What settlement reads of a due payment (with its merchant's webhook URL), as plain tuples: a
# batch of 256 peewee model instances (two per row, with the join) cost more than the rest of it.
_DUE_COLUMNS = (
    Payment.id, Payment.order, Payment.merchant, Payment.amount, Payment.currency, Payment.method, Payment.vpa,
    Payment.card_network, Payment.card_last4, Payment.status, Payment.captured, Payment.captured_amount,
    Payment.error_code, Payment.error_description, Payment.bank_outcome, Payment.bank_decline_code,
    Payment.created_at, Payment.updated_at, Merchant.webhook_url,
)


class _DuePayment:
    """A due payment being settled: the columns of ``_DUE_COLUMNS`` (what ``serialize.payment``,
    the outbox and the ledger read), plus ``claimed_until``."""

    __slots__ = ("id", "order_id", "merchant_id", "amount", "currency", "method", "vpa", "card_network", "card_last4", "status",
                 "captured", "captured_amount", "error_code", "error_description", "bank_outcome", "bank_decline_code",
                 "created_at", "updated_at", "webhook_url", "claimed_until")

    def __init__(self, row):
        (self.id, self.order_id, self.merchant_id, self.amount, self.currency, self.method, self.vpa, self.card_network,
         self.card_last4, self.status, self.captured, self.captured_amount, self.error_code, self.error_description,
         self.bank_outcome, self.bank_decline_code, self.created_at, self.updated_at, self.webhook_url) = row
        self.claimed_until = None


def settle_due_payments(limit: int, payment_ids: list[str] | None = None) -> list[Outcome]:
    """Reveal the bank's decision for up to ``limit`` due payments, in one transaction.

    Each success writes its ledger entry (fee, pending balance) in the same transaction: two
    multi-row INSERTs for the batch. Exactly once: the payments are locked (``FOR UPDATE SKIP LOCKED``: concurrent workers take
    disjoint sets; on SQLite the IMMEDIATE transaction is the only writer) and only ``pending``
    ones move. Their orders are locked too, in id order, so an order is paid at most once: a
    payment the bank approved for an order that another payment already paid ends ``failed``
    with ``ORDER_ALREADY_PAID`` (its authorisation voided). Call inside a transaction.
    """
    now = utcnow()
    where = (Payment.status == PaymentStatus.PENDING) & (Payment.due_at <= now)
    if payment_ids is not None:
        where &= Payment.id.in_(payment_ids)
    query = Payment.select(*_DUE_COLUMNS).join(Merchant).where(where).order_by(Payment.due_at).limit(limit)
    due = [_DuePayment(row) for row in for_update(query, of=Payment, skip_locked=True).tuples()]
    if not due:
        return []
    order_ids = sorted({p.order_id for p in due})
    order_status = dict(for_update(Order.select(Order.id, Order.status).where(Order.id.in_(order_ids)).order_by(Order.id)).tuples())
    paid = {order_id for order_id, status in order_status.items() if status == OrderStatus.PAID}
    moves: dict[tuple, list[str]] = {}
    newly_paid: list[str] = []
    outbox = Outbox(now)
    outcomes = []
    for row in due:
        if row.bank_outcome == "success" and row.order_id not in paid:
            row.status = guard("payment", row.status, PaymentStatus.SUCCESS)
            paid.add(row.order_id)
            newly_paid.append(row.order_id)
            event_type = events.PAYMENT_SUCCESS
        else:
            row.status = guard("payment", row.status, PaymentStatus.FAILED)
            if row.bank_outcome == "success":
                row.error_code = ORDER_ALREADY_PAID
                row.error_description = "Order was already paid by another payment; this authorisation was voided"
            else:
                row.error_code = row.bank_decline_code or "PAYMENT_FAILED"
                row.error_description = "Payment declined by the bank"
            event_type = events.PAYMENT_FAILED
        row.updated_at = now
        moves.setdefault((row.status, row.error_code, row.error_description), []).append(row.id)
        data = serialize.payment(row)
        _, work = outbox.add(row.merchant_id, row.webhook_url, event_type, row.id, {"payment": data})
        outcomes.append(Outcome(data, work))
    for (status, code, description), moved in moves.items():
        update_in(Payment, dict(status=status, error_code=code, error_description=description, updated_at=now, claimed_until=None), "id", moved)
    if newly_paid:
        for order_id in newly_paid:  # each order's own status through the guard, not an assumed one
            guard("order", order_status[order_id], OrderStatus.PAID)
        update_in(Order, dict(status=OrderStatus.PAID, updated_at=now), "id", newly_paid)
    outbox.write()
    journal = ledger.Journal()
    ledger.book_payments(journal, [row for row in due if row.status == PaymentStatus.SUCCESS], now)
    journal.write()
    return outcomes


def settle_payment(payment_id: str) -> Outcome:
    """Settle one payment if it is due. Idempotent: a settled payment is left alone; an early
    call (a duplicate, an eager sweep) returns the work to come back when it is due."""
    settled = settle_due_payments(1, [payment_id])
    if settled:
        return settled[0]
    row = Payment.select(Payment.status, Payment.due_at).where(Payment.id == payment_id).first()
    if row is not None and row.status == PaymentStatus.PENDING:
        return Outcome(None, [DueWork(SETTLE_PAYMENT, payment_id, row.due_at)])
    return Outcome(None)


def next_due_at():
    """When the earliest pending payment falls due (None: nothing pending)."""
    return db_datetime(Payment.select(fn.MIN(Payment.due_at)).where(Payment.status == PaymentStatus.PENDING).scalar())


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


@dataclass(frozen=True)
class PaymentLookup:
    """One GET of a payment: by its merchant, or (``merchant_id`` None) the public view by id alone."""

    payment_id: str
    merchant_id: str | None


def get_payments(lookups: list[PaymentLookup]) -> list[dict | NotFound]:
    """Answer many GETs with one query, each alone: its payment object, or NotFound when the id is
    malformed, unknown or another merchant's (the answer a single lookup would get)."""
    wanted = list({q.payment_id for q in lookups if ids.looks_like("payment", q.payment_id)})
    rows = {row.id: row for row in Payment.select().where(Payment.id.in_(wanted))} if wanted else {}
    out: list[dict | NotFound] = []
    for q in lookups:
        row = rows.get(q.payment_id)
        if row is None or (q.merchant_id is not None and row.merchant_id != q.merchant_id):
            out.append(NotFound("Payment not found"))
        else:
            out.append(serialize.payment(row) if q.merchant_id is not None else serialize.public_payment(row))
    return out


def lock_payment(payment_id, merchant_id: str) -> Payment:
    """The merchant's payment, locked for the rest of the transaction (refunds use this)."""
    return _get(payment_id, merchant_id, lock=True)


def refundable_amount(p) -> int:
    """The most all refunds of a payment may add up to: what was captured once a capture was
    made (a partial capture releases the rest, as Stripe's ``amount_captured`` does), else the
    whole authorised amount."""
    return serialize.captured_amount(p) if p.captured else p.amount


def counted_total(payment_id: str, statuses=RefundStatus.COUNTED) -> int:
    """Σ refund amounts of ``payment_id`` in ``statuses``, computed by the database."""
    total = (
        Refund.select(fn.COALESCE(fn.SUM(Refund.amount), 0))
        .where((Refund.payment == payment_id) & (Refund.status.in_(list(statuses))))
        .scalar()
    )
    return int(total or 0)


def capture_payment(payment_id, merchant_id: str, body) -> Outcome:
    """Capture a successful, not yet captured payment (optionally a smaller ``amount``).

    A partial capture may not go below the refunds already counted against the payment: they
    must stay within what was captured."""
    body = body if isinstance(body, dict) else {}
    row = _get(payment_id, merchant_id, lock=True)
    if row.status != PaymentStatus.SUCCESS or row.captured:
        raise NotCapturable()
    amount = body.get("amount")
    if amount is None:
        amount = row.amount
    else:
        least = max(1, counted_total(row.id))
        if isinstance(amount, bool) or not isinstance(amount, int) or not least <= amount <= row.amount:
            raise InvalidRequest(f"amount must be an integer between {least} and {row.amount}", field="amount")
    row.captured = True
    row.captured_amount = amount
    row.updated_at = utcnow()
    row.save(only=[Payment.captured, Payment.captured_amount, Payment.updated_at])
    ledger.book_capture_release(row, amount, row.updated_at)  # what is not captured never settles
    return Outcome(serialize.payment(row))
