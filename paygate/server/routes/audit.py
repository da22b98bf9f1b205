"""The audit log, newest first, with filters (actor, operation, object_id, from, to)."""

from __future__ import annotations

from sanic import Blueprint

from ... import audit, paging
from ..auth import current_merchant
from ..params import query_params
from ..pool import read
from ..responses import json_response

bp = Blueprint("audit_log", url_prefix="/api/v1/audit_log")

PARAMS = paging.CURSOR_PARAMS + ("actor", "operation", "object_id", "from", "to")


@bp.get("")
async def list_audit_log(request):
    merchant = await current_merchant(request)
    return json_response(await read(request, audit.list_entries, merchant.id, query_params(request, PARAMS)))
