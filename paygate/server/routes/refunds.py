"""Refunds: create against a payment (optional Idempotency-Key), get, list, list per payment."""

from __future__ import annotations

from sanic import Blueprint

from ... import idempotency, paging, refunds
from ..auth import current_merchant
from ..idempotent import create_response
from ..params import query_params
from ..pool import read
from ..responses import json_body, json_response

bp = Blueprint("refunds", url_prefix="/api/v1")

LIST_PARAMS = ("status", "payment_id", "from", "to") + paging.LIST_PARAMS


@bp.post("/payments/<payment_id:str>/refunds")
async def create_refund(request, payment_id):
    merchant = await current_merchant(request)
    body = json_body(request)
    processor = request.app.ctx.processor
    # The key's fingerprint covers the payment too: one key reused on another payment is a new request.
    fingerprinted = {"payment_id": payment_id, "body": body}
    return await create_response(
        request,
        idempotency.REFUND_CREATE,
        merchant.id,
        fingerprinted,
        lambda: refunds.create_refund(payment_id, merchant.id, body, processor),
    )


@bp.get("/payments/<payment_id:str>/refunds")
async def list_payment_refunds(request, payment_id):
    merchant = await current_merchant(request)
    params = query_params(request, LIST_PARAMS)
    return json_response(await read(request, refunds.list_payment_refunds, payment_id, merchant.id, params))


@bp.get("/refunds")
async def list_refunds(request):
    merchant = await current_merchant(request)
    params = query_params(request, LIST_PARAMS)
    return json_response(await read(request, refunds.list_refunds, merchant.id, params))


@bp.get("/refunds/<refund_id:str>")
async def get_refund(request, refund_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, refunds.get_refund, refund_id, merchant.id))
