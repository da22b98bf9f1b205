"""Settlements end to end on a private deployment whose due loops run a settlement every second
(two worker processes on PostgreSQL, so two runs race for real): payouts, their webhooks,
/settlements over HTTP and the CLI, and ``paygate ledger verify`` over the whole database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from devstack.daemon import Deployment, backend_env
from devstack.waiting import wait_until
from paygate.cli import app
from tests.support.api import new_merchant
from tests.support.receiver import Receiver


@pytest.fixture(scope="module")
def payouts(backend, services):
    env = {**backend_env(backend, *services), "PAYGATE_SETTLEMENT_INTERVAL": "1", "PAYGATE_AVAILABLE_AFTER": "0"}
    d = Deployment(backend, env, worker_processes=2 if backend == "postgres" else 0).start()
    yield d
    d.stop()


def _admin(d: Deployment, *args, expect: int = 0) -> str:
    out = subprocess.run([sys.executable, "-m", "paygate", *args], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == expect, out.stdout + out.stderr
    return out.stdout


def _settled(api) -> list[dict] | None:
    """The merchant's settlements once every payment is paid out and processed."""
    txns = api.ok("GET", "/api/v1/balance_transactions", params={"type": "payment", "limit": 100})["data"]
    found = api.ok("GET", "/api/v1/settlements", params={"limit": 100})["data"]
    if txns and all(t["settlement_id"] for t in txns) and found and all(s["status"] == "processed" for s in found):
        return found
    return None


def test_the_due_loop_pays_the_balance_out_once_and_tells_the_merchant_and_the_cli(payouts):
    api = new_merchant(payouts.base_url, payouts)
    with Receiver() as rx:
        api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": rx.url})
        paid = [api.paid_payment(10000 + i, "card") for i in range(3)]
        found = wait_until(lambda: _settled(api), 30, "every payment paid out")
        txns = api.ok("GET", "/api/v1/balance_transactions", params={"type": "payment", "limit": 100})["data"]
        assert sorted(t["source"] for t in txns) == sorted(p["id"] for p in paid)
        assert sum(s["amount"] for s in found) == sum(t["net"] for t in txns), "each transaction paid exactly once"
        balance = api.ok("GET", "/api/v1/balance")
        assert [x["amount"] for k in ("available", "pending", "in_transit") for x in balance[k]] == [0, 0, 0]
        wanted = {(s["id"], e) for s in found for e in ("settlement.created", "settlement.processed")}
        wait_until(lambda: wanted <= {(b["data"]["settlement"]["id"], b["event"]) for b in rx.events() if b["event"].startswith("settlement.")}, 30, "settlement webhooks")
    detail = api.ok("GET", f"/api/v1/settlements/{found[0]['id']}")
    assert detail["bank_reference"] and detail["lines"]["object"] == "list"
    assert {t["settlement_id"] for t in detail["lines"]["data"]} == {found[0]["id"]}
    other = new_merchant(payouts.base_url, payouts)
    assert other.get(f"/api/v1/settlements/{found[0]['id']}").status_code == 404
    assert api.get("/api/v1/settlements/setl_nope").status_code == 404
    assert api.get("/api/v1/settlements", params={"status": "paid"}).status_code == 400

    creds = ["--api-url", payouts.base_url, "--api-key", api.session.headers["X-Api-Key"], "--api-secret", api.session.headers["X-Api-Secret"]]
    listed = CliRunner().invoke(app, ["settlements", "list", *creds])
    assert listed.exit_code == 0 and found[0]["id"] in listed.stdout and "processed" in listed.stdout
    shown = CliRunner().invoke(app, ["settlements", "show", found[0]["id"], *creds])
    assert shown.exit_code == 0 and "Bank reference" in shown.stdout and "payment" in shown.stdout
    as_json = json.loads(CliRunner().invoke(app, ["settlements", "show", found[0]["id"], "--json", *creds]).stdout)
    assert as_json["id"] == found[0]["id"] and as_json["amount"] == found[0]["amount"]
    # a clean day: the bank's file for each settlement reconciles to zero differences
    for s in found:
        _admin(payouts, "reconcile", str(payouts.root / "data" / "bank" / f"{s['id']}.csv"))
    recons = api.ok("GET", "/api/v1/reconciliations", params={"limit": 100})["data"]
    assert len(recons) == len(found) and all(r["unmatched"] == 0 and r["counts"]["matched"] >= 1 for r in recons)
    assert sum(r["rows"] for r in recons) == len(txns)
    ran = json.loads(_admin(payouts, "settlements", "run", "--json"))
    assert ran["object"] == "list"  # beside the due loop's runs: nothing is paid twice
    assert "every invariant holds" in _admin(payouts, "ledger", "verify")
