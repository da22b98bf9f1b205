"""`paygate serve --workers 2`: several API processes behind one port, checkout served by each."""

from __future__ import annotations

import requests

from tests.support.api import Api


def test_two_api_processes_take_payments_end_to_end(deploy):
    d = deploy(api_workers=2)
    api = Api(d.base_url)
    payments = [api.create_payment(api.create_order(10000 + i)["id"], "upi") for i in range(6)]
    for p in payments:
        assert api.wait_payment(p["id"])["status"] == "success"
    for _ in range(4):
        assert requests.get(d.checkout_url + "/checkout.js", timeout=5).status_code == 200
    assert "Address already in use" not in d.logs()
