"""The delivery log names each row's endpoint: one event to two endpoints is two distinguishable rows."""

from __future__ import annotations

from paygate.tui.widgets.delivery_table import DeliveryTable


def test_one_event_to_two_endpoints_reads_as_two_different_rows():
    base = {"id": "5f0c2d9e-0000-4000-8000-000000000001", "event": "payment.success", "status": "success", "attempts": 1, "response_code": 200, "last_attempt_at": None}
    table = DeliveryTable()
    rows = [table.cells({**base, "endpoint_id": endpoint}) for endpoint in ("we_AAAAAAAAAAAAAAAA", "we_BBBBBBBBBBBBBBBB")]
    assert "Endpoint" in DeliveryTable.headings and rows[0] != rows[1]
    assert "we_AAAAAAAAAAAAAAAA" in rows[0] and "we_BBBBBBBBBBBBBBBB" in rows[1]
