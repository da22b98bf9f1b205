"""The authenticated merchant's own settings."""

from __future__ import annotations

from sanic import Blueprint

from ... import merchants, serialize
from ...errors import InvalidRequest
from ..auth import current_merchant
from ..pool import read, transact
from ..responses import json_body, json_response

bp = Blueprint("merchants", url_prefix="/api/v1/merchants")


@bp.get("/me")
async def get_me(request):
    merchant = await current_merchant(request)
    return json_response(await read(request, lambda: serialize.merchant(merchants.get_merchant(merchant.id))))


@bp.put("/me")
async def update_me(request):
    merchant = await current_merchant(request)
    body = json_body(request)
    if "webhook_url" not in body:
        raise InvalidRequest("webhook_url is required (a URL, or null to stop deliveries)", field="webhook_url")
    allow_private = request.app.ctx.settings.private_webhooks_allowed
    row = await transact(request, merchants.set_webhook_url, merchant.id, body["webhook_url"], allow_private=allow_private)
    return json_response(serialize.merchant(row))
