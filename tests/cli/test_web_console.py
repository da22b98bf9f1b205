"""``paygate tui --web``: off loopback the console asks for the login token it printed at start,
since whoever reaches it acts as the merchant; on loopback it stays one command."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import requests

from devstack.daemon import clean_env, default_sigint
from devstack.services import free_port
from devstack.waiting import wait_until


def web_console(host: str):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paygate", "tui", "--web", "--host", host, "--port", str(port), "--api-url", "http://127.0.0.1:9"],
        env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint,
    )
    ready = proc.stderr.readline()
    url = f"http://127.0.0.1:{port}/"

    def answers():
        try:
            return requests.get(url, timeout=2, allow_redirects=False) is not None
        except requests.RequestException:
            return False

    wait_until(answers, 30, "the web console answers")
    return proc, ready, url


def stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_off_loopback_every_path_needs_the_printed_token():
    proc, ready, url = web_console("0.0.0.0")
    try:
        token = re.search(r"\?token=([\w-]+)", ready).group(1)
        assert "acts as the merchant" in ready
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url + "static/css/xterm.css", timeout=5).status_code == 401
        assert requests.get(url, params={"token": token + "x"}, timeout=5).status_code == 401
        session = requests.Session()
        first = session.get(url, params={"token": token}, timeout=5)
        assert first.status_code == 200 and "httponly" in first.headers["Set-Cookie"].lower()
        assert session.get(url, timeout=5).status_code == 200  # the cookie carries it from then on
    finally:
        stop(proc)


def test_on_loopback_no_token_is_asked():
    proc, ready, url = web_console("127.0.0.1")
    try:
        assert "token" not in ready
        assert requests.get(url, timeout=5).status_code == 200
    finally:
        stop(proc)
