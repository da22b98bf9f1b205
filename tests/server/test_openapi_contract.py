"""The OpenAPI document says exactly what the server enforces, over real HTTP on both backends.

Deterministic companions of the schemathesis run (tests/security/test_schemathesis.py): the
document's enums, patterns and bounds come from the server's own tables and hold on the wire;
an empty query value is checked like any other; every 405 names the allowed methods.
"""

from __future__ import annotations

import re

import pytest
import requests

from paygate import events, instruments, money, paging
from paygate.errors import PaygateError
from paygate.states import PaymentStatus, RefundStatus


@pytest.fixture
def doc(deployment):
    return requests.get(deployment.base_url + "/openapi.json", timeout=10).json()


def _params(doc, path, method="get"):
    return {p["name"]: p["schema"] for p in doc["paths"][path][method].get("parameters", [])}


def _all_codes(cls=PaygateError):
    for sub in cls.__subclasses__():
        yield sub.code
        yield from _all_codes(sub)


def test_enums_and_bounds_come_from_the_servers_tables(doc):
    schemas = doc["components"]["schemas"]
    assert doc["openapi"].startswith("3.0.")  # `integer` there is a number without a fraction: 100.0 is refused
    assert set(_all_codes()) <= set(schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    assert schemas["Payment"]["properties"]["status"]["enum"] == list(PaymentStatus.ALL)
    assert schemas["Refund"]["properties"]["status"]["enum"] == list(RefundStatus.ALL)
    assert _params(doc, "/api/v1/events")["type"]["enum"] == list(events.EVENT_TYPES)
    assert _params(doc, "/api/v1/payments")["offset"]["maximum"] == paging.MAX_OFFSET
    assert _params(doc, "/api/v1/payments")["limit"]["maximum"] == paging.MAX_LIMIT
    amount = schemas["OrderCreate"]["properties"]["amount"]
    assert (amount["type"], amount["minimum"], amount["maximum"]) == ("integer", money.MIN_AMOUNT, money.MAX_AMOUNT)
    vpa = re.compile(schemas["PaymentCreate"]["oneOf"][0]["properties"]["vpa"]["pattern"])
    for value in ("asha@okicici", "a.b-c_d@bank1", "a@b c", "@bank", "asha@ok-icici", "asha@okicici\n"):
        assert bool(vpa.search(value) and not value.endswith("\n")) == bool(instruments.VPA_PATTERN.match(value)), value
    by_status = doc["paths"]["/api/v1/payments"]["post"]["responses"]
    assert by_status["400"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"] == [
        "BAD_REQUEST_ERROR", "INVALID_VPA", "INVALID_CARD", "EXPIRED_CARD",
    ]  # fmt: skip


def test_integral_float_amounts_are_refused_as_the_document_says(api):
    r = api.post("/api/v1/orders", json={"amount": 50000.0})
    assert r.status_code == 400 and r.json()["error"]["field"] == "amount"


@pytest.mark.parametrize(
    "path,param",
    [
        ("/api/v1/payments", "to"),
        ("/api/v1/payments", "from"),
        ("/api/v1/payments", "status"),
        ("/api/v1/payments", "limit"),
        ("/api/v1/payments", "offset"),
        ("/api/v1/refunds", "to"),
        ("/api/v1/refunds", "payment_id"),
        ("/api/v1/analytics", "window"),
        ("/api/v1/analytics", "currency"),
        ("/api/v1/events", "type"),
        ("/api/v1/events", "after"),
        ("/api/v1/webhooks", "event"),
        ("/api/v1/webhooks", "event_id"),
    ],
)
def test_an_empty_query_value_is_refused_like_any_unusable_one(api, path, param):
    r = api.get(f"{path}?{param}=")
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == param


@pytest.mark.parametrize("value", ["1_0", " 5", "٥", "1.0"])
def test_page_bounds_take_plain_integers_only(api, value):
    assert api.get("/api/v1/payments", params={"limit": value}).status_code == 400


def test_offset_past_the_documented_bound_is_refused(api):
    assert api.get("/api/v1/payments", params={"offset": paging.MAX_OFFSET}).status_code == 200
    assert api.get("/api/v1/payments", params={"offset": paging.MAX_OFFSET + 1}).status_code == 400


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("TRACE", "/health", "GET"),
        ("DELETE", "/api/v1/payments", "GET, POST"),
        ("PUT", "/api/v1/payments/pay_AAAAAAAAAAAAAAAA/refunds", "GET, POST"),  # two routes share the path
        ("DELETE", "/api/v1/orders/order_AAAAAAAAAAAAAAAA/public", "GET, OPTIONS"),  # the CORS preflight is its own route
        ("GET", "/api/v1/payments/public", "OPTIONS, POST"),  # a fixed path wins over /payments/{id}
    ],
)
def test_405_names_the_allowed_methods(api, method, path, allowed):
    r = api.request(method, path)
    assert r.status_code == 405, r.text
    assert set(r.headers.get("Allow", "").split(", ")) == set(allowed.split(", ")), r.headers
    assert r.json()["error"]["code"] == "BAD_REQUEST_ERROR"


@pytest.mark.parametrize(
    "value,status",
    [
        ("2024-01-15T10:31:00Z", 200),
        ("2024-01-15t10:31:00.123456789+05:30", 200),
        ("2024-01-15", 200),  # a date: its midnight, UTC (the console's "since")
        ("2024-01-15T10:31:00", 400),  # no offset (the CLI adds the Z it means)
        ("4377-40-16t08:04:98", 400),  # found by schemathesis
        ("2016-12-31T23:59:60Z", 200),  # a leap second
        ("9999-12-30T23:59:59-23:59", 200),
        ("0001-01-01T04:33:02+15:24", 400),  # found by schemathesis: off the calendar in UTC
        ("0001-01-01T12:00:00Z", 400),  # the calendar's edge days are refused whole, as documented
        ("9999-12-31", 400),
        ("2024-01-15 10:31:00Z", 400),
        ("2024-01-15T10:31Z", 400),
        ("2024-02-30", 400),
    ],
)
def test_time_filters_take_what_the_document_says(api, doc, value, status):
    assert api.get("/api/v1/payments", params={"from": value}).status_code == status, value
    schema = _params(doc, "/api/v1/payments")["from"]
    assert bool(re.search(schema["pattern"], value)) == (status == 200 or not value.startswith(("0001-01-01", "9999-12-31")))


@pytest.mark.parametrize(
    "url,status",
    [
        ("https://shop.example/hooks?x=1#y", 200),
        ("https://bücher.example/hooks", 200),
        ("https://user:pw@shop.example:8443/h", 200),
        ("https://\u0083\u00a2e\u0001]>\ud83c\udffb#\u0005g", 400),  # found by schemathesis: was a 500
        ("https://[::1/h", 400),
        ("HTTP://[0]", 400),  # found by schemathesis; IPv6 literals are not taken
        ("https://shop.example:99999/", 400),
        ("https://shop.example/h\n", 400),
        ("ftp://shop.example/", 400),
    ],
)
def test_webhook_urls_are_checked_by_the_documented_pattern(merchant_api, doc, url, status):
    r = merchant_api.put("/api/v1/merchants/me", json={"webhook_url": url})
    assert r.status_code == status, r.text
    pattern = doc["components"]["schemas"]["MerchantUpdate"]["properties"]["webhook_url"]["pattern"]
    assert bool(re.search(pattern, url)) == (status == 200)


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_test_event_data_is_documented_as_the_server_enforces_it(merchant_api, doc):
    """The document states the integers-only rule as a schema (no `number` anywhere in `data`), so a
    fuzzer's schema-valid data is accepted and its fractional numbers are a schema violation."""
    data = _resolve(doc, doc["components"]["schemas"]["WebhookTestRequest"]["properties"]["data"])
    value = _resolve(doc, data["additionalProperties"])
    kinds = {_resolve(doc, s).get("type") for s in value["anyOf"]}
    assert data["type"] == "object" and value["nullable"] is True and kinds == {"string", "integer", "boolean", "array", "object"}
    integer = next(s for s in value["anyOf"] if s.get("type") == "integer")
    assert (integer["minimum"], integer["maximum"]) == (-(2**63), 2**64 - 1)
    merchant_api.put("/api/v1/merchants/me", json={"webhook_url": "https://shop.example/hooks"})
    documented = {"a": {"b": [1, "x", True, None, {"c": -3, "d": 2**64 - 1}]}, "e": None}
    assert merchant_api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": documented})["event_id"]
    for refused in ({"a": 1.5}, {"a": {"b": [1, 2.0]}}, {"a": 2**64}):
        r = merchant_api.post("/api/v1/webhooks/test", json={"data": refused})
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR", (refused, r.text)
