"""Statuses and the one table of legal moves. Every status change goes through :func:`guard`.

Payment:  pending → success | failed;  success → partially_refunded | refunded;
          partially_refunded → partially_refunded | refunded.   (``captured`` is a separate flag.)
Refund:   pending → processed | failed.
Endpoint: enabled ⇄ disabled.
Settlement: created → processed | failed.
Delivery: pending → pending (a failed attempt with retries left) | success | failed;
          success | failed → pending (a manual retry).
"""

from __future__ import annotations

from .errors import InvalidStateTransition


class PaymentStatus:
    PENDING = "pending"  # accepted, waiting for the bank's answer (a due time in the row)
    SUCCESS = "success"  # the bank approved; capturable and refundable
    FAILED = "failed"  # the bank declined; final
    PARTIALLY_REFUNDED = "partially_refunded"  # some, not all, of the amount refunded
    REFUNDED = "refunded"  # processed refunds add up to the whole amount; final
    ALL = (PENDING, SUCCESS, FAILED, PARTIALLY_REFUNDED, REFUNDED)
    REFUNDABLE = (SUCCESS, PARTIALLY_REFUNDED)


class RefundStatus:
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"
    ALL = (PENDING, PROCESSED, FAILED)
    COUNTED = (PENDING, PROCESSED)  # what reduces the refundable amount


class DeliveryStatus:
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    ALL = (PENDING, SUCCESS, FAILED)


class EndpointStatus:
    ENABLED = "enabled"  # receives the events its filter asks for
    DISABLED = "disabled"  # by the merchant or by auto-disable; receives nothing until enabled
    ALL = (ENABLED, DISABLED)


class OrderStatus:
    CREATED = "created"
    PAID = "paid"
    ALL = (CREATED, PAID)


TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "payment": {
        PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCESS, PaymentStatus.FAILED}),
        PaymentStatus.SUCCESS: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
        PaymentStatus.PARTIALLY_REFUNDED: frozenset(
            {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
        ),
        PaymentStatus.FAILED: frozenset(),
        PaymentStatus.REFUNDED: frozenset(),
    },
    "refund": {
        RefundStatus.PENDING: frozenset({RefundStatus.PROCESSED, RefundStatus.FAILED}),
        RefundStatus.PROCESSED: frozenset(),
        RefundStatus.FAILED: frozenset(),
    },
    "delivery": {
        DeliveryStatus.PENDING: frozenset(
            {DeliveryStatus.PENDING, DeliveryStatus.SUCCESS, DeliveryStatus.FAILED}
        ),
        DeliveryStatus.SUCCESS: frozenset({DeliveryStatus.PENDING}),
        DeliveryStatus.FAILED: frozenset({DeliveryStatus.PENDING}),
    },
    "endpoint": {
        EndpointStatus.ENABLED: frozenset({EndpointStatus.DISABLED}),
        EndpointStatus.DISABLED: frozenset({EndpointStatus.ENABLED}),
    },
    "order": {
        OrderStatus.CREATED: frozenset({OrderStatus.PAID}),
        OrderStatus.PAID: frozenset(),
    },
}


class SettlementStatus:
    CREATED = "created"  # the available balance moved in transit; the bank has not answered
    PROCESSED = "processed"  # the bank paid it into the merchant's account; final
    FAILED = "failed"  # the bank returned it; the money is available again (its own entry); final
    ALL = (CREATED, PROCESSED, FAILED)


TRANSITIONS["settlement"] = {
    SettlementStatus.CREATED: frozenset({SettlementStatus.PROCESSED, SettlementStatus.FAILED}),
    SettlementStatus.PROCESSED: frozenset(),
    SettlementStatus.FAILED: frozenset(),
}


def can_move(kind: str, current: str, new: str) -> bool:
    return new in TRANSITIONS[kind].get(current, frozenset())


def guard(kind: str, current: str, new: str, error: type[InvalidStateTransition] = InvalidStateTransition) -> str:
    """Return ``new`` if ``current → new`` is legal for ``kind``, else raise ``error``."""
    if not can_move(kind, current, new):
        raise error(f"Cannot move {kind} from {current} to {new}")
    return new
