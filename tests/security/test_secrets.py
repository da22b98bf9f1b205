"""What is never stored, logged or sent: card numbers, CVVs and API secrets (both backends).

A distinctive card is paid with (approved and declined, valid and invalid); then every row of
every table, the daemon and worker logs, and every webhook body are searched for it.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.security.probe import dump_all_text, merchant_id_of
from tests.support.api import TEST_SECRET, new_merchant
from tests.support.receiver import Receiver

PAN = "5555555555554444"  # a Luhn-valid Mastercard test number used nowhere else in the suite
PAN_SPACED = "5555 5555 5555 4444"
CVV = "8317"  # four digits, unlikely in ids or timestamps; amex-length CVVs are accepted too


def _has_cvv(text: str) -> bool:
    """The CVV as a value of its own (not four digits inside a hex request id, port or timestamp)."""
    return re.search(rf"(?<![0-9A-Za-z.]){CVV}(?![0-9A-Za-z])", text) is not None


def _needles(pan=PAN):
    return [pan, " ".join(pan[i : i + 4] for i in range(0, 16, 4)), "-".join(pan[i : i + 4] for i in range(0, 16, 4)), pan[:12]]


def test_no_card_number_or_cvv_reaches_the_database_logs_or_webhooks(deployment):
    api = new_merchant(deployment.base_url, deployment)
    with Receiver() as receiver:
        api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": receiver.url})
        card = {"number": PAN_SPACED, "expiry_month": 12, "expiry_year": 2031, "cvv": CVV, "holder_name": "Card Holder"}
        paid = api.create_payment(api.create_order(25000)["id"], "card", card=card)
        public = api.post("/api/v1/payments/public", json={"order_id": api.create_order(26000)["id"], "method": "card", "card": {**card, "number": PAN}})
        assert public.status_code == 201, public.text
        keyed = api.create_payment(api.create_order(27000)["id"], "card", card={**card, "number": "5555-5555-5555-4444"}, key="card-key-1")
        # Rejected cards must not leak through error paths either (bad Luhn, expired, bad types).
        for bad in ({**card, "number": PAN[:-1] + "5"}, {**card, "expiry_year": 2001}, {**card, "cvv": 8317}, {**card, "number": int(PAN)}):
            r = api.post("/api/v1/payments", json={"order_id": api.create_order(28000)["id"], "method": "card", "card": bad})
            assert r.status_code == 400, r.text
            assert PAN not in r.text and not _has_cvv(r.text)
        final = api.wait_payment(paid["id"])
        assert final["card_last4"] == "4444" and final["card_network"] == "mastercard"
        api.wait_payment(keyed["id"])
        refund = api.ok("POST", f"/api/v1/payments/{paid['id']}/refunds", 201, json={"amount": 500})
        api.wait_refund(refund["id"])
        bodies = [r.body.decode("utf-8") for r in receiver.wait_for(6, timeout=30)]
    texts = {"database": dump_all_text(deployment), "logs": deployment.logs(), "webhooks": "\n".join(bodies)}
    assert "4444" in texts["database"] and "4444" in texts["webhooks"], "last4 is kept: the search would find a PAN"
    for where, text in texts.items():
        for needle in _needles():
            assert needle not in text, f"card number found in {where}"
        assert not _has_cvv(text), f"CVV found in {where}"
        assert '"cvv"' not in text and "'cvv'" not in text, f"a cvv field found in {where}"
    for body in bodies:
        payment = json.loads(body)["data"].get("payment") or {}
        assert "card" not in payment and "number" not in payment


def test_api_secrets_are_stored_hashed(deployment):
    api = new_merchant(deployment.base_url, deployment)
    secret = api.session.headers["X-Api-Secret"]
    text = dump_all_text(deployment)
    assert secret not in text and TEST_SECRET not in text
    assert hashlib.sha256(secret.encode()).hexdigest() in text
    assert hashlib.sha256(TEST_SECRET.encode()).hexdigest() in text
    assert merchant_id_of(api)
    assert secret not in deployment.logs() and TEST_SECRET not in deployment.logs()


def test_secrets_are_compared_in_constant_time(core_db, monkeypatch):
    """Authentication goes through ``hmac.compare_digest`` on digests, for hits and misses alike."""
    from paygate import db, merchants
    from paygate.errors import AuthenticationFailed

    calls = []
    real = merchants.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(merchants.hmac, "compare_digest", spy)
    merchants.auth_cache.forget("key_test_abc123")
    assert db.read(merchants.authenticate, "key_test_abc123", TEST_SECRET).id
    with pytest.raises(AuthenticationFailed):
        db.read(merchants.authenticate, "key_test_abc123", "secret_test_wrong")
    with pytest.raises(AuthenticationFailed):
        db.read(merchants.authenticate, "key_nobody_at_all", "whatever")
    assert len(calls) == 3 and all(pair == (64, 64) for pair in calls), calls


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_production_mode_refuses_private_webhook_destinations(production, url):
    api = production
    r = api.put("/api/v1/merchants/me", json={"webhook_url": url})
    assert r.status_code == 400, (url, r.status_code, r.text)
    assert r.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    assert api.ok("GET", "/api/v1/merchants/me")["webhook_url"] is None


def test_production_mode_accepts_public_webhook_destinations(production):
    body = production.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": "https://hooks.example.com/paygate"})
    assert body["webhook_url"] == "https://hooks.example.com/paygate"
    production.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": None})


@pytest.fixture(scope="module")
def production(backend, services):
    """A deployment with private webhook destinations refused (the production default)."""
    from tests.support.api import Api
    from devstack.daemon import Deployment, backend_env

    d = Deployment(backend, {**backend_env(backend, *services), "PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS": "false"}, worker_processes=0).start()
    yield Api(d.base_url)
    d.stop()
