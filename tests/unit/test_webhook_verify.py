"""``paygate.webhooks.verify``: a receiver's check, against the Standard Webhooks reference library
(``standardwebhooks``) both ways, and one test per way a request must be refused."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError as RefusedByReference

from paygate import ids, signing, webhooks
from paygate.webhooks import WebhookVerificationError

BODY = '{"id":"evt_AAAAAAAAAAAAAAAA","event":"payment.success","timestamp":1705315870,"data":{"payment":{"id":"pay_x","amount":50000,"notes":"नमस्ते"}}}'
EVENT_ID = "evt_AAAAAAAAAAAAAAAA"


def reference_headers(secret: str, body: str = BODY, at: int | None = None) -> dict:
    """Headers as the reference library signs them."""
    at = int(time.time()) if at is None else at
    signature = Webhook(secret).sign(EVENT_ID, datetime.fromtimestamp(at, tz=timezone.utc), body)
    return {"webhook-id": EVENT_ID, "webhook-timestamp": str(at), "webhook-signature": signature}


def test_verifies_what_the_reference_library_signs_and_returns_the_event():
    secret = ids.new_webhook_secret()
    event = webhooks.verify(BODY.encode(), reference_headers(secret), secret)
    assert event["event"] == "payment.success" and event["data"]["payment"]["notes"] == "नमस्ते"
    assert webhooks.verify(BODY, {k.upper(): v for k, v in reference_headers(secret).items()}, secret)["id"] == EVENT_ID


def test_what_paygate_signs_verifies_with_both_the_reference_library_and_verify():
    secret = ids.new_webhook_secret()
    headers = signing.signature_headers(secret, EVENT_ID, BODY.encode(), int(time.time()))
    assert Webhook(secret).verify(BODY.encode(), headers)["id"] == EVENT_ID
    assert webhooks.verify(BODY.encode(), headers, secret)["id"] == EVENT_ID


def test_during_a_rotation_either_secret_verifies():
    old, new = ids.new_webhook_secret(), ids.new_webhook_secret()
    headers = signing.signature_headers(new, EVENT_ID, BODY.encode(), int(time.time()), previous=(old,), hex_header=False)
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (old, new, [ids.new_webhook_secret(), new]):
        assert webhooks.verify(BODY.encode(), headers, secret)["id"] == EVENT_ID
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(BODY.encode(), headers, ids.new_webhook_secret())


def test_the_seed_family_hex_signature_and_its_previous_during_a_rotation():
    secret = "whsec_test_abc123"  # the seeded merchant's: not a base64 key, so hex only
    headers = signing.signature_headers(secret, EVENT_ID, BODY.encode(), int(time.time()))
    assert "webhook-signature" not in headers
    assert webhooks.verify(BODY.encode(), headers, secret)["id"] == EVENT_ID
    rotated = {"X-Webhook-Signature": signing.hex_signature("new-secret", BODY.encode()), "X-Webhook-Signature-Previous": headers["X-Webhook-Signature"]}
    assert webhooks.verify(BODY.encode(), rotated, secret)["id"] == EVENT_ID
    assert webhooks.verify(BODY.encode(), rotated, "new-secret")["id"] == EVENT_ID


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "secret",
        "old_timestamp",
        "future_timestamp",
        "no_headers",
        "signature_not_ascii",
        "id_changed",
    ],
)
def test_refused_exactly_where_the_reference_library_refuses(tamper):
    secret = ids.new_webhook_secret()
    body, headers, key = BODY, reference_headers(secret), secret
    if tamper == "body":
        body = BODY.replace("50000", "5000000")
    elif tamper == "secret":
        key = "whsec_" + base64.b64encode(b"another key of 24 bytes!").decode()
    elif tamper == "old_timestamp":
        headers = reference_headers(secret, at=int(time.time()) - 301)
    elif tamper == "future_timestamp":
        headers = reference_headers(secret, at=int(time.time()) + 301)
    elif tamper == "no_headers":
        headers = {"Content-Type": "application/json"}
    elif tamper == "signature_not_ascii":
        headers = {**headers, "webhook-signature": "v1,é" + headers["webhook-signature"][4:]}
    elif tamper == "id_changed":
        headers = {**headers, "webhook-id": "evt_BBBBBBBBBBBBBBBB"}
    with pytest.raises((RefusedByReference, ValueError)):  # the reference raises ValueError on a non-ASCII signature
        Webhook(key).verify(body.encode(), headers)
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(body.encode(), headers, key)


def test_tolerance_is_a_parameter():
    secret = ids.new_webhook_secret()
    headers = reference_headers(secret, at=int(time.time()) - 600)
    assert webhooks.verify(BODY, headers, secret, tolerance=900)["id"] == EVENT_ID
