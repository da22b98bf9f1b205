"""`paygate serve --workers 2`: several API processes behind one port, checkout served by each."""

from __future__ import annotations

import concurrent.futures as cf
import re

import requests

from tests.support.api import TEST_KEY, TEST_SECRET, Api

AUTH = {"X-Api-Key": TEST_KEY, "X-Api-Secret": TEST_SECRET}


def test_two_api_processes_take_payments_end_to_end(deploy):
    d = deploy(api_workers=2)
    api = Api(d.base_url)
    payments = [api.create_payment(api.create_order(10000 + i)["id"], "upi") for i in range(6)]
    for p in payments:
        assert api.wait_payment(p["id"])["status"] == "success"
    for _ in range(4):
        assert requests.get(d.checkout_url + "/checkout.js", timeout=5).status_code == 200
    assert "Address already in use" not in d.logs()


COUNTER = re.compile(r"^(paygate_http_requests_total|paygate_http_request_duration_seconds_count)\{([^}]*)\} ([0-9.e+-]+)$")


def _counters(text: str) -> dict:
    return {(m[1], m[2]): float(m[3]) for m in map(COUNTER.match, text.splitlines()) if m}


def test_metrics_are_one_consistent_set_across_api_processes(deploy):
    """With two API processes a scrape lands on either; every counter must still only grow, and
    end equal to the requests sent (each request on a new connection, so both processes serve)."""
    d = deploy(api_workers=2)
    order = Api(d.base_url).create_order(10000)
    sent, scrapes = 400, 50

    def get_order(_):
        return requests.get(f"{d.base_url}/api/v1/orders/{order['id']}", headers=AUTH, timeout=15).status_code

    def scrape_all():
        out = []
        for _ in range(scrapes):
            r = requests.get(d.metrics_url, timeout=15)
            assert r.status_code == 200
            out.append(_counters(r.text))
        return out

    with cf.ThreadPoolExecutor(9) as pool:
        seen = pool.submit(scrape_all)
        statuses = list(pool.map(get_order, range(sent)))
        seen = seen.result()
    assert statuses == [200] * sent
    final = _counters(requests.get(d.metrics_url, timeout=15).text)
    for before, after in zip(seen, seen[1:] + [final]):
        went_back = {k: (v, after.get(k)) for k, v in before.items() if after.get(k, -1) < v}
        assert not went_back, went_back
    route = "/api/v1/orders/<order_id:str>"
    assert final[("paygate_http_requests_total", f'method="GET",route="{route}",status="200"')] == sent
    assert final[("paygate_http_request_duration_seconds_count", f'route="{route}"')] == sent
    assert final[("paygate_http_requests_total", 'method="POST",route="/api/v1/orders",status="201"')] == 1
    assert not any(route == 'method="GET",route="/metrics",status="200"' for _, route in final)  # scrapes are not merchant requests
