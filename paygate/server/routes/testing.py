"""Endpoints integrators' test suites call without credentials (the seed family's promise).

They exist only on test deployments: where the test merchant is seeded or ``TEST_MODE`` is on.
Anywhere else they are 404, like a route that does not exist. Even there they tell an anonymous
caller nothing about anyone else: ``jobs/status`` counts the seeded test merchant's work only
(the merchant integrators' test suites use), never other merchants' or the workers' names. A
merchant's own counts are ``GET /api/v1/merchants/me/jobs`` (authenticated); operators read
everything on the metrics listener.
"""

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


def test_endpoints_enabled(settings) -> bool:
    return settings.seed_test_merchant or settings.test_mode


@bp.on_request
async def only_on_test_deployments(request):
    if not test_endpoints_enabled(request.app.ctx.settings):
        raise NotFound("Not found")


@bp.get("/merchant")
async def test_merchant(request):
    return json_response(await read(request, _test_merchant))


@bp.get("/jobs/status")
async def jobs_status(request):
    return json_response(await read(request, jobstats.job_counts, merchants.TEST_MERCHANT["id"]))
