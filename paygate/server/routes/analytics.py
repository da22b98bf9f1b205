"""Analytics: ``GET /api/v1/analytics?window=hour|day|week[&currency=INR]`` for the console."""

from __future__ import annotations

from sanic import Blueprint

from ... import analytics
from ..auth import current_merchant
from ..params import query_params
from ..pool import in_pool
from ..responses import json_response

bp = Blueprint("analytics", url_prefix="/api/v1/analytics")


@bp.get("")
async def get_analytics(request):
    merchant = await current_merchant(request)
    params = query_params(request, ("window", "currency"))
    # analytics_report reads, then rolls up newly closed hours in its own short transaction.
    return json_response(await in_pool(request, analytics.analytics_report, merchant.id, params))
