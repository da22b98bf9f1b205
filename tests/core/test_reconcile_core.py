"""Reconciliation in the core, both backends: the simulated bank's settlement file for a paid
settlement, and each injected fault classified exactly."""

from __future__ import annotations

import pytest

from paygate import db, reconcile, settlements
from paygate.errors import InvalidRequest, NotFound
from paygate.models import ReconciliationItem
from paygate.processor import SimulatedBank
from tests.core.test_settlements_core import available_at_once, bank, pay, settle, shop  # noqa: F401 (fixtures)


def paid_file(shop, bank, tmp_path, faults=()):
    """Three payments settled and paid by a bank that writes its file with ``faults``; the file."""
    pids = [pay(shop, bank, 10000 * (i + 1)) for i in range(3)]
    setl = settle(shop, bank).data
    filing_bank = SimulatedBank(bank.settings.replace(data_dir=tmp_path, bank_file_faults=tuple(faults)))
    db.unit_of_work(settlements.settle_due_settlements, 1000, filing_bank)
    path = tmp_path / "bank" / f"{setl['id']}.csv"
    assert path.exists(), "the bank writes a file per paid settlement"
    return path, setl, pids


def run(path):
    return db.unit_of_work(reconcile.reconcile, reconcile.parse_bank_file(path.read_text()), path.name)


def test_a_clean_day_reconciles_to_zero_differences(shop, bank, tmp_path):
    path, setl, _ = paid_file(shop, bank, tmp_path)
    result = run(path)
    assert result["counts"] == {"matched": 3, "missing_in_bank": 0, "missing_in_ledger": 0, "amount_mismatch": 0, "late": 0}
    assert result["unmatched"] == 0 and result["differences"] == []
    assert db.read(reconcile.latest)["id"] == result["id"]
    listed = db.read(reconcile.list_reconciliations, shop, {})["data"]
    assert [(r["id"], r["unmatched"]) for r in listed] == [(result["id"], 0)]
    assert db.read(reconcile.get_reconciliation, result["id"], shop)["counts"]["matched"] == 3
    with pytest.raises(NotFound):
        db.read(reconcile.get_reconciliation, result["id"], "00000000-0000-4000-8000-00000000dead")
    assert sum(int(line.split(",")[5]) for line in path.read_text().splitlines()[1:]) == setl["amount"]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("drop_row", {"matched": 2, "missing_in_bank": 1}),
        ("change_amount", {"matched": 2, "amount_mismatch": 1}),
        ("extra_row", {"matched": 3, "missing_in_ledger": 1}),
        ("late", {"late": 3}),
    ],
)
def test_each_injected_fault_is_classified_exactly(shop, bank, tmp_path, fault, expected):
    path, setl, _ = paid_file(shop, bank, tmp_path, [fault])
    result = run(path)
    assert {k: v for k, v in result["counts"].items() if v} == expected
    assert result["unmatched"] == sum(v for k, v in expected.items() if k != "matched")
    stored = db.read(lambda: [(i.status, i.settlement_id) for i in ReconciliationItem.select().where(ReconciliationItem.reconciliation == result["id"])])
    assert sorted(s for s, _ in stored) == sorted(k for k, v in expected.items() if k != "matched" for _ in range(v))
    assert {sid for _, sid in stored} <= {setl["id"]}
    shown = db.read(reconcile.get_reconciliation, result["id"], shop)["differences"]
    assert sorted(d["status"] for d in shown) == sorted(s for s, _ in stored)


def test_a_file_that_is_not_a_settlement_file_is_refused(shop):
    for text in ("a,b\n1,2\n", "bank_reference,settlement_id,transaction_id,gross,fee,net,currency,value_date\nR,setl_x,txn_y,1.5,0,1,INR,2026-01-01\n"):
        with pytest.raises(InvalidRequest):
            reconcile.parse_bank_file(text)
