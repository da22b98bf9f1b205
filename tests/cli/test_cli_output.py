"""What a newcomer's scripts read from the front door: ``--version``, ``--json`` on every command
that prints data, a header row on tables, and client errors that carry code, status and request id."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from typer.testing import CliRunner

from devstack.daemon import clean_env, default_sigint
from paygate import __version__, signing
from paygate.cli import app
from paygate.client import ApiError, Client
from tests.support.api import new_merchant
from tests.support.receiver import Receiver

runner = CliRunner()


def admin(deployment, *args) -> subprocess.CompletedProcess:
    """An admin command on the deployment's own database, as an operator runs it."""
    out = subprocess.run([sys.executable, "-m", "paygate", *args], env=deployment.process_env(), cwd=deployment.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"paygate {__version__}"


def test_api_error_prints_code_status_and_request_id(deployment):
    api = Client.connect(deployment.base_url, "key_test_abc123", "wrong-secret")
    try:
        api.me()
    except ApiError as exc:
        text = str(exc)
        assert exc.request_id and exc.request_id in text, text
        assert text.startswith("AUTHENTICATION_ERROR: Invalid API credentials") and "HTTP 401" in text, text
    else:
        raise AssertionError("a wrong secret was accepted")


def test_migrate_and_merchants_list_have_json_and_a_header_row(deployment):
    assert json.loads(admin(deployment, "migrate", "--json").stdout) == {"applied": []}
    table = admin(deployment, "merchants", "list").stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "API", "KEY", "NAME"] and set(table[1]) <= {"-", " "}
    assert any("key_test_abc123" in line for line in table[2:])
    listed = json.loads(admin(deployment, "merchants", "list", "--json").stdout)
    assert "key_test_abc123" in {m["api_key"] for m in listed}


def test_listen_json_lines_and_a_rotated_secret_is_followed(deployment):
    api = new_merchant(deployment.base_url, deployment)
    creds = ["--api-url", api.base_url, "--api-key", api.session.headers["X-Api-Key"], "--api-secret", api.session.headers["X-Api-Secret"]]
    with Receiver() as rx:
        proc = subprocess.Popen(
            [sys.executable, "-m", "paygate", "listen", "--forward-to", rx.url, "--interval", "0.2", "--events", "payment.created", "--json", *creds],
            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
        )
        try:
            assert "Ready!" in proc.stderr.readline()
            api.create_payment(api.create_order(10000)["id"], "upi", vpa="success@paygate")
            first = json.loads(proc.stdout.readline())
            rotated = api.ok("POST", "/api/v1/merchants/me/webhook-secret")["webhook_secret"]
            api.create_payment(api.create_order(10000)["id"], "upi", vpa="success@paygate")
            second = json.loads(proc.stdout.readline())
            got = rx.wait_for(2, timeout=20)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
    assert first["event"] == second["event"] == "payment.created" and first["status"] == second["status"] == 200
    assert set(first) == {"time", "event", "id", "forward_to", "status", "error"} and first["forward_to"] == rx.url
    assert signing.verify_hex(rotated, got[1].body, got[1].headers["x-webhook-signature"]), "listen kept signing with the old secret"
