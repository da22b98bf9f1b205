"""Orders: what the merchant wants paid. Amount and currency are fixed here; payments copy them."""

from __future__ import annotations

import hmac
import json

from . import ids, serialize
from .errors import InvalidRequest, NotFound
from .models import Merchant, Order
from .money import parse_amount, parse_currency
from .paging import created_between, list_page, parse_choice, parse_search_text
from .states import OrderStatus
from .text import parse_text

MAX_NOTES_BYTES = 4096
MAX_RECEIPT_CHARS = 255


def _parse_notes(notes) -> str:
    if notes is None:
        return "{}"
    if not isinstance(notes, dict):
        raise InvalidRequest("notes must be a JSON object", field="notes")
    text = json.dumps(notes, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8", "surrogatepass")) > MAX_NOTES_BYTES:
        raise InvalidRequest(f"notes must be at most {MAX_NOTES_BYTES} bytes", field="notes")
    return text


def create_order(merchant_id: str, body: dict) -> Order:
    amount = parse_amount(body.get("amount"))
    currency = parse_currency(body.get("currency"))
    receipt = parse_text(body.get("receipt"), "receipt", MAX_RECEIPT_CHARS)
    return Order.create(
        id=ids.new_order_id(),
        merchant=merchant_id,
        amount=amount,
        currency=currency,
        receipt=receipt,
        notes=_parse_notes(body.get("notes")),
    )


def get_public_order(order_id, api_key: str | None = None) -> Order:
    """The checkout's lookup. With ``api_key`` (the key the shop gave checkout.js) the order must
    be that merchant's: another merchant's key gets the same 404 as an unknown order."""
    order = get_order(order_id)
    if api_key is not None:
        owner_key = Merchant.select(Merchant.api_key).where(Merchant.id == order.merchant_id).scalar() or ""
        if not hmac.compare_digest(owner_key.encode(), api_key.encode("utf-8", "replace")):
            raise NotFound("Order not found")
    return order


def get_order(order_id, merchant_id: str | None = None) -> Order:
    """The order, or NotFound. ``merchant_id=None`` is the public (checkout) lookup."""
    if not ids.looks_like("order", order_id):
        raise NotFound("Order not found")
    query = Order.select().where(Order.id == order_id)
    if merchant_id is not None:
        query = query.where(Order.merchant == merchant_id)
    order = query.first()
    if order is None:
        raise NotFound("Order not found")
    return order


def list_orders(merchant_id: str, params: dict) -> dict:
    """``GET /api/v1/orders``: newest first; filters ``status``, ``receipt`` (exact), ``from``/``to``,
    each served by an index on ``(merchant, …)``."""
    query = Order.select().where(Order.merchant == merchant_id)
    status = parse_choice("status", params.get("status"), OrderStatus.ALL)
    if status:
        query = query.where(Order.status == status)
    receipt = parse_search_text("receipt", params.get("receipt"), MAX_RECEIPT_CHARS)
    if receipt is not None:
        query = query.where(Order.receipt == receipt)
    query = created_between(query, Order, params)
    mine = Order.select().where(Order.merchant == merchant_id)
    return list_page(query, Order, params, serialize.order, mine)
