"""Webhook delivery by real workers: backoff retries, the destination guard, the HTTP details of a
send, and recovery after a worker is SIGKILLed with deliveries in flight (bounded in time)."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess

import pytest

from paygate import config, deliveries, signing
from paygate.jobs import delivery
from tests.support.api import Api, new_merchant
from tests.support.receiver import Receiver
from devstack.waiting import wait_until


def _claim(url: str) -> deliveries.Claim:
    return deliveries.Claim("d-1", "evt_abcdefghijklmnop", url, '{"id":"evt_abcdefghijklmnop","data":{"x":"✅"}}'.encode(), "whsec_test_abc123", 1)


# --- one send, in-process: no database needed ----------------------------------------------


def test_send_posts_the_exact_bytes_signed_and_keeps_a_short_excerpt(monkeypatch):
    monkeypatch.setattr(delivery, "_is_public", lambda address: True)  # as if the receiver were on the internet
    big = b"x" * 5000
    with Receiver(reply=big, default_status=202) as rx:
        claim = _claim(rx.url)
        result = delivery.send(claim, config.load({}))
        (req,) = rx.wait_for(1)
    assert req.body == claim.body and req.headers["content-type"] == "application/json"
    assert signing.verify_hex(claim.secret, req.body, req.headers["x-webhook-signature"])
    assert result.succeeded and result.response_code == 202 and result.error is None
    assert len(result.response_excerpt) == deliveries.EXCERPT_BYTES


def test_an_answer_from_a_private_address_is_never_kept():
    with Receiver(reply=b"root:x:0:0:internal service secret", default_status=200) as rx:
        result = delivery.send(_claim(rx.url), config.load({}))  # loopback, allowed on the embedded default
    assert result.succeeded and result.response_code == 200
    assert result.response_excerpt == delivery.HIDDEN_EXCERPT


def test_send_does_not_follow_redirects_and_times_out():
    with Receiver(default_status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"}) as rx:
        result = delivery.send(_claim(rx.url), config.load({}))
        assert len(rx.requests) == 1
    assert result.response_code == 302 and not result.succeeded and result.error == "HTTP 302"
    with Receiver(delay_s=2.0) as slow:
        result = delivery.send(_claim(slow.url), config.load({}).replace(webhook_timeout_s=0.5))
    assert result.response_code is None and "timed out" in result.error


def test_destination_guard_refuses_non_public_addresses():
    for url in ("http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x", "http://192.168.0.5/x", "http://0.0.0.0/x"):
        with pytest.raises(delivery.DestinationRefused):
            delivery.check_destination(url, allow_private=False)
        delivery.check_destination(url, allow_private=True)
    delivery.check_destination("http://93.184.216.34/hook", allow_private=False)
    refused = delivery.send(_claim("http://127.0.0.1:9/x"), config.load({}).replace(allow_private_webhook_urls=False))
    assert refused.response_code is None and refused.error.startswith("destination refused")


@pytest.fixture
def resolver(monkeypatch):
    """A resolver this test controls: ``answers[name]`` lists the address of each lookup in turn
    (the last one repeats); other names resolve as usual. ``lookups[name]`` counts the lookups."""
    real = socket.getaddrinfo

    class Resolver:
        answers: dict[str, list[str]] = {}
        lookups: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kw):
        if host in Resolver.answers:
            n = Resolver.lookups.get(host, 0)
            Resolver.lookups[host] = n + 1
            seq = Resolver.answers[host]
            return real(seq[min(n, len(seq) - 1)], port, *args, **kw)
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(delivery, "_dns_cache", {})
    return Resolver


def test_dns_rebinding_cannot_redirect_a_send_to_loopback(resolver):
    """The name answers a public address to the check, then 127.0.0.1: the send must go to the
    address that was checked, never to a second answer."""
    public = "93.184.216.34"
    settings = config.load({}).replace(allow_private_webhook_urls=False, webhook_timeout_s=1.0)
    with Receiver() as rx:
        resolver.answers["hooks.rebind.test"] = [public, "127.0.0.1"]
        result = delivery.send(_claim(f"http://hooks.rebind.test:{rx.port}/webhooks"), settings)
        assert rx.requests == []
    assert resolver.lookups["hooks.rebind.test"] == 1
    assert result.response_code is None and result.error
    # once the name answers loopback to the check itself, it is refused before any connection
    delivery._dns_cache.clear()
    refused = delivery.send(_claim(f"http://hooks.rebind.test:{rx.port}/webhooks"), settings)
    assert refused.error.startswith("destination refused")


def test_a_pinned_send_keeps_the_host_header_and_reuses_its_connection(resolver):
    resolver.answers["shop.pinned.test"] = ["127.0.0.1"]
    with Receiver() as rx:
        url = f"http://shop.pinned.test:{rx.port}/webhooks?shop=1"
        first = delivery.send(_claim(url), config.load({}))
        second = delivery.send(_claim(url), config.load({}))
        reqs = rx.wait_for(2)
    assert first.succeeded and second.succeeded
    assert [r.headers["host"] for r in reqs] == [f"shop.pinned.test:{rx.port}"] * 2
    assert [r.path for r in reqs] == ["/webhooks?shop=1"] * 2
    assert resolver.lookups["shop.pinned.test"] == 1  # the second send used the cached, checked address
    assert len(rx.connections) == 1  # and the kept-alive connection


def test_an_internationalised_name_is_sent_in_its_ascii_form(resolver):
    resolver.answers["xn--bcher-kva.test"] = ["127.0.0.1"]
    with Receiver() as rx:
        result = delivery.send(_claim(f"http://Bücher.test:{rx.port}/hooks/ä"), config.load({}))
        (req,) = rx.wait_for(1)
    assert result.succeeded, result.error
    assert req.headers["host"] == f"xn--bcher-kva.test:{rx.port}" and req.path == "/hooks/%C3%A4"


def _self_signed(tmp_path, name: str):
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_to_a_pinned_address_sends_the_host_name_and_verifies_the_certificate_for_it(resolver, tmp_path, monkeypatch):
    cert, key = _self_signed(tmp_path, "shop.pinned.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust this certificate only
    server_names = []
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    tls.sni_callback = lambda sock, name, ctx: server_names.append(name)
    resolver.answers["shop.pinned.test"] = ["127.0.0.1"]
    resolver.answers["other.pinned.test"] = ["127.0.0.1"]
    rx = Receiver()
    rx.server.socket = tls.wrap_socket(rx.server.socket, server_side=True)
    with rx:
        ok = delivery.send(_claim(f"https://shop.pinned.test:{rx.port}/webhooks"), config.load({}))
        wrong_name = delivery.send(_claim(f"https://other.pinned.test:{rx.port}/webhooks"), config.load({}))
    assert ok.succeeded, ok.error
    assert server_names[0] == "shop.pinned.test" and rx.requests[0].headers["host"] == f"shop.pinned.test:{rx.port}"
    assert not wrong_name.succeeded and wrong_name.response_code is None  # certificate is for another name
    assert len(rx.requests) == 1


# --- real workers ------------------------------------------------------------------------------


def test_receiver_failing_twice_gets_the_same_event_a_third_time(merchant_api):
    with Receiver(statuses=[500, 500]) as rx:
        merchant_api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": rx.url})
        sent = merchant_api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": {"try": "again 🔁"}})
        received = rx.wait_for(3, timeout=45)
    assert [r.event_id for r in received] == [sent["event_id"]] * 3
    assert [r.headers["webhook-id"] for r in received] == [sent["event_id"]] * 3
    assert received[0].body == received[1].body == received[2].body
    log = wait_until(lambda: (d := merchant_api.ok("GET", f"/api/v1/webhooks/{sent['id']}"))["status"] == "success" and d, 15, "success")
    assert log["attempts"] == 3 and log["response_code"] == 200
    assert [(a["number"], a["response_code"]) for a in log["attempt_log"]] == [(1, 500), (2, 500), (3, 200)]


def test_private_destination_is_refused_at_delivery_time(deploy):
    host = socket.gethostname()
    resolved = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    assert resolved and all(a.startswith(("127.", "10.", "172.", "192.168.")) or a == "::1" for a in resolved), resolved
    d = deploy(env={"PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS": "false"})
    api = Api(d.base_url)
    with Receiver(host="0.0.0.0") as rx:
        r = api.put("/api/v1/merchants/me", json={"webhook_url": rx.url})
        assert r.status_code == 400 and r.json()["error"]["field"] == "webhook_url"
        by_name = f"http://{host}:{rx.port}/webhooks"  # a name passes the URL check; its address does not
        api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": by_name})
        sent = api.ok("POST", "/api/v1/webhooks/test", 201)
        detail = wait_until(lambda: (x := api.ok("GET", f"/api/v1/webhooks/{sent['id']}"))["attempt_log"] and x, 30, "first attempt")
        assert rx.requests == []
    attempt = detail["attempt_log"][0]
    assert attempt["response_code"] is None and attempt["error"].startswith("destination refused")


def test_sigkilled_worker_with_deliveries_in_flight_loses_nothing(deploy, backend):
    """Kill every worker (on SQLite: the daemon that embeds it) mid-delivery; restart; all arrive."""
    d = deploy(worker_processes=1)
    if backend == "postgres":
        d.wait_worker_running()
    api = new_merchant(d.base_url, d)
    n = 24
    with Receiver(delay_s=1.0) as rx:
        api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": rx.url})
        sent = [api.ok("POST", "/api/v1/webhooks/test", 201, json={"data": {"n": i}}) for i in range(n)]
        rx.wait_for(2, timeout=30)
        if backend == "postgres":
            d.kill_workers(signal.SIGKILL)
        else:
            d.server.send_signal(signal.SIGKILL)
            d.server.wait(15)
        before_restart = {r.event_id for r in rx.requests}
        assert len(before_restart) < n, "the kill came too late to leave deliveries in flight"
        if backend == "postgres":
            d.start_worker()
        else:
            d.start()
        wait_until(lambda: {r.event_id for r in rx.requests} >= {s["event_id"] for s in sent}, 90, f"all {n} events delivered after restart")
    final = wait_until(
        lambda: (p := api.ok("GET", "/api/v1/webhooks", params={"limit": 100}))["total"] == n and all(x["status"] == "success" for x in p["data"]) and p,
        30,
        "every delivery logged as success",
    )
    assert {x["id"] for x in final["data"]} == {s["id"] for s in sent}


def test_removing_the_webhook_url_stops_pending_retries_and_a_retry_of_them_is_refused(merchant_api):
    """The reviewer's reproduction: a failing receiver, then PUT webhook_url=null. The retries due
    later never go to the old address; the delivery ends with a code; a manual retry is a 400."""
    with Receiver(default_status=500) as rx:
        merchant_api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": rx.url})
        sent = merchant_api.ok("POST", "/api/v1/webhooks/test", 201)
        rx.wait_for(1, timeout=30)
        wait_until(lambda: merchant_api.ok("GET", f"/api/v1/webhooks/{sent['id']}")["attempts"] == 1, 15, "the first attempt recorded")
        merchant_api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": None})
        log = merchant_api.ok("GET", f"/api/v1/webhooks/{sent['id']}")
        assert (log["status"], log["failure_code"], log["next_retry_at"]) == ("failed", "webhook_url_removed", None)
        r = merchant_api.post(f"/api/v1/webhooks/{sent['id']}/retry")
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR"
        assert "webhook_url" in r.json()["error"]["description"]
        assert len(rx.requests) == 1
    assert merchant_api.ok("GET", f"/api/v1/webhooks/{sent['id']}")["status"] == "failed"
