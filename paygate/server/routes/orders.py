"""Orders: create, get, list, an order's payments, and the public view the checkout page shows."""

from __future__ import annotations

from sanic import Blueprint

from ... import idempotency, orders, paging, payment_search, serialize
from ...payments import Outcome
from ..auth import current_merchant
from ..idempotent import UNIT, answer_response, committed
from ..params import query_params
from ..pool import read
from ..responses import json_body, json_response

bp = Blueprint("orders", url_prefix="/api/v1/orders")


@bp.post("")
async def create_order(request):
    merchant = await current_merchant(request)
    body = json_body(request)
    unit = idempotency.Unit(lambda: Outcome(serialize.order(orders.create_order(merchant.id, body))))
    return answer_response(await committed(request, UNIT, unit))


@bp.get("/<order_id:str>")
async def get_order(request, order_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, lambda: serialize.order(orders.get_order(order_id, merchant.id))))


@bp.get("/<order_id:str>/public")
async def get_public_order(request, order_id):
    key = request.args.get("key")  # checkout.js passes the shop's key: refused unless it is the order's merchant's
    return json_response(await read(request, lambda: serialize.public_order(orders.get_public_order(order_id, key))))


@bp.get("")
async def list_orders(request):
    merchant = await current_merchant(request)
    params = query_params(request, ("status", "receipt", "from", "to") + paging.LIST_PARAMS)
    return json_response(await read(request, orders.list_orders, merchant.id, params))


@bp.get("/<order_id:str>/payments")
async def list_order_payments(request, order_id):
    merchant = await current_merchant(request)
    params = query_params(request, paging.LIST_PARAMS)
    return json_response(await read(request, payment_search.list_order_payments, order_id, merchant.id, params))
