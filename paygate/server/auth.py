"""``X-Api-Key`` + ``X-Api-Secret`` → the merchant. A cache hit never leaves the event loop."""

from __future__ import annotations

from .. import merchants
from ..errors import AuthenticationFailed
from .pool import read


async def current_merchant(request) -> merchants.MerchantSnapshot:
    key = request.headers.get("X-Api-Key")
    secret = request.headers.get("X-Api-Secret")
    if not key or not secret:
        raise AuthenticationFailed()
    if merchants.auth_cache.get(key) is not None:
        merchant = merchants.authenticate(key, secret)  # memory only: the cached snapshot
    else:
        merchant = await read(request, merchants.authenticate, key, secret)
    request.ctx.merchant_id = merchant.id
    return merchant
