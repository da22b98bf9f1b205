import pytest

from paygate.errors import InvalidStateTransition, NotCapturable
from paygate.states import TRANSITIONS, PaymentStatus, can_move, guard


def test_payment_lifecycle_moves():
    assert guard("payment", "pending", "success") == "success"
    assert guard("payment", "pending", "failed") == "failed"
    assert guard("payment", "success", "partially_refunded") == "partially_refunded"
    assert guard("payment", "partially_refunded", "refunded") == "refunded"


@pytest.mark.parametrize("current,new", [("failed", "success"), ("refunded", "success"), ("success", "pending"), ("pending", "refunded"), ("refunded", "partially_refunded")])
def test_illegal_payment_moves_raise(current, new):
    assert not can_move("payment", current, new)
    with pytest.raises(InvalidStateTransition):
        guard("payment", current, new)


def test_guard_raises_the_requested_error():
    with pytest.raises(NotCapturable):
        guard("payment", "failed", "success", NotCapturable)


def test_every_status_has_a_row_in_the_table():
    assert set(TRANSITIONS["payment"]) == set(PaymentStatus.ALL)
    for table in TRANSITIONS.values():
        for targets in table.values():
            assert targets <= set(table)
