"""The audit chain's hashed text stays what every earlier version hashed, so rows written before
this encoder verify alike; the summary keeps only the safe fields."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from paygate import audit


def _row(**over) -> dict:
    row = dict(merchant="m-1", seq=7, created_at=datetime(2026, 1, 2, 3, 4, 5, 6), actor_type="api_key", actor_id="key_1",
               actor_name="naïve \u2028 name\x00\x1f\"\\", operation="createPayment", object_id="pay_x", request_id=None,
               client_address="127.0.0.1", summary='{"request":{},"result":{"amount":1}}')
    row.update(over)
    return row


def _reference_hash(row: dict, prev: str) -> str:
    created = row["created_at"]
    content = [row["merchant"], row["seq"], created.isoformat(timespec="microseconds") if isinstance(created, datetime) else str(created),
               row["actor_type"], row["actor_id"], row["actor_name"], row["operation"], row["object_id"], row["request_id"],
               row["client_address"], row["summary"], prev]
    text = json.dumps(content, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def test_row_hash_is_the_json_dumps_text_of_earlier_versions():
    for row in (_row(), _row(created_at="2026-01-02 03:04:05.000006"), _row(actor_name="lone \ud800 surrogate"), _row(seq=2**70)):
        assert audit.row_hash(row, audit.GENESIS) == _reference_hash(row, audit.GENESIS)


def test_summary_is_sorted_compact_json_of_safe_fields_only():
    body = {"vpa": "a@b", "card": {"number": "4111111111111111", "cvv": "123"}, "order_id": "order_1", "amount": 5, "method": "upi"}
    assert audit.safe_summary(body) == {"amount": 5, "method": "upi", "order_id": "order_1"}
    assert audit.safe_summary({}) == {} and audit.safe_summary(None) == {} and audit.safe_summary({"cvv": "1"}) == {}
    text = audit._summary_text({"result": {"b": 1, "a": "é"}, "request": {}})
    assert text == '{"request":{},"result":{"a":"é","b":1}}'
