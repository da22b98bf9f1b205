"""``paygate webhooks rotate-secret``: the merchant's default endpoint keeps the old secret signing
beside the new one, as a named endpoint does, so a receiver not yet updated keeps verifying."""

from __future__ import annotations

import json

from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from devstack.daemon import Deployment, backend_env
from paygate import signing, webhooks
from paygate.cli import app
from tests.cli.test_migrate import _migrate, _sql
from tests.support.receiver import Receiver

runner = CliRunner()


def rotate(api, *args) -> dict:
    creds = ["--api-url", api.base_url, "--api-key", api.session.headers["X-Api-Key"], "--api-secret", api.session.headers["X-Api-Secret"]]
    result = runner.invoke(app, ["webhooks", "rotate-secret", *args, "--json", *creds])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_the_default_endpoint_signs_with_both_secrets_during_the_overlap(merchant_api):
    api = merchant_api
    old = api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]
    with Receiver() as rx:
        api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": rx.url})
        rotated = rotate(api, "--expire-previous-in", "3600")
        new = rotated["webhook_secret"]
        assert new != old and rotated["previous_secret_expires_at"]
        api.ok("POST", "/api/v1/webhooks/test", 201, json={})
        (got,) = rx.wait_for(1, timeout=20)
        assert signing.verify_hex(new, got.body, got.headers["x-webhook-signature"])
        assert signing.verify_hex(old, got.body, got.headers["x-webhook-signature-previous"])
        assert len(got.headers["webhook-signature"].split()) == 2
        for secret in (old, new):  # a receiver on either secret verifies, with the reference library or ours
            Webhook(secret).verify(got.body, got.headers)
            assert webhooks.verify(got.body, dict(got.headers), secret)["event"] == "webhook.test"

        immediately = rotate(api, "--expire-previous-in", "0")
        assert immediately["previous_secret_expires_at"] is None
        api.ok("POST", "/api/v1/webhooks/test", 201, json={})
        got = rx.wait_for(2, timeout=20)[1]
        assert "x-webhook-signature-previous" not in got.headers and len(got.headers["webhook-signature"].split()) == 1
        Webhook(immediately["webhook_secret"]).verify(got.body, got.headers)


def test_a_bad_overlap_is_refused_and_changes_nothing(merchant_api):
    before = merchant_api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]
    r = merchant_api.post("/api/v1/merchants/me/webhook-secret", json={"expire_previous_in": -1})
    assert r.status_code == 400 and r.json()["error"]["field"] == "expire_previous_in"
    assert merchant_api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"] == before


def test_a_database_from_before_gets_the_merchant_overlap_columns(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    _migrate(d)
    _sql(d, "ALTER TABLE merchant DROP COLUMN previous_webhook_secret", "ALTER TABLE merchant DROP COLUMN previous_webhook_secret_expires_at")
    _sql(d, "DELETE FROM schema_migration WHERE version = 50")
    _migrate(d)
    assert _sql(d, "SELECT count(previous_webhook_secret), count(previous_webhook_secret_expires_at) FROM merchant") == [(0, 0)]
    assert (50,) in _sql(d, "SELECT version FROM schema_migration")
    _migrate(d)
