"""`paygate simulate` and `paygate tui --web` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from devstack.services import free_port


def _creds_args(api, deployment):
    return ["--api-url", deployment.base_url, "--api-key", api.session.headers["X-Api-Key"], "--api-secret", api.session.headers["X-Api-Secret"]]


def test_simulate_drives_bounded_traffic_through_the_api(shop, deployment):
    api, _ = shop
    out = subprocess.run(
        [sys.executable, "-m", "paygate", "simulate", "--duration", "3", "--rate", "2", "--seed", "7", *_creds_args(api, deployment)],
        capture_output=True, text=True, timeout=60, env=deployment.process_env(),
    )
    assert out.returncode == 0, out.stderr
    assert "Sent 6 payments" in out.stdout
    page = api.ok("GET", "/api/v1/payments", params={"limit": 100})
    assert page["total"] == 6
    assert {p["method"] for p in page["data"]} <= {"upi", "card"}


def test_simulate_refuses_unbounded_runs():
    out = subprocess.run([sys.executable, "-m", "paygate", "simulate", "--duration", "100000"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "duration" in out.stderr.lower()


def test_simulate_reports_a_daemon_that_is_down():
    port = free_port()
    out = subprocess.run(
        [sys.executable, "-m", "paygate", "simulate", "--duration", "1", "--api-url", f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 6 and "cannot reach" in out.stderr


def test_tui_web_serves_the_console_in_a_browser_page(deployment):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paygate", "tui", "--web", "--port", str(port), "--api-url", deployment.base_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline, page = time.monotonic() + 30, None
        while time.monotonic() < deadline and page is None:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                page = r if r.status_code == 200 else None
            except requests.RequestException:
                time.sleep(0.2)
        assert page is not None, "paygate tui --web did not answer"
        assert "textual" in page.text.lower() and "paygate console" in page.text
        assert "secret_test_xyz789" not in page.text
    finally:
        proc.terminate()
        proc.wait(10)
