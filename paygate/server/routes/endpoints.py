"""Webhook endpoints: several destinations per merchant (``we_…``), Stripe's manners."""

from __future__ import annotations

from sanic import Blueprint

from ... import endpoints, paging, wakeup
from ..auth import current_merchant
from ..params import query_params
from ..pool import read, transact
from ..responses import json_body, json_response

bp = Blueprint("webhook_endpoints", url_prefix="/api/v1/webhook_endpoints")


def _allow_private(request) -> bool:
    return request.app.ctx.settings.private_webhooks_allowed


@bp.post("")
async def create_endpoint(request):
    merchant = await current_merchant(request)
    body = json_body(request)
    return json_response(await transact(request, endpoints.create_endpoint, merchant.id, body, allow_private=_allow_private(request)), status=201)


@bp.get("")
async def list_endpoints(request):
    merchant = await current_merchant(request)
    params = query_params(request, paging.LIST_PARAMS)
    return json_response(await read(request, endpoints.list_endpoints, merchant.id, params))


@bp.get("/<endpoint_id:str>")
async def get_endpoint(request, endpoint_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, endpoints.get_endpoint, endpoint_id, merchant.id))


@bp.patch("/<endpoint_id:str>")
async def update_endpoint(request, endpoint_id):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)  # validated after the ownership check: another merchant's id is 404
    return json_response(await transact(request, endpoints.update_endpoint, endpoint_id, merchant.id, body, allow_private=_allow_private(request)))


@bp.delete("/<endpoint_id:str>")
async def delete_endpoint(request, endpoint_id):
    merchant = await current_merchant(request)
    return json_response(await transact(request, endpoints.delete_endpoint, endpoint_id, merchant.id))


@bp.post("/<endpoint_id:str>/rotate_secret")
async def rotate_secret(request, endpoint_id):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)
    return json_response(await transact(request, endpoints.rotate_secret, endpoint_id, merchant.id, body))


@bp.post("/<endpoint_id:str>/replay")
async def replay(request, endpoint_id):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)  # validated after the ownership check
    result = await transact(request, endpoints.replay, endpoint_id, merchant.id, body)
    if result["queued"]:
        wakeup.alarm.ring()  # the embedded due loop; other processes were NOTIFYed at commit
    return json_response(result)
