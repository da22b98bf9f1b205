"""``paygate keys …`` and ``paygate audit list`` against a live daemon, and the client's key calls
(both backends, a fresh merchant)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paygate.cli import app
from paygate.client import ApiError, Client, Credentials
from tests.support.api import new_merchant

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(deployment):
    """One fresh merchant for the module (each test filters what it checks by its own keys)."""
    return new_merchant(deployment.base_url, deployment)


def _cli(merchant_api):
    creds = ["--api-url", merchant_api.base_url, "--api-key", merchant_api.session.headers["X-Api-Key"], "--api-secret", merchant_api.session.headers["X-Api-Secret"]]

    def run(*args, expect: int = 0):
        result = runner.invoke(app, [*args, *creds])
        assert result.exit_code == expect, (result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return run


def test_every_verb_has_help_with_an_example():
    for noun, verbs in (("keys", ("create", "list", "revoke", "rotate")), ("audit", ("list", "verify"))):
        for verb in verbs:
            out = runner.invoke(app, [noun, verb, "--help"])
            assert out.exit_code == 0 and f"Example: paygate {noun} {verb}" in out.stdout, (noun, verb)


def test_create_list_rotate_revoke_and_the_audit_trail(shop):
    merchant_api = shop
    run = _cli(merchant_api)
    made = json.loads(run("keys", "create", "nightly report", "-s", "payments:read", "--json").stdout)
    assert made["scopes"] == ["payments:read"] and made["secret"].startswith("secret_live_")
    listed = run("keys", "list").stdout
    assert made["id"] in listed and "nightly report" in listed and made["secret"] not in listed
    rotated = json.loads(run("keys", "rotate", made["id"], "--expire-previous-in", "0", "--json").stdout)
    assert rotated["secret"] != made["secret"]
    human = run("keys", "revoke", made["id"]).stdout
    assert "revoked" in human and rotated["secret"] not in human
    refused = runner.invoke(app, ["payments", "list", "--api-url", merchant_api.base_url, "--api-key", made["id"], "--api-secret", rotated["secret"]])
    assert refused.exit_code == 3 and "API_KEY_REVOKED" in refused.stderr
    trail = json.loads(run("audit", "list", "--object", made["id"], "--json").stdout)["data"]
    assert [e["operation"] for e in trail] == ["revokeApiKey", "rotateApiKey", "createApiKey"]
    assert "revokeApiKey" in run("audit", "list", "--operation", "revokeApiKey").stdout
    run("keys", "create", "bad", "-s", "payments:everything", expect=1)


def test_the_client_has_the_same_calls(shop):
    merchant_api = shop
    client = Client(Credentials(merchant_api.base_url, merchant_api.session.headers["X-Api-Key"], merchant_api.session.headers["X-Api-Secret"]))
    key = client.create_api_key("client", ["webhooks:read"])
    assert key["id"] in {k["id"] for k in client.api_keys()["data"]}
    assert client.rotate_api_key(key["id"], 60)["previous_secret_expires_at"]
    narrow = Client(Credentials(merchant_api.base_url, key["id"], key["secret"]))
    with pytest.raises(ApiError) as err:
        narrow.payments()
    assert (err.value.status, err.value.code) == (403, "PERMISSION_ERROR") and "payments:read" in err.value.description
    assert client.revoke_api_key(key["id"])["status"] == "revoked"
    assert client.audit_log(operation="createApiKey", limit=5)["data"][0]["object_id"] == key["id"]
