"""Request bodies: what counts as empty is JSON's whitespace only (schemathesis seed 949255000 sent
a lone form feed to an optional-body endpoint and it was taken for no body: 200 instead of 400)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from paygate.errors import InvalidRequest
from paygate.server.responses import json_body


def _request(body: bytes):
    return SimpleNamespace(body=body, ctx=SimpleNamespace())


@pytest.mark.parametrize("body", [b"", b" ", b" \t\n\r "])
def test_json_whitespace_alone_is_an_empty_optional_body(body):
    assert json_body(_request(body), optional=True) == {}


@pytest.mark.parametrize("body", [b"\x0c", b"\x0b", b" \x0c\n", b"\x1c", b"\xa0"])
def test_other_whitespace_is_invalid_json_even_where_the_body_is_optional(body):
    with pytest.raises(InvalidRequest):
        json_body(_request(body), optional=True)


def test_a_json_object_surrounded_by_json_whitespace_is_read():
    assert json_body(_request(b'\r\n {"amount": 1} \t')) == {"amount": 1}
