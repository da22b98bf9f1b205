"""The event stream: what happened, in order, for followers (``paygate listen``, the console)."""

from __future__ import annotations

from sanic import Blueprint

from ... import webhooks
from ..auth import current_merchant
from ..params import query_params
from ..pool import read
from ..responses import json_response

bp = Blueprint("events", url_prefix="/api/v1/events")


@bp.get("")
async def list_events(request):
    merchant = await current_merchant(request)
    params = query_params(request, ("after", "limit", "type", "object_id", "starting_after", "ending_before"))
    return json_response(await read(request, webhooks.list_events, merchant.id, params))
