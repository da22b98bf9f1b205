"""The seed README's promise: ``node verify_async.js`` and ``node verify_refund_status.js`` pass
against a live daemon, on both backends (the PostgreSQL run settles in separate worker processes)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from devstack.daemon import REPO

SCRIPTS = ["verify_async.js", "verify_refund_status.js"]


def node() -> str:
    path = shutil.which("node")
    assert path, "node (Node.js 20+) is not installed: the verify scripts cannot run. Install it (./dev test does)."
    return path


def run_script(script: str, base_url: str, **env) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "API_URL": base_url, "VERIFY_TIMEOUT_MS": "30000", **env}
    for name in ("API_KEY", "API_SECRET", "VPA"):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.run([node(), script], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", SCRIPTS)
def test_verify_script_passes_against_a_live_daemon(deployment, script):
    result = run_script(script, deployment.base_url)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}\n--- daemon log ---\n{deployment.log_tail('serve')}"
    assert "PASS" in result.stdout and "FAIL" not in result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_verify_script_fails_loudly_on_bad_credentials(deployment, script):
    result = run_script(script, deployment.base_url, API_SECRET="wrong-secret")
    assert result.returncode != 0
    assert "FAIL" in result.stderr and "AUTHENTICATION_ERROR: Invalid API credentials" in result.stderr, result.stderr
