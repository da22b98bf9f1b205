"""Real paygate processes for tests: ``paygate serve`` and ``paygate worker`` on free ports.

Each :class:`Deployment` is isolated: its own SQLite folder, or its own PostgreSQL database and
huey queue name on the shared Redis. Logs go to files, shown when start-up fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .services import ServiceError, free_port

REPO = Path(__file__).resolve().parents[1]

TEST_ENV = {
    "TEST_MODE": "true",
    "TEST_PROCESSING_DELAY": "300",
    "TEST_REFUND_DELAY": "300",
    "TEST_PAYMENT_SUCCESS": "true",
    "WEBHOOK_RETRY_INTERVALS_TEST": "true",
    "PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS": "true",
    "PAYGATE_SWEEP_INTERVAL": "1",
    "PAYGATE_LOG_LEVEL": "INFO",
    # Suites pay through checkout from one address, many times a minute (races, fuzzing): the
    # public endpoint's limits are off here and tested on a deployment of their own.
    "PAYGATE_PUBLIC_ATTEMPTS_PER_ORDER": "0",
    "PAYGATE_PUBLIC_ATTEMPTS_PER_CLIENT": "0",
    "PAYGATE_SEED_TEST_MERCHANT": "true",  # the tests' fixtures use it on both backends
}


def clean_env() -> dict:
    """The parent environment without any paygate or service settings a developer may have set."""
    drop = ("PAYGATE_", "DATABASE_URL", "REDIS_URL", "TEST_", "WEBHOOK_RETRY", "PORT", "PROMETHEUS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@dataclass
class Deployment:
    backend: str  # "sqlite" | "postgres"
    env: dict  # backend settings (database, redis, queue) + overrides
    api_workers: int = 1
    worker_processes: int = 1  # separate `paygate worker` processes (postgres backend)
    api_port: int = field(default_factory=free_port)
    checkout_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="paygate-deploy-")))
    server: subprocess.Popen | None = None
    workers: list = field(default_factory=list)
    _logs: list = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def checkout_url(self) -> str:
        return f"http://127.0.0.1:{self.checkout_port}"

    @property
    def metrics_url(self) -> str:
        """The operator's listener (loopback): ``GET /metrics`` is not on the merchant port."""
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def process_env(self) -> dict:
        env = clean_env()
        env.update(TEST_ENV)
        env.update(self.env)
        env["PAYGATE_API_PORT"] = str(self.api_port)
        env["PAYGATE_CHECKOUT_PORT"] = str(self.checkout_port)
        env["PAYGATE_METRICS_PORT"] = str(self.metrics_port)
        env["PAYGATE_HOST"] = "127.0.0.1"
        env.setdefault("PAYGATE_DATA_DIR", str(self.root / "data"))
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")
        self._logs.append(log)
        return subprocess.Popen(
            [sys.executable, "-m", "paygate", *args], env=self.process_env(), stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
            preexec_fn=default_sigint, process_group=0,  # a group of its own: nothing it signals reaches the runner
        )

    def start(self, timeout: float = 30.0) -> "Deployment":
        args = ["serve"]
        if self.api_workers > 1:
            args += ["--workers", str(self.api_workers)]
        self.server = self._spawn(args, "serve")
        self.wait_healthy(timeout)
        if self.backend == "postgres":
            for _ in range(self.worker_processes):
                self.start_worker()
        return self

    def start_worker(self) -> subprocess.Popen:
        proc = self._spawn(["worker"], f"worker{len(self.workers)}")
        self.workers.append(proc)
        return proc

    def wait_healthy(self, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.server and self.server.poll() is not None:
                raise ServiceError(f"paygate serve exited with {self.server.returncode}:\n{self.log_tail('serve')}")
            try:
                r = requests.get(self.base_url + "/health", timeout=2)
                if r.status_code == 200:
                    return r.json()
                last = r.text
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.1)
        raise ServiceError(f"paygate serve not healthy after {timeout}s ({last}):\n{self.log_tail('serve')}")

    def wait_worker_running(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = requests.get(self.base_url + "/health", timeout=5)  # answered on every deployment
            if r.ok and r.json().get("worker") == "running":
                return
            time.sleep(0.2)
        raise ServiceError("no worker reported a heartbeat:\n" + self.log_tail("worker0"))

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.root / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.root.glob("*.log")))

    def kill_workers(self, sig=signal.SIGKILL) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(sig)
        for proc in self.workers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.workers = []

    def stop(self) -> None:
        self.kill_workers(signal.SIGTERM)
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(5)
        for log in self._logs:
            log.close()


def default_sigint() -> None:
    """In the child before exec: ^C acts as it does in a terminal, even when this process was
    started as a background job of a non-interactive shell (which ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def backend_env(backend: str, pg=None, redis=None) -> dict:
    """Settings for a fresh, isolated deployment on ``backend``."""
    if backend == "sqlite":
        return {}
    name = "t_" + uuid.uuid4().hex[:12]
    return {"DATABASE_URL": pg.create_database(name), "REDIS_URL": redis.url, "PAYGATE_QUEUE_NAME": name}
