"""The audit context of a request: who (the key ``auth`` recorded, or the public checkout),
which operation, the request id, the client's address, the path's id and a safe summary of the body.
"""

from __future__ import annotations

from ..audit import Actor, AuditContext, safe_summary
from .openapi import operation_id

CHECKOUT = Actor("checkout", "public", "checkout page")


def audit_context(request) -> AuditContext:
    path_ids = [v for v in (request.match_info or {}).values() if isinstance(v, str)]
    body = getattr(request.ctx, "json_body", None)  # set by ``json_body``
    return AuditContext(
        merchant_id=getattr(request.ctx, "merchant_id", None),
        actor=getattr(request.ctx, "actor", None) or CHECKOUT,
        operation=operation_id(request) or f"{request.method} {request.path}"[:64],
        request_id=getattr(request.ctx, "request_id", None),
        client_address=(request.remote_addr or request.ip or None),
        object_id=path_ids[0][:64] if path_ids else None,
        request=safe_summary(body),
    )
