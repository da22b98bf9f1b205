"""The authenticated merchant's own settings."""

from __future__ import annotations

from sanic import Blueprint

from ... import endpoints, jobstats, merchants, serialize, signing, webhooks
from ...clock import iso
from ...errors import InvalidRequest
from ..auth import current_merchant
from ..pool import read, transact
from ..responses import json_body, json_response

bp = Blueprint("merchants", url_prefix="/api/v1/merchants")


def _merchant_view(row) -> dict:
    """The merchant as its owner sees it: whether a webhook secret is set, never the secret itself."""
    return {**serialize.merchant(row), "webhook_secret_set": bool(row.webhook_secret), "webhook_secret_hint": signing.mask_secret(row.webhook_secret)}


@bp.get("/me")
async def get_me(request):
    merchant = await current_merchant(request)
    return json_response(await read(request, lambda: _merchant_view(merchants.get_merchant(merchant.id))))


@bp.put("/me")
async def update_me(request):
    merchant = await current_merchant(request)
    body = json_body(request)
    if "webhook_url" not in body:
        raise InvalidRequest("webhook_url is required (a URL, or null to stop deliveries)", field="webhook_url")
    allow_private = request.app.ctx.settings.private_webhooks_allowed
    row = await transact(request, merchants.set_webhook_url, merchant.id, body["webhook_url"], allow_private=allow_private)
    return json_response(_merchant_view(row))


@bp.get("/me/jobs")
async def my_jobs(request):
    """The merchant's own work by state (payments, refunds, webhook deliveries) and worker status."""
    merchant = await current_merchant(request)
    return json_response(await read(request, jobstats.job_counts, merchant.id))


@bp.get("/me/webhook-secret")
async def reveal_webhook_secret(request):
    """The signing secret, only on this explicit call (listings show a masked hint)."""
    merchant = await current_merchant(request)
    return json_response(await read(request, webhooks.webhook_secret, merchant.id))


@bp.post("/me/webhook-secret")
async def rotate_webhook_secret(request):
    """A new signing secret for every send from now on, including retries; the old one signs
    beside it for ``expire_previous_in`` seconds (default a day), as a named endpoint's does."""
    merchant = await current_merchant(request)
    ttl = endpoints.previous_secret_ttl(json_body(request, optional=True))
    row = await transact(request, merchants.rotate_webhook_secret, merchant.id, ttl)
    expires = iso(row.previous_webhook_secret_expires_at)
    return json_response({"webhook_secret": row.webhook_secret, "previous_secret_expires_at": expires, "message": "Webhook secret rotated"})
