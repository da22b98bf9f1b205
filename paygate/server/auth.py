"""``X-Api-Key`` + ``X-Api-Secret`` → the merchant, then the key's scope for this operation.

A cache hit never leaves the event loop. The operation is the route's ``operationId`` in the
OpenAPI document, and the scope it needs comes from ``paygate.scopes`` (the table the document
states too). The key becomes the request's audit actor.
"""

from __future__ import annotations

from .. import merchants, scopes
from ..audit import Actor
from ..errors import ApiKeyExpired, ApiKeyRevoked, AuthenticationFailed, PermissionDenied
from .openapi import operation_id
from .pool import read


async def current_merchant(request) -> merchants.MerchantSnapshot:
    key = request.headers.get("X-Api-Key")
    secret = request.headers.get("X-Api-Secret")
    if not key or not secret:
        raise AuthenticationFailed(missing_credentials(request.headers, key, secret))
    cached = merchants.auth_cache.get(key) is not None
    merchant = None
    if cached:
        try:
            merchant = merchants.authenticate(key, secret)  # memory only: the cached snapshot
        except (ApiKeyExpired, ApiKeyRevoked):
            raise  # per a snapshot at most a second old: final
        except AuthenticationFailed:
            pass  # perhaps a secret rotated in on another process: read the key afresh
    if merchant is None:
        merchant = await read(request, merchants.authenticate, key, secret, fresh=cached)
    request.ctx.merchant_id = merchant.id
    request.ctx.actor = Actor("api_key", merchant.api_key, merchant.key_name)
    request.ctx.scopes = merchant.scopes
    needed = scopes.required_scope(operation_id(request))
    if not scopes.allows(merchant.scopes, needed):
        raise PermissionDenied(f"This API key lacks the {needed} scope that this operation needs", missing_scope=needed)
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
