"""Creates go through the process's group committer, with an optional ``Idempotency-Key``.

The committer runs each create inside a shared transaction and answers after the commit; a
keyed create stores its response in that same transaction (see ``paygate.idempotency``). A
replay answers with the stored status and body, byte for byte, plus ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from .. import idempotency, payments
from ..errors import Overloaded
from . import metrics
from ..audit import Audited, audited_handler
from .audit_context import audit_context
from .responses import raw_json_response

PAYMENT_CREATE = "payment.create"
UNIT = "unit"


def handlers(processor) -> dict:
    """The batch handlers of an API process's committer."""
    return {
        PAYMENT_CREATE: audited_handler(lambda requests: payments.create_payments(requests, processor)),
        UNIT: audited_handler(idempotency.run_units),
    }


async def committed(request, kind: str, payload) -> idempotency.Answer:
    """Hand ``payload`` (with its audit context) to the committer; resume when its batch has committed."""
    try:
        return await request.app.ctx.committer.submit_async(kind, Audited(payload, audit_context(request)))
    except Overloaded:
        metrics.COMMIT_QUEUE_FULL.inc()
        raise


def answer_response(answer: idempotency.Answer):
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return raw_json_response(answer.body, status=answer.status, headers=headers)


def keyed_request(request, scope: str, merchant_id: str, body) -> idempotency.KeyedRequest | None:
    key = idempotency.validate_key(request.headers.get("Idempotency-Key"))
    if key is None:
        return None
    return idempotency.KeyedRequest(merchant_id, scope, key, idempotency.fingerprint(body))


async def create_response(request, scope: str, merchant_id: str, body, create):
    """Run ``create()`` (returning an Outcome) once per key, group-committed; answer 201."""
    unit = idempotency.Unit(create, keyed_request(request, scope, merchant_id, body))
    return answer_response(await committed(request, UNIT, unit))
