"""`paygate serve` prints "Ready!" once, and only when both ports (API and checkout) accept."""

from __future__ import annotations

import socket
import time

import pytest

from devstack.daemon import Deployment, backend_env


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("api_workers", [1, 2])
def test_ready_is_printed_once_both_ports_accept(backend, services, api_workers):
    d = Deployment(backend, backend_env(backend, *services), api_workers=api_workers, worker_processes=0)
    args = ["serve"] + (["--workers", str(api_workers)] if api_workers > 1 else [])
    d.server = d._spawn(args, "serve")
    try:
        deadline = time.monotonic() + 60
        while "Ready!" not in d.log_tail("serve", 400):
            assert d.server.poll() is None, d.log_tail("serve")
            assert time.monotonic() < deadline, "no Ready! line:\n" + d.log_tail("serve")
            time.sleep(0.01)
        # the moment the line is there, both ports must take a connection
        assert _accepts(d.api_port), "Ready! printed before the API port accepts"
        assert _accepts(d.checkout_port), "Ready! printed before the checkout port accepts"
        d.wait_healthy()
        assert d.log_tail("serve", 400).count("Ready!") == 1
    finally:
        d.stop()
