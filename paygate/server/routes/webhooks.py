"""The webhook log: list, one delivery with its attempts, manual retry, and a test event."""

from __future__ import annotations

from sanic import Blueprint

from ... import paging, webhooks
from ..auth import current_merchant
from ..params import query_params
from ..pool import read, transact
from ..responses import json_body, json_response

bp = Blueprint("webhooks", url_prefix="/api/v1/webhooks")


@bp.get("")
async def list_deliveries(request):
    merchant = await current_merchant(request)
    params = query_params(request, ("status", "event", "event_id", "endpoint_id") + paging.LIST_PARAMS)
    return json_response(await read(request, webhooks.list_deliveries, merchant.id, params))


@bp.post("/test")
async def send_test_event(request):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)
    outcome = await transact(request, webhooks.send_test_event, merchant.id, body)
    return json_response(outcome.data, status=201)


@bp.get("/<delivery_id:str>")
async def get_delivery(request, delivery_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, webhooks.get_delivery, delivery_id, merchant.id))


@bp.post("/<delivery_id:str>/retry")
async def retry_delivery(request, delivery_id):
    merchant = await current_merchant(request)
    outcome = await transact(request, webhooks.retry_delivery, delivery_id, merchant.id)
    return json_response(outcome.data)
