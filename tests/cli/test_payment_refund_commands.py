"""``paygate payments …`` and ``paygate refunds …`` with Typer's runner against a live daemon, both backends."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from paygate.cli import app

runner = CliRunner()


@pytest.fixture
def cli(deployment, monkeypatch, tmp_path):
    """Run a command against the test deployment as the seeded merchant (no ambient config)."""
    for name in ("PAYGATE_API_URL", "PAYGATE_API_KEY", "PAYGATE_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("paygate.client.credentials.CONFIG_PATH", tmp_path / "absent.toml")

    def run(*args, expect: int = 0, creds: tuple[str, str] | None = None):
        extra = ["--api-url", deployment.base_url]
        if creds:
            extra += ["--api-key", creds[0], "--api-secret", creds[1]]
        result = runner.invoke(app, [*args, *extra])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code == expect, (result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        return result

    return run


def test_payments_list_shows_a_table_and_json(cli, api):
    payment = api.paid_payment(123456)
    out = cli("payments", "list", "--limit", "100").stdout
    assert "ID" in out and "AMOUNT" in out and payment["id"] in out
    assert "₹1,234.56" in out and "visa •••• 4242" in out and "Showing 1–" in out
    page = json.loads(cli("payments", "list", "--status", "success", "--json").stdout)
    assert set(page) == {"object", "data", "has_more", "total", "limit", "offset"} and all(p["status"] == "success" for p in page["data"])


def test_payments_get_and_capture(cli, api):
    payment = api.paid_payment(50000)
    shown = cli("payments", "get", payment["id"]).stdout
    assert payment["id"] in shown and "₹500.00" in shown and "success" in shown and "Captured       no" in shown
    assert json.loads(cli("payments", "get", payment["id"], "--json").stdout) == api.ok("GET", f"/api/v1/payments/{payment['id']}")
    assert "Captured" in cli("payments", "capture", payment["id"]).stdout
    again = cli("payments", "capture", payment["id"], expect=1)
    assert "Payment not in capturable state" in again.stderr and again.stdout == ""


def test_refunds_create_get_list(cli, api):
    payment = api.paid_payment(50000)
    reason = "वापसी 🎁 — défaut"
    created = cli("refunds", "create", payment["id"], "--amount", "20000", "--reason", reason).stdout
    assert "₹200.00" in created and "pending" in created and reason in created
    refund_id = created.split()[1]
    assert refund_id.startswith("rfnd_")
    api.wait_refund(refund_id)
    got = json.loads(cli("refunds", "get", refund_id, "--json").stdout)
    assert got["reason"] == reason and got["status"] == "processed" and got["amount"] == 20000
    assert "processed" in cli("refunds", "get", refund_id).stdout
    listed = cli("refunds", "list", "--payment", payment["id"]).stdout
    assert refund_id in listed and "Showing 1–1 of 1 refunds." in listed
    assert refund_id in cli("refunds", "list", "--status", "processed", "--limit", "100").stdout
    assert "partially_refunded" in cli("payments", "get", payment["id"]).stdout
    assert refund_id in cli("payments", "get", payment["id"]).stdout  # the payment shows its refunds


def test_refunds_create_json_and_idempotency_key(cli, api):
    payment = api.paid_payment(10000)
    key = "cli-" + uuid.uuid4().hex
    first = json.loads(cli("refunds", "create", payment["id"], "--amount", "100", "--idempotency-key", key, "--json").stdout)
    second = json.loads(cli("refunds", "create", payment["id"], "--amount", "100", "--idempotency-key", key, "--json").stdout)
    assert first == second and first["status"] == "pending"
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["total"] == 1


def test_errors_are_the_contract_description_and_a_nonzero_exit(cli, api):
    payment = api.paid_payment(10000)
    over = cli("refunds", "create", payment["id"], "--amount", "10001", expect=1)
    assert "Refund amount exceeds available amount" in over.stderr
    assert "Refund not found" in cli("refunds", "get", "rfnd_nope", expect=4).stderr
    assert "Payment not found" in cli("payments", "get", "../refunds", expect=4).stderr
    assert "Payment not found" in cli("refunds", "list", "--payment", "pay_x", expect=4).stderr
    assert "status must be one of" in cli("refunds", "list", "--status", "done", expect=1).stderr
    denied = cli("payments", "list", expect=3, creds=("key_test_abc123", "wrong"))
    assert "Invalid API credentials" in denied.stderr
    zero = cli("refunds", "create", payment["id"], "--amount", "0", expect=1)
    assert "amount must be at least 1" in zero.stderr
    assert api.ok("GET", f"/api/v1/payments/{payment['id']}/refunds")["total"] == 0


def test_unreachable_daemon_is_a_clear_error(monkeypatch, tmp_path):
    from devstack.services import free_port

    monkeypatch.setattr("paygate.client.credentials.CONFIG_PATH", tmp_path / "absent.toml")
    result = runner.invoke(app, ["refunds", "list", "--api-url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 6 and "cannot reach the paygate daemon" in result.stderr


@pytest.mark.parametrize("command", [["payments", "list"], ["payments", "get"], ["payments", "capture"], ["refunds", "create"], ["refunds", "get"], ["refunds", "list"]])
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Example: paygate " + " ".join(command) in result.stdout
