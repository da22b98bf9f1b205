"""What the API answers, as types: the contract's JSON objects, kept as the dicts they are.

``TypedDict`` rather than classes, so ``--json`` output and scripts see exactly the bytes' shape
the daemon sent (nothing renamed or dropped) while editors and type checkers know the keys.
Keys that only some objects carry (``vpa`` or ``card_network``; ``error_code``) are optional.
"""

from __future__ import annotations

from typing import Generic, NotRequired, Optional, TypedDict, TypeVar

T = TypeVar("T")


class Page(TypedDict, Generic[T]):
    """One list page: ``total``/``offset`` only when paged by offset (no cursor) or asked for."""

    object: str
    data: list[T]
    has_more: bool
    limit: int
    total: NotRequired[int]
    offset: NotRequired[int]


class Order(TypedDict):
    id: str
    merchant_id: str
    amount: int
    currency: str
    receipt: Optional[str]
    notes: Optional[dict]
    status: str
    created_at: str


class Payment(TypedDict):
    id: str
    order_id: str
    amount: int
    currency: str
    method: str
    status: str
    captured: bool
    created_at: str
    updated_at: str
    vpa: NotRequired[str]
    card_network: NotRequired[str]
    card_last4: NotRequired[str]
    error_code: NotRequired[Optional[str]]
    error_description: NotRequired[Optional[str]]


class Refund(TypedDict):
    id: str
    payment_id: str
    amount: int
    reason: Optional[str]
    status: str
    created_at: str
    processed_at: NotRequired[Optional[str]]


class Delivery(TypedDict):
    id: str
    event: str
    status: str
    attempts: int
    created_at: str
    last_attempt_at: Optional[str]
    response_code: Optional[int]
    event_id: NotRequired[str]
    url: NotRequired[str]
    next_retry_at: NotRequired[Optional[str]]
    attempt_log: NotRequired[list[dict]]


class Event(TypedDict):
    id: str
    event: str
    timestamp: int
    data: dict
    object_id: NotRequired[str]
    created_at: NotRequired[str]


class Merchant(TypedDict):
    id: str
    name: str
    email: str
    webhook_url: Optional[str]


class Health(TypedDict):
    status: str
    database: str
    redis: str
    worker: str
    timestamp: str


class JobsStatus(TypedDict):
    pending: int
    processing: int
    completed: int
    failed: int
    worker_status: str


class WebhookEndpoint(TypedDict):
    id: str
    url: str
    description: Optional[str]
    enabled_events: list[str]
    status: str
    default: bool
    created_at: str
    secret: NotRequired[str]  # on create and on rotation only
    health: NotRequired[Optional[dict]]
