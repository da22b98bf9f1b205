"""``paygate healthcheck``: the probe each compose service runs, against real processes."""

from __future__ import annotations

import subprocess
import sys

from devstack.services import free_port


def probe(deployment, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paygate", "healthcheck", *args], env=deployment.process_env(), cwd=deployment.root, capture_output=True, text=True, timeout=60)


def test_api_probe_is_healthy_on_the_api_port_only(deployment):
    assert probe(deployment, "api").returncode == 0  # PAYGATE_API_PORT, as in the container
    nothing = probe(deployment, "api", "--port", str(free_port()))
    assert nothing.returncode == 1 and nothing.stderr.startswith("unhealthy: no answer")


def test_worker_probe_wants_a_worker_heartbeat_from_this_host(deployment, backend):
    result = probe(deployment, "worker")
    if backend == "postgres":  # separate `paygate worker` processes on this host
        deployment.wait_worker_running()
        assert probe(deployment, "worker").returncode == 0
    else:  # the embedded default runs no separate worker: a worker container here would be broken
        assert result.returncode == 1 and "no fresh heartbeat from a worker on this host" in result.stderr


def test_an_unknown_role_is_exit_2(deployment):
    assert probe(deployment, "database").returncode == 2
