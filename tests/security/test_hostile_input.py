"""Hostile input, sent as raw bytes to a live daemon on both backends.

Every request here must be answered in the contract's error format (JSON ``{"error": {...}}``, a
4xx, never a 5xx) and must write nothing: the merchant's rows are counted before and after.
"""

from __future__ import annotations

import json

import pytest

from paygate.server.responses import MAX_JSON_DEPTH
from tests.support.api import new_merchant
from tests.security.probe import assert_error, merchant_id_of, raw, rows_of

DEEP = b'{"amount": 500, "notes": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}"
BODIES = {
    "malformed": b'{"amount": 500',
    "trailing_garbage": b'{"amount": 500} xyz',
    "not_json": b"amount=500&currency=INR",
    "empty": b"",
    "whitespace": b"   \n ",
    "array": b"[1, 2, 3]",
    "string": b'"hello"',
    "number": b"500",
    "null": b"null",
    "true": b"true",
    "huge_float": b'{"amount": 1e400}',
    "huge_int": b'{"amount": %d}' % 2**70,
    "int64_overflow": b'{"amount": 9223372036854775808}',
    "negative": b'{"amount": -500}',
    "float_amount": b'{"amount": 500.5}',
    "float_integral": b'{"amount": 500.0}',
    "string_amount": b'{"amount": "500"}',
    "bool_amount": b'{"amount": true}',
    "null_amount": b'{"amount": null}',
    "object_amount": b'{"amount": {"value": 500}}',
    "nan": b'{"amount": NaN}',
    "deep_nesting": DEEP,
    "deep_array": b'{"amount": 500, "notes": {"x": ' + b"[" * 20000 + b"]" * 20000 + b"}}",
    "invalid_utf8": b'{"amount": 500, "receipt": "\xff\xfe\xc3"}',
    "overlong_utf8": b'{"amount": 500, "receipt": "\xc0\xaf"}',
    "lone_surrogate": b'{"amount": 500, "receipt": "\\ud800"}',
    "lone_low_surrogate": b'{"amount": 500, "receipt": "\\udfff x"}',
    "nul_in_key": b'{"amount\\u0000": 500}',
    "nul_in_receipt": b'{"amount": 500, "receipt": "INV\\u0000-1"}',  # PostgreSQL cannot store NUL: was a 500
    "escape_in_receipt": b'{"amount": 500, "receipt": "\\u001b[2J\\u001b[31mINV-1"}',  # would garble a terminal
    "c1_control_in_receipt": b'{"amount": 500, "receipt": "INV\\u009b-1"}',
    "wrong_currency_type": b'{"amount": 500, "currency": 356}',
    "unknown_currency": b'{"amount": 500, "currency": "XXX1"}',
    "receipt_object": b'{"amount": 500, "receipt": {"a": 1}}',
    "notes_string": b'{"amount": 500, "notes": "x"}',
    "huge_receipt": b'{"amount": 500, "receipt": "' + b"r" * 5000 + b'"}',
    "duplicate_keys_bad_last": b'{"amount": 500, "amount": "x"}',
}


@pytest.fixture(scope="module")
def target(deployment):
    """A fresh merchant of this module's own (created once: the admin CLI takes a second or two)."""
    return new_merchant(deployment.base_url, deployment)


@pytest.fixture
def victim(target, deployment):
    """The merchant, its credentials, and its row counts before the attack."""
    mid = merchant_id_of(target)
    headers = {k: v for k, v in target.session.headers.items() if k.startswith("X-Api")}
    return target, mid, headers, rows_of(deployment, mid)


@pytest.mark.parametrize("name", list(BODIES))
def test_hostile_order_bodies_are_rejected_in_contract_format(deployment, victim, name):
    api, mid, headers, before = victim
    status, hdrs, payload = raw(deployment.base_url, "POST", "/api/v1/orders", BODIES[name], headers)
    err = assert_error(status, hdrs, payload, 400)
    assert err["code"] == "BAD_REQUEST_ERROR"
    assert hdrs.get("x-request-id") and err.get("request_id") == hdrs["x-request-id"]
    assert rows_of(deployment, mid) == before


def test_every_write_endpoint_rejects_hostile_bodies_and_writes_nothing(deployment, victim):
    api, mid, headers, before = victim
    order = api.create_order(50000)
    before = rows_of(deployment, mid)
    targets = [
        ("POST", "/api/v1/payments"),
        ("POST", "/api/v1/payments/public"),
        ("PUT", "/api/v1/merchants/me"),
        ("POST", f"/api/v1/payments/pay_{'A' * 16}/refunds"),
        ("POST", "/api/v1/webhooks/test"),
    ]
    for method, path in targets:
        for name in ("malformed", "array", "invalid_utf8", "lone_surrogate", "deep_nesting", "huge_float", "huge_int"):
            status, hdrs, payload = raw(deployment.base_url, method, path, BODIES[name], headers)
            assert_error(status, hdrs, payload, (400, 404))
    payment_bodies = [
        {"order_id": order["id"], "method": "card", "card": "4242424242424242"},
        {"order_id": order["id"], "method": "card", "card": {"number": 4242424242424242, "expiry_month": 12, "expiry_year": 2034, "cvv": 123}},
        {"order_id": order["id"], "method": "card", "card": {"number": "4242 4242 4242 4241", "expiry_month": 12, "expiry_year": 2034, "cvv": "123"}},
        {"order_id": order["id"], "method": "card", "card": {"number": "4242424242424242", "expiry_month": 13, "expiry_year": 2034, "cvv": "123"}},
        {"order_id": order["id"], "method": "card", "card": {"number": "4242424242424242", "expiry_month": "x", "expiry_year": [], "cvv": "123"}},
        {"order_id": order["id"], "method": "upi", "vpa": ["a@b"]},
        {"order_id": order["id"], "method": "upi", "vpa": "not a vpa"},
        {"order_id": order["id"], "method": "crypto"},
        {"order_id": order["id"], "method": None},
        {"order_id": [order["id"]], "method": "upi", "vpa": "a@okaxis"},
        {"order_id": {"$ne": None}, "method": "upi", "vpa": "a@okaxis"},
        {"order_id": "order_' OR '1'='1", "method": "upi", "vpa": "a@okaxis"},
        {"order_id": "../../etc/passwd", "method": "upi", "vpa": "a@okaxis"},
    ]
    for body in payment_bodies:
        for path in ("/api/v1/payments", "/api/v1/payments/public"):
            status, hdrs, payload = raw(deployment.base_url, "POST", path, json.dumps(body).encode(), headers)
            assert_error(status, hdrs, payload, (400, 404))
    assert rows_of(deployment, mid) == before


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/webhook_endpoints", {"url": "https://shop.example/hooks", "enabled_events": ["*"], "description": "ops\u0000"}, "description"),
        ("/api/v1/payments", {"method": "card", "card": {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2034,
                                                          "cvv": "123", "holder_name": "Asha\u0007"}}, "card.holder_name"),
    ],
)  # fmt: skip
def test_control_characters_in_free_text_are_refused(deployment, victim, path, body, field):
    api, mid, headers, before = victim
    if path == "/api/v1/payments":
        body = {**body, "order_id": api.create_order(50000)["id"]}
        before = rows_of(deployment, mid)
    status, hdrs, payload = raw(deployment.base_url, "POST", path, json.dumps(body).encode(), headers)
    err = assert_error(status, hdrs, payload, 400)
    assert err["field"] == field and "control characters" in err["description"]
    assert rows_of(deployment, mid) == before


def test_line_breaks_and_any_script_stay_welcome_in_free_text(victim):
    api = victim[0]
    receipt = "INV-1\tरसीद\n領収書 🧾\r"
    order = api.ok("POST", "/api/v1/orders", expect=201, json={"amount": 500, "receipt": receipt})
    assert api.ok("GET", f"/api/v1/orders/{order['id']}")["receipt"] == receipt


@pytest.mark.parametrize(
    "path",
    ["/api/v1/orders/%00", "/api/v1/payments/%FF%FE", "/api/v1/payments/pay_%2F..%2F..", "/api/v1/orders/" + "x" * 3000, "/api/v1/refunds/%E2%80%AE"],
)
def test_malformed_ids_are_404_not_500(deployment, path):
    status, hdrs, payload = raw(deployment.base_url, "GET", path)
    assert_error(status, hdrs, payload, (400, 404))


@pytest.mark.parametrize(
    "query",
    ["limit=1e400", "limit=-1", "limit=abc", "offset=99999999999999999999", "from=not-a-date", "status=%00", "from=%FF", "limit=%F0%9F%98%80"],
)
def test_hostile_query_parameters(deployment, query):
    status, hdrs, payload = raw(deployment.base_url, "GET", "/api/v1/payments?" + query)
    assert_error(status, hdrs, payload, 400)


def test_over_large_body_is_413_payload_too_large_and_writes_nothing(deployment, victim):
    api, mid, headers, before = victim
    body = b'{"amount": 500, "receipt": "' + b"x" * (200 * 1024) + b'"}'
    status, hdrs, payload = raw(deployment.base_url, "POST", "/api/v1/orders", body, headers)
    err = assert_error(status, hdrs, payload, 413)
    assert err["code"] == "PAYLOAD_TOO_LARGE"
    assert rows_of(deployment, mid) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Api-Key": b"key_\xff\xfe", "X-Api-Secret": b"\xc3\x28"},
        {"X-Api-Key": b"key_test_abc123", "X-Api-Secret": b"secret_test_xyz789\xff"},
        {"X-Api-Key": b"k" * 6000, "X-Api-Secret": b"s"},
        {"X-Api-Key": b"", "X-Api-Secret": b""},
        {"X-Api-Key": b"key_test_abc123\x00", "X-Api-Secret": b"secret_test_xyz789"},
    ],
)
def test_odd_credential_bytes_are_401(deployment, headers):
    status, hdrs, payload = raw(deployment.base_url, "GET", "/api/v1/merchants/me", b"", headers, auth=False)
    err = assert_error(status, hdrs, payload, (400, 401))
    assert status == 400 or err["code"] == "AUTHENTICATION_ERROR"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Request-Id": b"\xff\xfe\x00bad"},
        {"X-Request-Id": "é" .encode("utf-8")},
        {"X-Request-Id": b"r" * 5000},
        {"Idempotency-Key": b"\xff\xfe"},
        {"Idempotency-Key": "ключ".encode("utf-8")},
        {"Idempotency-Key": b"k" * 300},
        {"Content-Type": b"text/plain; charset=\xff"},
    ],
)
def test_odd_header_bytes_never_cause_a_server_error(deployment, victim, headers):
    api, mid, creds, before = victim
    body = json.dumps({"order_id": "order_AAAAAAAAAAAAAAAA", "method": "upi", "vpa": "a@okaxis"}).encode()
    status, hdrs, payload = raw(deployment.base_url, "POST", "/api/v1/payments", body, {**creds, **headers})
    assert_error(status, hdrs, payload, (400, 404))
    rid = hdrs.get("x-request-id", "")
    assert rid and rid.isascii() and len(rid) <= 64
    assert rows_of(deployment, mid) == before


# Every list filter, given a value it cannot use, answers 400 in the contract's error format.
# The first is what schemathesis found: a time that overflows when moved to UTC (it was a 500).
UNUSABLE_FILTERS = [
    ("/api/v1/payments", "from=0001-01-01T04:37:53%2B22:59"),
    ("/api/v1/payments", "to=9999-12-31T23:59:59-23:59"),
    ("/api/v1/payments", "from=2024-13-01"),
    ("/api/v1/payments", "method=%00"),
    ("/api/v1/payments", "q=pay_%00"),
    ("/api/v1/payments", "q=%FF%FE"),
    ("/api/v1/payments", "q=" + "p" * 300),
    ("/api/v1/payments", "receipt=%FF"),
    ("/api/v1/payments", "vpa=a%00@bank"),
    ("/api/v1/payments", "amount=1e3"),
    ("/api/v1/payments", "starting_after=%00"),
    ("/api/v1/payments", "offset=10001"),
    ("/api/v1/orders", "receipt=%00"),
    ("/api/v1/orders", "status=%FF"),
    ("/api/v1/payments", "include%5B%5D=%00"),
    ("/api/v1/refunds", "from=0001-01-01T00:00:00%2B01:00"),
    ("/api/v1/refunds", "to=9999-12-31T23:59:59-01:00"),
    ("/api/v1/refunds", "status=%00"),
    ("/api/v1/refunds", "payment_id=%00"),
    ("/api/v1/webhooks", "event_id=evt_%00"),
    ("/api/v1/webhooks", "event_id=" + "e" * 300),
    ("/api/v1/webhooks", "event=%FF"),
    ("/api/v1/webhooks", "offset=-1"),
    ("/api/v1/events", "after=%00"),
    ("/api/v1/events", "type=%00"),
    ("/api/v1/events", "limit=0"),
    ("/api/v1/analytics", "window=%00"),
    ("/api/v1/analytics", "currency=%00"),
]


@pytest.mark.parametrize("path,query", UNUSABLE_FILTERS)
def test_every_list_filter_refuses_a_value_it_cannot_use_with_400(deployment, path, query):
    status, hdrs, payload = raw(deployment.base_url, "GET", f"{path}?{query}")
    err = assert_error(status, hdrs, payload, 400)
    assert err["code"] == "BAD_REQUEST_ERROR"


def _list_query_parameters(base_url: str) -> list[tuple[str, str]]:
    """(path, name) for each query parameter of each GET without path parameters in the live document."""
    status, _, payload = raw(base_url, "GET", "/openapi.json", auth=False)
    assert status == 200, payload[:300]
    found = []
    for path, item in json.loads(payload)["paths"].items():
        op = item.get("get")
        if op is None or "{" in path:
            continue
        found += [(path, p["name"]) for p in op.get("parameters", []) if p["in"] == "query"]
    return found


def test_every_query_parameter_of_every_list_refuses_nul_with_400(deployment):
    """Generated from the OpenAPI document, so a new filter is covered the day it is added: a NUL
    (which PostgreSQL cannot take, even to compare) is a 400, never a 500. Schemathesis found the
    audit log's ``actor`` missed; the hand-made list above had no audit filter."""
    params = _list_query_parameters(deployment.base_url)
    assert ("/api/v1/audit_log", "actor") in params and len(params) > 40, params
    answers = {}
    for path, name in params:
        status, hdrs, payload = raw(deployment.base_url, "GET", f"{path}?{name}=a%00b")
        answers[(path, name)] = status
        if status == 400:
            assert_error(status, hdrs, payload, 400)
    assert {k: v for k, v in answers.items() if v != 400} == {}


def _nested(depth: int, leaf: bytes = b"1") -> bytes:
    """A JSON value nesting ``depth`` objects (the body's own object not counted)."""
    return b'{"a": ' * depth + leaf + b"}" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 1000], ids=["one-past-the-bound", "a-thousand"])
def test_bodies_nested_deeper_than_the_bound_are_400_everywhere_and_write_nothing(deployment, victim, depth):
    """Under orjson's own limit (1,024) but past ours: each endpoint that walks a body (an
    idempotency fingerprint, notes, test event data, the unauthenticated public payment) is 400."""
    api, mid, headers, before = victim
    order = api.create_order(50000)
    before = rows_of(deployment, mid)
    keyed = {**headers, "Idempotency-Key": f"deep-{depth}-" + order["id"]}
    deep = _nested(depth)
    payment = b'{"order_id": "%s", "method": "upi", "vpa": "a@okaxis", "x": %s}' % (order["id"].encode(), deep)
    targets = [
        ("POST", "/api/v1/orders", b'{"amount": 500, "notes": ' + deep + b"}", headers),
        ("POST", "/api/v1/payments", payment, keyed),
        ("POST", "/api/v1/payments/public", payment, {"Idempotency-Key": "deep-public"}),
        ("POST", "/api/v1/webhooks/test", b'{"data": ' + deep + b"}", headers),
    ]
    for method, path, body, hdrs_in in targets:
        status, hdrs, payload = raw(deployment.base_url, method, path, body, hdrs_in, auth=path != "/api/v1/payments/public")
        err = assert_error(status, hdrs, payload, 400)
        assert err["code"] == "BAD_REQUEST_ERROR" and f"{MAX_JSON_DEPTH} levels" in err["description"], (path, err)
    assert rows_of(deployment, mid) == before


def test_a_body_nested_exactly_to_the_bound_is_accepted(victim):
    api, mid, headers, before = victim
    notes_depth = MAX_JSON_DEPTH - 1  # the body's own object is the first level
    body = b'{"amount": 500, "notes": ' + _nested(notes_depth - 1, b"{}") + b"}"
    r = api.request("POST", "/api/v1/orders", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
