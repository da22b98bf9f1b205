"""API keys in-process, both backends: the secret is stored only as a hash, last use is written at
most once a minute, and revoked, expired and rotated-out secrets get their own errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paygate import api_keys, db, merchants
from paygate.clock import utcnow
from paygate.errors import ApiKeyExpired, ApiKeyRevoked, AuthenticationFailed, InvalidRequest
from paygate.models import ApiKey


def _auth(key_id, secret):
    return db.read(merchants.authenticate, key_id, secret, fresh=True)


def test_the_secret_is_stored_hashed_and_last_use_is_coalesced(merchant):
    made = db.unit_of_work(api_keys.create_key, merchant.id, {"name": "ci", "scopes": ["payments:read"]})
    row = db.read(ApiKey.get_by_id, made["id"])
    assert made["secret"] not in str(row.__data__) and row.secret_hash == merchants.hash_secret(made["secret"])
    snap = _auth(made["id"], made["secret"])
    assert snap.scopes == ("payments:read",) and snap.key_name == "ci" and snap.id == merchant.id
    first = db.read(ApiKey.get_by_id, made["id"]).last_used_at
    assert first is not None
    _auth(made["id"], made["secret"])
    assert db.read(ApiKey.get_by_id, made["id"]).last_used_at == first  # not a write per request
    db.unit_of_work(lambda: ApiKey.update(last_used_at=first - timedelta(minutes=2)).where(ApiKey.id == made["id"]).execute())
    _auth(made["id"], made["secret"])
    assert db.read(ApiKey.get_by_id, made["id"]).last_used_at > first - timedelta(minutes=2)


def test_revoked_expired_and_rotated_out_secrets(merchant):
    made = db.unit_of_work(api_keys.create_key, merchant.id, {"name": "short", "scopes": ["payments:read"]})
    rotated = db.unit_of_work(api_keys.rotate_key, made["id"], merchant.id, {"expire_previous_in": 60})
    assert _auth(made["id"], made["secret"]) and _auth(made["id"], rotated["secret"])  # the overlap
    db.unit_of_work(lambda: ApiKey.update(previous_secret_expires_at=utcnow() - timedelta(seconds=1)).where(ApiKey.id == made["id"]).execute())
    with pytest.raises(ApiKeyExpired):
        _auth(made["id"], made["secret"])
    with pytest.raises(AuthenticationFailed) as wrong:
        _auth(made["id"], "secret_live_wrong")
    assert type(wrong.value) is AuthenticationFailed
    db.unit_of_work(lambda: ApiKey.update(expires_at=utcnow() - timedelta(seconds=1)).where(ApiKey.id == made["id"]).execute())
    with pytest.raises(ApiKeyExpired):
        _auth(made["id"], rotated["secret"])
    with pytest.raises(InvalidRequest):
        db.unit_of_work(api_keys.rotate_key, made["id"], merchant.id, {})
    db.unit_of_work(api_keys.revoke_key, made["id"], merchant.id)
    with pytest.raises(ApiKeyRevoked):
        _auth(made["id"], rotated["secret"])


@pytest.mark.parametrize(
    "body, field",
    [
        ({"scopes": ["payments:read"]}, "name"),
        ({"name": " ", "scopes": ["payments:read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["payments:everything"]}, "scopes"),
        ({"name": "x", "scopes": "payments:read"}, "scopes"),
        ({"name": "x", "scopes": ["payments:read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "scopes": ["payments:read"], "expires_at": 5}, "expires_at"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(merchant, body, field):
    before = db.read(lambda: ApiKey.select().where(ApiKey.merchant == merchant.id).count())
    with pytest.raises(InvalidRequest) as err:
        db.unit_of_work(api_keys.create_key, merchant.id, body)
    assert err.value.field == field
    assert db.read(lambda: ApiKey.select().where(ApiKey.merchant == merchant.id).count()) == before


def test_the_last_key_that_can_manage_keys_cannot_be_revoked(merchant):
    first = merchant.api_key
    with pytest.raises(InvalidRequest):
        db.unit_of_work(api_keys.revoke_key, first, merchant.id)
    spare = db.unit_of_work(api_keys.create_key, merchant.id, {"name": "spare", "scopes": ["keys:write"]})
    assert db.unit_of_work(api_keys.revoke_key, first, merchant.id)["status"] == "revoked"
    with pytest.raises(InvalidRequest):
        db.unit_of_work(api_keys.revoke_key, spare["id"], merchant.id)
