"""Create endpoints with an optional ``Idempotency-Key`` (see ``paygate.idempotency``).

A replay answers with the stored status and body, byte for byte, plus ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from .. import db, idempotency
from ..errors import PaygateError
from ..jobs.dispatch import dispatch
from .pool import in_pool, transact
from .responses import dumps, raw_json_response


def _create_and_remember(create, scope, merchant_id, key):
    def work():
        outcome = create()
        body = dumps(outcome.data)
        idempotency.complete(merchant_id, scope, key, 201, body.decode("utf-8"))
        outcome.body = body
        return outcome

    return work


def _run_keyed(create, scope, merchant_id, key, request_hash):
    replay = db.unit_of_work(idempotency.claim, merchant_id, scope, key, request_hash)
    if replay is not None:
        return replay
    try:
        outcome = db.unit_of_work(_create_and_remember(create, scope, merchant_id, key))
    except PaygateError:
        try:
            db.unit_of_work(idempotency.release, merchant_id, scope, key)
        except PaygateError:
            pass  # the claim expires by itself after idempotency.LOCK_S
        raise
    if outcome.work:
        dispatch(outcome.work)
    return outcome


async def create_response(request, scope: str, merchant_id: str, body: dict, create):
    """Run ``create()`` (a unit of work returning an Outcome) once per key; answer 201."""
    key = idempotency.validate_key(request.headers.get("Idempotency-Key"))
    if key is None:
        outcome = await transact(request, create)
        return raw_json_response(dumps(outcome.data), status=201)
    result = await in_pool(request, _run_keyed, create, scope, merchant_id, key, idempotency.fingerprint(body))
    if isinstance(result, idempotency.Replay):
        return raw_json_response(result.body, status=result.status_code, headers={"Idempotent-Replayed": "true"})
    return raw_json_response(result.body, status=201)
