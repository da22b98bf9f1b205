"""``paygate serve`` at start: a busy port is one line and exit 2 before anything starts; the
"Ready!" line says the bind address, the bank's behaviour and whether the public test merchant
is seeded (by default only on the embedded SQLite, on a database URL only when asked)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests

from devstack.daemon import Deployment, backend_env
from paygate import config


def test_a_busy_port_is_one_line_and_exit_2_before_anything_starts(backend, services):
    d = Deployment(backend, backend_env(backend, *services))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", d.checkout_port))
        holder.listen()
        out = subprocess.run([sys.executable, "-m", "paygate", "serve"], env=d.process_env(), cwd=d.root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {d.checkout_port} (checkout) is already in use" in lines[0] and "--checkout-port" in lines[0], out.stderr
    assert "Ready!" not in out.stderr + out.stdout
    if backend == "sqlite":
        assert not (d.root / "data" / "paygate.db").exists(), "the database was touched before the port check"


@pytest.mark.parametrize(
    "env,database_url,seeded",
    [({}, None, True), ({}, "postgresql://u@db/paygate", False), ({"PAYGATE_SEED_TEST_MERCHANT": "true"}, "postgresql://u@db/paygate", True), ({"PAYGATE_SEED_TEST_MERCHANT": "false"}, None, False)],
)
def test_the_test_merchant_is_seeded_by_default_only_on_the_embedded_default(env, database_url, seeded):
    assert config.load(env, database_url=database_url).seed_test_merchant is seeded


@pytest.fixture(scope="module")
def default_seed(backend, services):
    """A daemon started with no PAYGATE_SEED_TEST_MERCHANT at all: the default decides."""
    d = Deployment(backend, backend_env(backend, *services), worker_processes=0)
    with_default = d.process_env
    d.process_env = lambda: {k: v for k, v in with_default().items() if k != "PAYGATE_SEED_TEST_MERCHANT"}
    d.start()
    yield d
    d.stop()


def test_ready_says_bind_address_bank_and_test_merchant(default_seed, backend):
    (ready,) = [line for line in default_seed.log_tail("serve", 400).splitlines() if line.startswith("Ready!")]
    assert "bind address: 127.0.0.1" in ready and "test mode, the simulated bank answers in 300 ms with success" in ready, ready
    assert "secret_test_xyz789" not in default_seed.logs()
    seeded_answer = requests.get(default_seed.base_url + "/api/v1/merchants/me", headers={"X-Api-Key": "key_test_abc123", "X-Api-Secret": "secret_test_xyz789"}, timeout=10)
    if backend == "sqlite":
        assert "test merchant: seeded, key key_test_abc123" in ready and seeded_answer.status_code == 200, ready
    else:
        assert "test merchant: not seeded" in ready and seeded_answer.status_code == 401, ready
