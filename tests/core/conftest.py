import uuid

import pytest

from paygate import db, merchants, orders


@pytest.fixture
def merchant(core_db):
    row, _secret = db.unit_of_work(merchants.create_merchant, "Core Shop", f"core-{uuid.uuid4().hex[:10]}@example.test")
    return row


@pytest.fixture
def make_order(merchant):
    def make(amount=50000, currency="INR"):
        return db.unit_of_work(orders.create_order, merchant.id, {"amount": amount, "currency": currency})

    return make
