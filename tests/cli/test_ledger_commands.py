"""``paygate ledger verify|adjust`` and ``paygate merchants pricing``: admin commands run as their
own processes on the core's database, both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from paygate import db, fees, ledger, merchants, orders, payments
from paygate.clock import utcnow
from paygate.models import LedgerEntry, LedgerLine
from paygate.processor import SimulatedBank
from tests.core.test_reconcile_core import paid_file
from tests.core.test_settlements_core import available_at_once, bank, shop  # noqa: F401 (fixtures)


@pytest.fixture
def merchant(core_db):
    row, _secret = db.unit_of_work(merchants.create_merchant, "Ledger Shop", f"ledger-{uuid.uuid4().hex[:10]}@example.test")
    return row


def _paygate(core_db, *args, expect=0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_") and k != "DATABASE_URL"}
    if core_db.database_url:
        env["DATABASE_URL"] = core_db.database_url
    else:
        env["PAYGATE_DATA_DIR"] = str(core_db.data_dir)
    out = subprocess.run([sys.executable, "-m", "paygate", *args], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == expect, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    return out.stdout


def test_pricing_and_verify_catch_a_tampered_line(core_db, merchant):
    shop = merchant.id
    prices = json.loads(_paygate(core_db, "merchants", "pricing", shop, "--method", "upi", "--bps", "175", "--fixed", "300", "--json"))
    assert prices["upi"] == {"percent_bps": 175, "fixed": 300}
    bank = SimulatedBank(core_db.replace(test_processing_delay_ms=0, test_payment_success=True))
    order = db.unit_of_work(orders.create_order, shop, {"amount": 40000})
    pid = db.unit_of_work(payments.create_payment, {"order_id": order.id, "method": "upi", "vpa": "a@okbank"}, bank, shop).data["id"]
    db.unit_of_work(payments.settle_payment, pid)
    entry = db.read(lambda: LedgerEntry.get(LedgerEntry.source == pid))
    assert entry.fee == 700 + 300 == fees.fee(40000, fees.Price(175, 300))
    assert db.read(ledger.verify, shop) == []

    db.unit_of_work(lambda: LedgerLine.create(entry=entry.journal, merchant=shop, currency="INR", account="fee_revenue", amount=5, available_on=utcnow()))
    try:
        shown = _paygate(core_db, "ledger", "verify", "--merchant", shop, expect=1)
        assert "VIOLATION  entries whose lines do not sum to zero: " + entry.journal in shown
    finally:
        db.unit_of_work(lambda: LedgerLine.delete().where((LedgerLine.entry == entry.journal) & (LedgerLine.amount == 5)).execute())
    assert db.read(ledger.verify, shop) == []


def test_reconcile_exits_1_when_anything_is_unmatched(core_db, shop, bank, tmp_path):
    faulty, _, _ = paid_file(shop, bank, tmp_path, ["change_amount"])
    result = json.loads(_paygate(core_db, "reconcile", str(faulty), "--json", expect=1))
    assert result["counts"]["amount_mismatch"] == 1 and result["counts"]["matched"] == 2 and result["unmatched"] == 1
