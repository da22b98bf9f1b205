"""Payments: create (merchant and public), get, list, capture."""

from __future__ import annotations

from sanic import Blueprint

from ... import idempotency, paging, payment_search, payments
from ..auth import current_merchant
from ..idempotent import PAYMENT_CREATE, answer_response, committed
from ..params import query_params
from ..pool import read, transact
from ..public_limits import check_public_attempt
from ..responses import json_body, json_response

bp = Blueprint("payments", url_prefix="/api/v1/payments")


async def _create(request, merchant_id: str | None):
    body = json_body(request)
    if merchant_id is None:  # the public path: no credentials, so bounded per client and per order
        await check_public_attempt(request, body)
    key = idempotency.validate_key(request.headers.get("Idempotency-Key"))
    fingerprint = idempotency.fingerprint(body) if key is not None else None
    # On the public path the key is scoped to the order's merchant, found in the batch.
    payload = payments.PaymentRequest(body, merchant_id, key, fingerprint)
    return answer_response(await committed(request, PAYMENT_CREATE, payload))


@bp.post("")
async def create_payment(request):
    merchant = await current_merchant(request)
    return await _create(request, merchant.id)


@bp.post("/public")
async def create_public_payment(request):
    return await _create(request, None)


@bp.get("")
async def list_payments(request):
    merchant = await current_merchant(request)
    params = query_params(request, payment_search.FILTERS + paging.LIST_PARAMS)
    return json_response(await read(request, payment_search.list_payments, merchant.id, params))


@bp.get("/<payment_id:str>")
async def get_payment(request, payment_id):
    merchant = await current_merchant(request)
    return json_response(await request.app.ctx.payment_reads.get(payments.PaymentLookup(payment_id, merchant.id)))


@bp.get("/<payment_id:str>/public")
async def get_public_payment(request, payment_id):
    return json_response(await request.app.ctx.payment_reads.get(payments.PaymentLookup(payment_id, None)))


@bp.post("/<payment_id:str>/capture")
async def capture_payment(request, payment_id):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)
    outcome = await transact(request, payments.capture_payment, payment_id, merchant.id, body)
    return json_response(outcome.data)
