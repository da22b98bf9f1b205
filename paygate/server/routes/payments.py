"""Payments: create (merchant and public), get, list, capture."""

from __future__ import annotations

from sanic import Blueprint

from ... import idempotency, ids, orders, payments
from ..auth import current_merchant
from ..idempotent import create_response
from ..pool import read, transact
from ..responses import json_body, json_response

bp = Blueprint("payments", url_prefix="/api/v1/payments")


@bp.post("")
async def create_payment(request):
    merchant = await current_merchant(request)
    body = json_body(request)
    processor = request.app.ctx.processor
    return await create_response(
        request, idempotency.PAYMENT_CREATE, merchant.id, body, lambda: payments.create_payment(body, processor, merchant.id)
    )


@bp.post("/public")
async def create_public_payment(request):
    body = json_body(request)
    processor = request.app.ctx.processor
    merchant_id = None
    if request.headers.get("Idempotency-Key") is not None:
        order_id = body.get("order_id")
        if ids.looks_like("order", order_id):
            order = await read(request, orders.get_order, order_id)
            merchant_id = order.merchant_id
    if merchant_id is None:  # no order, so no merchant to scope a key to: the create answers 400/404
        outcome = await transact(request, lambda: payments.create_payment(body, processor, None))
        return json_response(outcome.data, status=201)
    return await create_response(
        request,
        idempotency.PAYMENT_CREATE,
        merchant_id,
        body,
        lambda: payments.create_payment(body, processor, merchant_id),
    )


@bp.get("")
async def list_payments(request):
    merchant = await current_merchant(request)
    params = {k: request.args.get(k) for k in ("status", "method", "from", "to", "limit", "offset", "q")}
    return json_response(await read(request, payments.list_payments, merchant.id, params))


@bp.get("/<payment_id:str>")
async def get_payment(request, payment_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, payments.get_payment, payment_id, merchant.id))


@bp.get("/<payment_id:str>/public")
async def get_public_payment(request, payment_id):
    return json_response(await read(request, payments.get_public_payment, payment_id))


@bp.post("/<payment_id:str>/capture")
async def capture_payment(request, payment_id):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)
    outcome = await transact(request, payments.capture_payment, payment_id, merchant.id, body)
    return json_response(outcome.data)
