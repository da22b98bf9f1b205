"""An event body built around an already-serialized object is byte-for-byte the ordinary one."""

from paygate.events import build_body, build_body_around
from paygate.serialize import dumps_compact


def test_body_around_serialized_object_has_the_same_bytes():
    payment = {"id": "pay_ABCDEFGHijklmnop", "amount": 50000, "vpa": "asha.rao@okaxis", "captured": False,
               "error_code": None, "note": "वापसी 🎁 — \"défaut\"\n\\"}
    expected = build_body("evt_0123456789abcdef", "payment.created", 1705315870, {"payment": payment})
    got = build_body_around("evt_0123456789abcdef", "payment.created", 1705315870, "payment", dumps_compact(payment))
    assert got == expected
