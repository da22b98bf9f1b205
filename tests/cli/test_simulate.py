"""``paygate simulate`` against a daemon whose bank is slower than the simulator's old 2 s guess.

The refunds it promises must happen whatever the bank delay: a payment is refunded once it has
settled, and the run waits for its refunds to be processed before it reports.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from devstack.daemon import Deployment, backend_env
from paygate.cli import app
from tests.support.api import Api

runner = CliRunner()


@pytest.fixture(scope="module")
def slow_bank(backend, services):
    """A daemon whose bank answers after 2.5 s (the quick start's is 5-10 s)."""
    env = {**backend_env(backend, *services), "TEST_PROCESSING_DELAY": "2500"}
    d = Deployment(backend, env, worker_processes=1 if backend == "postgres" else 0).start()
    yield d
    d.stop()


def test_simulate_refunds_once_payments_settle_whatever_the_bank_delay(slow_bank, monkeypatch, tmp_path):
    monkeypatch.setattr("paygate.client.credentials.CONFIG_PATH", tmp_path / "absent.toml")
    args = ["simulate", "--duration", "1", "--rate", "4", "--refund-share", "1", "--seed", "7", "--json", "--api-url", slow_bank.base_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    summary = json.loads(result.stdout)
    api = Api(slow_bank.base_url)
    successes = api.ok("GET", "/api/v1/payments", params={"status": "partially_refunded", "limit": 100})["data"]
    successes += api.ok("GET", "/api/v1/payments", params={"status": "refunded", "limit": 100})["data"]
    assert summary["payments"] == 4 and summary["errors"] == 0 and summary["unsettled"] == 0, summary
    assert summary["refunds"] >= 1 and summary["refunds"] == len(successes), (summary, successes)
    refunds = api.ok("GET", "/api/v1/refunds", params={"limit": 100})["data"]
    assert len(refunds) == summary["refunds"] and {r["status"] for r in refunds} == {"processed"}
    events = {e["event"] for e in api.ok("GET", "/api/v1/events", params={"limit": 100})["data"]}
    assert {"payment.created", "payment.success", "refund.created", "refund.processed"} <= events, events
