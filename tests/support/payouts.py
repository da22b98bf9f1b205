"""Settle a merchant's available balance on a live deployment and reconcile the bank's file,
as an operator would (``paygate settlements run``, then ``paygate reconcile``)."""

from __future__ import annotations

import json
import subprocess
import sys

from devstack.waiting import wait_until


def _admin(deployment, *args) -> str:
    out = subprocess.run([sys.executable, "-m", "paygate", *args], env=deployment.process_env(), cwd=deployment.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def pay_out_and_reconcile(api, deployment) -> tuple[dict, dict]:
    """Once ``api``'s merchant has money available (TEST_MODE: seconds), settle it, wait for the
    bank to pay and write its file, and reconcile that file: (the settlement, the reconciliation)."""
    wait_until(lambda: any(x["amount"] > 0 for x in api.ok("GET", "/api/v1/balance")["available"]), 15, "funds available")
    _admin(deployment, "settlements", "run")
    processed = lambda: [s for s in api.ok("GET", "/api/v1/settlements")["data"] if s["status"] == "processed"]  # noqa: E731
    settlement = wait_until(processed, 15, "the settlement processed")[0]
    bank_file = deployment.root / "data" / "bank" / f"{settlement['id']}.csv"
    wait_until(bank_file.exists, 10, "the bank's settlement file")
    recon = json.loads(_admin(deployment, "reconcile", str(bank_file), "--json"))
    return settlement, recon
