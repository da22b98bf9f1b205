"""Endpoints integrators' test suites call without credentials (the seed family's promise)."""

from __future__ import annotations

from sanic import Blueprint

from ... import jobstats, merchants
from ...errors import NotFound
from ...models import Merchant
from ..pool import read
from ..responses import json_response

bp = Blueprint("testing", url_prefix="/api/v1/test")


def _test_merchant() -> dict:
    m = Merchant.get_or_none(Merchant.id == merchants.TEST_MERCHANT["id"])
    if m is None:
        raise NotFound("Test merchant not seeded")
    return {"id": m.id, "email": m.email, "api_key": m.api_key, "seeded": True}


@bp.get("/merchant")
async def test_merchant(request):
    return json_response(await read(request, _test_merchant))


@bp.get("/jobs/status")
async def jobs_status(request):
    return json_response(await read(request, jobstats.job_counts))
