"""One due-loop pass on a real database of each backend: its steps share one commit, yet a step
that fails is rolled back alone and never holds up the others."""

from __future__ import annotations

from paygate import db, deliveries, payments
from paygate.jobs.due_loop import DueLoop
from paygate.models import Payment
from paygate.processor import SimulatedBank

UPI = {"method": "upi", "vpa": "pass@okbank"}


def _status(pid):
    return db.read(lambda: Payment.get_by_id(pid).status)


def test_a_failing_step_does_not_hold_up_settlement(merchant, make_order, core_db, monkeypatch):
    bank = SimulatedBank(core_db.replace(test_mode=True, test_processing_delay_ms=0, test_payment_success=True))
    pid = db.unit_of_work(payments.create_payment, {"order_id": make_order().id, **UPI}, bank, merchant.id).data["id"]

    def unhandled_row(*_):
        raise RuntimeError("a delivery row the lease cannot handle")

    monkeypatch.setattr(deliveries, "lease_due_deliveries", unhandled_row)
    loop = DueLoop(core_db)
    try:
        loop.run_pass()
        assert _status(pid) == "success", "settled and committed although the lease step failed"
        monkeypatch.undo()
        loop.run_pass()  # the next pass leases normally
    finally:
        loop.sender.close()
    assert _status(pid) == "success"
