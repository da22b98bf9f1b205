"""GET /api/v1/reports/balance_transactions.csv and ``paygate reports export``, against the
session's live daemon on both backends: the rows add up to the balance."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from paygate.cli import app
from paygate.ledger import REPORT_COLUMNS


def _rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == REPORT_COLUMNS
    return list(reader)


def test_the_csv_streams_every_movement_adds_up_to_the_balance_and_exports(merchant_api, deployment, tmp_path):
    payment = merchant_api.paid_payment(40000, "card")
    merchant_api.paid_payment(25000, "upi")
    refund = merchant_api.ok("POST", f"/api/v1/payments/{payment['id']}/refunds", 201, json={"amount": 5000})
    merchant_api.wait_refund(refund["id"], ("processed",))
    r = merchant_api.get("/api/v1/reports/balance_transactions.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = _rows(r.text)
    assert [row["type"] for row in rows] == ["payment", "payment", "refund"]  # oldest first
    balance = merchant_api.ok("GET", "/api/v1/balance")
    total = sum(x["amount"] for k in ("available", "pending") for x in balance[k])
    assert sum(int(row["net"]) for row in rows) == total
    assert all(int(row["amount"]) - int(row["fee"]) == int(row["net"]) for row in rows)
    later = merchant_api.get("/api/v1/reports/balance_transactions.csv", params={"from": "2999-01-01"})
    assert later.status_code == 200 and _rows(later.text) == []
    first_only = merchant_api.get("/api/v1/reports/balance_transactions.csv", params={"to": rows[1]["created_at"]})
    assert all(row["created_at"] < rows[1]["created_at"] for row in _rows(first_only.text))

    for params in ({"from": "yesterday"}, {"to": "2026-13-01"}):  # a bad window: a JSON 400 before any CSV
        r = merchant_api.get("/api/v1/reports/balance_transactions.csv", params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR", params

    creds = ["--api-url", deployment.base_url, "--api-key", merchant_api.session.headers["X-Api-Key"], "--api-secret", merchant_api.session.headers["X-Api-Secret"]]
    out_file = tmp_path / "report.csv"
    result = CliRunner().invoke(app, ["reports", "export", "-o", str(out_file), "--json", *creds])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"file": str(out_file), "rows": 3}
    assert [row["id"] for row in _rows(out_file.read_text())] == [row["id"] for row in rows]
    bad = CliRunner().invoke(app, ["reports", "export", "--from", "nope", "-o", str(tmp_path / "x.csv"), *creds])
    assert bad.exit_code == 1 and not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.part").exists()
