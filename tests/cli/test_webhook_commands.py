"""``paygate webhooks|events|listen|trigger`` against a live daemon, both backends (fresh merchants)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from paygate import signing
from paygate.cli import app
from devstack.daemon import clean_env, default_sigint
from tests.support.receiver import Receiver
from devstack.waiting import wait_until

runner = CliRunner()


@pytest.fixture
def shop(merchant_api):
    """(Api, cli runner) for a fresh merchant, so webhook settings never leak between tests."""
    key, secret = merchant_api.session.headers["X-Api-Key"], merchant_api.session.headers["X-Api-Secret"]
    creds = ["--api-url", merchant_api.base_url, "--api-key", key, "--api-secret", secret]

    def run(*args, expect: int = 0):
        result = runner.invoke(app, [*args, *creds])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code == expect, (result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        return result

    run.creds = creds
    return merchant_api, run



def test_set_url_test_list_get_retry(shop):
    api, cli = shop
    with Receiver() as rx:
        assert rx.url in cli("webhooks", "set-url", rx.url).stdout
        sent = json.loads(cli("webhooks", "test", "--data", '{"hello":"नमस्ते 🎉"}', "--json").stdout)
        assert rx.wait_for(1)[0].json()["data"] == {"hello": "नमस्ते 🎉"}
        wait_until(lambda: api.ok("GET", f"/api/v1/webhooks/{sent['id']}")["status"] == "success", 20, "delivered")
        listed = cli("webhooks", "list").stdout
        assert sent["id"] in listed and "webhook.test" in listed and "success" in listed and "1 of 1" in listed
        page = json.loads(cli("webhooks", "list", "--status", "failed", "--json").stdout)
        assert page["total"] == 0 and page["data"] == []
        shown = cli("webhooks", "get", sent["id"]).stdout
        assert sent["event_id"] in shown and "200" in shown
        assert "Webhook retry scheduled" in cli("webhooks", "retry", sent["id"]).stdout
        assert [r.event_id for r in rx.wait_for(2)] == [sent["event_id"]] * 2
    assert "(none" in cli("webhooks", "set-url", "none").stdout
    assert api.ok("GET", "/api/v1/merchants/me")["webhook_url"] is None


def test_errors_are_messages_with_exit_codes(shop):
    _, cli = shop
    missing = cli("webhooks", "get", "00000000-0000-0000-0000-000000000000", expect=4)
    assert "Webhook log not found" in missing.stderr
    assert "webhook_url" in cli("webhooks", "set-url", "ftp://nope.example/x", expect=1).stderr
    assert "unknown event" in cli("trigger", "payment.refunded.maybe", expect=2).stderr


def test_rotate_secret_prints_the_new_secret_once(shop):
    api, cli = shop
    old = api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]
    new = json.loads(cli("webhooks", "rotate-secret", "--json").stdout)["webhook_secret"]
    assert new != old and api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"] == new


def test_trigger_makes_each_event_happen(shop):
    api, cli = shop
    for event in ("payment.success", "payment.failed", "refund.processed"):
        assert f"Trigger succeeded! {event}" in cli("trigger", event).stdout
    listed = json.loads(cli("events", "list", "--limit", "100", "--json").stdout)["data"]
    kinds = {e["event"] for e in listed}
    assert {"payment.created", "payment.success", "payment.failed", "refund.created", "refund.processed"} <= kinds
    only = json.loads(cli("events", "list", "--type", "refund.processed", "--json").stdout)["data"]
    assert len(only) == 1 and only[0]["data"]["refund"]["status"] == "processed"


def test_listen_forwards_new_events_signed(shop, deployment):
    api, cli = shop
    secret = api.ok("GET", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]
    api.paid_payment(10000)  # an older event: listen must not replay it
    with Receiver() as rx:
        proc = subprocess.Popen(
            [sys.executable, "-m", "paygate", "listen", "--forward-to", rx.url, "--interval", "0.2", *cli.creds],
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_sigint,  # ^C must reach it even when the suite runs as a background job
        )
        try:
            ready = proc.stdout.readline()
            assert ready.startswith("Ready! Forwarding events to " + rx.url) and "(^C to quit)" in ready
            order = api.create_order(20000)
            payment = api.create_payment(order["id"], "upi", vpa="listen@okaxis")
            api.wait_payment(payment["id"])
            got = rx.wait_for(3, timeout=20)
            line = proc.stdout.readline()
        finally:
            proc.send_signal(signal.SIGINT)
            try:  # drain both pipes while it stops: a full pipe must not hold it up
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
                raise AssertionError(f"paygate listen did not stop on ^C within 30 s; stderr: {err[-2000:]}") from None
    assert "payment.created" in line and "[200]" in line
    assert [r.json()["event"] for r in got] == ["payment.created", "payment.pending", "payment.success"]
    for req in got:
        assert req.json()["data"]["payment"]["id"] == payment["id"]
        assert signing.verify_hex(secret, req.body, req.headers["x-webhook-signature"])
        Webhook(secret).verify(req.body, req.headers)
