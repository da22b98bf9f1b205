"""Lists over real HTTP on both backends: paging while another process writes, orders and their
payments, unknown parameters refused on every operation, and the client iterator and the CLI's
``--all`` agreeing on the set.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from paygate.cli import app
from paygate.client import Client
from tests.support.api import Api

# Writes one payment (a new order paid by UPI) per line read on stdin, and says so: the walker
# reads a page, lets the writer insert, reads the next, so inserts land between every two pages.
WRITER = textwrap.dedent(
    """
    import sys, requests
    base, key, secret = sys.argv[1:4]
    s = requests.Session()
    s.headers.update({"X-Api-Key": key, "X-Api-Secret": secret})
    for _ in sys.stdin:
        order = s.post(base + "/api/v1/orders", json={"amount": 777}, timeout=15).json()
        pay = s.post(base + "/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "success@paygate"}, timeout=15).json()
        print(pay["id"], flush=True)
    """
)


def _creds(api: Api) -> tuple[str, str]:
    return api.session.headers["X-Api-Key"], api.session.headers["X-Api-Secret"]


def _pay(api: Api, n: int, amount: int = 1000, **order) -> list[str]:
    made = []
    for i in range(n):
        o = api.create_order(amount + i, **order)
        made.append(api.create_payment(o["id"], vpa="success@paygate")["id"])
    return made


def test_paging_while_another_process_inserts_and_updates_sees_every_row_once(deployment, merchant_api):
    existing = set(_pay(merchant_api, 14))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, deployment.base_url, *_creds(merchant_api)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        seen, cursor, inserted = [], {}, []
        for _ in range(20):  # bounded: 14 rows at 3 a page is 5 pages
            page = merchant_api.ok("GET", "/api/v1/payments", params={"limit": 3, **cursor})
            seen += [p["id"] for p in page["data"]]
            assert not cursor or "total" not in page  # a cursor page counts nothing
            writer.stdin.write("go\n")
            writer.stdin.flush()
            inserted.append(writer.stdout.readline().strip())  # a newer row now exists
            if not page["has_more"]:
                break
            cursor = {"starting_after": seen[-1]}
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)
    assert len(seen) == len(set(seen)) and set(seen) == existing
    assert all(i.startswith("pay_") for i in inserted)
    # The rows settled (updated) meanwhile; a walk now sees old and new rows, each once.
    again = [p["id"] for p in Client.connect(deployment.base_url, *_creds(merchant_api)).iter_payments(page_size=4)]
    assert len(again) == len(set(again)) and set(again) == existing | set(inserted)


def test_ending_before_walks_back_and_include_total_count(merchant_api):
    made = _pay(merchant_api, 7)
    first = merchant_api.ok("GET", "/api/v1/payments", params={"limit": 3})
    assert first["total"] == 7 and first["offset"] == 0 and first["has_more"]  # the seed's shape, no cursor
    second = merchant_api.ok("GET", "/api/v1/payments", params={"limit": 3, "starting_after": first["data"][-1]["id"], "include[]": "total_count"})
    assert second["total"] == 7 and "offset" not in second
    back = merchant_api.ok("GET", "/api/v1/payments", params={"limit": 3, "ending_before": second["data"][0]["id"]})
    assert back["data"] == first["data"] and back["has_more"] is False
    assert [p["id"] for p in first["data"] + second["data"]] == list(reversed(made))[:6]


def test_orders_list_filters_and_an_orders_payments(merchant_api, api):
    kept = merchant_api.create_order(5000, receipt="rcpt-lists-1")
    other = merchant_api.create_order(6000, receipt="rcpt-lists-2")
    failed = merchant_api.create_payment(kept["id"], vpa="failure@paygate")["id"]
    merchant_api.wait_payment(failed)
    paid = merchant_api.create_payment(kept["id"], vpa="success@paygate")["id"]
    found = merchant_api.ok("GET", "/api/v1/orders", params={"receipt": "rcpt-lists-1"})
    assert [o["id"] for o in found["data"]] == [kept["id"]]
    everything = merchant_api.ok("GET", "/api/v1/orders", params={"limit": 1})
    assert everything["total"] == 2 and everything["data"][0]["id"] == other["id"]  # newest first
    mine = merchant_api.ok("GET", f"/api/v1/orders/{kept['id']}/payments")
    assert [p["id"] for p in mine["data"]] == [paid, failed] and {p["order_id"] for p in mine["data"]} == {kept["id"]}
    assert merchant_api.ok("GET", "/api/v1/payments", params={"order_id": kept["id"]})["data"] == mine["data"]
    assert api.get(f"/api/v1/orders/{kept['id']}/payments").status_code == 404  # another merchant's order
    assert kept["id"] not in [o["id"] for o in api.ok("GET", "/api/v1/orders", params={"limit": 100})["data"]]
    r = api.get("/api/v1/payments", params={"starting_after": paid})  # another merchant's row as a cursor
    assert r.status_code == 400 and r.json()["error"]["field"] == "starting_after"


def _by_cursor(api: Api, path: str, limit: int = 2) -> list[str]:
    seen, cursor = [], {}
    for _ in range(50):
        page = api.ok("GET", path, params={"limit": limit, **cursor})
        assert page["object"] == "list" and len(page["data"]) <= limit
        seen += [row["id"] for row in page["data"]]
        if not page["has_more"]:
            return seen
        cursor = {"starting_after": seen[-1]}
    raise AssertionError(f"{path}: more pages than rows")


def test_every_list_walks_by_cursor_exactly_as_one_big_page(merchant_api):
    merchant_api.put("/api/v1/merchants/me", json={"webhook_url": "http://127.0.0.1:9/unreachable"})  # deliveries: rows, retried
    paid = merchant_api.paid_payment(30000)
    for amount in (1000, 2000, 3000):
        merchant_api.ok("POST", f"/api/v1/payments/{paid['id']}/refunds", 201, json={"amount": amount})
    merchant_api.create_order(700)
    merchant_api.ok("POST", "/api/v1/webhook_endpoints", 201, json={"url": "https://hooks.example.test/a", "enabled_events": ["*"]})
    merchant_api.ok("POST", "/api/v1/webhook_endpoints", 201, json={"url": "https://hooks.example.test/b", "enabled_events": ["refund.*"]})
    paths = ["/api/v1/orders", "/api/v1/payments", f"/api/v1/orders/{paid['order_id']}/payments", "/api/v1/refunds", f"/api/v1/payments/{paid['id']}/refunds",
             "/api/v1/webhooks", "/api/v1/events", "/api/v1/webhook_endpoints"]  # fmt: skip
    for path in paths:
        whole = [row["id"] for row in merchant_api.ok("GET", path, params={"limit": 100})["data"]]
        assert len(whole) >= 2 or path.endswith("/payments"), path
        assert _by_cursor(merchant_api, path) == whole, path
    refunds = merchant_api.ok("GET", "/api/v1/refunds", params={"limit": 1})
    back = merchant_api.ok("GET", "/api/v1/refunds", params={"ending_before": _by_cursor(merchant_api, "/api/v1/refunds")[-1]})
    assert back["data"][0]["id"] == refunds["data"][0]["id"] and len(back["data"]) == 2


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "pay_0000000000000000", path)


def test_unknown_query_parameters_are_400_naming_them_on_every_operation(deployment, merchant_api):
    doc = merchant_api.ok("GET", "/openapi.json")
    checked = 0
    for path, methods in doc["paths"].items():
        for method in methods:
            r = merchant_api.request(method.upper(), _fill(path), params={"order_idx": "x"}, json={} if method in ("post", "put", "patch") else None)
            assert r.status_code == 400, (method, path, r.status_code, r.text)
            error = r.json()["error"]
            assert error["code"] == "BAD_REQUEST_ERROR" and error["field"] == "order_idx" and "order_idx" in error["description"], (method, path)
            checked += 1
    assert checked >= 30
    r = merchant_api.get("/api/v1/payments", params={"status": "success", "limit": 5, "statuss": "x", "Limit": 2})
    assert r.status_code == 400 and r.json()["error"]["description"] == "Received unknown query parameters: Limit, statuss"


def test_unknown_body_fields_are_400_except_on_payment_create(merchant_api):
    before = merchant_api.ok("GET", "/api/v1/orders")["total"]
    r = merchant_api.post("/api/v1/orders", json={"amount": 50000, "reciept": "typo"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "reciept"
    assert merchant_api.ok("GET", "/api/v1/orders")["total"] == before  # nothing written
    order = merchant_api.create_order(50000)
    paid = merchant_api.create_payment(order["id"], vpa="success@paygate", note="extra fields are ignored here, as the contract says")
    assert paid["status"] == "pending"
    r = merchant_api.post(f"/api/v1/payments/{paid['id']}/refunds", json={"amount": 100, "reson": "typo"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "reson"


def test_client_iterator_and_cli_all_return_the_same_set(deployment, merchant_api, monkeypatch, tmp_path):
    made = set(_pay(merchant_api, 9, amount=20000, receipt="bulk-export"))
    _pay(merchant_api, 2, amount=100)
    client = Client.connect(deployment.base_url, *_creds(merchant_api))
    pages = []
    listed = [p["id"] for p in client.iter_payments(amount_gte=20000, page_size=4, on_page=pages.append)]
    assert set(listed) == made and len(listed) == 9 and len(pages) == 3 and pages[0]["total"] == 9
    for name in ("PAYGATE_API_URL", "PAYGATE_API_KEY", "PAYGATE_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("paygate.client.credentials.CONFIG_PATH", tmp_path / "absent.toml")
    key, secret = _creds(merchant_api)
    common = ["--api-url", deployment.base_url, "--api-key", key, "--api-secret", secret]
    result = CliRunner().invoke(app, ["payments", "list", "--receipt", "bulk-export", "--all", "--json", "--limit", "2", *common])
    assert result.exit_code == 0, result.stderr
    assert [p["id"] for p in json.loads(result.stdout)["data"]] == listed and "exporting payments" in result.stderr
    for noun in ("refunds", "webhooks"):  # the same export on the other lists (none yet for this merchant)
        out = CliRunner().invoke(app, [noun, "list", "--all", "--json", *common])
        assert out.exit_code == 0 and json.loads(out.stdout)["data"] == [], out.stderr
    table = CliRunner().invoke(app, ["payments", "list", "-q", "bulk-exp", "--limit", "4", "--starting-after", listed[0], *common])
    assert table.exit_code == 0 and all(i in table.stdout for i in listed[1:5]) and f"--starting-after {listed[4]}" in table.stdout


LISTS = ["/api/v1/payments", "/api/v1/orders", "/api/v1/refunds", "/api/v1/webhooks", "/api/v1/webhook_endpoints", "/api/v1/events"]


@pytest.mark.parametrize("params", [{"offset": "10001"}, {"offset": "0", "starting_after": "pay_0000000000000000"}, {"include[]": "all"}, {"starting_after": "a", "ending_before": "b"}])
def test_unusable_paging_values_are_400_on_every_list(api, params):
    for path in LISTS:  # the event feed takes no offset nor include[]: those are unknown parameters there
        r = api.get(path, params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR", (path, r.text)


@pytest.mark.parametrize("params", [{"q": ""}, {"card_last4": "12345"}, {"amount_lte": "-5"}])
def test_unusable_filter_values_are_400(api, params):
    r = api.get("/api/v1/payments", params=params)
    assert r.status_code == 400 and r.json()["error"]["field"] == next(iter(params))
