"""``X-Api-Key`` + ``X-Api-Secret`` → the merchant. A cache hit never leaves the event loop."""

from __future__ import annotations

from .. import merchants
from ..errors import AuthenticationFailed
from .pool import read


async def current_merchant(request) -> merchants.MerchantSnapshot:
    key = request.headers.get("X-Api-Key")
    secret = request.headers.get("X-Api-Secret")
    if not key or not secret:
        raise AuthenticationFailed(missing_credentials(request.headers, key, secret))
    if merchants.auth_cache.get(key) is not None:
        merchant = merchants.authenticate(key, secret)  # memory only: the cached snapshot
    else:
        merchant = await read(request, merchants.authenticate, key, secret)
    request.ctx.merchant_id = merchant.id
    return merchant


def missing_credentials(headers, key, secret) -> str:
    """What a request without both headers should send instead (another scheme, or nothing)."""
    authorization = headers.get("Authorization", "").strip()
    if authorization:
        scheme = authorization.split(" ", 1)[0].capitalize()
        scheme = f"{scheme} scheme" if scheme in ("Bearer", "Basic") else "header"
        return (
            f"Invalid API credentials: the Authorization {scheme} is not supported; "
            "send the key and secret in the X-Api-Key and X-Api-Secret headers"
        )
    missing = " and ".join(name for name, value in (("X-Api-Key", key), ("X-Api-Secret", secret)) if not value)
    return f"Invalid API credentials: the {missing} header{'s are' if ' and ' in missing else ' is'} missing"
