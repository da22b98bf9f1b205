"""API keys: create (the secret is shown in that answer only), list, revoke, rotate with overlap."""

from __future__ import annotations

from sanic import Blueprint

from ... import api_keys, paging
from ..auth import current_merchant
from ..params import query_params
from ..pool import read, transact
from ..responses import json_body, json_response

bp = Blueprint("api_keys", url_prefix="/api/v1/api_keys")


@bp.post("")
async def create_key(request):
    merchant = await current_merchant(request)
    body = json_body(request)
    return json_response(await transact(request, api_keys.create_key, merchant.id, body, merchant.scopes), status=201)


@bp.get("")
async def list_keys(request):
    merchant = await current_merchant(request)
    params = query_params(request, paging.CURSOR_PARAMS)
    return json_response(await read(request, api_keys.list_keys, merchant.id, params))


@bp.post("/<key_id:str>/revoke")
async def revoke_key(request, key_id):
    merchant = await current_merchant(request)
    return json_response(await transact(request, api_keys.revoke_key, key_id, merchant.id))


@bp.post("/<key_id:str>/rotate")
async def rotate_key(request, key_id):
    merchant = await current_merchant(request)
    body = json_body(request, optional=True)
    return json_response(await transact(request, api_keys.rotate_key, key_id, merchant.id, body))
