"""The send deadline: a webhook send ends ``webhook_timeout_s`` after it starts, whatever the
receiver does, and a lease outlives the longest send it covers.

Real dripping HTTP receivers (one byte every 2 s, so no socket read ever times out); each test is
bounded by the deadline it checks, not by the drip (which would last a minute).
"""

from __future__ import annotations

import socket
import time

from paygate import config, deliveries
from paygate.jobs import delivery, sender
from tests.support.receiver import Receiver

REPLY = b'{"received": true, "padding": "' + b"x" * 20 + b'"}'  # ~50 bytes: ~100 s at one byte every 2 s


def _claim(url: str) -> deliveries.Claim:
    return deliveries.Claim("d-deadline", "evt_deadline0000000", url, b'{"id":"evt_deadline0000000"}', "whsec_test_abc123", 1, merchant_id="m-1")


def test_a_receiver_dripping_its_body_is_cut_at_the_deadline_and_the_attempt_fails():
    settings = config.load({})  # the 5 s default
    with Receiver(reply=REPLY, drip_s=2.0) as rx:
        result = delivery.send(_claim(rx.url), settings)
        assert len(rx.requests) == 1
    assert result.error == "timed out after 5 s"
    assert not result.succeeded and result.response_code is None and result.response_excerpt is None
    assert 4_900 <= result.duration_ms < 7_000, "cut at the deadline, not when the drip ends (~100 s)"


def test_a_receiver_dripping_its_status_line_is_cut_too_and_the_connection_is_not_reused():
    settings = config.load({}).replace(webhook_timeout_s=1.5)
    with Receiver(reply=REPLY, drip_s=0.5, drip_head=True) as rx:
        result = delivery.send(_claim(rx.url), settings)
        assert result.error == "timed out after 1.5 s" and result.response_code is None
        assert result.duration_ms < 3_000, "the status line alone would take ~30 s"
    with Receiver() as ok:  # the next send starts a fresh deadline and succeeds
        assert delivery.send(_claim(ok.url), settings).succeeded


def test_a_claim_without_a_secret_is_never_sent():
    with Receiver() as rx:
        result = delivery.send(deliveries.Claim("d-x", "evt_x", rx.url, b"{}", "", 1), config.load({}))
        assert rx.requests == []
    assert not result.succeeded and result.error.startswith("not sent")


def test_the_lease_outlives_the_longest_send_it_covers():
    for timeout in (0.5, 5.0, 30.0):
        settings = config.load({}).replace(webhook_timeout_s=timeout)
        longest = sender.MAX_QUEUE_WAIT_S + timeout  # queued as long as a claim may wait, then the whole send
        assert deliveries.lease_seconds(settings) > longest + 1.0


def test_an_answer_that_is_not_2xx_or_that_erred_is_never_a_success():
    now = None
    assert deliveries.AttemptResult(200, "ok", None, 1, now).succeeded
    assert not deliveries.AttemptResult(200, "ok", "timed out after 5 s", 1, now).succeeded
    assert not deliveries.AttemptResult(500, "no", "HTTP 500", 1, now).succeeded


def test_a_name_lookup_that_hangs_counts_against_the_deadline(monkeypatch):
    real = socket.getaddrinfo

    def slow_lookup(host, *args, **kw):
        if host == "slow-dns.deadline.test":
            time.sleep(3.0)
            host = "127.0.0.1"
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    monkeypatch.setattr(delivery, "_dns_cache", {})
    result = delivery.send(_claim("http://slow-dns.deadline.test:9/hooks"), config.load({}).replace(webhook_timeout_s=1.0))
    assert result.error == "timed out after 1 s" and result.duration_ms < 2_500
