"""``paygate endpoints …`` against a live daemon, both backends (fresh merchants, real receivers)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from paygate.cli import app
from paygate.cli.endpoints import parse_since
from tests.support.receiver import Receiver
from devstack.waiting import wait_until

runner = CliRunner()
VERBS = ("create", "list", "get", "update", "delete", "rotate-secret", "replay")


def _cli(merchant_api):
    creds = ["--api-url", merchant_api.base_url, "--api-key", merchant_api.session.headers["X-Api-Key"], "--api-secret", merchant_api.session.headers["X-Api-Secret"]]

    def run(*args, expect: int = 0):
        result = runner.invoke(app, [*args, *creds])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code == expect, (result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return run


def test_every_verb_has_help_with_an_example():
    for verb in VERBS:
        out = runner.invoke(app, ["endpoints", verb, "--help"])
        assert out.exit_code == 0 and "Example: paygate endpoints" in out.stdout, verb


def test_since_takes_durations_and_iso_times():
    now = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
    assert parse_since("2h", now) == "2026-01-02T10:00:00Z"
    assert parse_since("7d", now) == "2025-12-26T12:00:00Z"
    assert parse_since("2026-01-01T05:30:00+05:30", now) == "2026-01-01T00:00:00Z"


def test_create_list_update_rotate_replay_delete(merchant_api):
    cli = _cli(merchant_api)
    with Receiver() as rx:
        made = json.loads(cli("endpoints", "create", rx.url, "-e", "webhook.test", "--description", "staging", "--json").stdout)
        assert made["id"].startswith("we_") and made["secret"].startswith("whsec_") and made["enabled_events"] == ["webhook.test"]
        assert "bogus.event" in cli("endpoints", "create", rx.url, "-e", "bogus.event", expect=1).stderr
        listed = cli("endpoints", "list").stdout
        assert made["id"] in listed and "webhook.test" in listed and "1 of 1" in listed
        assert json.loads(cli("endpoints", "get", made["id"], "--json").stdout)["description"] == "staging"
        merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
        first = rx.wait_for(1)[0]
        Webhook(made["secret"]).verify(first.body, first.headers)
        rotated = json.loads(cli("endpoints", "rotate-secret", made["id"], "--expire-previous-in", "600", "--json").stdout)
        assert rotated["secret"] != made["secret"]
        wait_until(lambda: merchant_api.ok("GET", f"/api/v1/webhooks?endpoint_id={made['id']}")["data"][0]["status"] == "success", 20, "recorded")
        out = cli("endpoints", "replay", made["id"], "--since", "10m", "--status", "success")
        assert "queued 1 deliveries again" in out.stdout and "replaying" in out.stderr
        again = rx.wait_for(2)[1]
        assert again.event_id == first.event_id
        for secret in (made["secret"], rotated["secret"]):
            Webhook(secret).verify(again.body, again.headers)
        disabled = json.loads(cli("endpoints", "update", made["id"], "--disable", "--json").stdout)
        assert disabled["status"] == "disabled"
        assert "disabled" in cli("endpoints", "replay", made["id"], "--since", "1h", expect=1).stderr
        assert "deleted" in cli("endpoints", "delete", made["id"]).stdout
        assert "not found" in cli("endpoints", "get", made["id"], expect=cli_not_found_code()).stderr.lower()


def cli_not_found_code() -> int:
    from paygate.cli.common import EXIT_CODES

    return EXIT_CODES.get("NOT_FOUND_ERROR", 1)
