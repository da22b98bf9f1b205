"""Payment GETs arriving together share one query, and each still gets exactly its own answer."""

from __future__ import annotations

import concurrent.futures as cf
import random

import requests

from tests.support.api import new_merchant

PUBLIC_FIELDS = {"id", "order_id", "amount", "currency", "method", "status", "error_code", "error_description", "created_at"}


def test_concurrent_gets_each_get_their_own_answer(deployment, api):
    owner = new_merchant(deployment.base_url, deployment)
    mine = [owner.create_payment(owner.create_order(1000 + i)["id"], "upi", vpa="reads@okaxis") for i in range(6)]
    theirs = api.create_payment(api.create_order(777)["id"], "upi", vpa="other@okaxis")
    cases = []  # (who asks, path, expected status, expected payment or None)
    for p in mine:
        cases += [(owner, f"/api/v1/payments/{p['id']}", 200, p), (api, f"/api/v1/payments/{p['id']}", 404, None),
                  (None, f"/api/v1/payments/{p['id']}/public", 200, p)]
    cases += [(api, f"/api/v1/payments/{theirs['id']}", 200, theirs), (owner, f"/api/v1/payments/{theirs['id']}", 404, None),
              (owner, "/api/v1/payments/pay_0000000000000000", 404, None), (owner, "/api/v1/payments/not-a-payment", 404, None),
              (None, "/api/v1/payments/pay_0000000000000000/public", 404, None)]
    cases *= 4
    random.Random(7).shuffle(cases)

    def ask(case):
        who, path, _, _ = case
        if who is None:
            return requests.get(deployment.base_url + path, timeout=15)
        return who.request("GET", path)

    with cf.ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(ask, cases))
    for (who, path, status, expected), r in zip(cases, answers):
        assert r.status_code == status, (path, r.status_code, r.text[:200])
        body = r.json()
        if status == 404:
            assert body["error"]["code"] == "NOT_FOUND_ERROR" and "Payment not found" in body["error"]["description"]
            continue
        assert body["id"] == expected["id"] and body["amount"] == expected["amount"] and body["order_id"] == expected["order_id"]
        if who is None:
            assert set(body) == PUBLIC_FIELDS, "the public view shows no more than it did"
        else:
            assert body["vpa"] == expected["vpa"]
